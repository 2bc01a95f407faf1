// bench_e2e: no-op jobs end to end, LTS against beanstalkd in the same run.
//
// LTS (in this process: a JobTracker, a TaskTracker with a no-op C++ runner and a
// JobClient, over real RPC on 127.0.0.1, the embedded registry):
//   - batched:     N real-time jobs submitted with SubmitBatch (1000 per call),
//                  first submit -> last completion, jobs/s; three rounds, each printed,
//                  the median is the figure;
//   - one by one:  N/4 jobs with Submit(), one round trip each, jobs/s;
//   - latency:     submit-to-start p50/p99 of jobs submitted one by one at a fixed rate;
//   - lateness:    10,000 trigger-time jobs due in the same second: start - due,
//                  p50/p99/max.
// on the embedded defaults (SQLite file, WAL, synchronous=FULL) and on PostgreSQL
// (--pg URL or LTS_TEST_PG; skipped without one).
//
// beanstalkd (started here with its binlog and an fsync on every write: -b DIR -f 0):
// the same no-op workload through its text protocol: puts (pipelined in 100s, and one by
// one), workers reserve + delete.
//
// The TaskTracker runs with --threads work threads (256) and --prefetch slots (1024): jobs
// queued beyond the threads, so that a thread that ends a run starts the next without
// waiting for a JobTracker round trip, and each JOB_COMPLETED carries more results
// (docs/tasktracker.md: the setting for short jobs).
//
// The last line: "e2e no-op: ours/beanstalkd = <ratio>" (batched, embedded defaults,
// against beanstalkd with pipelined puts).
//
// Usage: bench_e2e [--quick] [--pg URL] [--jobs N] [--threads T] [--batch B] [--claim-batch C]
//                  [--processor-threads N (JobTracker)]
//                  [--prefetch P] [--only batched|lateness (profiling: one phase, embedded)]
//                  [--lateness-log FILE (each trigger-time job: due ms, lateness ms)]
//                  [--sqlite-every-commit (every SQLite commit waits for its fsync)]

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/logging.h"
#include "beanstalk.h"
#include "jobtracker/job_tracker.h"
#include "lts/job_client.h"
#include "lts/job_context.h"
#include "lts/job_runner.h"
#include "lts/task_tracker.h"

namespace {

using Clock = std::chrono::steady_clock;

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
int64_t WallUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_e2e: %s\n", what.c_str());
  std::exit(1);
}

uint16_t FreePort() {
  // Bind port 0 and close: good enough for a bench on loopback.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) Die("bind");
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

// What the no-op runner records: completions, and per job the start time against the
// submit time ("t0" param, µs) or the due time.
struct Recorder {
  std::atomic<int64_t> done{0};
  std::mutex mu;
  std::vector<double> submit_to_start_ms;
  std::vector<double> lateness_ms;
  std::vector<int64_t> lateness_due;  // Parallel to lateness_ms (--lateness-log).
};

class NoopRunner : public lts::JobRunner {
 public:
  explicit NoopRunner(Recorder* r) : r_(r) {}
  lts::JobRunResult Run(lts::JobContext& ctx) override {
    const std::string t0 = ctx.param("t0");
    if (!t0.empty()) {
      const double ms = static_cast<double>(WallUs() - std::stoll(t0)) / 1000.0;
      std::lock_guard<std::mutex> lock(r_->mu);
      r_->submit_to_start_ms.push_back(ms);
    } else if (ctx.kind() == lts::JobKind::kTriggerTime) {
      const double ms =
          static_cast<double>(WallUs()) / 1000.0 - static_cast<double>(ctx.trigger_time_ms());
      std::lock_guard<std::mutex> lock(r_->mu);
      r_->lateness_ms.push_back(ms);
      r_->lateness_due.push_back(ctx.trigger_time_ms());
    }
    r_->done.fetch_add(1, std::memory_order_relaxed);
    return {lts::JobAction::kExecuteSuccess, ""};
  }

 private:
  Recorder* r_;
};

constexpr int kBatchedRounds = 3;

struct Figures {
  double batched_per_s = 0;
  double single_per_s = 0;
  double lat_p50 = 0, lat_p99 = 0;
  double late_p50 = 0, late_p99 = 0, late_max = 0;
};

struct Options {
  bool quick = false;
  int64_t jobs = 0;
  int threads = 256;
  size_t batch = 1000;        // Jobs per SubmitBatch call.
  int claim_batch = 1000;     // JobTracker: most jobs claimed at once.
  int processor_threads = 4;  // JobTracker: threads for submissions and completions.
  int prefetch = 1024;        // TaskTracker prefetch slots.
  std::string lateness_log;   // Where to write each trigger-time job's due time and lateness.
  std::string only;  // Profiling: "batched" or "lateness": that phase of the embedded setup only.
  std::string pg;
  bool every_commit = false;  // SQLite: every commit waits for its fsync (--sqlite-every-commit).
};

bool WaitDone(Recorder* r, int64_t target, double timeout_s) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  while (r->done.load() < target) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

std::vector<lts::Job> MakeJobs(const std::string& prefix, int64_t n) {
  std::vector<lts::Job> jobs;
  jobs.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    lts::Job job;
    job.task_id = fmt::format("{}-{}", prefix, i);
    job.task_tracker_node_group = "bench";
    job.ext_params["payload"] = std::string(64, 'x');  // ~100-byte job body.
    jobs.push_back(std::move(job));
  }
  return jobs;
}

