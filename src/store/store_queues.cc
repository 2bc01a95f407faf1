// JobStore: dead letters, feedback, node groups, the job log, the BizLog tables and the
// admin lists (the jobs, claims and actions are in job_store.cc).

#include <algorithm>

#include "fmt/format.h"
#include "store/job_codec.h"
#include "store/job_store.h"
#include "store/job_store_impl.h"
#include "store/schema.h"

namespace lts::store {

using internal::Connection;
using internal::QueryResult;
using internal::Row;
using internal::Same;
using internal::SqlText;
using internal::Value;

namespace {

constexpr int kMaxListLimit = 1000;
constexpr size_t kMaxNodeTypeBytes = 16;

constexpr std::string_view kDeadColumns =
    "job_id, priority, trigger_time, retry_times, repeated_count, gmt_created, dead_at, reason, "
    "body";

StatusOr<DeadLetterEntry> DeadFromRow(const Row& row) {
  DeadLetterEntry d;
  LTS_RETURN_IF_ERROR(internal::DecodeJobBody(row[8].AsString(), &d.record));
  d.record.job_id = row[0].AsString();
  d.record.trigger_time_ms = row[2].AsInt();
  d.record.retry_times = static_cast<int32_t>(row[3].AsInt());
  d.record.repeated_count = static_cast<int32_t>(row[4].AsInt());
  d.record.gmt_created_ms = row[5].AsInt();
  d.dead_at_ms = row[6].AsInt();
  d.reason = row[7].AsString();
  return d;
}

Status CheckFilter(const ListFilter& f) {
  LTS_RETURN_IF_ERROR(
      internal::CheckIdentifier("nodeGroup", f.node_group, kMaxNodeGroupBytes, true));
  LTS_RETURN_IF_ERROR(
      internal::CheckIdentifier("taskIdPrefix", f.task_id_prefix, kMaxRealTaskIdBytes, true));
  if (f.offset < 0) return InvalidArgument("offset: must not be negative");
  return internal::CheckLimit("limit", f.limit, kMaxListLimit);
}

// "($g = '' OR grp = $g) AND ($p = '' OR substr(task_id, 1, length($p)) = $p)" with the
// filter's values as parameters $1 and $2, then limit $3 and offset $4.
constexpr std::string_view kFilterSql =
    "($1 = '' OR grp = $1) AND ($2 = '' OR substr(task_id, 1, length($2)) = $2)";

std::vector<Value> FilterParams(const ListFilter& f) {
  return {Value::Text(f.node_group), Value::Text(f.task_id_prefix), Value::Int(f.limit),
          Value::Int(f.offset)};
}

}  // namespace

// --- Dead-letter queue -------------------------------------------------------------------

StatusOr<std::vector<DeadLetterEntry>> JobStore::ListDeadLetters(const ListFilter& filter) {
  LTS_RETURN_IF_ERROR(CheckFilter(filter));
  static const std::string sql = fmt::format(
      "SELECT {} FROM lts_dead_job WHERE {} ORDER BY dead_at, job_id LIMIT $3 OFFSET $4",
      kDeadColumns, kFilterSql);
  LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->RunAlone(Same(sql), FilterParams(filter)));
  return internal::DecodeRows<DeadLetterEntry>(r, DeadFromRow);
}

StatusOr<DeadLetterEntry> JobStore::GetDeadLetter(std::string_view job_id) {
  static const std::string sql =
      fmt::format("SELECT {} FROM lts_dead_job WHERE job_id = $1", kDeadColumns);
  const Value p[] = {Value::Text(job_id)};
  LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->RunAlone(Same(sql), p));
  if (r.rows.empty()) return NotFound(fmt::format("dead letter {}: not found", job_id));
  return DeadFromRow(r.rows[0]);
}

