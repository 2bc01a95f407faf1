// FailStore: the persistent outbox of a JobClient or TaskTracker. Messages that could
// not reach a JobTracker (job submissions, job results, business logs) are put here and
// retried later: put in order, take a batch in insertion order, delete after delivery.
//
// Engines (config key `job.fail.store`, as in the Java LTS): `ltsdb` (default; kv::DB),
// `leveldb`, `rocksdb`. `berkeleydb` and `mapdb` are Java-only: kNotSupported.
//
// Keys are assigned by the store: a 20-digit zero-padded sequence, so key order is
// insertion order in every engine (the Java store's fetchTop returned key order, which
// for UUID keys was not insertion order). Every write is synced before it returns.
//
// Directory and takeover: a store lives in its own directory, conventionally
// <data>/.lts/<NODE_TYPE>/<nodeGroup>/<kind>_failstore/<engine>/<identity>/ (FailStorePath),
// and holds the fcntl lock `___db.lock` in it for its whole life. When a process dies
// its lock dies with it; OpenDeadFailStores() lets another process of the node group
// take such a directory over: it acquires the lock first and keeps it while it drains,
// so two takers can never drain the same store, and Destroy() removes the directory
// before releasing the lock.
//
// Thread safety: all methods may be called from any thread; they block on disk I/O, so
// never call them on an event-loop thread.

#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/config.h"
#include "base/mutex.h"
#include "lts/status.h"
#include "lts/statusor.h"

namespace lts::kv {
class FileLock;
}  // namespace lts::kv

namespace lts::failstore {

namespace internal {
class Engine;
}  // namespace internal

struct FailStoreEntry {
  std::string key;    // Assigned by Put; pass it back to Delete.
  std::string value;  // As put.
};

class FailStore {
 public:
  // Opens (creating if `create`) the store in `dir` with `engine`. Errors:
  // kInvalidArgument for an unknown engine, kNotSupported for Java-only engines,
  // kUnavailable if another process holds the directory (naming its pid), kNotFound
  // if !create and there is no store, engine errors as kIOError/kCorruption.
  static StatusOr<std::unique_ptr<FailStore>> Open(std::string_view engine, const std::string& dir,
                                                   bool create = true);

  ~FailStore();
  FailStore(const FailStore&) = delete;
  FailStore& operator=(const FailStore&) = delete;

  // Appends `value` after every stored entry; returns its key. Durable on return.
  StatusOr<std::string> Put(std::string_view value);
  // Appends `values` in one synced commit; returns their keys in order.
  StatusOr<std::vector<std::string>> PutBatch(std::span<const std::string> values);
  // The `max` oldest entries, oldest first. Does not remove them.
  StatusOr<std::vector<FailStoreEntry>> Take(size_t max);
  // Removes delivered entries (unknown keys are ignored). Durable on return.
  Status Delete(std::span<const std::string> keys);

  // Closes the engine and releases the lock.
  Status Close();
  // Closes, deletes the directory, then releases the lock.
  Status Destroy();

  const std::string& dir() const { return dir_; }
  const std::string& engine() const { return engine_name_; }

 private:
  FailStore(std::string engine_name, std::string dir, std::unique_ptr<kv::FileLock> lock,
            std::unique_ptr<internal::Engine> engine, uint64_t next_seq);

  const std::string engine_name_;
  const std::string dir_;
  Mutex mu_;  // Orders sequence assignment with the commits.
  std::unique_ptr<kv::FileLock> lock_ GUARDED_BY(mu_);
  std::unique_ptr<internal::Engine> engine_ GUARDED_BY(mu_);
  uint64_t next_seq_ GUARDED_BY(mu_);
};

// The engine named by `job.fail.store` (default "ltsdb"), validated.
StatusOr<std::string> FailStoreEngineFromConfig(const Config& config);

// <data_path>/.lts/<node_type>/<node_group>/<kind>_failstore/<engine>/<identity>
// (kind: job_submit, job_feedback or bizlog).
std::string FailStorePath(std::string_view data_path, std::string_view node_type,
                          std::string_view node_group, std::string_view kind,
                          std::string_view engine, std::string_view identity);

// Takes over the stores of dead processes: every directory under `engine_dir` except
// `own_dir` whose lock is free. Each returned store holds its lock: drain it with
// Take/Delete, then Destroy() it. Directories locked by live processes are skipped.
StatusOr<std::vector<std::unique_ptr<FailStore>>> OpenDeadFailStores(std::string_view engine,
                                                                     const std::string& engine_dir,
                                                                     const std::string& own_dir);

}  // namespace lts::failstore
