// TaskTracker (lts/task_tracker.h): the work pool, the running-job registry, the
// processors for what JobTrackers send, result and business-log reporting, timeouts,
// resource checks. Protocol: docs/job_protocol.md; behaviour: docs/tasktracker.md.
//
// Threads:
//   - the JobTrackerLinks IO loop: PUSH_JOB and JOB_ASK (quick, under mu_), link-ready
//     pulls;
//   - the links' processor pool: TERMINATE_JOB (calls user Interrupt() hooks);
//   - the work threads (work_threads): each takes accepted jobs from the run queue and
//     runs them one after another without sleeping while the queue holds jobs; a
//     sleeping thread is woken only when no other one is already being woken (a woken
//     thread that leaves jobs behind wakes the next), so a burst of short jobs costs a
//     few wake-ups, not one per job;
//   - the results outbox and the business-log outbox threads (tasktracker/outbox.h);
//   - the maintenance thread: timeouts, resource samples, heartbeats.
// Every shared member is guarded by mu_.

#include "lts/task_tracker.h"

#include <fmt/format.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <deque>
#include <map>
#include <unordered_map>
#include <thread>
#include <utility>

#include "base/clock.h"
#include "base/logging.h"
#include "base/mutex.h"
#include "failstore/fail_store.h"
#include "node/jobtracker_links.h"
#include "protocol/messages.h"
#include "registry/registry.h"
#include "rpc/command.h"
#include "tasktracker/biz_log.h"
#include "tasktracker/outbox.h"
#include "tasktracker/resource_monitor.h"
#include "tasktracker/runner_call.h"

namespace lts {
namespace {

using namespace std::chrono_literals;
using protocol::JobMeta;
using protocol::RunResult;

constexpr std::chrono::milliseconds kCallDeadline{10000};
constexpr std::chrono::milliseconds kMaintenanceTick{50};

uint16_t Wire(rpc::Command command) { return rpc::ToWire(command); }

// Per-run lines at INFO when Options::log_each_job is set, else at DEBUG.
#define LTS_JOB_LOG(info, ...)     \
  do {                             \
    if (info) {                    \
      LTS_LOG(INFO, __VA_ARGS__);  \
    } else {                       \
      LTS_LOG(DEBUG, __VA_ARGS__); \
    }                              \
  } while (false)

// Node groups and identities name directories of the FailStores and registry records:
// 1 to 64 characters of [A-Za-z0-9_.-], and never "." or "..".
bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name == "." || name == "..") return false;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  std::string name = buf;
  // Registry records hold at most 64 bytes of address (registry::kMaxIpLength).
  if (name.size() > registry::kMaxIpLength) name.resize(registry::kMaxIpLength);
  return name;
}

}  // namespace