Status JobStore::RetryDeadLetter(std::string_view job_id, int64_t now_ms) {
  LTS_RETURN_IF_ERROR(internal::CheckIdentifier("jobId", job_id, kMaxJobIdBytes));
  static const std::string del =
      fmt::format("DELETE FROM lts_dead_job WHERE job_id = $1 RETURNING {}", kDeadColumns);
  // The key is taken back unless someone else holds it: free, the instance holds it; held
  // by the job's own definition (a periodic job's cycle), the instance shares it.
  static const SqlText kInsert{
      "INSERT INTO lts_job (job_id, grp, task_id, real_task_id, state, priority, trigger_time, "
      "retry_times, repeated_count, gmt_created, gmt_modified, epoch, started_at, body, "
      "owns_key) VALUES ($1, $2, $3, $4, 0, $5, $6, 0, $7, $8, $8, 0, 0, $9, $10)",
      // PostgreSQL: the key row ($10 = 1) in the same statement.
      "WITH k AS (INSERT INTO lts_instance_key (grp, task_id, job_id) SELECT $2, $3, $1 "
      "WHERE $10 = 1) INSERT INTO lts_job (job_id, grp, task_id, real_task_id, state, priority, "
      "trigger_time, retry_times, repeated_count, gmt_created, gmt_modified, epoch, started_at, "
      "body) VALUES ($1, $2, $3, $4, 0, $5, $6, 0, $7, $8, $8, 0, 0, $9)"};
  return impl_->Transaction([&](Connection* c) -> Status {
    const Value p[] = {Value::Text(job_id)};
    LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->Run(c, Same(del), p));
    if (r.rows.empty()) return NotFound(fmt::format("dead letter {}: not found", job_id));
    LTS_ASSIGN_OR_RETURN(DeadLetterEntry d, DeadFromRow(r.rows[0]));
    const Job& job = d.record.job;
    LTS_RETURN_IF_ERROR(internal::LockGroup(impl_.get(), c, job.task_tracker_node_group));
    LTS_ASSIGN_OR_RETURN(
        std::string holder,
        internal::KeyHolder(impl_.get(), c, job.task_tracker_node_group, job.task_id));
    if (!holder.empty() && holder != job_id) {
      return AlreadyExists(fmt::format("{}/{}: taken by job {} meanwhile",
                                       job.task_tracker_node_group, job.task_id, holder));
    }
    const Value ins[] = {Value::Text(job_id),
                         Value::Text(job.task_tracker_node_group),
                         Value::Text(job.task_id),
                         Value::Text(d.record.effective_real_task_id()),
                         Value::Int(job.priority),
                         Value::Int(now_ms),
                         Value::Int(d.record.repeated_count),
                         Value::Int(now_ms),
                         r.rows[0][8],
                         Value::Int(holder.empty() ? 1 : 0)};
    return impl_->Run(c, kInsert, ins).status();
  });
}

Status JobStore::DeleteDeadLetter(std::string_view job_id) {
  static const SqlText kDelete = Same("DELETE FROM lts_dead_job WHERE job_id = $1");
  return impl_->Transaction([&](Connection* c) -> Status {
    const Value p[] = {Value::Text(job_id)};
    LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->Run(c, kDelete, p));
    if (r.affected == 0) return NotFound(fmt::format("dead letter {}: not found", job_id));
    return Status::Ok();
  });
}

// --- Feedback ----------------------------------------------------------------------------

Status JobStore::AddFeedback(std::span<const FeedbackRecord> records, int64_t now_ms) {
  if (records.size() > kMaxBatch) return InvalidArgument("AddFeedback: too many records");
  std::vector<std::vector<Value>> rows;
  for (const FeedbackRecord& f : records) {
    LTS_RETURN_IF_ERROR(
        internal::CheckIdentifier("clientGroup", f.client_group, kMaxNodeGroupBytes));
    LTS_RETURN_IF_ERROR(internal::CheckMessage("payload", f.payload));
    rows.push_back({Value::Text(f.client_group), Value::Int(now_ms), Value::Blob(f.payload)});
  }
  static const SqlText kInsert =
      Same("INSERT INTO lts_feedback (client_group, gmt_created, payload) VALUES ($1, $2, $3)");
  return impl_->Transaction(
      [&](Connection* c) -> Status { return impl_->RunBatch(c, kInsert, rows).status(); });
}

StatusOr<std::vector<FeedbackRecord>> JobStore::TakeFeedback(std::string_view client_group,
                                                             int max) {
  LTS_RETURN_IF_ERROR(internal::CheckIdentifier("clientGroup", client_group, kMaxNodeGroupBytes));
  LTS_RETURN_IF_ERROR(internal::CheckLimit("max", max, kMaxBatch));
  static const SqlText kTake = Same(
      "SELECT id, client_group, gmt_created, payload FROM lts_feedback WHERE client_group = $1 "
      "ORDER BY id LIMIT $2");
  const Value p[] = {Value::Text(client_group), Value::Int(max)};
  LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->RunAlone(kTake, p));
  return internal::DecodeRows<FeedbackRecord>(r, [](const Row& row) -> StatusOr<FeedbackRecord> {
    return FeedbackRecord{row[0].AsInt(), row[1].AsString(), row[2].AsInt(), row[3].AsString()};
  });
}

