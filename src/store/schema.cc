#include "store/schema.h"

#include <ctime>
#include <vector>

#include "fmt/format.h"

namespace lts::store::internal {
namespace {

// One migration: DDL for both dialects, then each dialect's own part (empty when none).
struct Migration {
  std::string_view both;
  std::string_view sqlite_only = {};
  std::string_view postgres_only = {};
};

// Migration N is kMigrations[N - 1]. Never edit a released migration: add one.
constexpr Migration kMigrations[] = {
    // 1: the job queues, feedback, node groups and the job log.
    {R"(
CREATE TABLE lts_job_key (
  grp {TEXT} NOT NULL, task_id {TEXT} NOT NULL, job_id {TEXT} NOT NULL,
  PRIMARY KEY (grp, task_id)) {NOROWID};
CREATE TABLE lts_job (
  seq {ROWID}, job_id {TEXT} NOT NULL, grp {TEXT} NOT NULL, task_id {TEXT} NOT NULL,
  real_task_id {TEXT} NOT NULL, state {INT} NOT NULL, priority {INT} NOT NULL,
  trigger_time {INT} NOT NULL, retry_times {INT} NOT NULL, repeated_count {INT} NOT NULL,
  gmt_created {INT} NOT NULL, gmt_modified {INT} NOT NULL, job_tracker {TEXT},
  task_tracker {TEXT}, epoch {INT} NOT NULL, started_at {INT} NOT NULL, body {BLOB} NOT NULL);
CREATE UNIQUE INDEX lts_job_id ON lts_job (job_id);
CREATE INDEX lts_job_claim ON lts_job (grp, priority, trigger_time, seq) WHERE state = 0;
CREATE INDEX lts_job_executing ON lts_job (started_at) WHERE state = 1;
CREATE INDEX lts_job_real ON lts_job (grp, real_task_id) WHERE real_task_id <> task_id;
CREATE TABLE lts_job_def (
  job_id {TEXT} PRIMARY KEY, grp {TEXT} NOT NULL, task_id {TEXT} NOT NULL, kind {INT} NOT NULL,
  rely {INT} NOT NULL, suspended {INT} NOT NULL, trigger_time {INT} NOT NULL,
  repeated_count {INT} NOT NULL, last_generate {INT} NOT NULL, gmt_created {INT} NOT NULL,
  gmt_modified {INT} NOT NULL, body {BLOB} NOT NULL);
CREATE INDEX lts_job_def_key ON lts_job_def (grp, task_id);
CREATE INDEX lts_job_def_gen ON lts_job_def (last_generate) WHERE rely = 0 AND suspended = 0;
CREATE TABLE lts_feedback (
  id {SERIAL}, client_group {TEXT} NOT NULL, gmt_created {INT} NOT NULL, payload {BLOB} NOT NULL);
CREATE INDEX lts_feedback_group ON lts_feedback (client_group, id);
CREATE TABLE lts_node_group (
  node_type {TEXT} NOT NULL, name {TEXT} NOT NULL, gmt_created {INT} NOT NULL,
  PRIMARY KEY (node_type, name)) {NOROWID};
CREATE TABLE lts_job_log (
  id {SERIAL}, grp {TEXT} NOT NULL, task_id {TEXT} NOT NULL, job_id {TEXT} NOT NULL,
  log_time {INT} NOT NULL, log_type {INT} NOT NULL, success {INT} NOT NULL, level {INT} NOT NULL,
  tracker {TEXT}, msg {BLOB} NOT NULL);
CREATE INDEX lts_job_log_task ON lts_job_log (grp, task_id, id);
)"},
    // 2: the dead-letter queue and the BizLog table directory.
    {R"(
CREATE TABLE lts_dead_job (
  job_id {TEXT} PRIMARY KEY, grp {TEXT} NOT NULL, task_id {TEXT} NOT NULL,
  priority {INT} NOT NULL, trigger_time {INT} NOT NULL, retry_times {INT} NOT NULL,
  repeated_count {INT} NOT NULL, gmt_created {INT} NOT NULL, dead_at {INT} NOT NULL,
  reason {BLOB} NOT NULL, body {BLOB} NOT NULL);
CREATE INDEX lts_dead_job_key ON lts_dead_job (grp, task_id);
CREATE TABLE lts_bizlog_table (
  n {INT} PRIMARY KEY, row_count {INT} NOT NULL, created_at {INT} NOT NULL);
)"},
    // 3: key ownership moves onto the rows that hold the keys. An instance that holds its
    // (grp, task_id) has owns_key = 1 (one per key: a partial unique index); a definition
    // holds its key by existing (a unique index); an instance sharing its definition's key
    // (a relyOnPrevCycle cycle) or left running after a replacement has owns_key = 0. The
    // separate key table, an insert and a delete per job, goes.
    {R"(
ALTER TABLE lts_job ADD COLUMN owns_key {INT} NOT NULL DEFAULT 0;
UPDATE lts_job SET owns_key = 1 WHERE EXISTS (SELECT 1 FROM lts_job_key k
  WHERE k.grp = lts_job.grp AND k.task_id = lts_job.task_id AND k.job_id = lts_job.job_id)
  AND NOT EXISTS (SELECT 1 FROM lts_job_def d WHERE d.job_id = lts_job.job_id)
  AND seq = (SELECT min(j.seq) FROM lts_job j WHERE j.job_id = lts_job.job_id
             AND j.grp = lts_job.grp AND j.task_id = lts_job.task_id);
CREATE UNIQUE INDEX lts_job_owner ON lts_job (grp, task_id) WHERE owns_key = 1;
DROP INDEX lts_job_def_key;
CREATE UNIQUE INDEX lts_job_def_owner ON lts_job_def (grp, task_id);
DROP TABLE lts_job_key;
)"},
    // 4: PostgreSQL only: instance keys move off the job rows into lts_instance_key, which
    // claims do not touch. A claim there is a non-HOT update (state is in partial index
    // predicates): it adds the row's new version to every index whose predicate holds,
    // and lts_job_owner, ordered by (grp, task_id) rather than by claim order, made each
    // claim dirty scattered leaf pages of a large queue. SQLite updates only the indexes
    // whose columns change, so it keeps owns_key (no second table written per job).
    {"", "",
     R"(
CREATE TABLE lts_instance_key (
  grp {TEXT} NOT NULL, task_id {TEXT} NOT NULL, job_id {TEXT} NOT NULL,
  PRIMARY KEY (grp, task_id));
INSERT INTO lts_instance_key (grp, task_id, job_id)
  SELECT grp, task_id, job_id FROM lts_job WHERE owns_key = 1;
DROP INDEX lts_job_owner;
ALTER TABLE lts_job DROP COLUMN owns_key;
)"},
};

void ReplaceAll(std::string* s, std::string_view from, std::string_view to) {
  for (size_t pos = 0; (pos = s->find(from, pos)) != std::string::npos; pos += to.size()) {
    s->replace(pos, from.size(), to);
  }
}

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(std::size(kMigrations)); }

std::string ForDialect(std::string_view ddl, Dialect dialect) {
  std::string s(ddl);
  const bool lite = dialect == Dialect::kSqlite;
  ReplaceAll(&s, "{INT}", lite ? "INTEGER" : "BIGINT");
  // "C" collation: byte order, as SQLite's default BINARY, for ordering and prefixes.
  ReplaceAll(&s, "{TEXT}", lite ? "TEXT" : "TEXT COLLATE \"C\"");
  ReplaceAll(&s, "{BLOB}", lite ? "BLOB" : "BYTEA");
  // SQLite: the rowid (cheapest; a deleted newest seq may be reused, harmless for FIFO).
  ReplaceAll(&s, "{ROWID}",
             lite ? "INTEGER PRIMARY KEY" : "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
  // Never reused: ids handed to readers stay meaningful.
  ReplaceAll(&s, "{SERIAL}",
             lite ? "INTEGER PRIMARY KEY AUTOINCREMENT"
                  : "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
  ReplaceAll(&s, "{NOROWID}", lite ? "WITHOUT ROWID" : "");
  return s;
}

std::string AdvisoryLockSql(std::string_view name, Dialect dialect) {
  if (dialect == Dialect::kSqlite) return "SELECT 1";
  return fmt::format(
      "SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtext(current_schema() || '{}'))) t", name);
}

StatusOr<int> ReadSchemaVersion(Connection* conn) {
  LTS_ASSIGN_OR_RETURN(QueryResult r,
                       conn->Query("SELECT coalesce(max(version), 0) FROM lts_schema_version", {}));
  return r.rows.empty() ? 0 : static_cast<int>(r.rows[0][0].AsInt());
}

Status ApplyMigrations(Connection* conn, Dialect dialect, int target) {
  if (target <= 0 || target > LatestSchemaVersion()) target = LatestSchemaVersion();
  LTS_RETURN_IF_ERROR(conn->Begin());
  Status s = [&]() -> Status {
    LTS_RETURN_IF_ERROR(conn->Query(AdvisoryLockSql("migrate", dialect), {}).status());
    LTS_RETURN_IF_ERROR(
        conn->Execute(ForDialect("CREATE TABLE IF NOT EXISTS lts_schema_version "
                                 "(version {INT} PRIMARY KEY, applied_at {INT} NOT NULL)",
                                 dialect)));
    LTS_ASSIGN_OR_RETURN(int current, ReadSchemaVersion(conn));
    if (current > LatestSchemaVersion()) {
      return FailedPrecondition(fmt::format("schema version {} is newer than this build's {}",
                                            current, LatestSchemaVersion()));
    }
    for (int v = current + 1; v <= target; ++v) {
      const Migration& mig = kMigrations[v - 1];
      for (std::string_view ddl :
           {mig.both, dialect == Dialect::kSqlite ? mig.sqlite_only : mig.postgres_only}) {
        if (ddl.empty()) continue;
        Status m = conn->Execute(ForDialect(ddl, dialect));
        if (!m.ok()) return m.WithContext(fmt::format("migration {}", v));
      }
      const Value params[] = {Value::Int(v),
                              Value::Int(static_cast<int64_t>(std::time(nullptr)) * 1000)};
      LTS_RETURN_IF_ERROR(
          conn->Query("INSERT INTO lts_schema_version (version, applied_at) VALUES ($1, $2)",
                      params)
              .status());
    }
    return Status::Ok();
  }();
  if (!s.ok()) {
    conn->Rollback();
    return s;
  }
  return conn->Commit();
}

std::string BizLogTableName(int64_t n) { return fmt::format("lts_bizlog_{}", n); }

std::string BizLogTableDdl(int64_t n, Dialect dialect) {
  const std::string t = BizLogTableName(n);
  return ForDialect(fmt::format("CREATE TABLE {0} (id {{SERIAL}}, job_id {{TEXT}} NOT NULL, "
                                "grp {{TEXT}} NOT NULL, task_id {{TEXT}} NOT NULL, "
                                "log_time {{INT}} NOT NULL, level {{INT}} NOT NULL, "
                                "msg {{BLOB}} NOT NULL); "
                                "CREATE INDEX {0}_job ON {0} (job_id, id)",
                                t),
                    dialect);
}

}  // namespace lts::store::internal