class TaskTracker::Impl {
 public:
  Impl(Options options, RunnerFactory factory)
      : options_(std::move(options)),
        factory_(std::move(factory)),
        clock_(options_.clock != nullptr ? options_.clock : SystemClock::Default()) {
    if (options_.identity.empty()) {
      std::string host = HostName();
      for (char& c : host) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') c = '_';
      }
      if (host.size() > 40) host.resize(40);
      options_.identity = fmt::format("tasktracker-{}-{}", host, ::getpid());
    }
  }
  ~Impl() { Stop(); }

  Status Start();
  void Stop();

  const std::string& identity() const { return options_.identity; }
  int FreeThreads() const EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return FreeThreadsLocked();
  }
  std::vector<std::string> RunningJobs() const EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    std::vector<std::string> out;
    out.reserve(runs_.size());
    for (const auto& [id, run] : runs_) out.push_back(id);
    return out;
  }
  bool Connected() const { return links_ != nullptr && links_->AnyReady(); }

 private:
  // One run of a job, from acceptance (queued) to its result.
  struct Run {
    JobMeta meta;
    // Made by the work thread when the run starts; read by others once `ready`.
    std::unique_ptr<tasktracker::JobBizLogger> logger;
    std::unique_ptr<JobContext> ctx;
    std::shared_ptr<JobRunner> runner;  // Guarded by mu_.
    bool started = false;               // Taken from the queue by a work thread; mu_.
    bool ready = false;                 // ctx and runner set: it can be interrupted; mu_.
    bool terminated = false;            // Guarded by mu_.
    bool timed_out = false;             // Guarded by mu_.
    int64_t deadline_us = 0;            // Monotonic, set at the start; 0: none. mu_.
    int64_t started_ms = 0;
  };

  // The capacity reported as freeThreads: work threads + prefetch slots less the jobs
  // held (queued or running).
  int FreeThreadsLocked() const REQUIRES(mu_) {
    if (stopping_ || overloaded_) return 0;
    const int64_t free = static_cast<int64_t>(options_.work_threads) + options_.prefetch -
                         static_cast<int64_t>(runs_.size());
    return free > 0 ? static_cast<int>(free) : 0;
  }

  // Queues an accepted job for the work threads.
  void AcceptLocked(JobMeta meta) REQUIRES(mu_);
  // Wakes one sleeping work thread unless one is already on its way.
  void WakeWorkerLocked() REQUIRES(mu_);
  void WorkLoop();
  // The next queued run (marked started), or nullptr when the threads must exit. Sleeps
  // while the queue is empty.
  std::shared_ptr<Run> NextRun() EXCLUDES(mu_);
  // Stop(): queued jobs are not started (the JobTracker re-dispatches them).
  void DropQueuedLocked() REQUIRES(mu_);
  // Lets the work threads exit once they are idle and joins them.
  void StopWorkers() EXCLUDES(mu_);
  // PUSH_JOB (IO loop).
  StatusOr<rpc::RpcResponse> OnPush(const rpc::RpcRequest& request);
  StatusOr<rpc::RpcResponse> OnAsk(const rpc::RpcRequest& request);
  StatusOr<rpc::RpcResponse> OnTerminate(const rpc::RpcRequest& request);
  // Jobs that came with a JOB_COMPLETED response: run now, or as soon as a thread frees.
  void AcceptPiggyBacked(std::vector<JobMeta> jobs);

  void Execute(const std::shared_ptr<Run>& run);
  void Finish(const std::shared_ptr<Run>& run, RunResult result);
  // The result of a queued run that never started (terminated while waiting).
  RunResult NotStartedResult(const Run& run, std::string message) const;

  Status SendResults(const std::vector<std::string>& items, bool resend);
  Status SendBizLogs(const std::vector<std::string>& items);
  std::vector<std::unique_ptr<failstore::FailStore>> AdoptDead(const std::string& kind);

  protocol::PullRequest MakePull();
  void SendPull(const std::shared_ptr<rpc::RpcChannel>& channel);
  void SendPullToAll();
  void SendHeartbeats();
  void Maintenance(std::stop_token stop);
  void CheckTimeouts();
  void CheckResources(int64_t now_us);

  std::string StorePath(std::string_view kind, std::string_view identity) const {
    return failstore::FailStorePath(options_.data_dir, "TASK_TRACKER", options_.node_group, kind,
                                    options_.fail_store, identity);
  }

  Options options_;
  const RunnerFactory factory_;
  const Clock* const clock_;
  std::atomic<int64_t> seq_{0};
  bool started_ = false;

  std::vector<std::thread> workers_;
  std::unique_ptr<tasktracker::Outbox> results_;
  std::unique_ptr<tasktracker::Outbox> biz_logs_;
  std::unique_ptr<node::JobTrackerLinks> links_;
  std::unique_ptr<tasktracker::ResourceMonitor> monitor_;  // Maintenance thread only.
  std::jthread maintenance_;

  mutable Mutex mu_;
  CondVar runs_cv_;  // A run ended.
  CondVar work_cv_;  // The queue has jobs, or the work threads must exit.
  // Every job held here: queued or running (until its result is queued for sending).
  std::unordered_map<std::string, std::shared_ptr<Run>> runs_ GUARDED_BY(mu_);
  // Accepted jobs not started yet, oldest first (also in runs_).
  std::deque<std::shared_ptr<Run>> queue_ GUARDED_BY(mu_);
  int busy_ GUARDED_BY(mu_) = 0;          // Work threads in a run.
  int idle_ GUARDED_BY(mu_) = 0;          // Work threads asleep on work_cv_.
  bool waking_ GUARDED_BY(mu_) = false;   // One was signalled and has not woken yet.
  bool workers_exit_ GUARDED_BY(mu_) = false;
  bool stopping_ GUARDED_BY(mu_) = false;
  bool overloaded_ GUARDED_BY(mu_) = false;
};