Status JobStore::DeleteFeedback(std::span<const int64_t> ids) {
  if (ids.size() > kMaxBatch) return InvalidArgument("DeleteFeedback: too many ids");
  std::vector<std::vector<Value>> rows;
  for (int64_t id : ids) rows.push_back({Value::Int(id)});
  static const SqlText kDelete = Same("DELETE FROM lts_feedback WHERE id = $1");
  return impl_->Transaction(
      [&](Connection* c) -> Status { return impl_->RunBatch(c, kDelete, rows).status(); });
}

// --- Node groups -------------------------------------------------------------------------

Status JobStore::AddNodeGroup(std::string_view node_type, std::string_view name, int64_t now_ms) {
  LTS_RETURN_IF_ERROR(internal::CheckIdentifier("nodeType", node_type, kMaxNodeTypeBytes));
  LTS_RETURN_IF_ERROR(internal::CheckIdentifier("nodeGroup", name, kMaxNodeGroupBytes));
  static const SqlText kInsert = Same(
      "INSERT INTO lts_node_group (node_type, name, gmt_created) VALUES ($1, $2, $3) "
      "ON CONFLICT DO NOTHING");
  const Value p[] = {Value::Text(node_type), Value::Text(name), Value::Int(now_ms)};
  return impl_->RunAlone(kInsert, p).status();
}

StatusOr<std::vector<std::string>> JobStore::ListNodeGroups(std::string_view node_type) {
  static const SqlText kList =
      Same("SELECT name FROM lts_node_group WHERE node_type = $1 ORDER BY name");
  const Value p[] = {Value::Text(node_type)};
  LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->RunAlone(kList, p));
  std::vector<std::string> out;
  for (const Row& row : r.rows) out.push_back(row[0].AsString());
  return out;
}

Status JobStore::DeleteNodeGroup(std::string_view node_type, std::string_view name) {
  static const SqlText kDelete =
      Same("DELETE FROM lts_node_group WHERE node_type = $1 AND name = $2");
  const Value p[] = {Value::Text(node_type), Value::Text(name)};
  return impl_->RunAlone(kDelete, p).status();
}

// --- Job log ---------------------------------------------------------------------------------

Status JobStore::AppendJobLog(std::span<const JobLogRecord> records) {
  if (records.size() > kMaxBatch) return InvalidArgument("AppendJobLog: too many records");
  std::vector<std::vector<Value>> rows;
  for (const JobLogRecord& l : records) {
    LTS_RETURN_IF_ERROR(internal::CheckIdentifier("nodeGroup", l.node_group, kMaxNodeGroupBytes));
    LTS_RETURN_IF_ERROR(internal::CheckIdentifier("taskId", l.task_id, kMaxRealTaskIdBytes));
    LTS_RETURN_IF_ERROR(internal::CheckIdentifier("jobId", l.job_id, kMaxJobIdBytes, true));
    LTS_RETURN_IF_ERROR(internal::CheckIdentifier("tracker", l.tracker, kMaxIdentityBytes, true));
    LTS_RETURN_IF_ERROR(internal::CheckMessage("message", l.message));
    rows.push_back({Value::Text(l.node_group), Value::Text(l.task_id), Value::Text(l.job_id),
                    Value::Int(l.log_time_ms), Value::Int(static_cast<int64_t>(l.type)),
                    Value::Int(l.success ? 1 : 0), Value::Int(l.level),
                    Value::TextOrNull(l.tracker), Value::Blob(l.message)});
  }
  static const SqlText kInsert = Same(
      "INSERT INTO lts_job_log (grp, task_id, job_id, log_time, log_type, success, level, "
      "tracker, msg) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
  return impl_->Transaction(
      [&](Connection* c) -> Status { return impl_->RunBatch(c, kInsert, rows).status(); },
      Impl::Commit::kRelaxed);
}

StatusOr<std::vector<JobLogRecord>> JobStore::QueryJobLog(std::string_view node_group,
                                                          std::string_view task_id,
                                                          int64_t before_id, int limit) {
  LTS_RETURN_IF_ERROR(internal::CheckLimit("limit", limit, kMaxListLimit));
  static const SqlText kQuery = Same(
      "SELECT id, grp, task_id, job_id, log_time, log_type, success, level, tracker, msg "
      "FROM lts_job_log WHERE grp = $1 AND task_id = $2 AND ($3 = 0 OR id < $3) "
      "ORDER BY id DESC LIMIT $4");
  const Value p[] = {Value::Text(node_group), Value::Text(task_id), Value::Int(before_id),
                     Value::Int(limit)};
  LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->RunAlone(kQuery, p));
  return internal::DecodeRows<JobLogRecord>(r, [](const Row& row) -> StatusOr<JobLogRecord> {
    JobLogRecord l;
    l.id = row[0].AsInt();
    l.node_group = row[1].AsString();
    l.task_id = row[2].AsString();
    l.job_id = row[3].AsString();
    l.log_time_ms = row[4].AsInt();
    l.type = static_cast<JobLogType>(row[5].AsInt());
    l.success = row[6].AsInt() != 0;
    l.level = static_cast<int32_t>(row[7].AsInt());
    l.tracker = row[8].AsString();
    l.message = row[9].AsString();
    return l;
  });
}

