// bench_store: the job store's hot paths on each backend.
//   submissions/s        Submit in batches of 100 one-off jobs
//   claim+complete/s     Claim 100 then CompleteBatch the 100, until the queue is empty
//   CompleteAndClaim/s   the same loop with one transaction per step: the results of a
//                        batch and the claim of the next (LTS's piggy-backed pull)
//   claim latency        median and p99 of Claim(10) with 10k and with 1M jobs queued, and
//                        the calling thread's CPU time per claim
//                        (the 1M queue is built with one bulk INSERT ... SELECT)
// SQLite runs on files in $TMPDIR (WAL, synchronous=FULL, the store's defaults), one per
// use (throughput, 10k queue, 1M queue); PostgreSQL (--pg URL or LTS_TEST_PG) likewise in
// scratch schemas it drops.
// The last line is "claim latency 1M/10k (sqlite) = <ratio>".
//
// Usage: bench_store [--quick] [--pg URL] [--no-sqlite] [--sqlite-normal]

#include <libpq-fe.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "fmt/format.h"
#include "store/job_codec.h"
#include "store/job_store.h"

namespace {

using lts::store::ClaimRequest;
using lts::store::Completion;
using lts::store::JobRecord;
using lts::store::JobStore;
using Clock = std::chrono::steady_clock;

constexpr int kBatch = 100;
constexpr int kLatencyClaim = 10;
constexpr int kLatencyRounds = 200;
constexpr int64_t kNow = 1700000000000;

// CPU seconds of this process (user + system): on a shared machine, what the work cost
// regardless of who else had the cores.
double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_store: %s\n", what.c_str());
  std::exit(1);
}

JobRecord MakeJob(const std::string& group, int64_t i) {
  JobRecord r;
  r.job.task_id = fmt::format("t{}", i);
  r.job.task_tracker_node_group = group;
  // Real-time jobs are due when submitted: trigger times follow submission order.
  r.job.trigger_time_ms = kNow - 10000000 + i;
  r.trigger_time_ms = *r.job.trigger_time_ms;
  r.job.ext_params["order"] = fmt::format("{}", i);
  return r;
}

void SubmitAll(JobStore* store, const std::string& group, int64_t n) {
  std::vector<JobRecord> batch;
  for (int64_t i = 0; i < n; i += kBatch) {
    batch.clear();
    for (int64_t k = i; k < std::min(n, i + kBatch); ++k) batch.push_back(MakeJob(group, k));
    auto r = store->Submit(batch, kNow);
    if (!r.ok()) Die(r.status().ToString());
  }
}

struct Figures {
  double submit_per_s = 0, submit_per_cpu_s = 0;
  double claim_complete_per_s = 0, claim_complete_per_cpu_s = 0;
  double piggyback_per_s = 0, piggyback_per_cpu_s = 0;
  double p50_10k_us = 0, p99_10k_us = 0;
  double p50_1m_us = 0, p99_1m_us = 0;
  double cpu_p50_10k_us = 0, cpu_p50_1m_us = 0;  // This thread's CPU time per claim.
};

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// One Claim(kLatencyClaim) on `group`: wall-clock microseconds, and CPU microseconds of
// this thread (SQLite's work without the wait for fsync; PostgreSQL's work is in the
// server, so its CPU figure is only the client's).
std::pair<double, double> ClaimOnce(JobStore* store, const std::string& group) {
  ClaimRequest req{group, "jt-bench", "tt-bench", 1, kLatencyClaim, kNow};
  const double c0 = ThreadCpuSeconds();
  const auto t0 = Clock::now();
  auto r = store->Claim(req);
  const auto t1 = Clock::now();
  const double c1 = ThreadCpuSeconds();
  if (!r.ok() || r->size() != static_cast<size_t>(kLatencyClaim)) {
    Die(fmt::format("claim on {}: {}", group, r.ok() ? "too few jobs" : r.status().ToString()));
  }
  return {Seconds(t0, t1) * 1e6, (c1 - c0) * 1e6};
}

std::pair<double, double> P50P99(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[us.size() * 99 / 100]};
}

// Where the bench's databases live: one per use ("main", "q10k", "q1m"), so that the
// latency queues hold exactly 10k and 1M jobs.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual bool postgres() const = 0;
  virtual std::unique_ptr<JobStore> Open(const std::string& name) = 0;
  // Runs raw SQL (bulk loads, ANALYZE) on database `name`.
  virtual void Exec(const std::string& name, const std::vector<std::string>& sqls) = 0;
};