Status TaskTracker::Impl::Start() {
  if (started_) return FailedPrecondition("TaskTracker: started twice");
  if (!ValidName(options_.node_group)) {
    return InvalidArgument(fmt::format(
        "node group '{}': expected 1 to 64 characters of [A-Za-z0-9_.-]", options_.node_group));
  }
  if (!ValidName(options_.identity)) {
    return InvalidArgument(fmt::format(
        "identity '{}': expected 1 to 64 characters of [A-Za-z0-9_.-]", options_.identity));
  }
  if (options_.work_threads < 1 || options_.work_threads > 4096) {
    return InvalidArgument("work threads: expected 1..4096");
  }
  if (options_.prefetch < 0 || options_.prefetch > 65536) {
    return InvalidArgument("prefetch: expected 0..65536");
  }
  if (options_.heartbeat_interval_ms < 10) return InvalidArgument("heartbeat interval: < 10 ms");
  if (options_.data_dir.empty()) return InvalidArgument("data dir: empty");
  if (!factory_) return InvalidArgument("no RunnerFactory");

  const std::string own_results = StorePath("job_feedback", options_.identity);
  const std::string own_bizlog = StorePath("bizlog", options_.identity);
  auto results_store = failstore::FailStore::Open(options_.fail_store, own_results);
  if (!results_store.ok()) {
    return Status(results_store.status().code(),
                  fmt::format("result FailStore: {}", results_store.status().message()));
  }
  auto bizlog_store = failstore::FailStore::Open(options_.fail_store, own_bizlog);
  if (!bizlog_store.ok()) {
    return Status(bizlog_store.status().code(),
                  fmt::format("bizlog FailStore: {}", bizlog_store.status().message()));
  }

  tasktracker::Outbox::Options ro;
  ro.name = "run results";
  ro.max_batch = protocol::kMaxJobsPerMessage;
  ro.linger = 0ms;
  ro.retry_interval = std::chrono::milliseconds(options_.fail_store_retry_ms);
  ro.takeover_interval = std::chrono::milliseconds(options_.takeover_interval_ms);
  results_ = std::make_unique<tasktracker::Outbox>(
      ro, std::move(*results_store),
      [this](const std::vector<std::string>& items, bool resend) {
        return SendResults(items, resend);
      },
      [this] { return links_ != nullptr && links_->AnyReady(); },
      [this] { return AdoptDead("job_feedback"); });
  tasktracker::Outbox::Options bo;
  bo.name = "business log";
  bo.max_batch = protocol::kMaxBizLogLinesPerMessage;
  bo.linger = 200ms;
  bo.flush_count = 100;
  bo.retry_interval = ro.retry_interval;
  bo.takeover_interval = ro.takeover_interval;
  biz_logs_ = std::make_unique<tasktracker::Outbox>(
      bo, std::move(*bizlog_store),
      [this](const std::vector<std::string>& items, bool) { return SendBizLogs(items); },
      [this] { return links_ != nullptr && links_->AnyReady(); },
      [this] { return AdoptDead("bizlog"); });

  node::JobTrackerLinksOptions lo;
  lo.registry = options_.registry;
  lo.cluster = options_.cluster;
  lo.session_timeout_ms = options_.session_timeout_ms;
  lo.jobtrackers = options_.jobtrackers;
  lo.self.type = registry::NodeType::kTaskTracker;
  lo.self.group = options_.node_group;
  lo.self.identity = options_.identity;
  lo.self.ip = HostName();
  lo.self.port = 0;
  lo.self.threads = options_.work_threads;
  lo.self.create_time_ms = clock_->NowMicros() / 1000;
  lo.rpc.rpc.cluster_secret = options_.cluster_secret;
  lo.rpc.rpc.identity = options_.identity;
  lo.processor_threads = 2;
  lo.processors = {
      {Wire(rpc::Command::kPushJob), [this](const rpc::RpcRequest& r) { return OnPush(r); },
       rpc::ProcessorMode::kInLoop},
      {Wire(rpc::Command::kJobAsk), [this](const rpc::RpcRequest& r) { return OnAsk(r); },
       rpc::ProcessorMode::kInLoop},
      {Wire(rpc::Command::kTerminateJob),
       [this](const rpc::RpcRequest& r) { return OnTerminate(r); }, rpc::ProcessorMode::kPool},
  };
  lo.on_link_ready = [this](const std::shared_ptr<rpc::RpcChannel>& channel) { SendPull(channel); };
  links_ = std::make_unique<node::JobTrackerLinks>(std::move(lo));
  if (options_.resource_check.enabled) {
    monitor_ = std::make_unique<tasktracker::ResourceMonitor>(options_.resource_check);
  }

  results_->Start();
  biz_logs_->Start();
  workers_.reserve(static_cast<size_t>(options_.work_threads));
  for (int i = 0; i < options_.work_threads; ++i) {
    workers_.emplace_back([this, i] {
      const std::string name = fmt::format("lts-work-{}", i);
      pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
      WorkLoop();
    });
  }
  Status s = links_->Start();
  if (!s.ok()) {
    links_->Stop();
    StopWorkers();
    biz_logs_->Stop();
    results_->Stop();
    return s;
  }
  maintenance_ = std::jthread([this](std::stop_token stop) { Maintenance(stop); });
  started_ = true;
  LTS_LOG(INFO, "TaskTracker {} of node group {} started with {} work threads", options_.identity,
          options_.node_group, options_.work_threads);
  return Status::Ok();
}