// --- BizLog ------------------------------------------------------------------------------------

Status JobStore::AppendBizLog(std::span<const BizLogRecord> records) {
  if (records.size() > kMaxBatch) return InvalidArgument("AppendBizLog: too many records");
  for (const BizLogRecord& b : records) {
    LTS_RETURN_IF_ERROR(internal::CheckIdentifier("jobId", b.job_id, kMaxJobIdBytes));
    LTS_RETURN_IF_ERROR(internal::CheckIdentifier("nodeGroup", b.node_group, kMaxNodeGroupBytes));
    LTS_RETURN_IF_ERROR(internal::CheckIdentifier("taskId", b.task_id, kMaxRealTaskIdBytes));
    LTS_RETURN_IF_ERROR(internal::CheckMessage("message", b.message));
  }
  if (records.empty()) return Status::Ok();
  const internal::Dialect dialect = impl_->dialect();
  const int64_t per_table = impl_->options().bizlog_rows_per_table;
  const int64_t max_tables = impl_->options().bizlog_max_tables;
  static const SqlText kNewest =
      Same("SELECT n, row_count FROM lts_bizlog_table ORDER BY n DESC LIMIT 1");
  static const SqlText kAddTable =
      Same("INSERT INTO lts_bizlog_table (n, row_count, created_at) VALUES ($1, 0, $2)");
  static const SqlText kSetCount = Same("UPDATE lts_bizlog_table SET row_count = $2 WHERE n = $1");
  static const SqlText kOldest = Same("SELECT n FROM lts_bizlog_table ORDER BY n LIMIT $1");
  static const SqlText kCount = Same("SELECT count(*) FROM lts_bizlog_table");
  static const SqlText kForget = Same("DELETE FROM lts_bizlog_table WHERE n = $1");
  std::vector<std::string> dropped;
  Status s = impl_->Transaction([&](Connection* c) -> Status {
    dropped.clear();
    // One appender at a time decides about rotation (PostgreSQL; SQLite holds the lock).
    LTS_RETURN_IF_ERROR(c->Query(internal::AdvisoryLockSql("bizlog", dialect), {}).status());
    LTS_ASSIGN_OR_RETURN(QueryResult newest, impl_->Run(c, kNewest, {}));
    int64_t table = 0, count = per_table;  // No table yet: open table 1.
    if (!newest.rows.empty()) {
      table = newest.rows[0][0].AsInt();
      count = newest.rows[0][1].AsInt();
    }
    size_t next = 0;
    while (next < records.size()) {
      if (count >= per_table) {
        ++table;
        count = 0;
        LTS_RETURN_IF_ERROR(c->Execute(internal::BizLogTableDdl(table, dialect)));
        const Value p[] = {Value::Int(table), Value::Int(records[next].log_time_ms)};
        LTS_RETURN_IF_ERROR(impl_->Run(c, kAddTable, p).status());
      }
      const size_t take = static_cast<size_t>(
          std::min<int64_t>(per_table - count, static_cast<int64_t>(records.size() - next)));
      std::vector<std::vector<Value>> rows;
      for (size_t i = next; i < next + take; ++i) {
        const BizLogRecord& b = records[i];
        rows.push_back({Value::Text(b.job_id), Value::Text(b.node_group), Value::Text(b.task_id),
                        Value::Int(b.log_time_ms), Value::Int(b.level), Value::Blob(b.message)});
      }
      const std::string insert = fmt::format(
          "INSERT INTO {} (job_id, grp, task_id, log_time, level, msg) VALUES ($1, $2, $3, $4, "
          "$5, $6)",
          internal::BizLogTableName(table));
      LTS_RETURN_IF_ERROR(c->QueryBatch(insert, rows).status());
      count += static_cast<int64_t>(take);
      next += take;
      const Value p[] = {Value::Int(table), Value::Int(count)};
      LTS_RETURN_IF_ERROR(impl_->Run(c, kSetCount, p).status());
    }
    LTS_ASSIGN_OR_RETURN(QueryResult n, impl_->Run(c, kCount, {}));
    const int64_t excess = n.rows[0][0].AsInt() - max_tables;
    if (excess > 0) {
      const Value p[] = {Value::Int(excess)};
      LTS_ASSIGN_OR_RETURN(QueryResult oldest, impl_->Run(c, kOldest, p));
      for (const Row& row : oldest.rows) {
        const std::string name = internal::BizLogTableName(row[0].AsInt());
        LTS_RETURN_IF_ERROR(c->Execute(fmt::format("DROP TABLE {}", name)));
        const Value f[] = {row[0]};
        LTS_RETURN_IF_ERROR(impl_->Run(c, kForget, f).status());
        dropped.push_back(name);
      }
    }
    return Status::Ok();
  });
  if (s.ok() && !dropped.empty()) {
    // This connection's cached statements on dropped tables are dead; other
    // connections' are never used again (table numbers only grow) and fail harmlessly.
    StatusOr<internal::ConnectionLease> conn = impl_->db()->Acquire();
    if (conn.ok()) {
      for (const std::string& name : dropped) (*conn)->ForgetStatementsOn(name + " ");
    }
  }
  return s;
}