class SqliteBackend final : public Backend {
 public:
  explicit SqliteBackend(bool sync_full) : sync_full_(sync_full) {}
  ~SqliteBackend() override {
    for (const std::string& path : paths_) {
      for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    }
  }
  bool postgres() const override { return false; }
  std::string Path(const std::string& name) const {
    return fmt::format("{}/bench_store_{}_{}.db", std::filesystem::temp_directory_path().string(),
                       ::getpid(), name);
  }
  std::unique_ptr<JobStore> Open(const std::string& name) override {
    paths_.push_back(Path(name));
    lts::store::StoreOptions o;
    o.sqlite_synchronous_full = sync_full_;
    auto store = lts::store::OpenJobStore("sqlite://" + paths_.back(), o);
    if (!store.ok()) Die(store.status().ToString());
    return std::move(*store);
  }
  void Exec(const std::string& name, const std::vector<std::string>& sqls) override {
    sqlite3* raw = nullptr;
    if (sqlite3_open(Path(name).c_str(), &raw) != SQLITE_OK) Die("cannot open " + Path(name));
    sqlite3_busy_timeout(raw, 10000);
    for (const std::string& sql : sqls) {
      char* err = nullptr;
      if (sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) Die(err);
    }
    sqlite3_close(raw);
  }

 private:
  const bool sync_full_;
  std::vector<std::string> paths_;
};

