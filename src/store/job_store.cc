#include "store/job_store.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <map>
#include <random>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "base/utf8.h"
#include "fmt/format.h"
#include "store/job_codec.h"
#include "store/job_store_impl.h"
#include "store/postgres/pg_database.h"
#include "store/schema.h"
#include "store/sqlite/sqlite_database.h"

namespace lts::store {

using internal::Connection;
using internal::QueryResult;
using internal::Row;
using internal::Same;
using internal::SqlText;
using internal::Value;

namespace internal {

Status CheckIdentifier(std::string_view field, std::string_view value, size_t max,
                       bool may_be_empty) {
  if (value.empty()) {
    return may_be_empty ? Status::Ok() : InvalidArgument(fmt::format("{}: required", field));
  }
  if (value.size() > max) {
    return InvalidArgument(fmt::format("{}: {} bytes, longer than {}", field, value.size(), max));
  }
  if (!IsValidUtf8(value)) return InvalidArgument(fmt::format("{}: not valid UTF-8", field));
  if (HasControlChars(value)) {
    return InvalidArgument(fmt::format("{}: control characters are not allowed", field));
  }
  return Status::Ok();
}

Status CheckMessage(std::string_view field, std::string_view value) {
  if (value.size() > kMaxMessageBytes) {
    return InvalidArgument(
        fmt::format("{}: {} bytes, longer than {}", field, value.size(), kMaxMessageBytes));
  }
  return Status::Ok();
}

Status CheckLimit(std::string_view field, int64_t value, int64_t max) {
  if (value < 1 || value > max) {
    return InvalidArgument(fmt::format("{}: {} is not in [1, {}]", field, value, max));
  }
  return Status::Ok();
}

StatusOr<JobRecord> RecordFromRow(const Row& row) {
  JobRecord r;
  LTS_RETURN_IF_ERROR(DecodeJobBody(row[13].AsString(), &r));
  r.seq = row[0].AsInt();
  r.job_id = row[1].AsString();
  r.state = static_cast<JobState>(row[2].AsInt());
  // row[3] is the effective priority (TriggerNow); the Job keeps the user's.
  r.trigger_time_ms = row[4].AsInt();
  r.retry_times = static_cast<int32_t>(row[5].AsInt());
  r.repeated_count = static_cast<int32_t>(row[6].AsInt());
  r.gmt_created_ms = row[7].AsInt();
  r.gmt_modified_ms = row[8].AsInt();
  r.job_tracker = row[9].AsString();
  r.task_tracker = row[10].AsString();
  r.epoch = row[11].AsInt();
  r.started_at_ms = row[12].AsInt();
  return r;
}

StatusOr<JobRecord> DefinitionFromRow(const Row& row) {
  JobRecord r;
  LTS_RETURN_IF_ERROR(DecodeJobBody(row[8].AsString(), &r));
  r.is_definition = true;
  r.job_id = row[0].AsString();
  r.suspended = row[2].AsInt() != 0;
  r.trigger_time_ms = row[3].AsInt();
  r.repeated_count = static_cast<int32_t>(row[4].AsInt());
  r.last_generate_trigger_time_ms = row[5].AsInt();
  r.gmt_created_ms = row[6].AsInt();
  r.gmt_modified_ms = row[7].AsInt();
  return r;
}

}  // namespace internal

namespace {

// --- Statements -------------------------------------------------------------------------

// Keys. (grp, task_id) is held by the definition that has it (a unique index on
// lts_job_def), or by one instance: on SQLite the instance row with owns_key = 1 (a
// partial unique index), on PostgreSQL the instance whose job_id lts_instance_key names
// for the key (its primary key), so that claims, which rewrite every index entry of a
// row there, never touch a key. An instance that shares its definition's key (a
// relyOnPrevCycle cycle), or that was left running when its job was replaced, holds
// nothing. Deleting a holding row releases its key (on PostgreSQL the same statement
// deletes the key row: ReleasingKeys). The statements that take a key check the other
// table; on PostgreSQL the group lock (LockGroups) keeps a definition and an instance
// from taking one key at once, on SQLite the writer lock.

// The holder of a key: its definition's job_id first, else the holding instance's.
const SqlText kKeyHolder{
    "SELECT job_id FROM lts_job_def WHERE grp = $1 AND task_id = $2 UNION ALL "
    "SELECT job_id FROM lts_job WHERE grp = $1 AND task_id = $2 AND owns_key = 1",
    "SELECT job_id FROM lts_job_def WHERE grp = $1 AND task_id = $2 UNION ALL "
    "SELECT job_id FROM lts_instance_key WHERE grp = $1 AND task_id = $2"};
// The job's rows with the key stop holding it (a replacement takes it).
const SqlText kDisownKey{
    "UPDATE lts_job SET owns_key = 0 WHERE job_id = $1 AND grp = $2 AND task_id = $3 "
    "AND owns_key = 1",
    "DELETE FROM lts_instance_key WHERE grp = $2 AND task_id = $3 AND job_id = $1"};
// After the job's definition went: its remaining instance with the key holds it (job_id
// is unique among instances).
const SqlText kAdoptKey{
    "UPDATE lts_job SET owns_key = 1 WHERE seq = (SELECT min(seq) FROM lts_job WHERE "
    "job_id = $1 AND grp = $2 AND task_id = $3) AND NOT EXISTS (SELECT 1 FROM lts_job_def "
    "WHERE grp = $2 AND task_id = $3) AND NOT EXISTS (SELECT 1 FROM lts_job WHERE grp = $2 "
    "AND task_id = $3 AND owns_key = 1)",
    "INSERT INTO lts_instance_key (grp, task_id, job_id) SELECT $2, $3, $1 WHERE EXISTS "
    "(SELECT 1 FROM lts_job WHERE job_id = $1 AND grp = $2 AND task_id = $3) AND NOT EXISTS "
    "(SELECT 1 FROM lts_job_def WHERE grp = $2 AND task_id = $3) ON CONFLICT DO NOTHING"};

// PostgreSQL: `del`, a DELETE ... RETURNING on lts_job that returns job_id, grp and task_id
// first, as one statement that also deletes the key rows of the deleted instances that
// held their keys, and returns `columns` of the deleted rows (affected: their number).
std::string ReleasingKeys(std::string_view del, std::string_view columns) {
  return fmt::format(
      "WITH gone AS ({}), released AS (DELETE FROM lts_instance_key k USING gone g WHERE "
      "k.grp = g.grp AND k.task_id = g.task_id AND k.job_id = g.job_id) SELECT {} FROM gone",
      del, columns);
}

constexpr std::string_view kJobInsertColumns =
    "INSERT INTO lts_job (job_id, grp, task_id, real_task_id, state, priority, trigger_time, "
    "retry_times, repeated_count, gmt_created, gmt_modified, epoch, started_at, body";
// An instance insert: `rest` (VALUES or SELECT) with its "{}" after the last column
// spelled `owns_key` on SQLite (", 0" or ", 1") and left out on PostgreSQL.
std::string JobInsert(bool sqlite, std::string_view owns_key, std::string_view rest) {
  return sqlite ? fmt::format("{}, owns_key) {}", kJobInsertColumns,
                              fmt::format(fmt::runtime(rest), owns_key))
                : fmt::format("{}) {}", kJobInsertColumns, fmt::format(fmt::runtime(rest), ""));
}
constexpr std::string_view kJobValues =
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, 0, 0, $11{})";
// An instance that does not hold its key (it shares its definition's).
const std::string kInsertJobSql[] = {JobInsert(true, ", 0", kJobValues),
                                     JobInsert(false, "", kJobValues)};
const SqlText kInsertJob{kInsertJobSql[0], kInsertJobSql[1]};
// An instance taking its key: stored only if neither an instance nor a definition holds
// it (affected = 0 otherwise). A duplicate job_id is still an error. PostgreSQL takes the
// key row first and inserts the instance only when it got it.
constexpr std::string_view kTakeKeyPg =
    "WITH k AS (INSERT INTO lts_instance_key (grp, task_id, job_id) SELECT $2, $3, $1{} "
    "ON CONFLICT DO NOTHING RETURNING 1) ";
constexpr std::string_view kNoDefinitionHolds =
    " WHERE NOT EXISTS (SELECT 1 FROM lts_job_def WHERE grp = $2 AND task_id = $3)";
const std::string kInsertOwningJobSql[] = {
    JobInsert(true, ", 1",
              "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, 0, 0, $11{} WHERE NOT EXISTS "
              "(SELECT 1 FROM lts_job_def WHERE grp = $2 AND task_id = $3) "
              "ON CONFLICT (grp, task_id) WHERE owns_key = 1 DO NOTHING"),
    fmt::format(kTakeKeyPg, kNoDefinitionHolds) +
        JobInsert(false, "",
                  "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, 0, 0, $11{} FROM k")};
const SqlText kInsertOwningJob{kInsertOwningJobSql[0], kInsertOwningJobSql[1]};
// The same where the group has no definition at all (the common case, checked once per
// group and transaction): SQLite runs the VALUES form at about 1.4x the speed of the
// INSERT ... SELECT with its subquery.
const std::string kInsertOwningJobNoDefsSql[] = {
    JobInsert(true, ", 1",
              "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, 0, 0, $11{}) "
              "ON CONFLICT (grp, task_id) WHERE owns_key = 1 DO NOTHING"),
    fmt::format(kTakeKeyPg, "") +
        JobInsert(false, "",
                  "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, 0, 0, $11{} FROM k")};
const SqlText kInsertOwningJobNoDefs{kInsertOwningJobNoDefsSql[0], kInsertOwningJobNoDefsSql[1]};
const SqlText kGroupHasDefs = Same("SELECT 1 FROM lts_job_def WHERE grp = $1 LIMIT 1");
// The next cycle exists only while its definition does and is not suspended; the
// definition holds the key.
constexpr std::string_view kNextJobSelect =
    "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, 0, 0, $11{} WHERE EXISTS "
    "(SELECT 1 FROM lts_job_def d WHERE d.job_id = $12 AND d.suspended = 0)";
const std::string kInsertNextJobSql[] = {JobInsert(true, ", 0", kNextJobSelect),
                                         JobInsert(false, "", kNextJobSelect)};
const SqlText kInsertNextJob{kInsertNextJobSql[0], kInsertNextJobSql[1]};
// A definition taking its key: stored only if no instance or definition holds it.
const SqlText kInsertDef{
    "INSERT INTO lts_job_def (job_id, grp, task_id, kind, rely, suspended, trigger_time, "
    "repeated_count, last_generate, gmt_created, gmt_modified, body) "
    "SELECT $1, $2, $3, $4, $5, 0, $6, $7, 0, $8, $8, $9 WHERE NOT EXISTS "
    "(SELECT 1 FROM lts_job WHERE grp = $2 AND task_id = $3 AND owns_key = 1) "
    "ON CONFLICT (grp, task_id) DO NOTHING",
    "INSERT INTO lts_job_def (job_id, grp, task_id, kind, rely, suspended, trigger_time, "
    "repeated_count, last_generate, gmt_created, gmt_modified, body) "
    "SELECT $1, $2, $3, $4, $5, 0, $6, $7, 0, $8, $8, $9 WHERE NOT EXISTS "
    "(SELECT 1 FROM lts_instance_key WHERE grp = $2 AND task_id = $3) "
    "ON CONFLICT (grp, task_id) DO NOTHING"};

const SqlText kIsExecuting = Same("SELECT 1 FROM lts_job WHERE job_id = $1 AND state = 1");
constexpr std::string_view kDeleteWaitingSql =
    "DELETE FROM lts_job WHERE state <> 1 AND (job_id = $1 OR (grp = $2 AND real_task_id = $3 "
    "AND real_task_id <> task_id))";
const std::string kDeleteWaitingPg =
    ReleasingKeys(fmt::format("{} RETURNING job_id, grp, task_id", kDeleteWaitingSql), "1");
const SqlText kDeleteWaiting{kDeleteWaitingSql, kDeleteWaitingPg};
const SqlText kDeleteDef = Same("DELETE FROM lts_job_def WHERE job_id = $1");
const SqlText kDeleteDefKey =
    Same("DELETE FROM lts_job_def WHERE job_id = $1 RETURNING grp, task_id");

// PostgreSQL: one statement in autocommit. SQLite: the due rows are read, then marked
// executing by seq in the same write transaction (RETURNING costs a buffered pass per row
// on SQLite; the writer lock makes the two statements atomic).
std::string ClaimSql(bool postgres) {
  return fmt::format(
      "UPDATE lts_job SET state = 1, job_tracker = $2, task_tracker = $3, epoch = $4, "
      "started_at = $5, gmt_modified = $5 WHERE seq IN (SELECT seq FROM lts_job{} WHERE grp = $1 "
      "AND state = 0 AND trigger_time <= $7 AND epoch <= $4 ORDER BY priority, trigger_time, seq "
      "LIMIT $6{}) RETURNING priority, seq, job_id, trigger_time, retry_times, repeated_count, "
      "gmt_created, body",
      // Without statistics SQLite may prefer another plan and sort every due job.
      postgres ? "" : " INDEXED BY lts_job_claim", postgres ? " FOR UPDATE SKIP LOCKED" : "");
}
const std::string kClaimSqlite = ClaimSql(false);
const std::string kClaimPg = ClaimSql(true);
const SqlText kClaim{kClaimSqlite, kClaimPg};
const SqlText kClaimSelectSqlite = Same(
    "SELECT priority, seq, job_id, trigger_time, retry_times, repeated_count, gmt_created, body "
    "FROM lts_job INDEXED BY lts_job_claim WHERE grp = $1 AND state = 0 AND trigger_time <= $7 "
    "AND epoch <= $4 ORDER BY priority, trigger_time, seq LIMIT $6");
const SqlText kClaimMarkSqlite = Same(
    "UPDATE lts_job SET state = 1, job_tracker = $2, task_tracker = $3, epoch = $4, "
    "started_at = $5, gmt_modified = $5 WHERE seq IN (SELECT value FROM json_each($1))");

// The earliest trigger time from the claim index alone (no second index to maintain on
// every submit and claim): a skip-scan over the group's distinct priorities, one index
// seek each. Priorities are few in practice (LTS users pick a handful).
const SqlText kNextDue = Same(
    "WITH RECURSIVE p(pr) AS (SELECT min(priority) FROM lts_job WHERE grp = $1 AND state = 0 "
    "UNION ALL SELECT (SELECT min(priority) FROM lts_job WHERE grp = $1 AND state = 0 AND "
    "priority > p.pr) FROM p WHERE p.pr IS NOT NULL) "
    "SELECT min((SELECT min(trigger_time) FROM lts_job WHERE grp = $1 AND state = 0 AND "
    "priority = p.pr)) FROM p WHERE p.pr IS NOT NULL");

const std::string kDeleteExecutingPg = ReleasingKeys(
    "DELETE FROM lts_job WHERE job_id = $1 AND state = 1 AND epoch <= $2 "
    "RETURNING job_id, grp, task_id",
    "grp, task_id");
const SqlText kDeleteExecuting{
    "DELETE FROM lts_job WHERE job_id = $1 AND state = 1 AND epoch <= $2 "
    "RETURNING grp, task_id",
    kDeleteExecutingPg};
// Deletes the executing instances whose job_id is in $1 (a JSON array on SQLite, an
// array literal on PostgreSQL: IdList) and whose epoch is not newer than $2; their keys
// go with them. The first form says which rows went; SQLite tries the second (no
// RETURNING) first and falls back to the first only when some id matched nothing.
const std::string kDeleteExecutingSetPg = ReleasingKeys(
    "DELETE FROM lts_job WHERE job_id = ANY($1::text[]) AND state = 1 AND epoch <= $2 "
    "RETURNING job_id, grp, task_id",
    "job_id");
const SqlText kDeleteExecutingSet{
    "DELETE FROM lts_job WHERE job_id IN (SELECT value FROM json_each($1)) AND state = 1 "
    "AND epoch <= $2 RETURNING job_id",
    kDeleteExecutingSetPg};
const SqlText kDeleteExecutingSetCount = Same(
    "DELETE FROM lts_job WHERE job_id IN (SELECT value FROM json_each($1)) AND state = 1 "
    "AND epoch <= $2");

// A list of identifiers (valid UTF-8, no control characters) as one text parameter:
// a JSON array for SQLite's json_each, an array literal for PostgreSQL's text[]. Both
// quote each element and escape '"' and '\\' with a backslash.
std::string IdList(std::span<const std::string_view> ids, internal::Dialect dialect) {
  const bool sqlite = dialect == internal::Dialect::kSqlite;
  std::string out(1, sqlite ? '[' : '{');
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char ch : ids[i]) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  out += sqlite ? ']' : '}';
  return out;
}