void TaskTracker::Impl::Stop() {
  if (!started_) return;
  started_ = false;
  size_t running;
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    DropQueuedLocked();
    running = runs_.size();
  }
  LTS_LOG(INFO, "TaskTracker {} stopping: taking no new jobs; {} running", options_.identity,
          running);
  SendPullToAll();  // freeThreads 0: the JobTrackers stop pushing.
  {
    MutexLock lock(&mu_);
    const auto grace_end =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.stop_grace_ms);
    while (!runs_.empty() && std::chrono::steady_clock::now() < grace_end) {
      runs_cv_.WaitUntil(&mu_, grace_end);
    }
  }
  std::vector<std::pair<std::shared_ptr<Run>, std::shared_ptr<JobRunner>>> to_interrupt;
  {
    MutexLock lock(&mu_);
    for (auto& [id, run] : runs_) {
      run->terminated = true;
      // A run not ready yet sees the flag before it calls its runner.
      if (run->ready) to_interrupt.emplace_back(run, run->runner);
    }
    DropQueuedLocked();
  }
  if (!to_interrupt.empty()) {
    LTS_LOG(WARN, "interrupting {} jobs still running after the {} ms stop grace period",
            to_interrupt.size(), options_.stop_grace_ms);
  }
  for (auto& [run, runner] : to_interrupt) tasktracker::InterruptRunner(runner.get(), *run->ctx);
  {
    MutexLock lock(&mu_);
    const auto wait_end = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(options_.stop_interrupt_wait_ms);
    while (!runs_.empty() && std::chrono::steady_clock::now() < wait_end) {
      runs_cv_.WaitUntil(&mu_, wait_end);
    }
    if (!runs_.empty()) {
      LTS_LOG(ERROR, "{} interrupted jobs have not ended; waiting for them", runs_.size());
    }
  }
  StopWorkers();
  maintenance_ = std::jthread();
  biz_logs_->Stop();
  results_->Stop();
  links_->Stop();
  LTS_LOG(INFO, "TaskTracker {} stopped", options_.identity);
}

std::vector<std::unique_ptr<failstore::FailStore>> TaskTracker::Impl::AdoptDead(
    const std::string& kind) {
  const std::string own = StorePath(kind, options_.identity);
  const std::string parent = own.substr(0, own.rfind('/'));
  auto stores = failstore::OpenDeadFailStores(options_.fail_store, parent, own);
  if (!stores.ok()) {
    if (stores.status().code() != StatusCode::kNotFound) {
      LTS_LOG(WARN, "looking for FailStores of dead TaskTrackers in {}: {}", parent,
              stores.status().ToString());
    }
    return {};
  }
  return std::move(*stores);
}

void TaskTracker::Impl::AcceptLocked(JobMeta meta) {
  auto run = std::make_shared<Run>();
  run->meta = std::move(meta);
  runs_.emplace(run->meta.job_id, run);
  queue_.push_back(std::move(run));
  WakeWorkerLocked();
}

void TaskTracker::Impl::WakeWorkerLocked() {
  // Threads already awake take queued jobs before they sleep; wake one more only when none
  // is on its way. A woken thread that leaves jobs in the queue wakes the next one.
  if (queue_.empty() || idle_ == 0 || waking_) return;
  waking_ = true;
  work_cv_.Signal();
}

