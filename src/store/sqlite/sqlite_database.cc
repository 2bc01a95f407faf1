#include "store/sqlite/sqlite_database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

#include "base/logging.h"
#include "base/mutex.h"
#include "fmt/format.h"
#include "store/sqlite/wal_batch_vfs.h"

namespace lts::store::internal {
namespace {

Status MapError(int rc, sqlite3* db, std::string_view what) {
  const std::string msg =
      fmt::format("{}: {}", what, db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return Unavailable(msg);
    case SQLITE_CONSTRAINT:
      return AlreadyExists(msg);
    case SQLITE_FULL:
      return ResourceExhausted(msg);
    case SQLITE_IOERR:
      return IOError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Corruption(msg);
    case SQLITE_TOOBIG:
      return InvalidArgument(msg);
    default:
      return Internal(msg);
  }
}

// SQLite reads "$1" as a named parameter numbered by first appearance; "?1" is the
// numbered form both dialects mean.
std::string ToSqliteParams(std::string_view sql) {
  std::string out(sql);
  for (size_t i = 0; i + 1 < out.size(); ++i) {
    if (out[i] == '$' && out[i + 1] >= '0' && out[i + 1] <= '9') out[i] = '?';
  }
  return out;
}

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(sqlite3* db, std::string name) : db_(db), name_(std::move(name)) {}
  sqlite3* db() const { return db_; }
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  StatusOr<QueryResult> Query(std::string_view sql, std::span<const Value> params) override {
    LTS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    QueryResult result;
    LTS_RETURN_IF_ERROR(Run(stmt, params, &result));
    return result;
  }

  StatusOr<std::vector<QueryResult>> QueryBatch(
      std::string_view sql, std::span<const std::vector<Value>> params) override {
    LTS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    std::vector<QueryResult> results(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      LTS_RETURN_IF_ERROR(Run(stmt, params[i], &results[i]));
    }
    return results;
  }

  Status Execute(std::string_view sql) override {
    const std::string text(sql);
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      Status s = MapError(rc, db_, name_);
      sqlite3_free(err);
      return s;
    }
    return Status::Ok();
  }

  Status Begin() override {
    if (full_ && normal_now_) {
      LTS_RETURN_IF_ERROR(Step0("PRAGMA synchronous=FULL"));
      normal_now_ = false;
    }
    relaxed_ = false;
    return Step0("BEGIN IMMEDIATE");
  }
  Status BeginRelaxed() override {
    if (!on_unsynced_commit_) return Begin();  // Nobody would sync it: durable.
    if (full_ && !normal_now_) {
      LTS_RETURN_IF_ERROR(Step0("PRAGMA synchronous=NORMAL"));
      normal_now_ = true;
    }
    relaxed_ = true;
    return Step0("BEGIN IMMEDIATE");
  }
  Status Commit() override {
    LTS_RETURN_IF_ERROR(Step0("COMMIT"));
    // A commit that did not fsync the WAL itself: the background thread does, next.
    if (on_unsynced_commit_ && (relaxed_ || !full_)) on_unsynced_commit_();
    relaxed_ = false;
    return Status::Ok();
  }
  void Rollback() override {
    relaxed_ = false;
    if (!sqlite3_get_autocommit(db_)) Step0("ROLLBACK").IgnoreError();
  }

  // `full`: the database's synchronous=FULL (relaxed transactions switch to NORMAL and
  // back). `on_unsynced_commit`: called after each commit that did not fsync the WAL.
  void SetSync(bool full, std::function<void()> on_unsynced_commit) {
    full_ = full;
    on_unsynced_commit_ = std::move(on_unsynced_commit);
  }
  bool healthy() const override { return true; }