const SqlText kExplain = Same("SELECT state, epoch FROM lts_job WHERE job_id = $1");
const SqlText kUpdateDef = Same(
    "UPDATE lts_job_def SET last_generate = coalesce($2, last_generate), "
    "repeated_count = coalesce($3, repeated_count), gmt_modified = $4 WHERE job_id = $1");

// Executing -> executable. $5 = 1 counts a retry.
const SqlText kRequeue = Same(
    "UPDATE lts_job SET state = 0, retry_times = retry_times + $5, "
    "trigger_time = coalesce($3, trigger_time), job_tracker = NULL, task_tracker = NULL, "
    "epoch = $2, gmt_modified = $4 WHERE job_id = $1 AND state = 1 AND epoch <= $2");
const SqlText kRequeueJobTracker = Same(
    "UPDATE lts_job SET state = 0, job_tracker = NULL, task_tracker = NULL, epoch = $2, "
    "gmt_modified = $3 WHERE state = 1 AND job_tracker = $1 AND epoch <= $2");
const SqlText kRequeueTaskTracker = Same(
    "UPDATE lts_job SET state = 0, job_tracker = NULL, task_tracker = NULL, epoch = $2, "
    "gmt_modified = $3 WHERE state = 1 AND task_tracker = $1 AND epoch <= $2");

}  // namespace