std::shared_ptr<TaskTracker::Impl::Run> TaskTracker::Impl::NextRun() {
  MutexLock lock(&mu_);
  while (queue_.empty() && !workers_exit_) {
    ++idle_;
    work_cv_.Wait(&mu_);
    --idle_;
    waking_ = false;
  }
  if (queue_.empty()) return nullptr;  // Exiting.
  std::shared_ptr<Run> run = std::move(queue_.front());
  queue_.pop_front();
  run->started = true;
  ++busy_;
  WakeWorkerLocked();  // Jobs left behind: the next thread.
  return run;
}

void TaskTracker::Impl::WorkLoop() {
  while (std::shared_ptr<Run> run = NextRun()) Execute(run);
}

void TaskTracker::Impl::DropQueuedLocked() {
  if (queue_.empty()) return;
  LTS_LOG(WARN,
          "{} jobs sent to this TaskTracker were not started before it stopped; the "
          "JobTracker re-dispatches them",
          queue_.size());
  for (const std::shared_ptr<Run>& run : queue_) runs_.erase(run->meta.job_id);
  queue_.clear();
  runs_cv_.SignalAll();
}

void TaskTracker::Impl::StopWorkers() {
  {
    MutexLock lock(&mu_);
    workers_exit_ = true;
    work_cv_.SignalAll();
  }
  for (std::thread& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  workers_.clear();
}

StatusOr<rpc::RpcResponse> TaskTracker::Impl::OnPush(const rpc::RpcRequest& request) {
  LTS_ASSIGN_OR_RETURN(protocol::PushRequest push, protocol::DecodeMessage<protocol::PushRequest>(
                                                       request.body, request.format));
  protocol::PushResponse response;
  {
    MutexLock lock(&mu_);
    for (JobMeta& meta : push.jobs) {
      if (runs_.count(meta.job_id) != 0) continue;  // Already held here: a duplicate push.
      if (FreeThreadsLocked() <= 0) {
        response.rejected.push_back(meta.job_id);
        continue;
      }
      AcceptLocked(std::move(meta));
    }
  }
  if (!response.rejected.empty()) {
    LTS_LOG(DEBUG, "rejected {} pushed jobs: no free capacity", response.rejected.size());
  }
  LTS_ASSIGN_OR_RETURN(std::string body, protocol::EncodeMessage(response, request.format));
  return rpc::RpcResponse{request.format, std::move(body)};
}

void TaskTracker::Impl::AcceptPiggyBacked(std::vector<JobMeta> jobs) {
  // The JobTracker sized them to the capacity this TaskTracker reported; a push in
  // between may have taken it: they wait in the queue for a thread anyway.
  MutexLock lock(&mu_);
  if (stopping_) {
    LTS_LOG(WARN, "{} jobs came with a JOB_COMPLETED response while stopping; not started",
            jobs.size());
    return;
  }
  for (JobMeta& meta : jobs) {
    if (runs_.count(meta.job_id) != 0) continue;
    AcceptLocked(std::move(meta));
  }
}

StatusOr<rpc::RpcResponse> TaskTracker::Impl::OnAsk(const rpc::RpcRequest& request) {
  LTS_ASSIGN_OR_RETURN(protocol::AskRequest ask,
                       protocol::DecodeMessage<protocol::AskRequest>(request.body, request.format));
  protocol::AskResponse response;
  {
    // Queued jobs count as running: they will run here.
    MutexLock lock(&mu_);
    for (std::string& id : ask.job_ids) {
      if (runs_.count(id) == 0) response.not_running.push_back(std::move(id));
    }
  }
  LTS_ASSIGN_OR_RETURN(std::string body, protocol::EncodeMessage(response, request.format));
  return rpc::RpcResponse{request.format, std::move(body)};
}

StatusOr<rpc::RpcResponse> TaskTracker::Impl::OnTerminate(const rpc::RpcRequest& request) {
  LTS_ASSIGN_OR_RETURN(
      protocol::TerminateRequest terminate,
      protocol::DecodeMessage<protocol::TerminateRequest>(request.body, request.format));
  std::shared_ptr<Run> run;
  std::shared_ptr<JobRunner> runner;
  bool queued = false;
  bool ready = false;
  {
    MutexLock lock(&mu_);
    auto it = runs_.find(terminate.job_id);
    if (it != runs_.end()) {
      run = it->second;
      run->terminated = true;
      runner = run->runner;
      ready = run->ready;
      if (!run->started) {
        // Waiting in the queue: it never starts; its result goes out now.
        queued = true;
        for (auto q = queue_.begin(); q != queue_.end(); ++q) {
          if (q->get() == run.get()) {
            queue_.erase(q);
            break;
          }
        }
      }
    }
  }
  protocol::TerminateResponse response;
  response.found = run != nullptr;
  if (run != nullptr) {
    LTS_LOG(INFO, "terminating job {} ({}){}", terminate.job_id,
            terminate.reason.empty() ? "no reason given" : terminate.reason,
            queued ? "; it had not started" : "");
    if (queued) {
      Finish(run, NotStartedResult(*run, "terminated before it started"));
    } else if (ready) {
      run->ctx->biz_logger().Warn("SYSTEM: terminated" +
                                  (terminate.reason.empty() ? "" : ": " + terminate.reason));
      tasktracker::InterruptRunner(runner.get(), *run->ctx);
    }
    // Started but not ready: the work thread sees the flag before it calls the runner.
  }
  LTS_ASSIGN_OR_RETURN(std::string body, protocol::EncodeMessage(response, request.format));
  return rpc::RpcResponse{request.format, std::move(body)};
}

RunResult TaskTracker::Impl::NotStartedResult(const Run& run, std::string message) const {
  RunResult result;
  result.job_id = run.meta.job_id;
  result.epoch = run.meta.epoch;
  result.action = JobAction::kExecuteFailed;
  result.message = std::move(message);
  result.terminated = true;
  result.started_ms = clock_->NowMicros() / 1000;
  result.finished_ms = result.started_ms;
  return result;
}

void TaskTracker::Impl::Execute(const std::shared_ptr<Run>& run) {
  run->started_ms = clock_->NowMicros() / 1000;
  const int64_t start_us = clock_->MonotonicMicros();
  const bool info = options_.log_each_job;
  run->logger = std::make_unique<tasktracker::JobBizLogger>(
      run->meta.job_id, options_.node_group, run->meta.job.task_id, options_.biz_log_level,
      biz_logs_.get(), clock_);
  JobContext::Params params;
  params.job = run->meta.job;
  params.job_id = run->meta.job_id;
  params.retry_times = run->meta.retry_times;
  params.repeated_count = run->meta.repeated_count;
  params.trigger_time_ms = run->meta.trigger_time_ms;
  run->ctx = std::make_unique<JobContext>(std::move(params), run->logger.get());
  LTS_JOB_LOG(info, "running job {} (task {}, attempt {})", run->meta.job_id, run->meta.job.task_id,
              run->ctx->attempt());
  std::shared_ptr<JobRunner> runner;
  JobRunResult outcome;
  bool skipped = false;
  try {
    runner = factory_(run->meta.job);
  } catch (const std::exception& e) {
    outcome = {JobAction::kExecuteException, fmt::format("the runner factory threw: {}", e.what())};
    skipped = true;
  } catch (...) {
    outcome = {JobAction::kExecuteException, "the runner factory threw"};
    skipped = true;
  }
  {
    MutexLock lock(&mu_);
    run->runner = runner;
    run->ready = true;
    // The timeout counts from the start of the run, not from its arrival in the queue.
    if (run->meta.job.timeout_seconds > 0) {
      run->deadline_us = start_us + run->meta.job.timeout_seconds * 1000000;
    }
    if (!skipped && run->terminated) {
      outcome = {JobAction::kExecuteFailed, "terminated before it started"};
      skipped = true;
    }
  }
  if (!skipped) outcome = tasktracker::CallRunner(runner.get(), *run->ctx);

  RunResult result;
  result.job_id = run->meta.job_id;
  result.epoch = run->meta.epoch;
  result.action = outcome.action;
  result.message = tasktracker::CleanText(outcome.message, protocol::kMaxMessageText);
  result.started_ms = run->started_ms;
  {
    MutexLock lock(&mu_);
    result.terminated = run->terminated;
    result.timed_out = run->timed_out;
    --busy_;
  }
  if (result.timed_out) {
    result.terminated = false;
    result.action = JobAction::kExecuteException;
    result.message = fmt::format("timed out after {} s", run->meta.job.timeout_seconds);
  }
  result.finished_ms = clock_->NowMicros() / 1000;
  LTS_JOB_LOG(info, "job {} finished: {} in {} ms{}", run->meta.job_id,
              JobActionName(result.action), (clock_->MonotonicMicros() - start_us) / 1000,
              result.message.empty() ? "" : " (" + result.message + ")");
  Finish(run, std::move(result));
}

void TaskTracker::Impl::Finish(const std::shared_ptr<Run>& run, RunResult result) {
  // The run's business log lines go out before its result.
  biz_logs_->Flush();
  std::string item = result.ToJson().dump();
  {
    MutexLock lock(&mu_);
    runs_.erase(run->meta.job_id);
    runs_cv_.SignalAll();
  }
  results_->Add(std::move(item));
}

Status TaskTracker::Impl::SendResults(const std::vector<std::string>& items, bool resend) {
  std::string body;
  if (!resend) {
    // Fresh results were made by RunResult::ToJson in this process: they are spliced into
    // the (JSON) body as they are, not parsed again.
    const nlohmann::json head = {{"identity", options_.identity},
                                 {"nodeGroup", options_.node_group},
                                 {"freeThreads", FreeThreads()},
                                 {"seq", ++seq_}};
    body = head.dump();
    body.pop_back();  // The closing brace.
    body += ",\"results\":[";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) body += ',';
      body += items[i];
    }
    body += "]}";
  } else {
    protocol::CompletedRequest request;
    request.identity = options_.identity;
    request.node_group = options_.node_group;
    request.results.reserve(items.size());
    for (const std::string& item : items) {
      nlohmann::json value = nlohmann::json::parse(item, nullptr, /*allow_exceptions=*/false);
      StatusOr<RunResult> result = RunResult::FromJson(value, "stored result");
      if (!result.ok()) {
        LTS_LOG(ERROR, "dropping an unreadable stored run result: {}", result.status().message());
        continue;
      }
      result->resend = true;
      request.results.push_back(std::move(*result));
    }
    if (request.results.empty()) return Status::Ok();
    request.free_threads = FreeThreads();
    request.seq = ++seq_;
    LTS_ASSIGN_OR_RETURN(body, protocol::EncodeMessage(request));
  }
  LTS_ASSIGN_OR_RETURN(
      rpc::RpcResponse response,
      links_->CallSync(Wire(rpc::Command::kJobCompleted), std::move(body), kCallDeadline));
  auto completed =
      protocol::DecodeMessage<protocol::CompletedResponse>(response.body, response.format);
  if (!completed.ok()) {
    // The results were taken; only the piggy-backed jobs are lost (the JobTracker's
    // JOB_ASK finds them not running).
    LTS_LOG(WARN, "unreadable JOB_COMPLETED response: {}", completed.status().message());
    return Status::Ok();
  }
  if (!completed->jobs.empty()) AcceptPiggyBacked(std::move(completed->jobs));
  return Status::Ok();
}

