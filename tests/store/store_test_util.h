// Test helpers for the store: one backend per test binary (store_test: SQLite, label
// unit; store_pg_test: PostgreSQL from LTS_TEST_PG, label integration), each test in its
// own SQLite file or PostgreSQL schema so tests can run concurrently.

#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "fmt/format.h"
#include "store/job_store.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "testing/test_env.h"

namespace lts::store::testing {

#ifdef LTS_STORE_TEST_PG
inline constexpr bool kPostgres = true;
#else
inline constexpr bool kPostgres = false;
#endif

// Runs one SQL command on a PostgreSQL URL (test set-up and clean-up only).
inline bool PgExec(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  bool ok = false;
  if (PQstatus(conn) == CONNECTION_OK) {
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);
    PGresult* r = PQexec(conn, sql.c_str());
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
  }
  PQfinish(conn);
  return ok;
}

// Where a test's store lives. Re-opening the same location sees the same data.
class StoreLocation {
 public:
  StoreLocation() {
    if (kPostgres) {
      std::optional<std::string> pg = lts::testing::ServiceAddress("LTS_TEST_PG");
      if (pg) url_ = *pg;
      std::random_device rd;
      schema_ = fmt::format("t_{}_{:08x}", ::getpid(), rd());
    } else {
      url_ = "sqlite://" + dir_.Join("jobs.db");
    }
  }
  ~StoreLocation() {
    if (kPostgres && !url_.empty())
      PgExec(url_, fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", schema_));
  }
  bool available() const { return !url_.empty(); }
  const std::string& url() const { return url_; }

  StoreOptions Options() const {
    StoreOptions o;
    o.pg_schema = schema_;
    o.sqlite_synchronous_full = false;  // Durability is not what these tests check.
    return o;
  }
  StatusOr<std::unique_ptr<JobStore>> Open(StoreOptions o) const {
    o.pg_schema = schema_;
    return OpenJobStore(url_, o);
  }
  StatusOr<std::unique_ptr<JobStore>> Open() const { return Open(Options()); }

  // Runs raw SQL (';'-separated) on the location's tables, bypassing the store: how
  // tests lay out the rows an older version of the store wrote. True on success.
  bool Exec(const std::string& sql) const {
    if (kPostgres) return PgExec(url_, fmt::format("SET search_path TO {}; {}", schema_, sql));
    sqlite3* db = nullptr;
    bool ok = sqlite3_open(dir_.Join("jobs.db").c_str(), &db) == SQLITE_OK &&
              sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
  }
  // `bytes` as a blob literal of the backend's SQL.
  static std::string BlobLiteral(const std::string& bytes) {
    std::string hex;
    for (unsigned char c : bytes) hex += fmt::format("{:02x}", c);
    return kPostgres ? fmt::format("'\\x{}'::bytea", hex) : fmt::format("X'{}'", hex);
  }

 private:
  lts::testing::TempDir dir_;
  std::string url_;
  std::string schema_;
};

#define LTS_SKIP_WITHOUT_STORE(location)                                                  \
  do {                                                                                    \
    if (!(location).available()) GTEST_SKIP() << "LTS_TEST_PG is not set: no PostgreSQL"; \
  } while (false)

// A one-off job record due at `trigger_ms`.
inline JobRecord MakeJob(std::string task_id, std::string group = "g1", int32_t priority = 100,
                         int64_t trigger_ms = 1000) {
  JobRecord r;
  r.job.task_id = std::move(task_id);
  r.job.task_tracker_node_group = std::move(group);
  r.job.priority = priority;
  r.job.trigger_time_ms = trigger_ms;
  r.trigger_time_ms = trigger_ms;
  return r;
}

inline JobRecord MakeCron(std::string task_id, std::string group = "g1", bool rely = true) {
  JobRecord r = MakeJob(std::move(task_id), std::move(group));
  r.job.cron_expression = "0 * * * * ?";
  r.job.trigger_time_ms.reset();
  r.trigger_time_ms = 500000;  // The first cycle: not due at the tests' usual "now".
  r.job.rely_on_prev_cycle = rely;
  return r;
}

}  // namespace lts::store::testing