class PgBackend final : public Backend {
 public:
  explicit PgBackend(std::string url) : url_(std::move(url)) {}
  ~PgBackend() override {
    for (const std::string& schema : schemas_) {
      Exec1(fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", schema), "");
    }
  }
  bool postgres() const override { return true; }
  std::string Schema(const std::string& name) const {
    return fmt::format("bench_store_{}_{}", ::getpid(), name);
  }
  std::unique_ptr<JobStore> Open(const std::string& name) override {
    schemas_.push_back(Schema(name));
    lts::store::StoreOptions o;
    o.pg_schema = schemas_.back();
    auto store = lts::store::OpenJobStore(url_, o);
    if (!store.ok()) Die(store.status().ToString());
    return std::move(*store);
  }
  void Exec(const std::string& name, const std::vector<std::string>& sqls) override {
    for (const std::string& sql : sqls) Exec1(sql, Schema(name));
  }

 private:
  void Exec1(const std::string& sql, const std::string& schema) {
    PGconn* raw = PQconnectdb(url_.c_str());
    if (PQstatus(raw) != CONNECTION_OK) Die(PQerrorMessage(raw));
    PQsetNoticeProcessor(
        raw, [](void*, const char*) {}, nullptr);
    if (!schema.empty()) PQclear(PQexec(raw, fmt::format("SET search_path TO {}", schema).c_str()));
    PGresult* r = PQexec(raw, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) Die(PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(raw);
  }

  const std::string url_;
  std::vector<std::string> schemas_;
};

std::string Hex(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

// The bulk INSERT for `n` queued jobs of `group` (each holding its key), for one dialect.
std::vector<std::string> BulkSql(bool postgres, const std::string& group, int64_t n) {
  std::string body;
  lts::store::internal::EncodeJobBody(MakeJob(group, 0), &body);
  const std::string blob =
      postgres ? fmt::format("'\\x{}'::bytea", Hex(body)) : fmt::format("X'{}'", Hex(body));
  const std::string series =
      postgres ? fmt::format("SELECT n FROM generate_series(1, {}) AS s(n)", n)
               : fmt::format(
                     "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
                     "WHERE n < {}) SELECT n FROM s",
                     n);
  // Zero-padded: like the store's own ids, they grow with submission order.
  const std::string job_id = postgres ? fmt::format("'B{}' || lpad(n::text, 10, '0')", group)
                                      : fmt::format("printf('B{}%010d', n)", group);
  // Each job holds its key: owns_key on SQLite, a row in lts_instance_key on PostgreSQL.
  std::vector<std::string> sqls = {fmt::format(
      "INSERT INTO lts_job (job_id, grp, task_id, real_task_id, state, priority, "
      "trigger_time, retry_times, repeated_count, gmt_created, gmt_modified, epoch, "
      "started_at, body{5}) SELECT {4}, '{0}', 'bulk' || n, 'bulk' || n, 0, "
      "100, {2} - 10000000 + n, 0, 0, {2}, {2}, 0, 0, {3}{6} FROM ({1}) q",
      group, series, kNow, blob, job_id, postgres ? "" : ", owns_key", postgres ? "" : ", 1")};
  if (postgres) {
    sqls.push_back(
        "INSERT INTO lts_instance_key (grp, task_id, job_id) SELECT grp, task_id, job_id "
        "FROM lts_job");
  }
  sqls.push_back(
      // A bulk load is followed by VACUUM on PostgreSQL, as in production, so that
      // autovacuum does not start on the new rows in the middle of the measurement.
      postgres ? "VACUUM ANALYZE" : "ANALYZE");
  return sqls;
}

// Lets the disk settle before a latency measurement: every claim commits (and fsyncs), so
// the writeback of a bulk load still in progress would be measured instead of the claim.
std::string SettleSql(bool postgres) {
  return postgres ? "CHECKPOINT" : "PRAGMA wal_checkpoint(TRUNCATE)";
}

Figures Run(Backend* backend, int64_t submissions, int64_t big_queue) {
  const bool postgres = backend->postgres();
  std::unique_ptr<JobStore> main_store = backend->Open("main");
  JobStore* store = main_store.get();
  Figures f;
  double cpu0 = CpuSeconds();
  auto t0 = Clock::now();
  SubmitAll(store, "sub", submissions);
  auto t1 = Clock::now();
  f.submit_per_s = static_cast<double>(submissions) / Seconds(t0, t1);
  f.submit_per_cpu_s = static_cast<double>(submissions) / (CpuSeconds() - cpu0);

  ClaimRequest req{"sub", "jt-bench", "tt-bench", 1, kBatch, kNow};
  int64_t done = 0;
  std::vector<Completion> completions;
  t0 = Clock::now();
  double claim_s = 0;
  cpu0 = CpuSeconds();
  for (;;) {
    const auto c0 = Clock::now();
    auto r = store->Claim(req);
    claim_s += Seconds(c0, Clock::now());
    if (!r.ok()) Die(r.status().ToString());
    if (r->empty()) break;
    completions.clear();
    for (const JobRecord& j : *r) completions.push_back({j.job_id, 1, kNow, {}, {}});
    auto c = store->CompleteBatch(completions);
    if (!c.ok()) Die(c.status().ToString());
    done += static_cast<int64_t>(r->size());
  }
  t1 = Clock::now();
  std::printf("  (claims took %.0f%% of claim+complete)\n", 100 * claim_s / Seconds(t0, t1));
  if (done != submissions) Die(fmt::format("claimed {} of {}", done, submissions));
  f.claim_complete_per_s = static_cast<double>(done) / Seconds(t0, t1);
  f.claim_complete_per_cpu_s = static_cast<double>(done) / (CpuSeconds() - cpu0);

  // The same with CompleteAndClaim: each batch's results and the next claim share one
  // transaction (LTS's piggy-backed pull on JOB_COMPLETED).
  SubmitAll(store, "sub2", submissions);
  ClaimRequest req2{"sub2", "jt-bench", "tt-bench", 1, kBatch, kNow};
  done = 0;
  cpu0 = CpuSeconds();
  t0 = Clock::now();
  auto first = store->Claim(req2);
  if (!first.ok()) Die(first.status().ToString());
  std::vector<JobRecord> batch = std::move(*first);
  while (!batch.empty()) {
    completions.clear();
    for (const JobRecord& j : batch) completions.push_back({j.job_id, 1, kNow, {}, {}});
    done += static_cast<int64_t>(batch.size());
    auto r = store->CompleteAndClaim(completions, req2);
    if (!r.ok()) Die(r.status().ToString());
    batch = std::move(r->claimed);
  }
  t1 = Clock::now();
  if (done != submissions) Die(fmt::format("claimed {} of {}", done, submissions));
  f.piggyback_per_s = static_cast<double>(done) / Seconds(t0, t1);
  f.piggyback_per_cpu_s = static_cast<double>(done) / (CpuSeconds() - cpu0);

  // Two databases, one queue each, measured in alternation: a slow fsync of the shared
  // disk then hits both sides alike instead of whichever ran at that moment.
  std::unique_ptr<JobStore> small = backend->Open("q10k");
  SubmitAll(small.get(), "q10k", 10000);
  backend->Exec("q10k", {postgres ? "VACUUM ANALYZE" : "ANALYZE", SettleSql(postgres)});
  std::unique_ptr<JobStore> large = backend->Open("q1m");
  t0 = Clock::now();
  backend->Exec("q1m", BulkSql(postgres, "q1m", big_queue));
  t1 = Clock::now();
  backend->Exec("q1m", {SettleSql(postgres)});
  ::sync();
  std::printf("  (built the %lld-job queue in %.1f s)\n", static_cast<long long>(big_queue),
              Seconds(t0, t1));
  std::vector<double> us_small, us_large, cpu_small, cpu_large;
  for (int i = 0; i < kLatencyRounds; ++i) {
    auto [wall_s, cpu_s] = ClaimOnce(small.get(), "q10k");
    auto [wall_l, cpu_l] = ClaimOnce(large.get(), "q1m");
    us_small.push_back(wall_s);
    cpu_small.push_back(cpu_s);
    us_large.push_back(wall_l);
    cpu_large.push_back(cpu_l);
  }
  std::tie(f.p50_10k_us, f.p99_10k_us) = P50P99(us_small);
  std::tie(f.p50_1m_us, f.p99_1m_us) = P50P99(us_large);
  f.cpu_p50_10k_us = P50P99(cpu_small).first;
  f.cpu_p50_1m_us = P50P99(cpu_large).first;
  return f;
}

void Print(const char* backend, const Figures& f) {
  std::printf("%s: submissions/s (batches of %d)      = %.0f  (%.0f per CPU-second)\n", backend,
              kBatch, f.submit_per_s, f.submit_per_cpu_s);
  std::printf("%s: claim+complete/s (batches of %d)   = %.0f  (%.0f per CPU-second)\n", backend,
              kBatch, f.claim_complete_per_s, f.claim_complete_per_cpu_s);
  std::printf("%s: CompleteAndClaim/s (batches of %d)  = %.0f  (%.0f per CPU-second)\n", backend,
              kBatch, f.piggyback_per_s, f.piggyback_per_cpu_s);
  std::printf(
      "%s: claim(%d) latency, 10k queued      = p50 %.0f us, p99 %.0f us  (cpu p50 %.0f us)\n",
      backend, kLatencyClaim, f.p50_10k_us, f.p99_10k_us, f.cpu_p50_10k_us);
  std::printf(
      "%s: claim(%d) latency, 1M queued       = p50 %.0f us, p99 %.0f us  (cpu p50 %.0f us)\n",
      backend, kLatencyClaim, f.p50_1m_us, f.p99_1m_us, f.cpu_p50_1m_us);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false, sqlite = true, sync_full = true;
  std::string pg;
  if (const char* env = std::getenv("LTS_TEST_PG")) pg = env;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--pg") == 0 && i + 1 < argc) {
      pg = argv[++i];
    } else if (std::strcmp(argv[i], "--sqlite-normal") == 0) {
      sync_full = false;
    } else if (std::strcmp(argv[i], "--no-sqlite") == 0) {
      sqlite = false;
    } else {
      std::fprintf(stderr,
                   "usage: bench_store [--quick] [--pg URL] [--no-sqlite] [--sqlite-normal]\n");
      return 2;
    }
  }
  const int64_t big = 1000000;
  std::vector<std::pair<std::string, Figures>> results;

  if (pg.empty()) {
    std::printf("postgresql: skipped (no --pg URL and LTS_TEST_PG unset)\n");
  } else {
    std::printf("postgresql (%s, a scratch schema per database):\n", pg.c_str());
    PgBackend backend(pg);
    Figures f = Run(&backend, quick ? 40000 : 200000, big);
    results.emplace_back("postgresql", f);
    Print("postgresql", f);
  }

  if (sqlite) {
    std::printf("sqlite (files in %s, WAL, synchronous=%s):\n",
                std::filesystem::temp_directory_path().c_str(), sync_full ? "FULL" : "NORMAL");
    SqliteBackend backend(sync_full);
    Figures f = Run(&backend, quick ? 100000 : 500000, big);
    results.emplace_back("sqlite", f);
    Print("sqlite", f);
  }

  for (const auto& [name, f] : results) {
    std::printf("claim cpu 1M/10k (%s) = %.2f\n", name.c_str(), f.cpu_p50_1m_us / f.cpu_p50_10k_us);
  }
  for (const auto& [name, f] : results) {
    std::printf("claim latency 1M/10k (%s) = %.2f\n", name.c_str(), f.p50_1m_us / f.p50_10k_us);
  }
  return 0;
}