StatusOr<std::vector<int64_t>> JobStore::BizLogTables() {
  static const SqlText kTables = Same("SELECT n FROM lts_bizlog_table ORDER BY n");
  LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->RunAlone(kTables, {}));
  std::vector<int64_t> out;
  for (const Row& row : r.rows) out.push_back(row[0].AsInt());
  return out;
}

StatusOr<std::vector<BizLogRecord>> JobStore::QueryBizLog(std::string_view job_id, int limit) {
  LTS_RETURN_IF_ERROR(internal::CheckIdentifier("jobId", job_id, kMaxJobIdBytes));
  LTS_RETURN_IF_ERROR(internal::CheckLimit("limit", limit, kMaxListLimit));
  LTS_ASSIGN_OR_RETURN(std::vector<int64_t> tables, BizLogTables());
  std::vector<BizLogRecord> out;
  // Newest table first; each table answers from its (job_id, id) index. At most
  // bizlog_max_tables statements, one per table.
  for (auto it = tables.rbegin(); it != tables.rend() && static_cast<int>(out.size()) < limit;
       ++it) {
    const std::string sql = fmt::format(
        "SELECT id, job_id, grp, task_id, log_time, level, msg FROM {} WHERE job_id = $1 "
        "ORDER BY id DESC LIMIT $2",
        internal::BizLogTableName(*it));
    const Value p[] = {Value::Text(job_id), Value::Int(limit - static_cast<int>(out.size()))};
    StatusOr<QueryResult> r = impl_->RunAlone(Same(sql), p);
    if (!r.ok()) {
      // Dropped by a concurrent rotation since we listed the tables: nothing older left.
      if (r.status().code() == StatusCode::kNotFound ||
          r.status().message().find("no such table") != std::string_view::npos) {
        break;
      }
      return r.status();
    }
    for (const Row& row : r->rows) {
      out.push_back(BizLogRecord{row[0].AsInt(), *it, row[1].AsString(), row[2].AsString(),
                                 row[3].AsString(), row[4].AsInt(),
                                 static_cast<int32_t>(row[5].AsInt()), row[6].AsString()});
    }
  }
  return out;
}

// --- Admin lists -------------------------------------------------------------------------------