namespace internal {

StatusOr<std::string> KeyHolder(const JobStore::Impl* impl, Connection* c, std::string_view group,
                                std::string_view task_id) {
  const Value key[] = {Value::Text(group), Value::Text(task_id)};
  LTS_ASSIGN_OR_RETURN(QueryResult r, impl->Run(c, kKeyHolder, key));
  return r.rows.empty() ? std::string() : r.rows[0][0].AsString();
}

Status LockGroups(const JobStore::Impl* impl, Connection* c,
                  const std::map<std::string_view, bool>& exclusive_by_group) {
  if (impl->dialect() == internal::Dialect::kSqlite) return Status::Ok();
  static const SqlText kShared = Same(
      "SELECT 1 FROM (SELECT pg_advisory_xact_lock_shared(hashtext(current_schema() || "
      "' job key ' || $1))) t");
  static const SqlText kExclusive = Same(
      "SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtext(current_schema() || "
      "' job key ' || $1))) t");
  for (const auto& [group, exclusive] : exclusive_by_group) {
    const Value p[] = {Value::Text(group)};
    LTS_RETURN_IF_ERROR(impl->Run(c, exclusive ? kExclusive : kShared, p).status());
  }
  return Status::Ok();
}

Status LockGroup(const JobStore::Impl* impl, Connection* c, std::string_view group) {
  return LockGroups(impl, c, {{group, true}});
}

}  // namespace internal

namespace {

// Inserts instances that take their keys (rows of JobParams; [1] is the group): one
// result per row, affected = 0 where the key is held. Rows keep their order within a
// group, so the first row of a key takes it.
StatusOr<std::vector<QueryResult>> InsertOwningJobs(const JobStore::Impl* impl, Connection* c,
                                                    std::span<const std::vector<Value>> rows) {
  std::map<std::string_view, bool> has_defs;
  for (const std::vector<Value>& row : rows) has_defs.emplace(row[1].AsString(), false);
  for (auto& [group, defs] : has_defs) {
    const Value p[] = {Value::Text(group)};
    LTS_ASSIGN_OR_RETURN(QueryResult r, impl->Run(c, kGroupHasDefs, p));
    defs = !r.rows.empty();
  }
  std::vector<size_t> checked, plain;
  std::vector<std::vector<Value>> checked_rows, plain_rows;
  for (size_t i = 0; i < rows.size(); ++i) {
    const bool defs = has_defs[rows[i][1].AsString()];
    (defs ? checked : plain).push_back(i);
    (defs ? checked_rows : plain_rows).push_back(rows[i]);
  }
  if (checked.empty()) return impl->RunBatch(c, kInsertOwningJobNoDefs, rows);
  std::vector<QueryResult> out(rows.size());
  LTS_ASSIGN_OR_RETURN(std::vector<QueryResult> a,
                       impl->RunBatch(c, kInsertOwningJobNoDefs, plain_rows));
  LTS_ASSIGN_OR_RETURN(std::vector<QueryResult> b,
                       impl->RunBatch(c, kInsertOwningJob, checked_rows));
  for (size_t k = 0; k < plain.size(); ++k) out[plain[k]] = std::move(a[k]);
  for (size_t k = 0; k < checked.size(); ++k) out[checked[k]] = std::move(b[k]);
  return out;
}

int64_t ToDefKind(const Job& job) { return static_cast<int64_t>(job.Kind()); }

// 32 upper-case hex digits: 48 bits of wall-clock milliseconds, a 16-bit per-process
// sequence, 64 random bits. Ids of one process grow, so the job_id index is appended to
// rather than written at random pages (a 4x difference in WAL bytes per batch).
std::string NewJobId() {
  static std::atomic<uint32_t> sequence{0};
  thread_local std::mt19937_64 rng(std::random_device{}());
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  // Formatted by hand: fmt's general path was a visible share of Submit's CPU time.
  std::string id(32, '0');
  auto put_hex = [&id](size_t pos, int digits, uint64_t v) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (int d = digits - 1; d >= 0; --d, v >>= 4) id[pos + static_cast<size_t>(d)] = kHex[v & 15];
  };
  put_hex(0, 12, static_cast<uint64_t>(ms) & 0xFFFFFFFFFFFFull);
  put_hex(12, 4, sequence.fetch_add(1, std::memory_order_relaxed) & 0xFFFF);
  put_hex(16, 16, rng());
  return id;
}

Status CheckRecord(const JobRecord& r) {
  LTS_RETURN_IF_ERROR(r.job.Validate());
  if (!r.job_id.empty()) {
    if (r.job_id.size() > kMaxJobIdBytes) {
      return InvalidArgument(fmt::format("jobId: longer than {} bytes", kMaxJobIdBytes));
    }
    for (char c : r.job_id) {
      if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
            c == '_' || c == '-')) {
        return InvalidArgument("jobId: only [A-Za-z0-9_-] are allowed");
      }
    }
  }
  LTS_RETURN_IF_ERROR(
      internal::CheckIdentifier("realTaskId", r.real_task_id, kMaxRealTaskIdBytes, true));
  size_t internal_bytes = 0;
  for (const auto& [k, v] : r.internal_params) internal_bytes += k.size() + v.size();
  if (internal_bytes > kMaxInternalParamsBytes) {
    return InvalidArgument(fmt::format("internalExtParams: {} bytes, more than {}", internal_bytes,
                                       kMaxInternalParamsBytes));
  }
  return Status::Ok();
}

// Parameters of kInsertJob for `r` stored under `job_id`.
std::vector<Value> JobParams(const JobRecord& r, std::string_view job_id, JobState state,
                             int64_t now_ms) {
  std::string body;
  internal::EncodeJobBody(r, &body);
  return {Value::Text(job_id),
          Value::Text(r.job.task_tracker_node_group),
          Value::Text(r.job.task_id),
          Value::Text(r.effective_real_task_id()),
          Value::Int(static_cast<int64_t>(state)),
          Value::Int(r.job.priority),
          Value::Int(r.trigger_time_ms),
          Value::Int(r.retry_times),
          Value::Int(r.repeated_count),
          Value::Int(now_ms),
          Value::Blob(body)};
}

std::vector<Value> DefParams(const JobRecord& r, std::string_view job_id, int64_t now_ms) {
  std::string body;
  internal::EncodeJobBody(r, &body);
  return {Value::Text(job_id),
          Value::Text(r.job.task_tracker_node_group),
          Value::Text(r.job.task_id),
          Value::Int(ToDefKind(r.job)),
          Value::Int(r.job.rely_on_prev_cycle ? 1 : 0),
          Value::Int(r.trigger_time_ms),
          Value::Int(r.repeated_count),
          Value::Int(now_ms),
          Value::Blob(body)};
}

// Why a fenced write matched no executing row: kAborted when a newer epoch owns the
// row, kNotFound when it is not executing.
Status ExplainMiss(JobStore::Impl* impl, Connection* c, std::string_view job_id, int64_t epoch) {
  const Value p[] = {Value::Text(job_id)};
  LTS_ASSIGN_OR_RETURN(QueryResult r, impl->Run(c, kExplain, p));
  if (!r.rows.empty() && r.rows[0][1].AsInt() > epoch) {
    return Aborted(fmt::format("job {}: fenced: the row has epoch {}, the caller {}", job_id,
                               r.rows[0][1].AsInt(), epoch));
  }
  return NotFound(fmt::format("job {}: not executing", job_id));
}