Figures RunOurs(const std::string& name, const std::string& store_url, const std::string& schema,
                const Options& o, const std::string& dir) {
  Figures f;
  Recorder rec;
  static int instance = 0;
  const std::string registry = fmt::format("embedded://bench-{}", ++instance);
  lts::jobtracker::JobTrackerOptions jo;
  jo.listen = "127.0.0.1:0";
  jo.registry = registry;
  jo.store_url = store_url;
  jo.store_options.pg_schema = schema;
  jo.store_options.sqlite_relaxed_dispatch = !o.every_commit;
  jo.log_every_run = false;
  jo.claim_batch = o.claim_batch;
  jo.processor_threads = o.processor_threads;
  lts::jobtracker::JobTracker tracker(jo);
  if (auto s = tracker.Start(); !s.ok()) Die(name + ": JobTracker: " + s.ToString());

  lts::TaskTracker::Options to;
  to.registry = registry;
  to.node_group = "bench";
  to.identity = "tt-bench";
  to.work_threads = o.threads;
  to.prefetch = o.prefetch;
  to.data_dir = dir + "/tt-" + name;
  lts::TaskTracker tt(to, [&rec](const lts::Job&) { return std::make_unique<NoopRunner>(&rec); });
  if (auto s = tt.Start(); !s.ok()) Die(name + ": TaskTracker: " + s.ToString());

  lts::JobClient::Options co;
  co.registry = registry;
  co.node_group = "bench-client";
  co.data_dir = dir + "/jc-" + name;
  lts::JobClient client(co);
  if (auto s = client.Start(); !s.ok()) Die(name + ": JobClient: " + s.ToString());
  if (!client.WaitForJobTracker(std::chrono::seconds(10))) Die(name + ": no JobTracker");
  for (int i = 0; i < 1000 && !tt.connected(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  // Batched: kBatchedRounds rounds of o.jobs each; the figure is the median round (this
  // 2-core machine's speed varies by a third from one second to the next).
  if (o.only.empty() || o.only == "batched") {
    std::vector<double> rates;
    for (int round = 0; round < kBatchedRounds; ++round) {
      auto jobs = MakeJobs(fmt::format("b{}", round), o.jobs);
      const auto before = tracker.stats();
      const int64_t target = rec.done.load() + o.jobs;
      const auto t0 = Clock::now();
      for (size_t i = 0; i < jobs.size(); i += o.batch) {
        std::span<const lts::Job> batch(jobs.data() + i,
                                        std::min<size_t>(o.batch, jobs.size() - i));
        for (const auto& r : client.SubmitBatch(batch)) {
          if (!r.status.ok()) Die(name + ": submit: " + r.status.ToString());
        }
      }
      const double submit_s = Seconds(t0, Clock::now());
      if (!WaitDone(&rec, target, 120)) Die(name + ": batched jobs did not complete");
      rates.push_back(static_cast<double>(o.jobs) / Seconds(t0, Clock::now()));
      const auto st = tracker.stats();
      const int64_t completions = st.completion_calls - before.completion_calls;
      std::printf(
          "%-10s batched round %d: %.0f jobs/s; submitted in %.0f ms, %lld submit calls, "
          "%lld claims, %lld completion messages (%.1f results each)\n",
          name.c_str(), round + 1, rates.back(), submit_s * 1000,
          static_cast<long long>(st.submit_calls - before.submit_calls),
          static_cast<long long>(st.claim_calls - before.claim_calls),
          static_cast<long long>(completions),
          completions > 0 ? static_cast<double>(st.completion_results - before.completion_results) /
                                static_cast<double>(completions)
                          : 0.0);
    }
    std::sort(rates.begin(), rates.end());
    f.batched_per_s = rates[rates.size() / 2];
  }
  if (o.only == "batched") {
    client.Stop();
    tt.Stop();
    tracker.Stop();
    return f;
  }
  // One by one.
  if (o.only.empty()) {
    const int64_t n = o.jobs / 4;
    auto jobs = MakeJobs("s", n);
    const int64_t target = rec.done.load() + n;
    const auto t0 = Clock::now();
    for (const lts::Job& job : jobs) {
      auto r = client.Submit(job);
      if (!r.status.ok()) Die(name + ": submit: " + r.status.ToString());
    }
    if (!WaitDone(&rec, target, 120)) Die(name + ": jobs did not complete");
    f.single_per_s = static_cast<double>(n) / Seconds(t0, Clock::now());
  }
  // Submit-to-start latency at a fixed rate (open loop: the time is stamped when the job
  // is meant to be sent).
  if (o.only.empty()) {
    const int rate = 500;
    const int64_t n = o.quick ? 1000 : 5000;
    const int64_t target = rec.done.load() + n;
    const auto start = Clock::now();
    for (int64_t i = 0; i < n; ++i) {
      const auto intended = start + std::chrono::microseconds(i * 1000000 / rate);
      std::this_thread::sleep_until(intended);
      lts::Job job;
      job.task_id = fmt::format("l-{}", i);
      job.task_tracker_node_group = "bench";
      const int64_t lag_us =
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - intended).count();
      job.ext_params["t0"] = std::to_string(WallUs() - lag_us);
      auto r = client.Submit(job);
      if (!r.status.ok()) Die(name + ": submit: " + r.status.ToString());
    }
    if (!WaitDone(&rec, target, 120)) Die(name + ": latency jobs did not complete");
    std::lock_guard<std::mutex> lock(rec.mu);
    f.lat_p50 = Percentile(rec.submit_to_start_ms, 0.50);
    f.lat_p99 = Percentile(rec.submit_to_start_ms, 0.99);
  }
  // Lateness: 10,000 trigger-time jobs due in the same second.
  {
    const int64_t n = 10000;
    const int64_t due = (WallMs() / 1000 + 4) * 1000;  // A whole second, >= 3 s ahead.
    auto jobs = MakeJobs("t", n);
    for (lts::Job& job : jobs) job.trigger_time_ms = due + (&job - jobs.data()) % 1000;
    const int64_t target = rec.done.load() + n;
    for (size_t i = 0; i < jobs.size(); i += 1000) {
      std::span<const lts::Job> batch(jobs.data() + i, std::min<size_t>(1000, jobs.size() - i));
      for (const auto& r : client.SubmitBatch(batch)) {
        if (!r.status.ok()) Die(name + ": submit: " + r.status.ToString());
      }
    }
    if (WallMs() >= due) Die(name + ": submitting 10,000 jobs took longer than 3 s");
    if (!WaitDone(&rec, target, 120)) Die(name + ": timed jobs did not complete");
    std::lock_guard<std::mutex> lock(rec.mu);
    f.late_p50 = Percentile(rec.lateness_ms, 0.50);
    f.late_p99 = Percentile(rec.lateness_ms, 0.99);
    f.late_max = Percentile(rec.lateness_ms, 1.0);
    if (!o.lateness_log.empty()) {
      // One line per job: due time (ms after the first due), lateness (ms).
      if (FILE* out = std::fopen(o.lateness_log.c_str(), "w")) {
        for (size_t i = 0; i < rec.lateness_ms.size(); ++i) {
          std::fprintf(out, "%lld %.3f\n", static_cast<long long>(rec.lateness_due[i] - due),
                       rec.lateness_ms[i]);
        }
        std::fclose(out);
      }
    }
  }
  client.Stop();
  tt.Stop();
  tracker.Stop();
  return f;
}

struct PeerFigures {
  double pipelined_per_s = 0;
  double single_per_s = 0;
};

// Producer puts `n` jobs; `workers` connections reserve + delete until all are done.
double RunBeanstalkOnce(uint16_t port, int64_t n, bool pipelined, int workers) {
  std::atomic<int64_t> done{0};
  std::vector<std::thread> threads;
  const auto t0 = Clock::now();
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      lts::bench::BeanstalkClient c;
      if (!c.Connect(port).empty()) return;
      while (done.load() < n) {
        if (c.ReserveDelete()) done.fetch_add(1);
      }
    });
  }
  lts::bench::BeanstalkClient producer;
  if (std::string e = producer.Connect(port); !e.empty()) Die("beanstalkd: " + e);
  const std::string body(100, 'x');
  int64_t put = 0;
  while (put < n) {
    const int chunk = static_cast<int>(std::min<int64_t>(100, n - put));
    if (producer.PutMany(body, chunk, pipelined) != chunk) Die("beanstalkd: put failed");
    put += chunk;
  }
  for (auto& t : threads) t.join();
  return static_cast<double>(n) / Seconds(t0, Clock::now());
}

