// The SQL seam under JobStore: a value type, a connection and a connection pool, with
// one implementation for SQLite (sqlite/sqlite_database.h) and one for PostgreSQL
// (postgres/pg_database.h). JobStore writes its logic once over this interface, so both
// backends behave the same; only the SQL text may differ per dialect (SqlText).
//
// Parameters are always bound, never spliced into SQL text. Integers are 64-bit; text
// is UTF-8 validated by the caller; blobs are stored byte for byte.
//
// Error mapping (both backends; the message names the database and the cause):
//   the server or file is unreachable, the connection broke, a lock wait timed out
//                                     -> kUnavailable (retry later; nothing half-applied)
//   a unique constraint was violated  -> kAlreadyExists
//   a serialization failure/deadlock  -> kAborted (JobStore retries the transaction)
//   disk full                         -> kResourceExhausted
//   anything else                     -> kInternal
//
// Thread safety: a Connection is used by one thread at a time (the holder of its
// ConnectionLease); a Database is thread-safe.

#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lts/status.h"
#include "lts/statusor.h"

namespace lts::store::internal {

enum class Dialect { kSqlite, kPostgres };

// One SQL value. Text and blob both keep their bytes in `bytes`.
struct Value {
  enum class Kind { kNull, kInt, kText, kBlob };
  Kind kind = Kind::kNull;
  int64_t i = 0;
  std::string bytes;

  static Value Null() { return Value(); }
  static Value Int(int64_t v) { return Value{Kind::kInt, v, {}}; }
  static Value Text(std::string_view v) { return Value{Kind::kText, 0, std::string(v)}; }
  static Value Blob(std::string_view v) { return Value{Kind::kBlob, 0, std::string(v)}; }
  // Empty text becomes NULL (optional identifiers).
  static Value TextOrNull(std::string_view v) { return v.empty() ? Null() : Text(v); }

  bool is_null() const { return kind == Kind::kNull; }
  // NULL reads as 0 / "".
  int64_t AsInt() const { return i; }
  const std::string& AsString() const { return bytes; }
};

using Row = std::vector<Value>;

struct QueryResult {
  std::vector<Row> rows;
  int64_t affected = 0;  // Rows inserted, updated or deleted by the statement.
};

// The text of one statement in each dialect. Parameters are written $1, $2, ... in both
// (SQLite accepts the same numbered form).
struct SqlText {
  std::string_view sqlite;
  std::string_view postgres;
  std::string_view For(Dialect d) const { return d == Dialect::kSqlite ? sqlite : postgres; }
};

class Connection {
 public:
  virtual ~Connection() = default;

  // Runs one statement with bound parameters. The statement is prepared once per
  // connection and cached by its text.
  virtual StatusOr<QueryResult> Query(std::string_view sql, std::span<const Value> params) = 0;

  // Runs the same statement once per parameter list, in order, and returns one result
  // per list. PostgreSQL sends them in one pipeline (one round trip); SQLite loops.
  // The first failure fails the whole call.
  virtual StatusOr<std::vector<QueryResult>> QueryBatch(
      std::string_view sql, std::span<const std::vector<Value>> params) = 0;

  // Runs statements without parameters (DDL, migrations), separated by ';'.
  virtual Status Execute(std::string_view sql) = 0;

  // Transactions. Begin() takes the write lock at once on SQLite (BEGIN IMMEDIATE), so
  // that a transaction never fails half-way for lock upgrade reasons.
  virtual Status Begin() = 0;
  // A transaction whose commit need not wait for the disk: a crash of the process cannot
  // lose it, a power failure or kernel crash may (the last few ms of such commits, never a
  // part of one). SQLite commits it with synchronous=NORMAL and its database's background
  // thread fdatasyncs the WAL right after; a later durable commit makes it durable too (the
  // WAL is a log). Elsewhere (PostgreSQL: the server's synchronous_commit) as Begin().
  virtual Status BeginRelaxed() { return Begin(); }
  virtual Status Commit() = 0;
  // Never fails visibly: a broken connection is reset on next use.
  virtual void Rollback() = 0;

  // False once the connection broke (PostgreSQL); the pool then reconnects.
  virtual bool healthy() const = 0;

  // Drops cached prepared statements whose text mentions `table` (after DROP TABLE).
  virtual void ForgetStatementsOn(std::string_view table) = 0;
};

class Database;

// Exclusive use of one connection; returns it to the pool when destroyed.
class ConnectionLease {
 public:
  ConnectionLease(Database* db, Connection* conn) : db_(db), conn_(conn) {}
  ConnectionLease(ConnectionLease&& other) noexcept : db_(other.db_), conn_(other.conn_) {
    other.conn_ = nullptr;
  }
  ConnectionLease(const ConnectionLease&) = delete;
  ConnectionLease& operator=(const ConnectionLease&) = delete;
  ConnectionLease& operator=(ConnectionLease&&) = delete;
  ~ConnectionLease();

  Connection* operator->() const { return conn_; }
  Connection* get() const { return conn_; }

 private:
  Database* db_;
  Connection* conn_;
};

class Database {
 public:
  virtual ~Database() = default;
  virtual Dialect dialect() const = 0;
  // Waits for a free connection (reconnecting a broken one). kUnavailable when the
  // database cannot be reached.
  virtual StatusOr<ConnectionLease> Acquire() = 0;
  // A short description for messages ("sqlite:/path/db" or "postgresql://host:port/db").
  virtual const std::string& name() const = 0;
  // WAL syncs made in the background for relaxed commits (SQLite; 0 elsewhere).
  virtual int64_t background_syncs() const { return 0; }

 protected:
  friend class ConnectionLease;
  virtual void Release(Connection* conn) = 0;
};

inline ConnectionLease::~ConnectionLease() {
  if (conn_ != nullptr) db_->Release(conn_);
}

}  // namespace lts::store::internal