// Key-held job: deletes its waiting instances (pre-generated ones too, with their keys)
// and its definition. Returns the number of rows deleted. Its executing instances stay:
// the caller decides whether they hold the key now (kAdoptKey) or not (kDisownKey).
StatusOr<int64_t> RemoveWaiting(JobStore::Impl* impl, Connection* c, std::string_view group,
                                std::string_view task_id, const std::string& job_id) {
  const Value p[] = {Value::Text(job_id), Value::Text(group), Value::Text(task_id)};
  LTS_ASSIGN_OR_RETURN(QueryResult deleted, impl->Run(c, kDeleteWaiting, p));
  const Value d[] = {Value::Text(job_id)};
  LTS_ASSIGN_OR_RETURN(QueryResult def, impl->Run(c, kDeleteDef, d));
  return deleted.affected + def.affected;
}

// After `job_id`'s definition went: its remaining instance with the key holds the key.
Status AdoptKey(JobStore::Impl* impl, Connection* c, const Value& job_id, const Value& group,
                const Value& task_id) {
  const Value p[] = {job_id, group, task_id};
  return impl->Run(c, kAdoptKey, p).status();
}

}  // namespace

std::string_view QueueName(Queue queue) {
  switch (queue) {
    case Queue::kExecutable:
      return "executable";
    case Queue::kExecuting:
      return "executing";
    case Queue::kCron:
      return "cron";
    case Queue::kRepeat:
      return "repeat";
    case Queue::kSuspended:
      return "suspended";
    case Queue::kDeadLetter:
      return "dead_letter";
  }
  return "unknown";
}

StatusOr<QueryResult> JobStore::Impl::RunAlone(const SqlText& sql, std::span<const Value> params) {
  LTS_ASSIGN_OR_RETURN(internal::ConnectionLease conn, db_->Acquire());
  return conn->Query(sql.For(dialect_), params);
}

JobStore::JobStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JobStore::~JobStore() = default;

int JobStore::LatestSchemaVersion() { return internal::LatestSchemaVersion(); }

StatusOr<int> JobStore::SchemaVersion() {
  LTS_ASSIGN_OR_RETURN(internal::ConnectionLease conn, impl_->db()->Acquire());
  return internal::ReadSchemaVersion(conn.get());
}

StatusOr<std::unique_ptr<JobStore>> OpenJobStore(std::string_view url,
                                                 const StoreOptions& options) {
  std::unique_ptr<internal::Database> db;
  if (url.starts_with("sqlite:")) {
    std::string_view path = url.substr(7);
    if (path.starts_with("//")) path.remove_prefix(2);  // sqlite:///abs -> /abs
    if (path.empty()) return InvalidArgument(fmt::format("store url '{}': no file path", url));
    internal::SqliteOptions so;
    so.path = path == ":memory:" ? ":memory:" : std::string(path);
    so.synchronous_full = options.sqlite_synchronous_full;
    so.sync_in_background = options.sqlite_relaxed_dispatch;
    so.busy_timeout_ms = options.busy_timeout_ms;
    LTS_ASSIGN_OR_RETURN(db, internal::OpenSqliteDatabase(so));
  } else if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    const std::string& schema = options.pg_schema;
    if (schema.size() > 48 || !std::all_of(schema.begin(), schema.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        })) {
      return InvalidArgument(
          fmt::format("pg_schema '{}': use [a-z0-9_], at most 48 bytes", schema));
    }
    if (options.pg_pool_size < 1 || options.pg_pool_size > 64) {
      return InvalidArgument("pg_pool_size: must be in [1, 64]");
    }
    internal::PgOptions po;
    po.url = std::string(url);
    po.schema = schema;
    po.pool_size = options.pg_pool_size;
    LTS_ASSIGN_OR_RETURN(db, internal::OpenPgDatabase(po));
  } else {
    return InvalidArgument(fmt::format(
        "store url '{}': expected sqlite:///path, sqlite::memory: or postgresql://...", url));
  }
  if (options.bizlog_rows_per_table < 1 || options.bizlog_max_tables < 1) {
    return InvalidArgument("bizlog_rows_per_table and bizlog_max_tables must be at least 1");
  }
  {
    LTS_ASSIGN_OR_RETURN(internal::ConnectionLease conn, db->Acquire());
    Status s =
        internal::ApplyMigrations(conn.get(), db->dialect(), options.max_schema_version_for_test);
    if (!s.ok()) return s.WithContext(db->name());
  }
  auto impl = std::make_unique<JobStore::Impl>(std::move(db), options);
  return std::make_unique<JobStore>(std::move(impl));
}

// --- Submission --------------------------------------------------------------------------

