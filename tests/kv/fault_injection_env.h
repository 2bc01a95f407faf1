// FaultInjectionEnv: an Env over the real file system that can simulate a crash and
// failing disks, for ltsdb's crash tests (leveldb's fault_injection_test idea).
//
//  - It remembers, per file, how many bytes were durable (the size at the last Sync()).
//    DropUnsyncedData() cuts every file back to that: what a power loss may leave.
//  - SetActive(false) makes every later mutation a silent no-op (the "crashed" process
//    keeps running but nothing reaches the disk).
//  - FailNthAppend(n) / FailNthSync(n): the n-th later call (1-based) fails with
//    kIOError; a failing Append writes half of its bytes first (a torn write).
//
// Thread safety: all methods may be called from any thread.

#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "kv/env.h"

namespace lts::kv::testing {

class FaultInjectionEnv final : public Env {
 public:
  explicit FaultInjectionEnv(Env* base = Env::Default()) : base_(base) {}

  StatusOr<std::unique_ptr<File>> OpenFile(const std::string& path, bool create) override;
  Status RemoveFile(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status CreateDir(const std::string& dir) override;
  Status SyncDir(const std::string& dir) override;
  StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override {
    return base_->ListDir(dir);
  }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  StatusOr<int64_t> ModifiedSeconds(const std::string& path) override {
    return base_->ModifiedSeconds(path);
  }
  StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return base_->LockFile(path);
  }

  void SetActive(bool active) { active_ = active; }
  bool active() const { return active_; }
  void FailNthAppend(int n) { append_countdown_ = n; }
  void FailNthSync(int n) { sync_countdown_ = n; }
  // Bytes of `path` made durable by the last Sync() (0 if never synced).
  uint64_t SyncedBytes(const std::string& path) {
    std::lock_guard l(mu_);
    auto it = synced_.find(path);
    return it == synced_.end() ? 0 : it->second;
  }
  // Truncates every file written through this Env to its last synced size.
  Status DropUnsyncedData();

  // For the wrapped files.
  bool ShouldFailAppend() { return append_countdown_ > 0 && --append_countdown_ == 0; }
  bool ShouldFailSync() { return sync_countdown_ > 0 && --sync_countdown_ == 0; }
  void RecordSynced(const std::string& path, uint64_t size);

 private:
  Env* const base_;
  std::atomic<bool> active_{true};
  std::atomic<int> append_countdown_{0};
  std::atomic<int> sync_countdown_{0};
  std::mutex mu_;
  std::map<std::string, uint64_t> synced_;  // Path -> durable bytes.
};

}  // namespace lts::kv::testing
