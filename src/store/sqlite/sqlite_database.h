// SQLite backend of the store's SQL seam: one connection to one database file (or an
// in-memory database), serialised by a mutex. SQLite has a single writer anyway, and
// with WAL a second store object on the same file (another process or a test's second
// "JobTracker") waits on busy_timeout instead of failing.
//
// Thread safety: thread-safe (Acquire() hands the connection to one thread at a time).

#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "store/sql.h"

namespace lts::store::internal {

struct SqliteOptions {
  std::string path;                // File path, or ":memory:".
  bool synchronous_full = true;    // PRAGMA synchronous=FULL (else NORMAL).
  int64_t busy_timeout_ms = 5000;  // Lock waits longer than this give kUnavailable.
  // A file database checkpoints its WAL on a thread of its own once a commit leaves this
  // many pages in it (the writer never pays for a checkpoint; sqlite_database.cc).
  int wal_checkpoint_pages = 4000;
  // Relaxed transactions (Connection::BeginRelaxed) commit without fsync and the same
  // thread fdatasyncs the WAL after them (and after every commit when synchronous is
  // NORMAL). False, or an in-memory database: BeginRelaxed() is Begin().
  bool sync_in_background = true;
};

// Opens (creating if needed) the database. kUnavailable naming the path when it cannot.
StatusOr<std::unique_ptr<Database>> OpenSqliteDatabase(const SqliteOptions& options);

}  // namespace lts::store::internal