StatusOr<std::vector<SubmitResult>> JobStore::Submit(std::span<const JobRecord> input,
                                                     int64_t now_ms, bool with_first_instance) {
  if (input.size() > kMaxBatch) {
    return InvalidArgument(
        fmt::format("Submit: {} records, more than {}", input.size(), kMaxBatch));
  }
  std::span<const JobRecord> records = input;
  // The job_id each record is stored under (generated when empty); records are not copied.
  std::vector<std::string> ids(records.size());
  std::vector<SubmitResult> results(records.size());
  std::vector<size_t> valid;
  for (size_t i = 0; i < records.size(); ++i) {
    results[i].status = CheckRecord(records[i]);
    if (!results[i].status.ok()) continue;
    ids[i] = records[i].job_id.empty() ? NewJobId() : records[i].job_id;
    results[i].job_id = ids[i];
    valid.push_back(i);
  }
  auto is_def = [](const JobRecord& r) { return r.job.IsCron() || r.job.IsRepeat(); };
  auto needs_instance = [&](const JobRecord& r) {
    return !is_def(r) || (with_first_instance && r.job.rely_on_prev_cycle);
  };

  // PostgreSQL's group locks (LockGroups): shared for instances, exclusive where a
  // definition takes a key or a holder may be replaced.
  std::map<std::string_view, bool> locks;
  for (size_t i : valid) {
    const JobRecord& r = records[i];
    bool& exclusive = locks[r.job.task_tracker_node_group];
    exclusive = exclusive || is_def(r) || r.job.replace_on_exist;
  }

  const std::vector<std::string> chosen_ids = ids;
  Status s = impl_->Transaction([&](Connection* c) -> Status {
    ids = chosen_ids;  // A retried attempt starts from the same ids.
    LTS_RETURN_IF_ERROR(internal::LockGroups(impl_.get(), c, locks));
    // Runs of records of one kind, in submission order, each run one batch (a pipeline on
    // PostgreSQL), so the first record of a key takes it. A record whose key is held
    // inserts nothing and is handled below.
    std::vector<size_t> conflicts;
    for (size_t k = 0; k < valid.size();) {
      const bool defs = is_def(records[valid[k]]);
      size_t end = k;
      while (end < valid.size() && is_def(records[valid[end]]) == defs) ++end;
      std::vector<std::vector<Value>> rows;
      rows.reserve(end - k);
      for (size_t j = k; j < end; ++j) {
        const size_t i = valid[j];
        results[i].status = Status::Ok();
        results[i].replaced = false;
        results[i].job_id = ids[i];
        rows.push_back(defs ? DefParams(records[i], ids[i], now_ms)
                            : JobParams(records[i], ids[i], JobState::kExecutable, now_ms));
      }
      LTS_ASSIGN_OR_RETURN(
          std::vector<QueryResult> inserted,
          defs ? impl_->RunBatch(c, kInsertDef, rows) : InsertOwningJobs(impl_.get(), c, rows));
      std::vector<std::vector<Value>> cycles;  // First cycles: they share the definition's key.
      for (size_t j = k; j < end; ++j) {
        const size_t i = valid[j];
        if (inserted[j - k].affected == 0) {
          conflicts.push_back(i);
        } else if (defs && needs_instance(records[i])) {
          cycles.push_back(JobParams(records[i], ids[i], JobState::kExecutable, now_ms));
        }
      }
      LTS_RETURN_IF_ERROR(impl_->RunBatch(c, kInsertJob, cycles).status());
      k = end;
    }

    // Held keys: rare, handled one by one in submission order.
    for (size_t i : conflicts) {
      const JobRecord& r = records[i];
      const std::string& group = r.job.task_tracker_node_group;
      LTS_ASSIGN_OR_RETURN(std::string old_id,
                           internal::KeyHolder(impl_.get(), c, group, r.job.task_id));
      if (old_id.empty()) {
        // Released between our insert attempt and now: cannot happen inside one
        // transaction on SQLite; on PostgreSQL the holder committed a completion.
        return Aborted("key released concurrently; retrying");
      }
      if (!r.job.replace_on_exist) {
        results[i].status = AlreadyExists(
            fmt::format("{}/{}: already exists as job {}", group, r.job.task_id, old_id));
        results[i].job_id = old_id;
        continue;
      }
      const Value ex[] = {Value::Text(old_id)};
      LTS_ASSIGN_OR_RETURN(QueryResult executing, impl_->Run(c, kIsExecuting, ex));
      LTS_RETURN_IF_ERROR(RemoveWaiting(impl_.get(), c, group, r.job.task_id, old_id).status());
      // The running instance keeps old_id but no longer the key; the replacement takes a
      // fresh job_id so that the old instance's completion finds no definition and ends
      // there.
      const Value disown[] = {Value::Text(old_id), Value::Text(group), Value::Text(r.job.task_id)};
      LTS_RETURN_IF_ERROR(impl_->Run(c, kDisownKey, disown).status());
      if (executing.rows.empty()) ids[i] = old_id;
      QueryResult taken;
      if (is_def(r)) {
        LTS_ASSIGN_OR_RETURN(taken, impl_->Run(c, kInsertDef, DefParams(r, ids[i], now_ms)));
        if (taken.affected == 1 && needs_instance(r)) {
          LTS_RETURN_IF_ERROR(
              impl_->Run(c, kInsertJob, JobParams(r, ids[i], JobState::kExecutable, now_ms))
                  .status());
        }
      } else {
        LTS_ASSIGN_OR_RETURN(
            taken,
            impl_->Run(c, kInsertOwningJob, JobParams(r, ids[i], JobState::kExecutable, now_ms)));
      }
      if (taken.affected != 1) return Aborted("key taken concurrently; retrying");
      results[i].replaced = true;
      results[i].job_id = ids[i];
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return results;
}

// --- Claim and completion ----------------------------------------------------------------

namespace {

Status CheckClaim(const ClaimRequest& req) {
  LTS_RETURN_IF_ERROR(internal::CheckIdentifier("nodeGroup", req.node_group, kMaxNodeGroupBytes));
  LTS_RETURN_IF_ERROR(internal::CheckIdentifier("jobTracker", req.job_tracker, kMaxIdentityBytes));
  LTS_RETURN_IF_ERROR(
      internal::CheckIdentifier("taskTracker", req.task_tracker, kMaxIdentityBytes, true));
  return internal::CheckLimit("maxJobs", req.max_jobs, kMaxBatch);
}

std::vector<Value> ClaimParams(const ClaimRequest& req) {
  return {Value::Text(req.node_group),
          Value::Text(req.job_tracker),
          Value::TextOrNull(req.task_tracker),
          Value::Int(req.epoch),
          Value::Int(req.now_ms),
          Value::Int(req.max_jobs),
          Value::Int(std::max(req.now_ms, req.due_by_ms))};
}

// SQLite's claim inside a write transaction: reads the due rows (kClaim's RETURNING
// columns, in claim order), then marks them executing by seq.
StatusOr<QueryResult> ClaimSqlite(JobStore::Impl* impl, Connection* c,
                                  std::span<const Value> params) {
  LTS_ASSIGN_OR_RETURN(QueryResult r, impl->Run(c, kClaimSelectSqlite, params));
  if (r.rows.empty()) return r;
  std::string seqs(1, '[');
  for (const Row& row : r.rows) {
    if (seqs.size() > 1) seqs += ',';
    seqs += std::to_string(row[1].AsInt());
  }
  seqs += ']';
  const Value mark[] = {Value::Text(seqs), params[1], params[2], params[3], params[4]};
  LTS_ASSIGN_OR_RETURN(QueryResult marked, impl->Run(c, kClaimMarkSqlite, mark));
  if (marked.affected != static_cast<int64_t>(r.rows.size())) {
    return Internal(
        fmt::format("claim: read {} due rows but marked {}", r.rows.size(), marked.affected));
  }
  return r;
}

// The claim statement(s) of `impl`'s dialect on a connection inside a transaction.
StatusOr<QueryResult> ClaimIn(JobStore::Impl* impl, Connection* c, std::span<const Value> params) {
  if (impl->dialect() == internal::Dialect::kSqlite) return ClaimSqlite(impl, c, params);
  return impl->Run(c, kClaim, params);
}

// The records kClaim returned, in claim order (their job_id strings are moved out of `r`).
StatusOr<std::vector<JobRecord>> ClaimedRecords(QueryResult& r, const ClaimRequest& req) {
  // RETURNING does not promise an order: the rows are sorted by their keys first and
  // decoded straight into place (no JobRecord is moved by the sort).
  struct Key {
    int64_t priority, trigger_time, seq;
    Row* row;
  };
  std::vector<Key> keys;
  keys.reserve(r.rows.size());
  for (Row& row : r.rows) {
    keys.push_back({row[0].AsInt(), row[3].AsInt(), row[1].AsInt(), &row});
  }
  std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
    return std::tie(a.priority, a.trigger_time, a.seq) <
           std::tie(b.priority, b.trigger_time, b.seq);
  });
  std::vector<JobRecord> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    Row& row = *keys[i].row;
    JobRecord& rec = out[i];
    // The columns the claim wrote are the request's: only the others come back (RETURNING
    // costs per column on SQLite).
    LTS_RETURN_IF_ERROR(internal::DecodeJobBody(row[7].AsString(), &rec));
    rec.seq = keys[i].seq;
    rec.job_id = std::move(row[2].bytes);
    rec.trigger_time_ms = keys[i].trigger_time;
    rec.retry_times = static_cast<int32_t>(row[4].AsInt());
    rec.repeated_count = static_cast<int32_t>(row[5].AsInt());
    rec.gmt_created_ms = row[6].AsInt();
    rec.state = JobState::kExecuting;
    rec.job_tracker = req.job_tracker;
    rec.task_tracker = req.task_tracker;
    rec.epoch = req.epoch;
    rec.started_at_ms = req.now_ms;
    rec.gmt_modified_ms = req.now_ms;
  }
  return out;
}

// A completion's job_id: the store's ids ([A-Za-z0-9_-], at most kMaxJobIdBytes) are
// accepted by one pass over the bytes; anything else gets CheckIdentifier's verdict and
// message.
Status CheckJobId(std::string_view id) {
  bool plain = !id.empty() && id.size() <= kMaxJobIdBytes;
  for (size_t i = 0; plain && i < id.size(); ++i) {
    const char c = id[i];
    plain = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
            c == '_' || c == '-';
  }
  return plain ? Status::Ok() : internal::CheckIdentifier("jobId", id, kMaxJobIdBytes);
}

// A batch of completions: validated and sorted once, applied inside a transaction (Run
// may be re-run when the transaction is retried).
class CompletionPlan {
 public:
  explicit CompletionPlan(std::span<const Completion> completions)
      : completions_(completions), results_(completions.size()) {
    for (size_t i = 0; i < completions.size(); ++i) {
      const Completion& c = completions[i];
      results_[i].status = CheckJobId(c.job_id);
      if (results_[i].status.ok() && c.next_instance) {
        results_[i].status = CheckRecord(*c.next_instance);
      }
      if (!results_[i].status.ok()) continue;
      // Plain completions (no next cycle, no definition change: one-off jobs, the common
      // case) are deleted with one set-based statement per epoch; the others row by row.
      if (c.next_instance || c.definition) {
        others_.push_back(i);
      } else {
        plain_by_epoch_[c.epoch].push_back(i);
      }
    }
  }

  Status Run(JobStore::Impl* impl, Connection* c) {
    const bool sqlite = impl->dialect() == internal::Dialect::kSqlite;
    for (const auto& [epoch, items] : plain_by_epoch_) {
      std::vector<std::string_view> ids;
      ids.reserve(items.size());
      for (size_t i : items) ids.push_back(completions_[i].job_id);
      const Value p[] = {Value::Text(IdList(ids, impl->dialect())), Value::Int(epoch)};
      if (sqlite) {
        LTS_ASSIGN_OR_RETURN(bool all, DeleteAllSqlite(impl, c, ids, p));
        if (all) {
          for (size_t i : items) results_[i] = CompleteResult();
          continue;
        }
      }
      LTS_ASSIGN_OR_RETURN(QueryResult gone, impl->Run(c, kDeleteExecutingSet, p));
      std::unordered_set<std::string_view> deleted;
      for (const Row& row : gone.rows) deleted.insert(row[0].AsString());
      for (size_t i : items) {
        results_[i] = CompleteResult();
        auto it = deleted.find(completions_[i].job_id);
        if (it == deleted.end()) {  // Not executing, fenced, or a duplicate in the batch.
          LTS_RETURN_IF_ERROR(Miss(impl, c, i, epoch));
          continue;
        }
        deleted.erase(it);
      }
    }
    std::vector<std::vector<Value>> dels;
    dels.reserve(others_.size());
    for (size_t i : others_) {
      dels.push_back({Value::Text(completions_[i].job_id), Value::Int(completions_[i].epoch)});
    }
    LTS_ASSIGN_OR_RETURN(std::vector<QueryResult> deleted,
                         impl->RunBatch(c, kDeleteExecuting, dels));
    for (size_t k = 0; k < others_.size(); ++k) {
      const size_t i = others_[k];
      const Completion& comp = completions_[i];
      results_[i] = CompleteResult();
      if (deleted[k].rows.empty()) {
        LTS_RETURN_IF_ERROR(Miss(impl, c, i, comp.epoch));
        continue;
      }
      if (comp.definition) {
        const DefinitionChange& d = *comp.definition;
        const Value dp[] = {Value::Text(d.job_id)};
        if (d.remove) {
          LTS_ASSIGN_OR_RETURN(QueryResult gone, impl->Run(c, kDeleteDefKey, dp));
          for (const Row& row : gone.rows) {
            LTS_RETURN_IF_ERROR(AdoptKey(impl, c, dp[0], row[0], row[1]));
          }
        } else {
          const Value up[] = {Value::Text(d.job_id),
                              d.last_generate_trigger_time_ms
                                  ? Value::Int(*d.last_generate_trigger_time_ms)
                                  : Value::Null(),
                              d.repeated_count ? Value::Int(*d.repeated_count) : Value::Null(),
                              Value::Int(comp.now_ms)};
          LTS_RETURN_IF_ERROR(impl->Run(c, kUpdateDef, up).status());
        }
      }
      if (comp.next_instance) {
        // The next cycle shares the job_id and its definition's key.
        std::vector<Value> np = JobParams(*comp.next_instance, comp.next_instance->job_id,
                                          JobState::kExecutable, comp.now_ms);
        np.push_back(Value::Text(comp.next_instance->job_id));
        LTS_ASSIGN_OR_RETURN(QueryResult added, impl->Run(c, kInsertNextJob, np));
        results_[i].next_instance_added = added.affected > 0;
      }
    }
    return Status::Ok();
  }

  std::vector<CompleteResult>& results() { return results_; }

 private:
  // SQLite: deletes every executing row of `ids` (distinct) with one statement that
  // returns nothing, inside a savepoint. True when each id matched; otherwise the
  // savepoint is rolled back (nothing deleted) and the caller asks row by row.
  static StatusOr<bool> DeleteAllSqlite(JobStore::Impl* impl, Connection* c,
                                        std::span<const std::string_view> ids,
                                        std::span<const Value> params) {
    std::vector<std::string_view> sorted(ids.begin(), ids.end());
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      return false;  // A duplicate cannot match twice: the slow path names it.
    }
    static const SqlText kSave = Same("SAVEPOINT lts_complete");
    static const SqlText kUndo = Same("ROLLBACK TO lts_complete");
    static const SqlText kRelease = Same("RELEASE lts_complete");
    LTS_RETURN_IF_ERROR(impl->Run(c, kSave, {}).status());
    LTS_ASSIGN_OR_RETURN(QueryResult r, impl->Run(c, kDeleteExecutingSetCount, params));
    const bool all = r.affected == static_cast<int64_t>(ids.size());
    if (!all) LTS_RETURN_IF_ERROR(impl->Run(c, kUndo, {}).status());
    LTS_RETURN_IF_ERROR(impl->Run(c, kRelease, {}).status());
    return all;
  }

  // Records why completion i matched nothing; other errors end the transaction.
  Status Miss(JobStore::Impl* impl, Connection* c, size_t i, int64_t epoch) {
    results_[i].status = ExplainMiss(impl, c, completions_[i].job_id, epoch);
    const StatusCode code = results_[i].status.code();
    return code == StatusCode::kNotFound || code == StatusCode::kAborted ? Status::Ok()
                                                                         : results_[i].status;
  }

  std::span<const Completion> completions_;
  std::vector<CompleteResult> results_;
  std::map<int64_t, std::vector<size_t>> plain_by_epoch_;
  std::vector<size_t> others_;
};

}  // namespace

