// POSIX Env: pread/pwrite-free append with write(2), fdatasync, OFD fcntl locks.

#include "kv/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "base/no_destructor.h"

namespace lts::kv {
namespace {

Status ErrnoStatus(std::string_view what, const std::string& path, int err) {
  return Status(StatusCode::kIOError, std::string(what) + " " + path + ": " + std::strerror(err));
}

class PosixFile final : public File {
 public:
  PosixFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixFile() override { ::close(fd_); }

  Status Append(std::string_view data) override {
    return WriteAt(size_.load(std::memory_order_relaxed), data);
  }

  Status WriteAt(uint64_t offset, std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("write", path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
      if (offset > size_.load(std::memory_order_relaxed)) {
        size_.store(offset, std::memory_order_release);
      }
    }
    return Status::Ok();
  }

  Status Sync() override {
    if (::fdatasync(fd_) != 0) return ErrnoStatus("fdatasync", path_, errno);
    return Status::Ok();
  }

  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    out->resize(n);
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd_, out->data() + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("read", path_, errno);
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    out->resize(got);
    return Status::Ok();
  }

  Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return ErrnoStatus("truncate", path_, errno);
    }
    size_.store(size, std::memory_order_release);
    return Status::Ok();
  }

  uint64_t Size() const override { return size_.load(std::memory_order_acquire); }
  const std::string& path() const override { return path_; }

 private:
  const std::string path_;
  const int fd_;
  std::atomic<uint64_t> size_;  // Bytes in the file; only the appending thread grows it.
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { ::close(fd_); }  // Closing the description releases the lock.

 private:
  const int fd_;
};

class PosixEnv final : public Env {
 public:
  StatusOr<std::unique_ptr<File>> OpenFile(const std::string& path, bool create) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
    if (fd < 0) {
      return Status(errno == ENOENT ? StatusCode::kNotFound : StatusCode::kIOError,
                    "open " + path + ": " + std::strerror(errno));
    }
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      Status s = ErrnoStatus("stat", path, errno);
      ::close(fd);
      return s;
    }
    return std::unique_ptr<File>(
        std::make_unique<PosixFile>(path, fd, static_cast<uint64_t>(st.st_size)));
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus("unlink", path, errno);
    return Status::Ok();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus("rename to " + to, from, errno);
    return Status::Ok();
  }

  Status CreateDir(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoStatus("mkdir", dir, errno);
    }
    return Status::Ok();
  }

  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open directory", dir, errno);
    Status s;
    if (::fsync(fd) != 0) s = ErrnoStatus("fsync directory", dir, errno);
    ::close(fd);
    return s;
  }

  StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return ErrnoStatus("opendir", dir, errno);
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    ::closedir(d);
    return names;
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  StatusOr<int64_t> ModifiedSeconds(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path, errno);
    return static_cast<int64_t>(st.st_mtime);
  }

  StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus("open lock file", path, errno);
    struct flock fl;
    std::memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    // An open-file-description lock: held per open(), not per process, so a second open
    // in the same process conflicts too, and closing another fd of the file keeps it.
    if (::fcntl(fd, F_OFD_SETLK, &fl) != 0) {
      int err = errno;
      char buf[32] = {0};
      ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
      ::close(fd);
      std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "unknown";
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      if (err == EAGAIN || err == EACCES) {
        return Status(StatusCode::kUnavailable,
                      "lock " + path + " is held by another process (pid " + holder + ")");
      }
      return ErrnoStatus("lock", path, err);
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
      Status s = ErrnoStatus("write pid into", path, errno);
      ::close(fd);
      return s;
    }
    return std::unique_ptr<FileLock>(std::make_unique<PosixFileLock>(fd));
  }
};

}  // namespace

Env* Env::Default() {
  static NoDestructor<PosixEnv> env;
  return env.get();
}

Status Env::WriteFileAtomic(const std::string& dir, const std::string& name,
                            std::string_view data) {
  const std::string tmp = dir + "/" + name + ".tmp";
  if (FileExists(tmp)) LTS_RETURN_IF_ERROR(RemoveFile(tmp));
  {
    LTS_ASSIGN_OR_RETURN(std::unique_ptr<File> f, OpenFile(tmp, /*create=*/true));
    LTS_RETURN_IF_ERROR(f->Truncate(0));
    LTS_RETURN_IF_ERROR(f->Append(data));
    LTS_RETURN_IF_ERROR(f->Sync());
  }
  LTS_RETURN_IF_ERROR(RenameFile(tmp, dir + "/" + name));
  return SyncDir(dir);
}

StatusOr<std::string> Env::ReadFile(const std::string& path) {
  LTS_ASSIGN_OR_RETURN(std::unique_ptr<File> f, OpenFile(path, /*create=*/false));
  std::string data;
  LTS_RETURN_IF_ERROR(f->Read(0, f->Size(), &data));
  return data;
}

}  // namespace lts::kv