  void ForgetStatementsOn(std::string_view table) override {
    for (auto it = cache_.begin(); it != cache_.end();) {
      if (it->first.find(table) != std::string::npos) {
        sqlite3_finalize(it->second);
        it = cache_.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  Status Step0(const char* sql) {
    LTS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    QueryResult ignored;
    return Run(stmt, {}, &ignored);
  }

  StatusOr<sqlite3_stmt*> Prepare(std::string_view sql) {
    auto it = cache_.find(sql);  // Heterogeneous: no copy of the text per call.
    if (it != cache_.end()) return it->second;
    const std::string text = ToSqliteParams(sql);
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, text.data(), static_cast<int>(text.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return MapError(rc, db_, fmt::format("{}: preparing {}", name_, sql));
    cache_.emplace(std::string(sql), stmt);
    return stmt;
  }

  Status Run(sqlite3_stmt* stmt, std::span<const Value> params, QueryResult* result) {
    for (size_t i = 0; i < params.size(); ++i) {
      const int idx = static_cast<int>(i) + 1;
      const Value& v = params[i];
      int rc = SQLITE_OK;
      switch (v.kind) {
        case Value::Kind::kNull:
          rc = sqlite3_bind_null(stmt, idx);
          break;
        case Value::Kind::kInt:
          rc = sqlite3_bind_int64(stmt, idx, v.i);
          break;
        case Value::Kind::kText:
          rc = sqlite3_bind_text64(stmt, idx, v.bytes.data(), v.bytes.size(), SQLITE_STATIC,
                                   SQLITE_UTF8);
          break;
        case Value::Kind::kBlob:
          rc = sqlite3_bind_blob64(stmt, idx, v.bytes.data(), v.bytes.size(), SQLITE_STATIC);
          break;
      }
      if (rc != SQLITE_OK) {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        return MapError(rc, db_, fmt::format("{}: binding parameter {}", name_, idx));
      }
    }
    int rc;
    const int n = sqlite3_column_count(stmt);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      Row& row = result->rows.emplace_back(static_cast<size_t>(n));
      for (int c = 0; c < n; ++c) {
        Value& v = row[static_cast<size_t>(c)];
        const int type = sqlite3_column_type(stmt, c);
        switch (type) {
          case SQLITE_INTEGER:
            v.kind = Value::Kind::kInt;
            v.i = sqlite3_column_int64(stmt, c);
            break;
          case SQLITE_NULL:
            break;
          default: {
            v.kind = type == SQLITE_BLOB ? Value::Kind::kBlob : Value::Kind::kText;
            const void* p = sqlite3_column_blob(stmt, c);
            const int len = sqlite3_column_bytes(stmt, c);
            if (p != nullptr) v.bytes.assign(static_cast<const char*>(p), static_cast<size_t>(len));
            break;
          }
        }
      }
    }
    Status status;
    if (rc != SQLITE_DONE) {
      status = MapError(rc, db_, name_);
    } else {
      result->affected = sqlite3_changes64(db_);
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return status;
  }

  sqlite3* const db_;
  const std::string name_;
  bool full_ = true;         // The database's synchronous setting is FULL.
  bool normal_now_ = false;  // synchronous is NORMAL for a relaxed transaction.
  bool relaxed_ = false;     // The open transaction began with BeginRelaxed().
  std::function<void()> on_unsynced_commit_;
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, TextHash, std::equal_to<>> cache_;
};

// WAL checkpoints off the write path. SQLite's own autocheckpoint runs inside the COMMIT
// that crosses the threshold: that claim or completion pays for copying the whole WAL into
// the database and its fsync (~100 ms seen under load: a job due then starts that late).
// Instead the writer's WAL hook wakes this thread, which checkpoints PASSIVE on a second
// connection (readers and the writer go on meanwhile). The WAL starts over only when a
// write begins with every frame backfilled, which a writer that never pauses rarely sees:
// under sustained load the WAL grows, the thread backfilling it after each commit, until it
// holds hard_pages_; then the writer checkpoints itself in the hook (only the frames since
// the thread's last pass) and its next write starts the WAL over.
//
// The same thread makes relaxed commits durable (Connection::BeginRelaxed): woken after
// each, it fdatasyncs the WAL through a descriptor of its own, one sync for every commit
// made meanwhile. The writer goes on committing while it does (the sync takes no SQLite
// lock); a commit appended during a sync is covered by the next one.
class Checkpointer {
 public:
  // soft_pages (4000 by default, ~16 MiB of WAL) wakes the thread; four times that, the
  // writer checkpoints.
  Checkpointer(sqlite3* db, std::string name, std::string wal_path, int soft_pages)
      : db_(db),
        name_(std::move(name)),
        wal_path_(std::move(wal_path)),
        soft_pages_(soft_pages),
        hard_pages_(soft_pages * 4) {
    thread_ = std::thread([this] { Main(); });
  }
  ~Checkpointer() {
    {
      MutexLock lock(&mu_);
      stop_ = true;
      cv_.Signal();
    }
    thread_.join();
    if (wal_fd_ >= 0) ::close(wal_fd_);
    sqlite3_close_v2(db_);
  }

  // On the writer's thread, after a commit that did not fsync the WAL.
  void OnUnsyncedCommit() {
    MutexLock lock(&mu_);
    unsynced_ = true;
    cv_.Signal();
  }

  int64_t background_syncs() const { return syncs_.load(std::memory_order_relaxed); }

  // sqlite3_wal_hook's callback, on the writer's thread after each commit.
  static int OnCommit(void* self, sqlite3* writer, const char* schema, int pages) {
    auto* c = static_cast<Checkpointer*>(self);
    if (pages >= c->hard_pages_) {
      sqlite3_wal_checkpoint_v2(writer, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else if (pages >= c->soft_pages_) {
      MutexLock lock(&c->mu_);
      c->wanted_ = true;
      c->cv_.Signal();
    }
    return SQLITE_OK;
  }

 private:
  void Main() {
    for (;;) {
      bool sync = false, checkpoint = false;
      {
        MutexLock lock(&mu_);
        while (!wanted_ && !unsynced_ && !stop_) cv_.Wait(&mu_);
        sync = std::exchange(unsynced_, false);
        checkpoint = std::exchange(wanted_, false);
        // Stopping: the last relaxed commits are synced first (the writer is closing).
        if (stop_ && !sync) return;
      }
      if (sync) SyncWal();
      if (checkpoint) Checkpoint();
    }
  }

  void SyncWal() {
    if (wal_fd_ < 0) {
      wal_fd_ = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (wal_fd_ < 0) {
        LTS_LOG(ERROR, "{}: cannot open {} to sync it: {}", name_, wal_path_, std::strerror(errno));
        return;
      }
    }
    if (::fdatasync(wal_fd_) != 0) {
      LTS_LOG(ERROR,
              "{}: fdatasync of {} failed ({}): the last claims and completions may not "
              "be on disk",
              name_, wal_path_, std::strerror(errno));
      return;
    }
    syncs_.fetch_add(1, std::memory_order_relaxed);
  }

  void Checkpoint() {
    const auto t0 = std::chrono::steady_clock::now();
    int log_pages = 0, done_pages = 0;
    const int rc =
        sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_PASSIVE, &log_pages, &done_pages);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      LTS_LOG(WARN, "{}: background WAL checkpoint failed: {}", name_, sqlite3_errmsg(db_));
    } else {
      LTS_LOG(DEBUG, "{}: WAL checkpoint: {} of {} pages in {} ms", name_, done_pages, log_pages,
              ms);
    }
  }

  sqlite3* const db_;  // The checkpointer's own connection.
  const std::string name_;
  const std::string wal_path_;
  const int soft_pages_, hard_pages_;
  int wal_fd_ = -1;  // Opened on the first sync (the thread's own).
  std::atomic<int64_t> syncs_{0};
  Mutex mu_;
  CondVar cv_;
  bool wanted_ GUARDED_BY(mu_) = false;
  bool unsynced_ GUARDED_BY(mu_) = false;
  bool stop_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::unique_ptr<SqliteConnection> conn, std::string name,
                 std::unique_ptr<Checkpointer> checkpointer)
      : checkpointer_(std::move(checkpointer)), conn_(std::move(conn)), name_(std::move(name)) {}

  Dialect dialect() const override { return Dialect::kSqlite; }
  const std::string& name() const override { return name_; }
  int64_t background_syncs() const override {
    return checkpointer_ ? checkpointer_->background_syncs() : 0;
  }

  StatusOr<ConnectionLease> Acquire() override NO_THREAD_SAFETY_ANALYSIS {
    mu_.Lock();  // Released in Release().
    return ConnectionLease(this, conn_.get());
  }

 protected:
  void Release(Connection*) override NO_THREAD_SAFETY_ANALYSIS { mu_.Unlock(); }

 private:
  Mutex mu_;
  // Declared first, destroyed last: the writer's hook points at it until conn_ closes.
  const std::unique_ptr<Checkpointer> checkpointer_;
  const std::unique_ptr<SqliteConnection> conn_;
  const std::string name_;
};

}  // namespace

StatusOr<std::unique_ptr<Database>> OpenSqliteDatabase(const SqliteOptions& options) {
  // Memory statistics put a global mutex around every SQLite allocation; we never read
  // them. Only possible before SQLite initialises: if someone else in the process already
  // used SQLite, this quietly does nothing.
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  const std::string name = "sqlite:" + options.path;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      options.path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      WalBatchVfsName());  // One write per commit to the WAL (wal_batch_vfs.h).
  if (rc != SQLITE_OK) {
    Status s = Unavailable(fmt::format("{}: cannot open: {}", name,
                                       db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close_v2(db);
    return s;
  }
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout_ms));
  auto conn = std::make_unique<SqliteConnection>(db, name);
  const std::string pragmas = fmt::format(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous={}; PRAGMA foreign_keys=OFF;"
      " PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;"
      " PRAGMA secure_delete=OFF;"
      " PRAGMA journal_size_limit=67108864",
      options.synchronous_full ? "FULL" : "NORMAL");
  LTS_RETURN_IF_ERROR(conn->Execute(pragmas));
  std::unique_ptr<Checkpointer> checkpointer;
  if (options.path != ":memory:" && !options.path.empty()) {
    sqlite3* cdb = nullptr;
    const int crc = sqlite3_open_v2(
        options.path.c_str(), &cdb,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, WalBatchVfsName());
    if (crc != SQLITE_OK) {
      Status s =
          Unavailable(fmt::format("{}: cannot open the checkpoint connection: {}", name,
                                  cdb != nullptr ? sqlite3_errmsg(cdb) : sqlite3_errstr(crc)));
      sqlite3_close_v2(cdb);
      return s;
    }
    sqlite3_busy_timeout(cdb, static_cast<int>(options.busy_timeout_ms));
    // A connection knows the database is in WAL mode only once it has read it: until then
    // a checkpoint on it does nothing.
    if (const int prc = sqlite3_exec(cdb, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
        prc != SQLITE_OK) {
      Status s = MapError(prc, cdb, name + ": the checkpoint connection");
      sqlite3_close_v2(cdb);
      return s;
    }
    checkpointer = std::make_unique<Checkpointer>(cdb, name, options.path + "-wal",
                                                  std::max(1, options.wal_checkpoint_pages));
    // Replaces SQLite's autocheckpoint (which is a WAL hook too).
    sqlite3_wal_hook(conn->db(), &Checkpointer::OnCommit, checkpointer.get());
  }
  std::function<void()> on_unsynced_commit;  // None: relaxed transactions are durable.
  if (checkpointer && options.sync_in_background) {
    on_unsynced_commit = [cp = checkpointer.get()] { cp->OnUnsyncedCommit(); };
  }
  conn->SetSync(options.synchronous_full, std::move(on_unsynced_commit));
  return std::unique_ptr<Database>(
      std::make_unique<SqliteDatabase>(std::move(conn), name, std::move(checkpointer)));
}

}  // namespace lts::store::internal