PeerFigures RunBeanstalk(const Options& o, const std::string& dir) {
  PeerFigures f;
  lts::bench::Beanstalkd server;
  const std::string bdir = dir + "/beanstalkd";
  std::filesystem::create_directories(bdir);
  if (std::string e = server.Start(bdir, FreePort()); !e.empty()) Die(e);
  std::printf("beanstalkd %s, binlog with fsync on every write (-b -f 0)\n",
              server.version().c_str());
  f.pipelined_per_s = RunBeanstalkOnce(server.port(), o.jobs, true, 4);
  f.single_per_s = RunBeanstalkOnce(server.port(), o.jobs / 4, false, 4);
  server.Stop();
  return f;
}

void Print(const std::string& name, const Figures& f) {
  std::printf(
      "%-10s batched %9.0f jobs/s | one by one %8.0f jobs/s | submit->start p50 %6.2f "
      "ms p99 %7.2f ms | lateness (10k due in 1 s) p50 %6.2f ms p99 %7.2f ms max %7.2f "
      "ms\n",
      name.c_str(), f.batched_per_s, f.single_per_s, f.lat_p50, f.lat_p99, f.late_p50, f.late_p99,
      f.late_max);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      o.quick = true;
    } else if (a == "--pg" && i + 1 < argc) {
      o.pg = argv[++i];
    } else if (a == "--jobs" && i + 1 < argc) {
      o.jobs = std::atoll(argv[++i]);
    } else if (a == "--threads" && i + 1 < argc) {
      o.threads = std::atoi(argv[++i]);
    } else if (a == "--batch" && i + 1 < argc) {
      o.batch = static_cast<size_t>(std::atoll(argv[++i]));
    } else if (a == "--claim-batch" && i + 1 < argc) {
      o.claim_batch = std::atoi(argv[++i]);
    } else if (a == "--processor-threads" && i + 1 < argc) {
      o.processor_threads = std::atoi(argv[++i]);
    } else if (a == "--prefetch" && i + 1 < argc) {
      o.prefetch = std::atoi(argv[++i]);
    } else if (a == "--sqlite-every-commit") {
      o.every_commit = true;
    } else if (a == "--lateness-log" && i + 1 < argc) {
      o.lateness_log = argv[++i];
    } else if (a == "--only" && i + 1 < argc) {
      o.only = argv[++i];
    } else {
      std::fprintf(
          stderr,
          "usage: bench_e2e [--quick] [--pg URL] [--jobs N] [--threads T] [--batch B] "
          "[--claim-batch C] [--processor-threads N] [--prefetch P]\n"
          "       [--only batched|lateness] [--lateness-log FILE] [--sqlite-every-commit]\n"
          "unknown argument: %s\n",
          a.c_str());
      return 2;
    }
  }
  if (o.jobs == 0) o.jobs = o.quick ? 20000 : 100000;
  if (o.pg.empty()) {
    if (const char* env = std::getenv("LTS_TEST_PG")) o.pg = env;
  }
  lts::SetLogLevel(lts::LogLevel::kWarn);
  const std::string dir =
      (std::filesystem::temp_directory_path() / fmt::format("bench_e2e.{}", getpid())).string();
  std::filesystem::create_directories(dir);
  std::printf("bench_e2e: %lld no-op jobs, %d TaskTracker threads + %d prefetch slots%s\n",
              static_cast<long long>(o.jobs), o.threads, o.prefetch, o.quick ? " (quick)" : "");

  const Figures embedded = RunOurs("embedded", "sqlite://" + dir + "/lts.db", "", o, dir);
  Print("embedded", embedded);
  if (!o.only.empty()) {
    std::filesystem::remove_all(dir);
    return 0;
  }
  if (!o.pg.empty()) {
    const std::string schema = fmt::format("bench_e2e_{}", getpid());
    const Figures pg = RunOurs("postgresql", o.pg, schema, o, dir);
    Print("postgresql", pg);
  } else {
    std::printf("postgresql: skipped (no --pg URL and LTS_TEST_PG unset)\n");
  }
  const PeerFigures peer = RunBeanstalk(o, dir);
  std::printf("%-10s pipelined %7.0f jobs/s | one by one %8.0f jobs/s\n", "beanstalkd",
              peer.pipelined_per_s, peer.single_per_s);
  std::filesystem::remove_all(dir);
  std::printf("e2e no-op one by one: ours/beanstalkd = %.2f\n",
              embedded.single_per_s / peer.single_per_s);
  std::printf("e2e no-op: ours/beanstalkd = %.2f\n", embedded.batched_per_s / peer.pipelined_per_s);
  return 0;
}