StatusOr<std::vector<JobRecord>> JobStore::List(Queue queue, const ListFilter& filter) {
  LTS_RETURN_IF_ERROR(CheckFilter(filter));
  static const std::string jobs =
      fmt::format("SELECT {} FROM lts_job WHERE state = $5 AND {} ORDER BY seq LIMIT $3 OFFSET $4",
                  internal::kJobColumns, kFilterSql);
  static const std::string defs = fmt::format(
      "SELECT {} FROM lts_job_def WHERE (kind = $5 OR $5 < 0) AND (suspended = $6 OR $6 < 0) "
      "AND {} ORDER BY grp, task_id LIMIT $3 OFFSET $4",
      internal::kDefColumns, kFilterSql);
  std::vector<Value> p = FilterParams(filter);
  auto from_jobs = [&](JobState state) -> StatusOr<std::vector<JobRecord>> {
    p.push_back(Value::Int(static_cast<int64_t>(state)));
    LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->RunAlone(Same(jobs), p));
    return internal::DecodeRows<JobRecord>(r, internal::RecordFromRow);
  };
  auto from_defs = [&](int64_t kind, int64_t suspended) -> StatusOr<std::vector<JobRecord>> {
    p.push_back(Value::Int(kind));
    p.push_back(Value::Int(suspended));
    LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->RunAlone(Same(defs), p));
    return internal::DecodeRows<JobRecord>(r, internal::DefinitionFromRow);
  };
  switch (queue) {
    case Queue::kExecutable:
      return from_jobs(JobState::kExecutable);
    case Queue::kExecuting:
      return from_jobs(JobState::kExecuting);
    // A paused definition is in the suspended queue only.
    case Queue::kCron:
      return from_defs(static_cast<int64_t>(JobKind::kCron), 0);
    case Queue::kRepeat:
      return from_defs(static_cast<int64_t>(JobKind::kRepeat), 0);
    case Queue::kSuspended: {
      // Suspended definitions, then suspended one-off instances: the page is cut from
      // their concatenation.
      const ListFilter whole{
          filter.node_group, filter.task_id_prefix, 0,
          static_cast<int>(std::min<int64_t>(filter.offset + filter.limit, kMaxListLimit))};
      p = FilterParams(whole);
      LTS_ASSIGN_OR_RETURN(std::vector<JobRecord> out, from_defs(-1, 1));
      p = FilterParams(whole);
      LTS_ASSIGN_OR_RETURN(std::vector<JobRecord> inst, from_jobs(JobState::kSuspended));
      for (JobRecord& r : inst) {
        if (!r.job.IsCron() && !r.job.IsRepeat()) out.push_back(std::move(r));
      }
      const size_t begin = std::min(out.size(), static_cast<size_t>(filter.offset));
      const size_t end = std::min(out.size(), begin + static_cast<size_t>(filter.limit));
      return std::vector<JobRecord>(std::make_move_iterator(out.begin() + begin),
                                    std::make_move_iterator(out.begin() + end));
    }
    case Queue::kDeadLetter: {
      LTS_ASSIGN_OR_RETURN(std::vector<DeadLetterEntry> dead, ListDeadLetters(filter));
      std::vector<JobRecord> out;
      for (DeadLetterEntry& d : dead) out.push_back(std::move(d.record));
      return out;
    }
  }
  return InvalidArgument("queue: unknown");
}

StatusOr<QueueCounts> JobStore::Counts() {
  static const SqlText kCounts = Same(
      "SELECT (SELECT count(*) FROM lts_job WHERE state = 0), "
      "(SELECT count(*) FROM lts_job WHERE state = 1), "
      "(SELECT count(*) FROM lts_job_def WHERE kind = 2 AND suspended = 0), "
      "(SELECT count(*) FROM lts_job_def WHERE kind = 3 AND suspended = 0), "
      "(SELECT count(*) FROM lts_job_def WHERE suspended = 1) + "
      // Suspended one-off jobs; a paused periodic job counts once, as its definition.
      "(SELECT count(*) FROM lts_job j WHERE state = 2 AND NOT EXISTS (SELECT 1 FROM "
      "lts_job_def d WHERE d.grp = j.grp AND d.task_id = j.real_task_id)), "
      "(SELECT count(*) FROM lts_dead_job)");
  LTS_ASSIGN_OR_RETURN(QueryResult r, impl_->RunAlone(kCounts, {}));
  const Row& row = r.rows.at(0);
  return QueueCounts{row[0].AsInt(), row[1].AsInt(), row[2].AsInt(),
                     row[3].AsInt(), row[4].AsInt(), row[5].AsInt()};
}

}  // namespace lts::store