Status TaskTracker::Impl::SendBizLogs(const std::vector<std::string>& items) {
  protocol::BizLogRequest request;
  request.lines.reserve(items.size());
  for (const std::string& item : items) {
    nlohmann::json value = nlohmann::json::parse(item, nullptr, /*allow_exceptions=*/false);
    StatusOr<protocol::BizLogLine> line = protocol::BizLogLine::FromJson(value, "stored line");
    if (!line.ok()) continue;
    request.lines.push_back(std::move(*line));
  }
  if (request.lines.empty()) return Status::Ok();
  LTS_ASSIGN_OR_RETURN(std::string body, protocol::EncodeMessage(request));
  return links_->CallSync(Wire(rpc::Command::kBizLogSend), std::move(body), kCallDeadline).status();
}

protocol::PullRequest TaskTracker::Impl::MakePull() {
  protocol::PullRequest pull;
  pull.identity = options_.identity;
  pull.node_group = options_.node_group;
  pull.free_threads = FreeThreads();
  pull.seq = ++seq_;
  return pull;
}

void TaskTracker::Impl::SendPull(const std::shared_ptr<rpc::RpcChannel>& channel) {
  StatusOr<std::string> body = protocol::EncodeMessage(MakePull());
  if (!body.ok()) return;
  channel->Call(Wire(rpc::Command::kJobPull), rpc::BodyFormat::kJson, std::move(*body),
                kCallDeadline, [peer = channel->peer()](StatusOr<rpc::RpcResponse> r) {
                  if (!r.ok()) LTS_LOG(DEBUG, "JOB_PULL to {}: {}", peer, r.status().ToString());
                });
}

