// The file-system seam of ltsdb (leveldb's Env, reduced to what the store needs).
//
// The store reaches the disk only through Env and File, so tests can substitute a
// fault-injecting implementation (tests/kv/fault_injection_env.h) that drops unsynced
// data or fails the Nth write or sync. Env::Default() is the POSIX implementation.
//
// Thread safety: Env methods may be called from any thread. A File allows concurrent
// Read() calls with one thread calling Append()/Sync()/Truncate().

#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lts/status.h"
#include "lts/statusor.h"

namespace lts::kv {

// An open file that is appended to at its end (or written at an offset) and read at
// any offset.
class File {
 public:
  virtual ~File() = default;

  // Appends `data` at the end of the file (one write(2) loop; no user-space buffer, so
  // Read() sees the bytes at once). kIOError names the file.
  virtual Status Append(std::string_view data) = 0;
  // Writes `data` at `offset` (pwrite loop), growing the file if it ends there or
  // beyond (the B+tree index's pages). Not to be mixed with Append() on one file.
  virtual Status WriteAt(uint64_t offset, std::string_view data) = 0;
  // Makes every appended byte durable (fdatasync). Blocks.
  virtual Status Sync() = 0;
  // Reads up to `n` bytes at `offset` into `*out` (shorter at the end of the file).
  virtual Status Read(uint64_t offset, size_t n, std::string* out) const = 0;
  // Cuts the file to `size` bytes (recovery of a torn tail).
  virtual Status Truncate(uint64_t size) = 0;
  // Bytes in the file, as known to this handle.
  virtual uint64_t Size() const = 0;
  virtual const std::string& path() const = 0;
};

// An exclusive lock on a file, held until destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  // The POSIX implementation; never destroyed.
  static Env* Default();

  // Opens `path` for reading and appending, creating it (mode 0644) if `create`.
  virtual StatusOr<std::unique_ptr<File>> OpenFile(const std::string& path, bool create) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // rename(2): atomic replacement of `to`.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // Creates `dir` if missing (not its parents).
  virtual Status CreateDir(const std::string& dir) = 0;
  // fsync of the directory, so that creations, renames and removals in it are durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Names (not paths) of the entries of `dir`, without "." and "..".
  virtual StatusOr<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  // Last modification time, seconds since the epoch.
  virtual StatusOr<int64_t> ModifiedSeconds(const std::string& path) = 0;
  // Takes an exclusive open-file-description fcntl lock on `path` (created if missing)
  // and writes this process's pid into it. If another holder has it: kUnavailable
  // naming the path and the pid recorded by that holder.
  virtual StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;

  // Writes `data` to `path` atomically: a temporary file in the same directory,
  // fsync, rename over `path`, fsync of the directory.
  Status WriteFileAtomic(const std::string& dir, const std::string& name, std::string_view data);
  // Reads a whole file.
  StatusOr<std::string> ReadFile(const std::string& path);
};

}  // namespace lts::kv
