// lts::JobClient: the SDK a program uses to submit jobs to an LTS cluster, cancel them,
// and receive the results of jobs submitted with need_feedback.
//
//   lts::JobClient::Options options;
//   options.jobtrackers = {"127.0.0.1:35001"};  // or options.registry = "zookeeper://..."
//   options.node_group = "orders";              // feedback goes to a client of this group
//   lts::JobClient client(options);
//   client.SetFeedbackHandler([](const std::vector<lts::JobResult>& results) { ... });
//   if (lts::Status s = client.Start(); !s.ok()) ...;
//   lts::SubmitResult r = client.Submit(job);   // r.job_id, or r.saved_for_later
//
// Delivery of submissions: a job is validated locally first (Job::Validate); an invalid job
// is refused at once and never stored. A valid job goes to a JobTracker. When none is
// reachable (or the call fails with kUnavailable, kDeadlineExceeded or kResourceExhausted),
// the job is written to the client's FailStore, a durable outbox on local disk, and the
// result is OK with saved_for_later = true. A background thread resends the FailStore in
// submission order as soon as a JobTracker is reachable. While older jobs wait there, new
// submissions go behind them, so the order of submission is kept. A restarted client resends
// what its FailStore holds, and a client takes over the FailStore of a dead client of the
// same node group. docs/jobclient.md describes the guarantees.
//
// Feedback: JobTrackers deliver the final results of jobs with need_feedback to a JobClient
// of the job's submit node group, at least once: the handler may see a result twice (after a
// reconnect or a JobTracker failover); JobResult::job_id + finished_ms identify a result.
//
// Threading: every method except SetFeedbackHandler is thread-safe. Submit, SubmitBatch and
// Cancel block (one round trip, or a synced disk write). The feedback handler runs on a
// client thread, one batch at a time per connection; the JobTracker is acknowledged after it
// returns. An exception thrown by the handler is caught and logged, and the results are
// still acknowledged.

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lts/job.h"
#include "lts/job_result.h"
#include "lts/status.h"

namespace lts {

// The outcome of submitting one job.
struct SubmitResult {
  // OK: stored by a JobTracker, or saved for later. kInvalidArgument naming the field:
  // refused locally or by the JobTracker. kAlreadyExists: a job with this (taskId, node
  // group) exists and replace_on_exist was false. kUnavailable: no JobTracker reachable and
  // the FailStore is disabled. Other codes: what the JobTracker answered.
  Status status;
  std::string job_id;            // Set when a JobTracker stored the job.
  bool replaced = false;         // The job replaced an existing one (replace_on_exist).
  bool saved_for_later = false;  // In the FailStore; will be resent in order.
};

class JobClient {
 public:
  struct Options {
    // Registry address (zookeeper://h:p, redis://h:p, embedded://name); the client registers
    // there as a JOB_CLIENT and connects to every JobTracker it lists. Empty: use
    // `jobtrackers`.
    std::string registry;
    // Cluster name in the registry.
    std::string cluster = "defaultCluster";
    // "host:port" of each JobTracker, used when `registry` is empty.
    std::vector<std::string> jobtrackers;
    // This client's node group: jobs with an empty submit_node_group get it, and feedback
    // for that group may come to this client. [A-Za-z0-9_.-]{1,64}.
    std::string node_group = "jobclient";
    // Unique identity of this client. Empty: "jobclient-<host>-<pid>".
    std::string identity;
    // Directory for local state; the FailStore lives under
    // <data_dir>/.lts/JOB_CLIENT/<node_group>/job_submit_failstore/<engine>/<identity>.
    std::string data_dir = ".";
    // FailStore engine (Java key job.fail.store): "ltsdb", "leveldb" or "rocksdb".
    std::string fail_store_engine = "ltsdb";
    // false: no FailStore; a submission that cannot reach a JobTracker fails (kUnavailable).
    bool use_fail_store = true;
    // Deadline of each call to a JobTracker.
    std::chrono::milliseconds call_timeout{10000};
    // The cluster secret (>= 16 bytes) authenticating connections; empty = none.
    std::string cluster_secret;
    // How often the client tells each JobTracker it is alive (HEART_BEAT).
    std::chrono::milliseconds heartbeat_interval{3000};
    // How often the FailStore is retried while no JobTracker takes it.
    std::chrono::milliseconds resend_interval{1000};
    // How often to look for FailStores of dead clients of the same group to take over.
    std::chrono::milliseconds takeover_interval{60000};
    // Longest wait between two attempts to reconnect to a JobTracker.
    std::chrono::milliseconds reconnect_backoff_max{2000};
  };

  explicit JobClient(Options options);
  JobClient(const JobClient&) = delete;
  JobClient& operator=(const JobClient&) = delete;
  // Calls Stop().
  ~JobClient();

  // Feedback results of jobs with need_feedback. REQUIRES: before Start().
  void SetFeedbackHandler(std::function<void(const std::vector<JobResult>&)> handler);

  // Opens the FailStore, registers (with a registry) and starts connecting; does not wait
  // for a JobTracker. Errors: kInvalidArgument naming a bad option; kUnavailable when the
  // registry or the FailStore directory (locked by another process) cannot be used; the
  // FailStore's I/O errors; kFailedPrecondition when started twice.
  Status Start();
  // Unregisters, closes the connections and the FailStore. Jobs still in the FailStore stay
  // there for the next start. Idempotent. REQUIRES: no other call on this client is in
  // progress or starts while it runs.
  void Stop();

  // Waits up to `timeout` until some JobTracker is connected. Blocks.
  bool WaitForJobTracker(std::chrono::milliseconds timeout) const;

  // Submits one job; see SubmitResult. Blocks for one round trip or a synced write.
  SubmitResult Submit(const Job& job);
  // Submits jobs in order, in messages of at most 1000 jobs; one result per job, in order.
  std::vector<SubmitResult> SubmitBatch(std::span<const Job> jobs);

  // Cancels a job that is not running (every waiting instance, and the cron or repeat
  // definition). Errors: kNotFound when there is nothing to cancel; kUnavailable when no
  // JobTracker is reachable (a cancel is not stored for later); kInvalidArgument.
  Status Cancel(std::string_view node_group, std::string_view task_id);

  // Jobs waiting in this client's FailStores (own and taken over) to be resent.
  uint64_t pending_jobs() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace lts