StatusOr<std::vector<JobRecord>> JobStore::Claim(const ClaimRequest& req) {
  LTS_RETURN_IF_ERROR(CheckClaim(req));
  const std::vector<Value> params = ClaimParams(req);
  if (impl_->dialect() == internal::Dialect::kSqlite) {
    QueryResult r;
    LTS_RETURN_IF_ERROR(impl_->Transaction(
        [&](Connection* c) -> Status {
          LTS_ASSIGN_OR_RETURN(r, ClaimSqlite(impl_.get(), c, params));
          return Status::Ok();
        },
        Impl::Commit::kRelaxed));
    return ClaimedRecords(r, req);
  }
  // One statement, so no explicit transaction: atomic by itself, one round trip.
  LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->RunAlone(kClaim, params));
  return ClaimedRecords(r, req);
}

StatusOr<std::optional<int64_t>> JobStore::NextDueTime(std::string_view node_group) {
  const Value p[] = {Value::Text(node_group)};
  LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->RunAlone(kNextDue, p));
  if (r.rows.empty() || r.rows[0][0].is_null()) return std::optional<int64_t>();
  return std::optional<int64_t>(r.rows[0][0].AsInt());
}

StatusOr<std::vector<CompleteResult>> JobStore::CompleteBatch(
    std::span<const Completion> completions) {
  if (completions.size() > kMaxBatch) {
    return InvalidArgument(fmt::format("CompleteBatch: more than {} completions", kMaxBatch));
  }
  CompletionPlan plan(completions);
  LTS_RETURN_IF_ERROR(impl_->Transaction(
      [&](Connection* c) -> Status { return plan.Run(impl_.get(), c); }, Impl::Commit::kRelaxed));
  return std::move(plan.results());
}

StatusOr<CompleteAndClaimResult> JobStore::CompleteAndClaim(std::span<const Completion> completions,
                                                            const ClaimRequest& req) {
  if (completions.size() > kMaxBatch) {
    return InvalidArgument(fmt::format("CompleteAndClaim: more than {} completions", kMaxBatch));
  }
  LTS_RETURN_IF_ERROR(CheckClaim(req));
  CompletionPlan plan(completions);
  const std::vector<Value> params = ClaimParams(req);
  QueryResult claimed;
  Status s = impl_->Transaction(
      [&](Connection* c) -> Status {
        LTS_RETURN_IF_ERROR(plan.Run(impl_.get(), c));
        LTS_ASSIGN_OR_RETURN(claimed, ClaimIn(impl_.get(), c, params));
        return Status::Ok();
      },
      Impl::Commit::kRelaxed);
  if (!s.ok()) return s;
  CompleteAndClaimResult out;
  out.completed = std::move(plan.results());
  LTS_ASSIGN_OR_RETURN(out.claimed, ClaimedRecords(claimed, req));
  return out;
}

CompleteResult JobStore::Complete(const Completion& completion) {
  StatusOr<std::vector<CompleteResult>> r = CompleteBatch({&completion, 1});
  if (!r.ok()) return CompleteResult{r.status(), false};
  return std::move((*r)[0]);
}

namespace {

Status FencedRequeue(JobStore::Impl* impl, std::string_view job_id, int64_t epoch,
                     std::optional<int64_t> trigger_time_ms, int64_t now_ms, bool count_retry) {
  LTS_RETURN_IF_ERROR(internal::CheckIdentifier("jobId", job_id, kMaxJobIdBytes));
  return impl->Transaction([&](Connection* c) -> Status {
    const Value p[] = {Value::Text(job_id), Value::Int(epoch),
                       trigger_time_ms ? Value::Int(*trigger_time_ms) : Value::Null(),
                       Value::Int(now_ms), Value::Int(count_retry ? 1 : 0)};
    LTS_ASSIGN_OR_RETURN(QueryResult r, impl->Run(c, kRequeue, p));
    if (r.affected == 1) return Status::Ok();
    return ExplainMiss(impl, c, job_id, epoch);
  });
}

}  // namespace

