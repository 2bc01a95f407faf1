// JobStore::Impl, shared by the .cc files of the store (job_store.cc: jobs, claims,
// completions, actions; store_queues.cc: dead letters, feedback, node groups, logs,
// BizLog, admin lists). Not part of the module's interface.

#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/job_store.h"
#include "store/sql.h"

namespace lts::store {

class JobStore::Impl {
 public:
  Impl(std::unique_ptr<internal::Database> db, StoreOptions options)
      : db_(std::move(db)), options_(std::move(options)), dialect_(db_->dialect()) {}

  internal::Dialect dialect() const { return dialect_; }
  const StoreOptions& options() const { return options_; }
  internal::Database* db() const { return db_.get(); }

  // How a transaction's commit reaches the disk (internal::Connection::BeginRelaxed).
  enum class Commit { kDurable, kRelaxed };

  // Runs `body(conn)` in one transaction; retries it a few times on kAborted
  // (serialization failures and deadlocks on PostgreSQL). `body` must be safe to re-run.
  // kRelaxed only where StoreOptions::sqlite_relaxed_dispatch allows it (claims,
  // completions, the job log); everything else is durable.
  template <typename Body>
  Status Transaction(Body&& body, Commit commit = Commit::kDurable) {
    const bool relaxed = commit == Commit::kRelaxed && options_.sqlite_relaxed_dispatch;
    Status s;
    for (int attempt = 0; attempt < 5; ++attempt) {
      s = TransactionOnce(body, relaxed);
      if (s.code() != StatusCode::kAborted ||
          s.message().find("fenced") != std::string_view::npos) {
        break;
      }
    }
    return s;
  }

  // One statement in autocommit mode: atomic by itself, one round trip (reads, and
  // single-statement writes such as Claim).
  StatusOr<internal::QueryResult> RunAlone(const internal::SqlText& sql,
                                           std::span<const internal::Value> params);

  // Helpers over a held connection.
  StatusOr<internal::QueryResult> Run(internal::Connection* c, const internal::SqlText& sql,
                                      std::span<const internal::Value> params) const {
    return c->Query(sql.For(dialect_), params);
  }
  StatusOr<std::vector<internal::QueryResult>> RunBatch(
      internal::Connection* c, const internal::SqlText& sql,
      std::span<const std::vector<internal::Value>> params) const {
    return c->QueryBatch(sql.For(dialect_), params);
  }

 private:
  template <typename Body>
  Status TransactionOnce(Body& body, bool relaxed) {
    LTS_ASSIGN_OR_RETURN(internal::ConnectionLease conn, db_->Acquire());
    LTS_RETURN_IF_ERROR(relaxed ? conn->BeginRelaxed() : conn->Begin());
    Status s = body(conn.get());
    if (!s.ok()) {
      conn->Rollback();
      return s;
    }
    return conn->Commit();
  }

  const std::unique_ptr<internal::Database> db_;
  const StoreOptions options_;
  const internal::Dialect dialect_;
};

namespace internal {

// Columns of an instance row, in the order RecordFromRow reads them.
inline constexpr std::string_view kJobColumns =
    "seq, job_id, state, priority, trigger_time, retry_times, repeated_count, gmt_created, "
    "gmt_modified, job_tracker, task_tracker, epoch, started_at, body";
// Columns of a definition row, in the order DefinitionFromRow reads them.
inline constexpr std::string_view kDefColumns =
    "job_id, kind, suspended, trigger_time, repeated_count, last_generate, gmt_created, "
    "gmt_modified, body";

StatusOr<JobRecord> RecordFromRow(const Row& row);
StatusOr<JobRecord> DefinitionFromRow(const Row& row);

// Decodes every row of `r` with `decode` (Row -> StatusOr<T>); the first failure wins.
template <typename T, typename Decode>
StatusOr<std::vector<T>> DecodeRows(const QueryResult& r, Decode decode) {
  std::vector<T> out;
  out.reserve(r.rows.size());
  for (const Row& row : r.rows) {
    LTS_ASSIGN_OR_RETURN(T item, decode(row));
    out.push_back(std::move(item));
  }
  return out;
}

// Keys (grp, task_id): held by a definition, or by the one instance with owns_key = 1
// (docs/store.md). KeyHolder gives the holder's job_id, "" when the key is free.
StatusOr<std::string> KeyHolder(const JobStore::Impl* impl, Connection* c, std::string_view group,
                                std::string_view task_id);

// PostgreSQL: transaction-scoped locks on node groups' keys, taken in name order (no
// deadlock between two lockers), exclusive where the map says true. Taking a key is
// checked in two tables (instances and definitions); the lock makes check and insert
// atomic: submitters of instances share it; whatever may take a definition's key, move
// a key or replace a holder takes it exclusively. SQLite: nothing to do, its writer lock
// serialises every write transaction.
Status LockGroups(const JobStore::Impl* impl, Connection* c,
                  const std::map<std::string_view, bool>& exclusive_by_group);
Status LockGroup(const JobStore::Impl* impl, Connection* c, std::string_view group);

// The same text for both dialects.
constexpr SqlText Same(std::string_view sql) { return SqlText{sql, sql}; }

// OK or kInvalidArgument naming `field`: valid UTF-8, no control characters, at most
// `max` bytes, and non-empty unless `may_be_empty`.
Status CheckIdentifier(std::string_view field, std::string_view value, size_t max,
                       bool may_be_empty = false);
Status CheckMessage(std::string_view field, std::string_view value);
Status CheckLimit(std::string_view field, int64_t value, int64_t max);

}  // namespace internal
}  // namespace lts::store