void TaskTracker::Impl::SendPullToAll() {
  if (links_ == nullptr) return;
  for (auto& link : links_->ReadyLinks()) {
    StatusOr<std::string> body = protocol::EncodeMessage(MakePull());
    if (!body.ok()) return;
    link->Call(Wire(rpc::Command::kJobPull), rpc::BodyFormat::kJson, std::move(*body),
               kCallDeadline, [](StatusOr<rpc::RpcResponse>) {});
  }
}

void TaskTracker::Impl::SendHeartbeats() {
  protocol::HeartbeatRequest beat;
  beat.identity = options_.identity;
  beat.node_type = "TASK_TRACKER";
  beat.node_group = options_.node_group;
  beat.running = RunningJobs();
  for (auto& link : links_->ReadyLinks()) {
    beat.free_threads = FreeThreads();
    beat.seq = ++seq_;
    StatusOr<std::string> body = protocol::EncodeMessage(beat);
    if (!body.ok()) return;
    link->Call(Wire(rpc::Command::kHeartbeat), rpc::BodyFormat::kJson, std::move(*body),
               kCallDeadline, [](StatusOr<rpc::RpcResponse> r) {
                 if (!r.ok()) LTS_LOG(DEBUG, "HEART_BEAT: {}", r.status().ToString());
               });
  }
}