Status JobStore::Retry(std::string_view job_id, int64_t epoch, int64_t next_trigger_time_ms,
                       int64_t now_ms) {
  return FencedRequeue(impl_.get(), job_id, epoch, next_trigger_time_ms, now_ms, true);
}

Status JobStore::ReturnToQueue(std::string_view job_id, int64_t epoch, int64_t trigger_time_ms,
                               int64_t now_ms) {
  return FencedRequeue(impl_.get(), job_id, epoch, trigger_time_ms, now_ms, false);
}

Status JobStore::RequeueOne(std::string_view job_id, int64_t epoch, int64_t now_ms) {
  return FencedRequeue(impl_.get(), job_id, epoch, std::nullopt, now_ms, false);
}

StatusOr<std::vector<JobRecord>> JobStore::ListExecutingBy(Owner owner, std::string_view identity) {
  LTS_RETURN_IF_ERROR(internal::CheckIdentifier("identity", identity, kMaxIdentityBytes));
  // Executing rows are few (bounded by TaskTracker threads): scan their partial index.
  // SQLite without statistics would scan the table instead.
  auto sql = [](std::string_view column, bool sqlite) {
    return fmt::format("SELECT {} FROM lts_job{} WHERE state = 1 AND {} = $1 ORDER BY seq",
                       internal::kJobColumns, sqlite ? " INDEXED BY lts_job_executing" : "",
                       column);
  };
  static const std::string jt[] = {sql("job_tracker", true), sql("job_tracker", false)};
  static const std::string tt[] = {sql("task_tracker", true), sql("task_tracker", false)};
  const std::string* texts = owner == Owner::kJobTracker ? jt : tt;
  const Value p[] = {Value::Text(identity)};
  LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->RunAlone(SqlText{texts[0], texts[1]}, p));
  return internal::DecodeRows<JobRecord>(r, internal::RecordFromRow);
}

StatusOr<std::vector<JobRecord>> JobStore::ListExecutingOlderThan(int64_t started_before_ms,
                                                                  int limit) {
  LTS_RETURN_IF_ERROR(internal::CheckLimit("limit", limit, kMaxBatch));
  static const std::string sql = fmt::format(
      "SELECT {} FROM lts_job WHERE state = 1 AND started_at < $1 ORDER BY started_at LIMIT $2",
      internal::kJobColumns);
  const Value p[] = {Value::Int(started_before_ms), Value::Int(limit)};
  LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->RunAlone(Same(sql), p));
  return internal::DecodeRows<JobRecord>(r, internal::RecordFromRow);
}

StatusOr<int64_t> JobStore::RequeueExecuting(Owner owner, std::string_view identity, int64_t epoch,
                                             int64_t now_ms) {
  LTS_RETURN_IF_ERROR(internal::CheckIdentifier("identity", identity, kMaxIdentityBytes));
  int64_t moved = 0;
  Status s = impl_->Transaction([&](Connection* c) -> Status {
    const Value p[] = {Value::Text(identity), Value::Int(epoch), Value::Int(now_ms)};
    LTS_ASSIGN_OR_RETURN(
        QueryResult r,
        impl_->Run(c, owner == Owner::kJobTracker ? kRequeueJobTracker : kRequeueTaskTracker, p));
    moved = r.affected;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return moved;
}

Status JobStore::DeadLetter(std::string_view job_id, int64_t epoch, std::string_view reason,
                            int64_t now_ms) {
  LTS_RETURN_IF_ERROR(internal::CheckIdentifier("jobId", job_id, kMaxJobIdBytes));
  LTS_RETURN_IF_ERROR(internal::CheckMessage("reason", reason));
  static constexpr std::string_view kDel =
      "DELETE FROM lts_job WHERE job_id = $1 AND state = 1 AND epoch <= $2 RETURNING ";
  static constexpr std::string_view kDeadCols =
      "grp, task_id, priority, trigger_time, retry_times, repeated_count, gmt_created, body";
  static const std::string del_sqlite = fmt::format("{}{}", kDel, kDeadCols);
  static const std::string del_pg =
      ReleasingKeys(fmt::format("{}job_id, {}", kDel, kDeadCols), kDeadCols);
  static const SqlText kInsertDead = Same(
      "INSERT INTO lts_dead_job (job_id, grp, task_id, priority, trigger_time, retry_times, "
      "repeated_count, gmt_created, dead_at, reason, body) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (job_id) DO UPDATE SET "
      "dead_at = excluded.dead_at, reason = excluded.reason, body = excluded.body, "
      "retry_times = excluded.retry_times");
  return impl_->Transaction([&](Connection* c) -> Status {
    const Value p[] = {Value::Text(job_id), Value::Int(epoch)};
    LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->Run(c, SqlText{del_sqlite, del_pg}, p));
    if (r.rows.empty()) return ExplainMiss(impl_.get(), c, job_id, epoch);
    const Row& row = r.rows[0];
    const Value ins[] = {Value::Text(job_id),
                         row[0],
                         row[1],
                         row[2],
                         row[3],
                         row[4],
                         row[5],
                         row[6],
                         Value::Int(now_ms),
                         Value::Blob(reason),
                         row[7]};
    // The deleted row's key, if it held it, went with it.
    return impl_->Run(c, kInsertDead, ins).status();
  });
}

// --- Definitions -------------------------------------------------------------------------

StatusOr<JobRecord> JobStore::GetDefinition(std::string_view job_id) {
  static const std::string sql =
      fmt::format("SELECT {} FROM lts_job_def WHERE job_id = $1", internal::kDefColumns);
  const Value p[] = {Value::Text(job_id)};
  LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->RunAlone(Same(sql), p));
  if (r.rows.empty()) return NotFound(fmt::format("definition {}: not found", job_id));
  return internal::DefinitionFromRow(r.rows[0]);
}

StatusOr<std::vector<JobRecord>> JobStore::ListDefinitionsToGenerate(int64_t generated_before_ms,
                                                                     int limit) {
  LTS_RETURN_IF_ERROR(internal::CheckLimit("limit", limit, kMaxBatch));
  static const std::string sql = fmt::format(
      "SELECT {} FROM lts_job_def WHERE rely = 0 AND suspended = 0 AND last_generate < $1 "
      "ORDER BY last_generate LIMIT $2",
      internal::kDefColumns);
  const Value p[] = {Value::Int(generated_before_ms), Value::Int(limit)};
  LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->RunAlone(Same(sql), p));
  return internal::DecodeRows<JobRecord>(r, internal::DefinitionFromRow);
}

Status JobStore::UpdateDefinition(const DefinitionChange& d, int64_t now_ms) {
  LTS_RETURN_IF_ERROR(internal::CheckIdentifier("jobId", d.job_id, kMaxJobIdBytes));
  return impl_->Transaction([&](Connection* c) -> Status {
    const Value dp[] = {Value::Text(d.job_id)};
    if (d.remove) {
      LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->Run(c, kDeleteDefKey, dp));
      if (r.rows.empty()) return NotFound(fmt::format("definition {}: not found", d.job_id));
      return AdoptKey(impl_.get(), c, dp[0], r.rows[0][0], r.rows[0][1]);
    }
    const Value up[] = {
        Value::Text(d.job_id),
        d.last_generate_trigger_time_ms ? Value::Int(*d.last_generate_trigger_time_ms)
                                        : Value::Null(),
        d.repeated_count ? Value::Int(*d.repeated_count) : Value::Null(), Value::Int(now_ms)};
    LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->Run(c, kUpdateDef, up));
    if (r.affected == 0) return NotFound(fmt::format("definition {}: not found", d.job_id));
    return Status::Ok();
  });
}

