// JobTracker: stores submitted jobs, dispatches them to TaskTrackers of the job's node
// group the moment a TaskTracker has a free thread and a job is due, retries, makes the
// next cycle of cron and repeat jobs, sends feedback, and re-dispatches the jobs of a
// TaskTracker that died. docs/jobtracker.md describes the behaviour; docs/job_protocol.md
// the messages.
//
// Dispatch without polling: TaskTrackers report their free threads (JOB_PULL, HEART_BEAT,
// JOB_COMPLETED). Per node group the scheduler keeps one timer on the earliest due job
// and claims (JobStore::Claim, atomic, fenced by the epoch) when a job is due and a
// TaskTracker has room, then pushes (PUSH_JOB) over the TaskTracker's own connection.
// A completion returns new jobs in its response when the TaskTracker has room (one
// transaction: JobStore::CompleteAndClaim).
//
// Several JobTrackers may share one PostgreSQL store: claims never overlap (SKIP LOCKED),
// each JobTracker dispatches to the TaskTrackers connected to it, and only the master
// (registry election) runs the periodic repair: dead-job checks, feedback re-delivery,
// generation of non-relyOnPrevCycle instances.
//
// Threads: one scheduler loop owns the dispatch state (TaskTrackers, JobClients, group
// timers); SQL runs on the RPC processor pool and a dispatch pool, never on a loop.

#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "base/clock.h"
#include "lts/status.h"
#include "registry/registry.h"
#include "store/job_store.h"

namespace lts::jobtracker {

struct JobTrackerOptions {
  // Where to listen for TaskTrackers, JobClients and the CLI.
  std::string listen = "127.0.0.1:35001";
  // Registry address; empty: no registry (TaskTrackers and JobClients use --jobtracker).
  std::string registry;
  // A started registry shared with other nodes of this process (lts standalone); not
  // owned. Takes precedence over `registry`.
  registry::Registry* shared_registry = nullptr;
  std::string cluster = "defaultCluster";
  std::string node_group = "jobtracker";
  std::string identity;  // Default: jobtracker-<listen>.
  int session_timeout_ms = 10000;
  // Job store URL (sqlite:///path, sqlite::memory:, postgresql://...).
  std::string store_url = "sqlite::memory:";
  store::StoreOptions store_options;
  std::string cluster_secret;  // Empty: no authentication (a warning at start).
  int io_threads = 2;
  int processor_threads = 4;  // SQL for submissions, completions, control.
  int dispatch_threads = 2;   // SQL for claims.
  int claim_batch = 100;      // Most jobs claimed for one TaskTracker at once.
  // Jobs due within this window are claimed ahead of time and held by the JobTracker until
  // their trigger time, then pushed: the claim's SQL round trip is paid before the job is
  // due, not after (docs/scheduling.md, "Dispatch ahead"). 0 = claim only due jobs.
  int64_t dispatch_ahead_ms = 50;
  // A TaskTracker whose connection dropped and did not come back this long: its
  // executing jobs go back to the queue.
  int64_t tasktracker_grace_ms = 2000;
  // Master: how often the repair work runs.
  int64_t repair_interval_ms = 5000;
  // Master: executing jobs older than this (or their timeout) are checked with JOB_ASK.
  int64_t executing_check_ms = 30000;
  // Non-relyOnPrevCycle jobs: instances are generated this far ahead.
  int64_t nonrely_window_ms = 10 * 60 * 1000;
  // Every JobTracker: how often it re-reads the due times of its groups (jobs submitted
  // through another JobTracker sharing the store).
  int64_t rescan_interval_ms = 5000;
  // Misfire policy of periodic jobs found overdue by more than the threshold (after
  // downtime): false = fire once now (default), true = skip to the next cycle.
  bool misfire_skip = false;
  int64_t misfire_threshold_ms = 5000;
  // Job log entries for every dispatch and successful run (failures, retries and
  // operations are always logged).
  bool log_every_run = true;
  // Job log entries are written in batches, in their own transaction, at most this long
  // after the event (Java LTS's lazy.job.logger): a crash loses at most this much history,
  // never a job. 0 = every entry is written at once, in the caller's thread.
  int64_t job_log_flush_ms = 200;
  const Clock* clock = nullptr;  // nullptr: SystemClock::Default().
};

// Counters since start, for statistics and the Admin's charts (a Monitor reads them).
struct JobTrackerStats {
  int64_t submitted = 0;   // Jobs stored (replacements included).
  int64_t dispatched = 0;  // Runs handed to TaskTrackers.
  int64_t succeeded = 0;   // Results by action.
  int64_t failed = 0;
  int64_t later = 0;
  int64_t exception = 0;
  int64_t retried = 0;        // Runs scheduled again after a failure.
  int64_t dead_lettered = 0;  // Jobs moved to the dead-letter queue.
  int64_t requeued = 0;       // Runs of dead TaskTrackers put back in the queue.
  // Batching: store calls made for dispatch and completion, and the jobs they carried.
  int64_t claim_calls = 0;       // Timer/capacity-driven claims.
  int64_t completion_calls = 0;  // JOB_COMPLETED messages (CompleteAndClaim or CompleteBatch).
  int64_t completion_results = 0;
  int64_t submit_calls = 0;
};

class JobTracker {
 public:
  explicit JobTracker(JobTrackerOptions options);
  JobTracker(const JobTracker&) = delete;
  JobTracker& operator=(const JobTracker&) = delete;
  ~JobTracker();

  // Opens the store, starts listening, registers and campaigns. Errors: the store's and
  // the listener's (naming the URL or address), the registry's.
  Status Start();
  // Stops accepting, unregisters, joins every thread. Idempotent.
  void Stop();

  // The address actually bound (port 0 in the options picks a free one).
  std::string listen_address() const;
  const std::string& identity() const;
  bool is_master() const;
  int64_t epoch() const;
  store::JobStore* store() const;
  JobTrackerStats stats() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace lts::jobtracker
