// TaskTracker: runs the jobs of one node group on a fixed pool of work threads.
//
//   lts::TaskTracker::Options options;
//   options.registry = "zookeeper://127.0.0.1:2181";   // or options.jobtrackers
//   options.node_group = "reports";
//   lts::TaskTracker tracker(options, [](const lts::Job&) {
//     return std::make_unique<MyRunner>();
//   });
//   LTS_CHECK_OK(tracker.Start());
//   ...
//   tracker.Stop();
//
// What it does (docs/tasktracker.md): registers as TASK_TRACKER in the registry (or
// connects to the given JobTracker addresses), tells every JobTracker how many jobs it
// can take (JOB_PULL, HEART_BEAT), runs what the JobTrackers push, reports results
// (JOB_COMPLETED) and business log lines (BIZ_LOG_SEND), answers JOB_ASK and
// TERMINATE_JOB, terminates runs at their timeout, and keeps results and log lines in
// its FailStores while no JobTracker is reachable. With resource checks on, it takes no
// new jobs while CPU or memory use is above the thresholds.
//
// Thread safety: Start() and Stop() from one owner thread; the accessors from any thread.
// Runners run on the work threads.

#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lts/clock.h"
#include "lts/job_context.h"
#include "lts/job_runner.h"
#include "lts/status.h"

namespace lts {

// Resource-aware pulling (config keys lb.machine.res.check.enable, lb.cpuUsedRate.max,
// lb.memoryUsedRate.max).
struct ResourceCheckOptions {
  bool enabled = false;
  double max_cpu_percent = 90;     // Of the CPUs available to the process (cgroup quota).
  double max_memory_percent = 90;  // Of the cgroup memory.max, or of MemTotal.
  int sample_interval_ms = 1000;   // CPU use is measured over this interval.
  // Where /proc and /sys/fs/cgroup are (tests point it at sample files). Empty: "/".
  std::string root;
};

class TaskTracker {
 public:
  struct Options {
    // zookeeper://, redis:// or embedded://name; empty: use `jobtrackers`.
    std::string registry;
    std::string cluster = "defaultCluster";
    // "host:port" of each JobTracker, when no registry is given.
    std::vector<std::string> jobtrackers;
    // The node group whose jobs this TaskTracker runs. Required.
    std::string node_group;
    // Unique per node, 1 to 64 characters of [A-Za-z0-9_.-] (it names the FailStore
    // directories); empty: "tasktracker-<host>-<pid>".
    std::string identity;
    // Jobs run at the same time. >= 1.
    int work_threads = 8;
    // Prefetch slots: jobs accepted beyond the work threads, waiting in this TaskTracker's
    // queue for the next free thread, so that a thread that ends a run starts the next one
    // without waiting for a JobTracker round trip. The capacity reported to the
    // JobTrackers (freeThreads) is work_threads + prefetch less the jobs held. A waiting
    // job counts as running for the JobTracker (JOB_ASK, heartbeats); its timeout starts
    // when it starts. 0..65536; 0: no queue (a job is accepted only for a free thread).
    int prefetch = 0;
    // Root of the FailStores (<data_dir>/.lts/TASK_TRACKER/<group>/...).
    std::string data_dir = "./lts-data";
    // FailStore engine: "ltsdb", "leveldb" or "rocksdb".
    std::string fail_store = "ltsdb";
    // Business log lines below this level are dropped.
    BizLogLevel biz_log_level = BizLogLevel::kInfo;
    // HEART_BEAT (with the free threads and running jobs) to every JobTracker this often.
    int heartbeat_interval_ms = 3000;
    ResourceCheckOptions resource_check;
    // The cluster secret (>= 16 bytes); empty: no authentication.
    std::string cluster_secret;
    // Stop(): how long running jobs may go on before they are interrupted, and how long
    // after that the TaskTracker waits for them before it gives up on them.
    int stop_grace_ms = 10000;
    int stop_interrupt_wait_ms = 10000;
    // While FailStores hold entries and a JobTracker is reachable, re-send this often.
    int fail_store_retry_ms = 1000;
    // Look for FailStores of dead TaskTrackers of the group this often (and at start).
    int takeover_interval_ms = 60000;
    // Registry session timeout.
    int session_timeout_ms = 10000;
    // Where time comes from (run timestamps, timeouts, heartbeats, resource samples,
    // business log times); not owned, must outlive the TaskTracker. nullptr: the system
    // clocks. Waits (stop grace, outbox linger) are real time.
    const Clock* clock = nullptr;
    // Log each run's start and end at INFO ("job X finished: EXECUTE_SUCCESS in 12 ms");
    // false: at DEBUG.
    bool log_each_job = false;
  };

  // `factory` makes the runner of each run; it must stay callable until Stop() returned.
  TaskTracker(Options options, RunnerFactory factory);
  ~TaskTracker();  // Stop()s.
  TaskTracker(const TaskTracker&) = delete;
  TaskTracker& operator=(const TaskTracker&) = delete;

  // Opens the FailStores, registers and starts connecting; does not wait for a
  // JobTracker. Errors: kInvalidArgument naming a bad option; kUnavailable when the
  // FailStore directory is held by another process or the registry is unreachable;
  // FailStore errors.
  Status Start();
  // Stops taking jobs, lets running jobs finish (up to stop_grace_ms), interrupts the
  // rest, reports their results (or stores them), unregisters. Blocks. Idempotent.
  void Stop();

  const std::string& identity() const;
  // Threads that could take a job now (0 while resources are low or stopping).
  int free_threads() const;
  // The job ids running (or about to start) now.
  std::vector<std::string> running_jobs() const;
  // A JobTracker is connected.
  bool connected() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lts