StatusOr<int64_t> JobStore::AddInstances(std::string_view definition_job_id,
                                         std::span<const JobRecord> input,
                                         int64_t last_generate_trigger_time_ms, int64_t now_ms) {
  LTS_RETURN_IF_ERROR(internal::CheckIdentifier("jobId", definition_job_id, kMaxJobIdBytes));
  if (input.size() > kMaxBatch) return InvalidArgument("AddInstances: too many instances");
  std::vector<JobRecord> instances(input.begin(), input.end());
  for (JobRecord& r : instances) {
    LTS_RETURN_IF_ERROR(CheckRecord(r));
    if (r.job_id.empty()) r.job_id = NewJobId();
  }
  int64_t added = 0;
  Status s = impl_->Transaction([&](Connection* c) -> Status {
    added = 0;
    static const SqlText kDefState = Same("SELECT suspended FROM lts_job_def WHERE job_id = $1");
    const Value dp[] = {Value::Text(definition_job_id)};
    LTS_ASSIGN_OR_RETURN(QueryResult def, impl_->Run(c, kDefState, dp));
    if (def.rows.empty())
      return NotFound(fmt::format("definition {}: not found", definition_job_id));
    if (def.rows[0][0].AsInt() != 0) {
      return FailedPrecondition(fmt::format("definition {}: suspended", definition_job_id));
    }
    // Each instance takes its own key; one whose key is held is skipped.
    std::map<std::string_view, bool> locks;
    std::vector<std::vector<Value>> jobs;
    for (const JobRecord& r : instances) {
      locks.emplace(r.job.task_tracker_node_group, false);
      jobs.push_back(JobParams(r, r.job_id, JobState::kExecutable, now_ms));
    }
    LTS_RETURN_IF_ERROR(internal::LockGroups(impl_.get(), c, locks));
    LTS_ASSIGN_OR_RETURN(std::vector<QueryResult> ins, InsertOwningJobs(impl_.get(), c, jobs));
    for (const QueryResult& one : ins) added += one.affected;
    const Value up[] = {Value::Text(definition_job_id), Value::Int(last_generate_trigger_time_ms),
                        Value::Null(), Value::Int(now_ms)};
    return impl_->Run(c, kUpdateDef, up).status();
  });
  if (!s.ok()) return s;
  return added;
}

// --- Actions by key ------------------------------------------------------------------------

namespace {

// The job_id holding (group, task_id), with the group locked exclusively on PostgreSQL
// (actions on one key are serialised with each other and with submissions); kNotFound
// when none.
StatusOr<std::string> OwnerOf(JobStore::Impl* impl, Connection* c, std::string_view group,
                              std::string_view task_id) {
  LTS_RETURN_IF_ERROR(internal::LockGroup(impl, c, group));
  LTS_ASSIGN_OR_RETURN(std::string owner, internal::KeyHolder(impl, c, group, task_id));
  if (owner.empty()) return NotFound(fmt::format("{}/{}: no such job", group, task_id));
  return owner;
}

Status CheckKey(std::string_view group, std::string_view task_id) {
  LTS_RETURN_IF_ERROR(internal::CheckIdentifier("nodeGroup", group, kMaxNodeGroupBytes));
  return internal::CheckIdentifier("taskId", task_id, kMaxRealTaskIdBytes);
}

// Moves the definition and waiting instances of a key between active and suspended.
Status SetSuspended(JobStore::Impl* impl, Connection* c, std::string_view group,
                    std::string_view task_id, const std::string& job_id, bool suspend,
                    int64_t now_ms, int64_t* defs, int64_t* instances) {
  static const SqlText kDef =
      Same("UPDATE lts_job_def SET suspended = $2, gmt_modified = $3 WHERE job_id = $1");
  static const SqlText kJobs = Same(
      "UPDATE lts_job SET state = $4, gmt_modified = $5 WHERE state = $6 AND "
      "(job_id = $1 OR (grp = $2 AND real_task_id = $3 AND real_task_id <> task_id))");
  const Value dp[] = {Value::Text(job_id), Value::Int(suspend ? 1 : 0), Value::Int(now_ms)};
  LTS_ASSIGN_OR_RETURN(QueryResult d, impl->Run(c, kDef, dp));
  const int64_t to = static_cast<int64_t>(suspend ? JobState::kSuspended : JobState::kExecutable);
  const int64_t from = static_cast<int64_t>(suspend ? JobState::kExecutable : JobState::kSuspended);
  const Value jp[] = {Value::Text(job_id), Value::Text(group), Value::Text(task_id),
                      Value::Int(to),      Value::Int(now_ms), Value::Int(from)};
  LTS_ASSIGN_OR_RETURN(QueryResult j, impl->Run(c, kJobs, jp));
  *defs = d.affected;
  *instances = j.affected;
  return Status::Ok();
}

}  // namespace

Status JobStore::Pause(std::string_view group, std::string_view task_id, int64_t now_ms) {
  LTS_RETURN_IF_ERROR(CheckKey(group, task_id));
  return impl_->Transaction([&](Connection* c) -> Status {
    LTS_ASSIGN_OR_RETURN(std::string job_id, OwnerOf(impl_.get(), c, group, task_id));
    int64_t defs = 0, instances = 0;
    return SetSuspended(impl_.get(), c, group, task_id, job_id, true, now_ms, &defs, &instances);
  });
}

StatusOr<std::optional<JobRecord>> JobStore::Resume(std::string_view group,
                                                    std::string_view task_id, int64_t now_ms) {
  LTS_RETURN_IF_ERROR(CheckKey(group, task_id));
  std::optional<JobRecord> regenerate;
  Status s = impl_->Transaction([&](Connection* c) -> Status {
    regenerate.reset();
    LTS_ASSIGN_OR_RETURN(std::string job_id, OwnerOf(impl_.get(), c, group, task_id));
    int64_t defs = 0, instances = 0;
    LTS_RETURN_IF_ERROR(
        SetSuspended(impl_.get(), c, group, task_id, job_id, false, now_ms, &defs, &instances));
    if (defs == 0) return Status::Ok();
    static const std::string sql = fmt::format(
        "SELECT {}, (SELECT count(*) FROM lts_job j WHERE j.job_id = $1) FROM lts_job_def "
        "WHERE job_id = $1",
        internal::kDefColumns);
    const Value p[] = {Value::Text(job_id)};
    LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->Run(c, Same(sql), p));
    if (r.rows.empty()) return Status::Ok();
    LTS_ASSIGN_OR_RETURN(JobRecord def, internal::DefinitionFromRow(r.rows[0]));
    // A relyOnPrevCycle job whose cycle was dropped while paused needs a new one.
    if (def.job.rely_on_prev_cycle && r.rows[0][9].AsInt() == 0) regenerate = std::move(def);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return regenerate;
}

StatusOr<int64_t> JobStore::Cancel(std::string_view group, std::string_view task_id) {
  LTS_RETURN_IF_ERROR(CheckKey(group, task_id));
  int64_t removed = 0;
  Status s = impl_->Transaction([&](Connection* c) -> Status {
    LTS_ASSIGN_OR_RETURN(std::string job_id, OwnerOf(impl_.get(), c, group, task_id));
    LTS_ASSIGN_OR_RETURN(removed, RemoveWaiting(impl_.get(), c, group, task_id, job_id));
    // A running instance of the job now holds the key, else the key is free.
    LTS_RETURN_IF_ERROR(
        AdoptKey(impl_.get(), c, Value::Text(job_id), Value::Text(group), Value::Text(task_id)));
    if (removed == 0) {
      return NotFound(
          fmt::format("{}/{}: nothing waiting (running instances finish)", group, task_id));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return removed;
}

Status JobStore::TriggerNow(std::string_view group, std::string_view task_id, int64_t now_ms) {
  LTS_RETURN_IF_ERROR(CheckKey(group, task_id));
  static const SqlText kTrigger = Same(
      "UPDATE lts_job SET trigger_time = $2, priority = $3, gmt_modified = $2 "
      "WHERE job_id = $1 AND state = 0");
  return impl_->Transaction([&](Connection* c) -> Status {
    LTS_ASSIGN_OR_RETURN(std::string job_id, OwnerOf(impl_.get(), c, group, task_id));
    const Value p[] = {Value::Text(job_id), Value::Int(now_ms), Value::Int(INT32_MIN)};
    LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->Run(c, kTrigger, p));
    if (r.affected == 0) {
      return NotFound(fmt::format("{}/{}: no waiting instance to trigger", group, task_id));
    }
    return Status::Ok();
  });
}

StatusOr<JobRecord> JobStore::GetJob(std::string_view job_id) {
  static const std::string sql =
      fmt::format("SELECT {} FROM lts_job WHERE job_id = $1", internal::kJobColumns);
  const Value p[] = {Value::Text(job_id)};
  LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->RunAlone(Same(sql), p));
  if (r.rows.empty()) return NotFound(fmt::format("job {}: not found", job_id));
  return internal::RecordFromRow(r.rows[0]);
}

}  // namespace lts::store