void TaskTracker::Impl::CheckTimeouts() {
  const int64_t now = clock_->MonotonicMicros();
  std::vector<std::pair<std::shared_ptr<Run>, std::shared_ptr<JobRunner>>> due;
  {
    MutexLock lock(&mu_);
    for (auto& [id, run] : runs_) {
      if (run->deadline_us == 0 || run->timed_out || now < run->deadline_us) continue;
      run->timed_out = true;
      due.emplace_back(run, run->runner);
    }
  }
  for (auto& [run, runner] : due) {
    LTS_LOG(WARN, "job {} timed out after {} s; interrupting it", run->meta.job_id,
            run->meta.job.timeout_seconds);
    run->ctx->biz_logger().Warn(
        fmt::format("SYSTEM: timed out after {} s", run->meta.job.timeout_seconds));
    tasktracker::InterruptRunner(runner.get(), *run->ctx);
  }
}

void TaskTracker::Impl::CheckResources(int64_t now_us) {
  tasktracker::ResourceState state = monitor_->Sample(now_us);
  bool changed = false;
  {
    MutexLock lock(&mu_);
    changed = state.overloaded != overloaded_;
    overloaded_ = state.overloaded;
  }
  if (!changed) return;
  if (state.overloaded) {
    LTS_LOG(WARN, "taking no new jobs: {}", state.reason);
  } else {
    LTS_LOG(INFO, "taking jobs again: CPU and memory use are below the thresholds");
    SendPullToAll();
  }
}

void TaskTracker::Impl::Maintenance(std::stop_token stop) {
  Mutex mu;
  CondVar cv;
  std::stop_callback wake(stop, [&] {
    MutexLock lock(&mu);
    cv.SignalAll();
  });
  int64_t next_heartbeat = clock_->MonotonicMicros() + options_.heartbeat_interval_ms * 1000LL;
  int64_t next_sample = clock_->MonotonicMicros();
  while (!stop.stop_requested()) {
    {
      MutexLock lock(&mu);
      if (stop.stop_requested()) break;
      cv.WaitFor(&mu, kMaintenanceTick);
    }
    const int64_t now = clock_->MonotonicMicros();
    CheckTimeouts();
    if (monitor_ != nullptr && now >= next_sample) {
      next_sample = now + options_.resource_check.sample_interval_ms * 1000LL;
      CheckResources(now);
    }
    if (now >= next_heartbeat) {
      next_heartbeat = now + options_.heartbeat_interval_ms * 1000LL;
      SendHeartbeats();
    }
  }
}

TaskTracker::TaskTracker(Options options, RunnerFactory factory)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(factory))) {}
TaskTracker::~TaskTracker() = default;
Status TaskTracker::Start() { return impl_->Start(); }
void TaskTracker::Stop() { impl_->Stop(); }
const std::string& TaskTracker::identity() const { return impl_->identity(); }
int TaskTracker::free_threads() const { return impl_->FreeThreads(); }
std::vector<std::string> TaskTracker::running_jobs() const { return impl_->RunningJobs(); }
bool TaskTracker::connected() const { return impl_->Connected(); }

}  // namespace lts
