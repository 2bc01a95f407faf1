// JobTracker (jobtracker/job_tracker.h).

#include "jobtracker/job_tracker.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/logging.h"
#include "base/mutex.h"
#include "base/thread_pool.h"
#include "jobtracker/schedule.h"
#include "jobtracker/views.h"
#include "net/event_loop.h"
#include "net/event_loop_thread.h"
#include "protocol/messages.h"
#include "rpc/command.h"
#include "rpc/rpc_server.h"

namespace lts::jobtracker {

using nlohmann::json;
using rpc::Command;
using rpc::ToWire;

namespace {

constexpr auto kPushDeadline = std::chrono::milliseconds(10000);
constexpr auto kCallDeadline = std::chrono::milliseconds(10000);
constexpr char kDefParam[] = "__LTS_Def";        // Instance of another definition id.
constexpr char kManualParam[] = "__LTS_Manual";  // A trigger-now extra run: no next cycle.

rpc::RpcResponse JsonResponse(const json& value, rpc::BodyFormat format = rpc::BodyFormat::kJson) {
  rpc::RpcResponse response;
  auto body = protocol::EncodeJson(value, format);
  if (body.ok()) {
    response.body = *std::move(body);
    response.format = format;
  } else {
    response.body = "{}";
  }
  return response;
}

template <typename Message>
rpc::RpcResponse MessageResponse(const Message& message,
                                 rpc::BodyFormat format = rpc::BodyFormat::kJson) {
  return JsonResponse(message.ToJson(), format);
}

// Jobs travel to TaskTrackers (pushes, JOB_COMPLETED responses) as CBOR: no text to lex
// and escape on either side (docs/job_protocol.md).
constexpr rpc::BodyFormat kJobsFormat = rpc::BodyFormat::kCbor;

protocol::JobMeta MetaOf(const store::JobRecord& rec) {
  protocol::JobMeta meta;
  meta.job = rec.job;
  meta.instance_task_id = rec.job.task_id;
  meta.job.task_id = std::string(rec.effective_real_task_id());
  meta.job_id = rec.job_id;
  meta.epoch = rec.epoch;
  meta.retry_times = rec.retry_times;
  meta.repeated_count = rec.repeated_count;
  meta.trigger_time_ms = rec.trigger_time_ms;
  return meta;
}

bool IsPeriodic(const Job& job) { return job.IsCron() || job.IsRepeat(); }

std::string DefinitionIdOf(const store::JobRecord& rec) {
  auto it = rec.internal_params.find(kDefParam);
  return it != rec.internal_params.end() ? it->second : rec.job_id;
}

bool IsManual(const store::JobRecord& rec) { return rec.internal_params.count(kManualParam) != 0; }

}  // namespace

class JobTracker::Impl {
 public:
  explicit Impl(JobTrackerOptions options)
      : options_(std::move(options)),
        clock_(options_.clock != nullptr ? options_.clock : SystemClock::Default()),
        loop_thread_("lts-jt-sched") {
    if (options_.identity.empty()) options_.identity = "jobtracker-" + options_.listen;
  }

  ~Impl() { Stop(); }

  Status Start();
  void Stop();

  int64_t NowMs() const { return clock_->NowMicros() / 1000; }

  JobTrackerOptions options_;
  const Clock* const clock_;
  std::unique_ptr<store::JobStore> store_;
  net::EventLoopThread loop_thread_;
  net::EventLoop* loop_ = nullptr;
  std::unique_ptr<rpc::RpcServer> server_;
  std::unique_ptr<ThreadPool> dispatch_pool_;
  // Repair and feedback re-delivery wait on TaskTrackers and JobClients: not on the
  // dispatch pool, so a slow peer never delays claims.
  std::unique_ptr<ThreadPool> repair_pool_;
  std::unique_ptr<registry::Registry> owned_registry_;
  registry::Registry* registry_ = nullptr;
  registry::Node self_;
  std::atomic<int64_t> epoch_{0};
  std::atomic<bool> master_{false};
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  CronCache crons_;
  struct Counters {
    std::atomic<int64_t> submitted{0}, dispatched{0}, succeeded{0}, failed{0}, later{0},
        exception{0}, retried{0}, dead_lettered{0}, requeued{0}, claim_calls{0},
        completion_calls{0}, completion_results{0}, submit_calls{0};
  } counters_;
  net::TimerId repair_timer_, rescan_timer_;

  // --- Dispatch state: owned by the scheduler loop ------------------------------------
  struct Tracker {
    std::weak_ptr<rpc::RpcChannel> channel;
    std::string group;
    int free = 0;
    int64_t seq = -1;
    bool connected = false;
    net::TimerId grace_timer;
  };
  struct Group {
    bool claiming = false;
    bool dirty = false;
    net::TimerId timer;
    int64_t timer_due_ms = INT64_MAX;
    size_t next_tracker = 0;
  };
  std::unordered_map<std::string, Tracker> trackers_;
  std::unordered_map<std::string, Group> groups_;
  // Jobs claimed ahead, waiting for their trigger time (Hold), by a key of their own: Stop
  // puts them back in the queue.
  struct HeldBatch {
    std::string tracker;
    std::vector<store::JobRecord> jobs;
    net::TimerId timer;
  };
  std::unordered_map<uint64_t, HeldBatch> holds_;
  uint64_t next_hold_ = 0;
  // Every TaskTracker identity that reported to this JobTracker since it started (one
  // string each; a TaskTracker process has one identity): disable-node of any other is
  // NOT_FOUND.
  std::unordered_set<std::string> known_trackers_;
  // JobClient group -> identity -> channel.
  std::unordered_map<std::string, std::map<std::string, std::weak_ptr<rpc::RpcChannel>>> clients_;

  // Jobs this JobTracker dispatched and not yet completed: the record, so a completion
  // needs no read. Any thread.
  Mutex cache_mu_;
  std::unordered_map<std::string, store::JobRecord> dispatched_ GUARDED_BY(cache_mu_);
  // Jobs claimed ahead (dispatch_ahead_ms) and held until due, per TaskTracker: they use
  // threads that its own reports still count as free.
  std::unordered_map<std::string, int> held_ GUARDED_BY(cache_mu_);
  int HeldFor(const std::string& tracker) {
    MutexLock lock(&cache_mu_);
    auto it = held_.find(tracker);
    return it == held_.end() ? 0 : it->second;
  }

  // TaskTrackers disabled by an operator (disable-node): no new jobs for them. In memory
  // only, by identity, kept across their reconnections. Changed on the scheduler loop
  // only; read there (Kick) and on the RPC pool (JOB_COMPLETED claims).
  mutable Mutex disabled_mu_;
  std::set<std::string> disabled_ GUARDED_BY(disabled_mu_);
  bool IsDisabled(const std::string& identity) const {
    MutexLock lock(&disabled_mu_);
    return disabled_.count(identity) != 0;
  }

  // --- Processors (RPC pool) ------------------------------------------------------------
  StatusOr<rpc::RpcResponse> OnSubmit(const rpc::RpcRequest& request);
  StatusOr<rpc::RpcResponse> OnPull(const rpc::RpcRequest& request);
  StatusOr<rpc::RpcResponse> OnHeartbeat(const rpc::RpcRequest& request);
  StatusOr<rpc::RpcResponse> OnCompleted(const rpc::RpcRequest& request);
  StatusOr<rpc::RpcResponse> OnBizLog(const rpc::RpcRequest& request);
  StatusOr<rpc::RpcResponse> OnCancel(const rpc::RpcRequest& request);
  StatusOr<rpc::RpcResponse> OnControl(const rpc::RpcRequest& request);
  StatusOr<rpc::RpcResponse> OnQuery(const rpc::RpcRequest& request);
  // disable-node / enable-node: changes the disabled set on the loop and waits for it.
  StatusOr<rpc::RpcResponse> SetNodeDisabled(const std::string& identity, bool disable);
  // The stats query: counters, and the TaskTrackers as the loop sees them.
  StatusOr<json> StatsAnswer();
  // Runs `fn` on the scheduler loop and waits (bounded) for its answer. For processors
  // on the RPC pool; never call it on the loop.
  template <typename T>
  StatusOr<T> AskLoop(std::function<StatusOr<T>()> fn);

  // --- Scheduler loop -------------------------------------------------------------------
  void UpdateTracker(const std::string& identity, const std::string& group, int free, int64_t seq,
                     std::weak_ptr<rpc::RpcChannel> channel);
  void Kick(const std::string& group);
  void OnClaimed(const std::string& group, const std::string& tracker,
                 StatusOr<std::vector<store::JobRecord>> claimed);
  // Puts claimed jobs that will not be sent back in the queue (the TaskTracker was
  // disabled between the claim and the push).
  void Unclaim(std::vector<store::JobRecord> jobs, const char* why);
  // The TaskTrackers as the loop sees them, for the stats query. Loop only.
  json TrackersJson();
  // disable-node / enable-node on the loop. kNotFound for an identity never seen.
  StatusOr<protocol::ControlResponse> SetNodeDisabledInLoop(const std::string& identity,
                                                            bool disable);
  void Push(const std::string& tracker, std::vector<store::JobRecord> jobs);
  // Claimed jobs due at `due_ms` (after now): held, then pushed at their trigger time.
  void Hold(const std::string& tracker, int64_t due_ms, std::vector<store::JobRecord> jobs);
  void ArmTimer(const std::string& group, int64_t due_ms);
  void RefreshDueTime(const std::string& group);
  void OnChannelClosed(const std::shared_ptr<rpc::RpcChannel>& channel);
  void OnTrackerGone(const std::string& identity, const std::string& why);
  void Rescan();
  void Repair();

  // --- Shared work (pool threads) ---------------------------------------------------------
  // Applies results; fills `claimed` with new jobs for `claim` when given.
  Status ProcessResults(const std::string& tracker, std::vector<protocol::RunResult> results,
                        const store::ClaimRequest* claim, std::vector<store::JobRecord>* claimed);
  // The executing record of a result's job (the cache, else the store); nullopt when the
  // job is not executing.
  std::optional<store::JobRecord> RecordOf(const std::string& job_id, const std::string& tracker);
  StatusOr<store::Completion> FinishCompletion(const store::JobRecord& rec, int64_t now_ms,
                                               int64_t epoch);
  void Feedback(std::vector<std::pair<std::string, JobResult>> results);
  void DeliverStoredFeedback(const std::string& group);
  void ReturnJobs(const std::vector<std::string>& job_ids, int64_t epoch, const char* why);
  Status GenerateInstances(const store::JobRecord& def, int64_t now_ms);
  void Log(std::vector<store::JobLogRecord> records);
  void WriteLogs(std::vector<store::JobLogRecord>& records);
  void LogWriterMain();
  static constexpr size_t kMaxBufferedLogs = 200000;
  Mutex log_mu_;
  CondVar log_cv_;
  std::vector<store::JobLogRecord> log_buffer_ GUARDED_BY(log_mu_);
  int64_t dropped_logs_ GUARDED_BY(log_mu_) = 0;
  bool log_stop_ GUARDED_BY(log_mu_) = false;
  std::thread log_writer_;
  store::JobLogRecord LogOf(const store::JobRecord& rec, store::JobLogType type, bool success,
                            std::string message) const;
  void PostKick(const std::set<std::string>& groups);
  void SkipMisfired(std::vector<store::JobRecord>* claimed);
};

// ===================================================================================
// Start / stop
// ===================================================================================

Status JobTracker::Impl::Start() {
  if (started_) return FailedPrecondition("JobTracker: started twice");
  LTS_ASSIGN_OR_RETURN(net::InetAddress listen, net::InetAddress::Parse(options_.listen));
  auto opened = store::OpenJobStore(options_.store_url, options_.store_options);
  if (!opened.ok()) {
    return Status(opened.status().code(),
                  fmt::format("job store '{}': {}", options_.store_url, opened.status().message()));
  }
  store_ = *std::move(opened);
  loop_ = loop_thread_.StartLoop();
  started_ = true;
  dispatch_pool_ = std::make_unique<ThreadPool>("lts-jt-claim", options_.dispatch_threads, 100000);
  repair_pool_ = std::make_unique<ThreadPool>("lts-jt-repair", 1, 1000);
  if (options_.job_log_flush_ms > 0) log_writer_ = std::thread([this] { LogWriterMain(); });

  rpc::RpcServer::Options so;
  so.rpc.cluster_secret = options_.cluster_secret;
  so.rpc.identity = options_.identity;
  so.rpc.on_closed = [this](const std::shared_ptr<rpc::RpcChannel>& channel) {
    loop_->RunInLoop([this, channel] { OnChannelClosed(channel); });
  };
  so.tcp.io_threads = options_.io_threads;
  so.processor_threads = options_.processor_threads;
  so.processor_queue = 100000;
  server_ = std::make_unique<rpc::RpcServer>(loop_, listen, "jobtracker", so);
  auto bind = [this](auto method) {
    return [this, method](const rpc::RpcRequest& r) { return (this->*method)(r); };
  };
  using M = rpc::ProcessorMode;
  server_->RegisterProcessor(ToWire(Command::kSubmitJob), bind(&Impl::OnSubmit), M::kPool);
  server_->RegisterProcessor(ToWire(Command::kJobPull), bind(&Impl::OnPull), M::kInLoop);
  server_->RegisterProcessor(ToWire(Command::kHeartbeat), bind(&Impl::OnHeartbeat), M::kInLoop);
  server_->RegisterProcessor(ToWire(Command::kJobCompleted), bind(&Impl::OnCompleted), M::kPool);
  server_->RegisterProcessor(ToWire(Command::kBizLogSend), bind(&Impl::OnBizLog), M::kPool);
  server_->RegisterProcessor(ToWire(Command::kCancelJob), bind(&Impl::OnCancel), M::kPool);
  server_->RegisterProcessor(ToWire(Command::kJobControl), bind(&Impl::OnControl), M::kPool);
  server_->RegisterProcessor(ToWire(Command::kTriggerJobNow), bind(&Impl::OnControl), M::kPool);
  server_->RegisterProcessor(ToWire(Command::kJobQuery), bind(&Impl::OnQuery), M::kPool);
  Status s;
  loop_->RunInLoopAndWait([&] { s = server_->Start(); });
  if (!s.ok())
    return Status(s.code(), fmt::format("--listen {}: {}", options_.listen, s.message()));
  const std::string bound = server_->listen_address().ToString();
  if (options_.identity == "jobtracker-" + options_.listen)
    options_.identity = "jobtracker-" + bound;

  // Registry: register, campaign, watch TaskTrackers.
  if (options_.shared_registry != nullptr) {
    registry_ = options_.shared_registry;
  } else if (!options_.registry.empty()) {
    registry::RegistryOptions ro;
    ro.address = options_.registry;
    ro.cluster = options_.cluster;
    ro.session_timeout_ms = options_.session_timeout_ms;
    ro.clock = clock_;
    LTS_ASSIGN_OR_RETURN(owned_registry_, registry::StartRegistry(ro));
    registry_ = owned_registry_.get();
  }
  if (registry_ != nullptr) {
    self_.type = registry::NodeType::kJobTracker;
    self_.cluster = options_.cluster;
    self_.group = options_.node_group;
    self_.identity = options_.identity;
    self_.ip = server_->listen_address().ip_string();
    self_.port = server_->listen_address().port();
    self_.create_time_ms = NowMs();
    Status r = registry_->Register(self_);
    if (!r.ok() && r.code() != StatusCode::kUnavailable) return r;
    LTS_RETURN_IF_ERROR(registry_->Campaign(
        registry::NodeType::kJobTracker, options_.node_group, options_.identity,
        [this](const registry::MasterInfo& info) {
          if (info.epoch > epoch_.load()) epoch_.store(info.epoch);
          const bool was = master_.exchange(info.is_self);
          if (info.is_self && !was) {
            LTS_LOG(INFO, "JobTracker {} is now the master (epoch {})", options_.identity,
                    info.epoch);
          } else if (!info.is_self && was) {
            LTS_LOG(WARN, "JobTracker {} is no longer the master", options_.identity);
          }
        }));
    LTS_RETURN_IF_ERROR(registry_->Subscribe(registry::NodeType::kTaskTracker,
                                             [this](const registry::NodeEvent& event) {
                                               if (event.kind != registry::NodeEvent::Kind::kRemove)
                                                 return;
                                               const std::string identity = event.node.identity;
                                               loop_->RunInLoop([this, identity] {
                                                 auto it = trackers_.find(identity);
                                                 if (it != trackers_.end() && it->second.connected)
                                                   return;  // Still talking to us.
                                                 OnTrackerGone(identity, "left the registry");
                                               });
                                             }));
    // Wait (bounded) for the first term so claims carry a real epoch.
    for (int i = 0; i < 200 && epoch_.load() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    if (epoch_.load() == 0) {
      LTS_LOG(WARN, "no JobTracker master elected yet; dispatching with epoch 0 until one is");
    }
  } else {
    master_.store(true);
    epoch_.store(1);
  }
  repair_timer_ =
      loop_->RunEvery(std::chrono::milliseconds(options_.repair_interval_ms), [this] { Repair(); });
  rescan_timer_ =
      loop_->RunEvery(std::chrono::milliseconds(options_.rescan_interval_ms), [this] { Rescan(); });
  LTS_LOG(INFO, "JobTracker {} listening on {}, store {}", options_.identity, bound,
          options_.store_url);
  return Status::Ok();
}

void JobTracker::Impl::Stop() {
  if (!started_) return;
  started_ = false;
  stopping_.store(true);
  if (registry_ != nullptr && !self_.identity.empty()) (void)registry_->Unregister(self_);
  if (owned_registry_) owned_registry_->Stop();
  std::vector<store::JobRecord> held;
  if (loop_ != nullptr) {
    loop_->RunInLoopAndWait([this, &held] {
      for (auto& [key, batch] : holds_) {
        loop_->Cancel(batch.timer);
        for (store::JobRecord& rec : batch.jobs) held.push_back(std::move(rec));
      }
      holds_.clear();
      loop_->Cancel(repair_timer_);
      loop_->Cancel(rescan_timer_);
      for (auto& [name, group] : groups_) {
        if (group.timer.valid()) loop_->Cancel(group.timer);
      }
      for (auto& [name, tracker] : trackers_) {
        if (tracker.grace_timer.valid()) loop_->Cancel(tracker.grace_timer);
      }
    });
  }
  if (server_) server_->Stop();
  // Claimed ahead and not yet due: back to the queue, for this JobTracker's successor.
  for (const store::JobRecord& rec : held) {
    Status s = store_->ReturnToQueue(rec.job_id, rec.epoch, rec.trigger_time_ms, NowMs());
    if (!s.ok() && s.code() != StatusCode::kNotFound) {
      LTS_LOG(WARN, "job {}: returning it to the queue at stop failed: {}", rec.job_id,
              s.ToString());
    }
  }
  if (repair_pool_) repair_pool_->Shutdown();
  if (dispatch_pool_) dispatch_pool_->Shutdown();
  loop_thread_.Stop();
  if (log_writer_.joinable()) {
    {
      MutexLock lock(&log_mu_);
      log_stop_ = true;
      log_cv_.Signal();
    }
    log_writer_.join();
  }
  server_.reset();
  store_.reset();
}

// ===================================================================================
// Submission
// ===================================================================================

StatusOr<rpc::RpcResponse> JobTracker::Impl::OnSubmit(const rpc::RpcRequest& request) {
  LTS_ASSIGN_OR_RETURN(
      auto submit, protocol::DecodeMessage<protocol::SubmitRequest>(request.body, request.format));
  const int64_t now = NowMs();
  protocol::SubmitResponse response;
  response.results.resize(submit.jobs.size());
  // Two store calls: jobs that get their first instance now, and non-relyOnPrevCycle
  // periodic jobs whose instances are generated after the definition is stored.
  std::vector<store::JobRecord> records[2];
  std::vector<size_t> index[2];
  for (size_t i = 0; i < submit.jobs.size(); ++i) {
    if (!submit.job_status[i].ok()) {
      response.results[i].status = submit.job_status[i];
      continue;
    }
    Job& job = submit.jobs[i];
    if (job.submit_node_group.empty()) job.submit_node_group = submit.client_group;
    auto first = FirstTriggerTime(job, now, &crons_);
    if (!first.ok()) {
      response.results[i].status = first.status();
      continue;
    }
    if (!first->has_value()) {
      response.results[i].status =
          InvalidArgument("cronExpression: the expression has no fire time after now");
      continue;
    }
    store::JobRecord rec;
    rec.job = std::move(job);
    rec.trigger_time_ms = **first;
    const int k = IsPeriodic(rec.job) && !rec.job.rely_on_prev_cycle ? 1 : 0;
    records[k].push_back(std::move(rec));
    index[k].push_back(i);
  }
  std::set<std::string> due_groups;
  std::vector<store::JobLogRecord> logs;
  for (int k = 0; k < 2; ++k) {
    if (records[k].empty()) continue;
    counters_.submit_calls.fetch_add(1, std::memory_order_relaxed);
    LTS_ASSIGN_OR_RETURN(auto results, store_->Submit(records[k], now, k == 0));
    for (size_t j = 0; j < results.size(); ++j) {
      protocol::SubmitItem& item = response.results[index[k][j]];
      item.status = results[j].status;
      item.job_id = results[j].job_id;
      item.replaced = results[j].replaced;
      store::JobRecord& rec = records[k][j];
      rec.job_id = results[j].job_id;
      if (!item.status.ok()) continue;
      counters_.submitted.fetch_add(1, std::memory_order_relaxed);
      logs.push_back(LogOf(rec, store::JobLogType::kReceive, true,
                           item.replaced ? "Already Exist And Update Success" : "Receive Success"));
      if (k == 1) {
        Status g = GenerateInstances(rec, now);
        if (!g.ok()) LTS_LOG(WARN, "job {}: generating instances: {}", rec.job_id, g.ToString());
      }
      due_groups.insert(rec.job.task_tracker_node_group);
    }
  }
  if (!logs.empty()) Log(std::move(logs));
  PostKick(due_groups);
  return MessageResponse(response);
}

Status JobTracker::Impl::GenerateInstances(const store::JobRecord& def, int64_t now_ms) {
  const int64_t from = std::max(def.last_generate_trigger_time_ms, now_ms - 1);
  const int64_t until = now_ms + options_.nonrely_window_ms;
  std::vector<store::JobRecord> instances;
  auto add = [&](int64_t t, int32_t cycle) {
    store::JobRecord inst;
    inst.job = def.job;
    inst.job.task_id = fmt::format("{}#{}", def.job.task_id, t);
    inst.real_task_id = def.job.task_id;
    inst.trigger_time_ms = t;
    inst.repeated_count = cycle;
    inst.internal_params[kDefParam] = def.job_id;
    instances.push_back(std::move(inst));
  };
  int64_t last = from;
  if (def.job.IsCron()) {
    int64_t t = from;
    while (instances.size() < 1000) {
      LTS_ASSIGN_OR_RETURN(auto next, crons_.NextFireAfter(def.job, t));
      if (!next || *next > until) break;
      add(*next, 0);
      t = last = *next;
    }
  } else {
    const int64_t first = def.trigger_time_ms;
    const int64_t interval = def.job.repeat_interval_ms.value_or(1000);
    int64_t k = from < first ? 0 : (from - first) / interval + 1;
    while (instances.size() < 1000) {
      const int64_t t = first + k * interval;
      if (t > until) break;
      if (def.job.repeat_count != -1 && k >= def.job.repeat_count) break;
      add(t, static_cast<int32_t>(k + 1));
      last = t;
      ++k;
    }
  }
  if (instances.empty()) return Status::Ok();
  LTS_ASSIGN_OR_RETURN(int64_t added, store_->AddInstances(def.job_id, instances, last, now_ms));
  (void)added;
  return Status::Ok();
}

// ===================================================================================
// Capacity reports and dispatch (scheduler loop)
// ===================================================================================

StatusOr<rpc::RpcResponse> JobTracker::Impl::OnPull(const rpc::RpcRequest& request) {
  LTS_ASSIGN_OR_RETURN(
      auto pull, protocol::DecodeMessage<protocol::PullRequest>(request.body, request.format));
  UpdateTracker(pull.identity, pull.node_group, pull.free_threads, pull.seq, request.channel);
  return rpc::RpcResponse{};
}

StatusOr<rpc::RpcResponse> JobTracker::Impl::OnHeartbeat(const rpc::RpcRequest& request) {
  LTS_ASSIGN_OR_RETURN(
      auto hb, protocol::DecodeMessage<protocol::HeartbeatRequest>(request.body, request.format));
  if (hb.node_type == "JOB_CLIENT") {
    loop_->RunInLoop([this, hb = std::move(hb), channel = request.channel] {
      auto& channels = clients_[hb.node_group];
      auto it = channels.find(hb.identity);
      const bool fresh = it == channels.end() || it->second.lock() != channel.lock();
      channels[hb.identity] = channel;
      if (fresh) {
        LTS_LOG(INFO, "JobClient {} (group {}) connected", hb.identity, hb.node_group);
        const std::string group = hb.node_group;
        (void)repair_pool_->Submit([this, group] { DeliverStoredFeedback(group); });
      }
    });
  } else {
    UpdateTracker(hb.identity, hb.node_group, hb.free_threads, hb.seq, request.channel);
  }
  return rpc::RpcResponse{};
}

void JobTracker::Impl::UpdateTracker(const std::string& identity, const std::string& group,
                                     int free, int64_t seq,
                                     std::weak_ptr<rpc::RpcChannel> channel) {
  if (!loop_->IsInLoopThread()) {
    loop_->RunInLoop([this, identity, group, free, seq, channel] {
      UpdateTracker(identity, group, free, seq, channel);
    });
    return;
  }
  known_trackers_.insert(identity);
  Tracker& t = trackers_[identity];
  if (t.grace_timer.valid()) {
    loop_->Cancel(t.grace_timer);
    t.grace_timer = net::TimerId();
  }
  if (!t.connected) LTS_LOG(INFO, "TaskTracker {} (group {}) connected", identity, group);
  t.connected = true;
  if (!channel.expired()) t.channel = channel;
  t.group = group;
  if (seq >= t.seq) {
    t.seq = seq;
    t.free = std::max(0, free - HeldFor(identity));
  }
  // A disabled TaskTracker's free threads claim nothing.
  if (t.free > 0 && !IsDisabled(identity)) Kick(group);
}

void JobTracker::Impl::PostKick(const std::set<std::string>& groups) {
  if (groups.empty()) return;
  loop_->RunInLoop([this, groups] {
    for (const std::string& g : groups) {
      Group& state = groups_[g];
      // A future job: arm the timer from the store's earliest due time.
      if (!state.claiming) RefreshDueTime(g);
    }
  });
}

void JobTracker::Impl::Kick(const std::string& group) {
  if (stopping_.load()) return;
  Group& g = groups_[group];
  if (g.claiming) {
    g.dirty = true;
    return;
  }
  // Round robin over the group's enabled TaskTrackers with room.
  std::vector<std::string> candidates;
  {
    MutexLock lock(&disabled_mu_);
    for (auto& [id, t] : trackers_) {
      if (t.group == group && t.connected && t.free > 0 && !t.channel.expired() &&
          disabled_.count(id) == 0) {
        candidates.push_back(id);
      }
    }
  }
  if (candidates.empty()) return;
  std::sort(candidates.begin(), candidates.end());
  const std::string tracker = candidates[g.next_tracker++ % candidates.size()];
  const int n = std::min(trackers_[tracker].free, options_.claim_batch);
  g.claiming = true;
  g.dirty = false;
  const int64_t now = NowMs();
  store::ClaimRequest claim{
      group, options_.identity, tracker, epoch_.load(), n, now, now + options_.dispatch_ahead_ms};
  Status s = dispatch_pool_->Submit([this, claim, group, tracker] {
    counters_.claim_calls.fetch_add(1, std::memory_order_relaxed);
    auto claimed = store_->Claim(claim);
    if (claimed.ok() && options_.misfire_skip) SkipMisfired(&*claimed);
    loop_->RunInLoop([this, group, tracker, claimed = std::move(claimed)]() mutable {
      OnClaimed(group, tracker, std::move(claimed));
    });
  });
  if (!s.ok()) g.claiming = false;
}

void JobTracker::Impl::OnClaimed(const std::string& group, const std::string& tracker,
                                 StatusOr<std::vector<store::JobRecord>> claimed) {
  Group& g = groups_[group];
  g.claiming = false;
  if (!claimed.ok()) {
    LTS_LOG(WARN, "claiming jobs of group {} failed: {}; retrying in 1 s", group,
            claimed.status().ToString());
    ArmTimer(group, NowMs() + 1000);
    return;
  }
  const size_t got = claimed->size();
  if (got > 0 && IsDisabled(tracker)) {
    // Disabled while the claim ran: the jobs go back and to another TaskTracker.
    Unclaim(*std::move(claimed), "the TaskTracker was disabled before the push");
  } else if (got > 0) {
    auto it = trackers_.find(tracker);
    if (it != trackers_.end())
      it->second.free -= static_cast<int>(std::min<size_t>(got, INT32_MAX));
    // Claimed ahead: what is due goes now, the rest at its trigger time.
    const int64_t now = NowMs();
    std::vector<store::JobRecord> due;
    std::map<int64_t, std::vector<store::JobRecord>> ahead;
    for (store::JobRecord& rec : *claimed) {
      if (rec.trigger_time_ms <= now) {
        due.push_back(std::move(rec));
      } else {
        ahead[rec.trigger_time_ms].push_back(std::move(rec));
      }
    }
    if (!due.empty()) Push(tracker, std::move(due));
    for (auto& [due_ms, jobs] : ahead) Hold(tracker, due_ms, std::move(jobs));
  }
  if (got > 0) {
    // More may be due, for this or another TaskTracker of the group.
    Kick(group);
    if (groups_[group].claiming) return;
  }
  if (got == 0 || g.dirty) RefreshDueTime(group);
}

// Misfire policy "skip": a periodic instance overdue by more than the threshold (the
// cluster was down when it was due) does not run; its next cycle is scheduled instead.
void JobTracker::Impl::SkipMisfired(std::vector<store::JobRecord>* claimed) {
  const int64_t now = NowMs();
  std::vector<store::Completion> skipped;
  std::vector<store::JobLogRecord> logs;
  for (auto it = claimed->begin(); it != claimed->end();) {
    const bool overdue = now - it->trigger_time_ms > options_.misfire_threshold_ms;
    if (!overdue || !IsPeriodic(it->job) || IsManual(*it) || it->retry_times > 0) {
      ++it;
      continue;
    }
    auto c = FinishCompletion(*it, now, it->epoch);
    if (!c.ok()) {
      ++it;
      continue;
    }
    skipped.push_back(*std::move(c));
    logs.push_back(LogOf(*it, store::JobLogType::kFinished, false,
                         fmt::format("misfired: due at {} but the cluster was down; skipped to "
                                     "the next cycle (misfire policy skip)",
                                     it->trigger_time_ms)));
    it = claimed->erase(it);
  }
  if (skipped.empty()) return;
  auto done = store_->CompleteBatch(skipped);
  if (!done.ok()) LTS_LOG(WARN, "skipping misfired instances failed: {}", done.status().ToString());
  LTS_LOG(INFO, "skipped {} misfired periodic instances", skipped.size());
  Log(std::move(logs));
}

void JobTracker::Impl::RefreshDueTime(const std::string& group) {
  (void)dispatch_pool_->Submit([this, group] {
    auto due = store_->NextDueTime(group);
    loop_->RunInLoop([this, group, due = std::move(due)] {
      if (!due.ok()) {
        ArmTimer(group, NowMs() + 1000);
        return;
      }
      if (!due->has_value()) return;
      ArmTimer(group, **due);
    });
  });
}

void JobTracker::Impl::ArmTimer(const std::string& group, int64_t due_ms) {
  Group& g = groups_[group];
  const int64_t now = NowMs();
  due_ms -= options_.dispatch_ahead_ms;  // When the claim runs: ahead of the job's due time.
  if (due_ms <= now) {
    Kick(group);
    return;
  }
  if (g.timer.valid() && g.timer_due_ms <= due_ms) return;
  if (g.timer.valid()) loop_->Cancel(g.timer);
  g.timer_due_ms = due_ms;
  g.timer = loop_->RunAfter(std::chrono::milliseconds(due_ms - now), [this, group] {
    Group& state = groups_[group];
    state.timer = net::TimerId();
    state.timer_due_ms = INT64_MAX;
    Kick(group);
    if (!state.claiming) RefreshDueTime(group);
  });
}

void JobTracker::Impl::Push(const std::string& tracker, std::vector<store::JobRecord> jobs) {
  auto it = trackers_.find(tracker);
  std::shared_ptr<rpc::RpcChannel> channel =
      it == trackers_.end() ? nullptr : it->second.channel.lock();
  const int64_t epoch = jobs.empty() ? 0 : jobs.front().epoch;
  std::vector<std::string> ids;
  protocol::PushRequest push;
  {
    MutexLock lock(&cache_mu_);
    counters_.dispatched.fetch_add(static_cast<int64_t>(jobs.size()), std::memory_order_relaxed);
    for (store::JobRecord& rec : jobs) {
      ids.push_back(rec.job_id);
      push.jobs.push_back(MetaOf(rec));
      dispatched_[rec.job_id] = std::move(rec);
    }
  }
  if (channel == nullptr) {
    ReturnJobs(ids, epoch, "the TaskTracker disconnected before the push");
    return;
  }
  auto body = protocol::EncodeMessage(push, kJobsFormat);
  if (!body.ok()) {
    ReturnJobs(ids, epoch, "the push could not be encoded");
    return;
  }
  if (options_.log_every_run) {
    std::vector<store::JobLogRecord> logs;
    for (const protocol::JobMeta& m : push.jobs) {
      store::JobLogRecord log;
      log.node_group = m.job.task_tracker_node_group;
      log.task_id = m.instance_task_id;
      log.job_id = m.job_id;
      log.log_time_ms = NowMs();
      log.type = store::JobLogType::kSent;
      log.tracker = tracker;
      log.message = "sent to " + tracker;
      logs.push_back(std::move(log));
    }
    (void)dispatch_pool_->Submit(
        [this, logs = std::move(logs)]() mutable { Log(std::move(logs)); });
  }
  channel->Call(
      ToWire(Command::kPushJob), kJobsFormat, *std::move(body), kPushDeadline,
      [this, tracker, ids, epoch](StatusOr<rpc::RpcResponse> response) {
        if (!response.ok()) {
          // The TaskTracker may or may not have the jobs: a dropped connection is handled
          // by the TaskTracker failover (grace period), a timeout by asking it.
          LTS_LOG(WARN, "push of {} jobs to {} failed: {}", ids.size(), tracker,
                  response.status().ToString());
          if (response.status().code() == StatusCode::kDeadlineExceeded) {
            loop_->RunInLoop([this, tracker, ids, epoch] {
              auto found = trackers_.find(tracker);
              auto ch = found == trackers_.end() ? nullptr : found->second.channel.lock();
              if (ch == nullptr) return;
              protocol::AskRequest ask{ids};
              auto ask_body = protocol::EncodeMessage(ask);
              if (!ask_body.ok()) return;
              ch->Call(ToWire(Command::kJobAsk), rpc::BodyFormat::kJson, *std::move(ask_body),
                       kCallDeadline, [this, epoch](StatusOr<rpc::RpcResponse> r) {
                         if (!r.ok()) return;
                         auto answer =
                             protocol::DecodeMessage<protocol::AskResponse>(r->body, r->format);
                         if (answer.ok() && !answer->not_running.empty()) {
                           ReturnJobs(answer->not_running, epoch,
                                      "not running after a push timeout");
                         }
                       });
            });
          }
          return;
        }
        auto answer =
            protocol::DecodeMessage<protocol::PushResponse>(response->body, response->format);
        if (!answer.ok()) {
          LTS_LOG(WARN, "TaskTracker {} answered a push with a malformed body: {}", tracker,
                  answer.status().ToString());
          return;
        }
        if (!answer->rejected.empty()) {
          ReturnJobs(answer->rejected, epoch, "rejected by the TaskTracker (no free thread)");
        }
      });
}

void JobTracker::Impl::Hold(const std::string& tracker, int64_t due_ms,
                            std::vector<store::JobRecord> jobs) {
  const int n = static_cast<int>(jobs.size());
  {
    MutexLock lock(&cache_mu_);
    held_[tracker] += n;
  }
  const uint64_t key = next_hold_++;
  const int64_t delay_us = std::max<int64_t>(0, due_ms * 1000 - clock_->NowMicros());
  HeldBatch& batch = holds_[key];
  batch.tracker = tracker;
  batch.jobs = std::move(jobs);
  batch.timer = loop_->RunAfter(std::chrono::microseconds(delay_us), [this, key, n] {
    auto found = holds_.find(key);
    if (found == holds_.end()) return;
    HeldBatch held = std::move(found->second);
    holds_.erase(found);
    {
      MutexLock lock(&cache_mu_);
      auto it = held_.find(held.tracker);
      if (it != held_.end() && (it->second -= n) <= 0) held_.erase(it);
    }
    if (IsDisabled(held.tracker)) {
      Unclaim(std::move(held.jobs), "the TaskTracker was disabled before the jobs were due");
    } else {
      Push(held.tracker, std::move(held.jobs));
    }
  });
}

void JobTracker::Impl::Unclaim(std::vector<store::JobRecord> jobs, const char* why) {
  if (jobs.empty()) return;
  const int64_t epoch = jobs.front().epoch;
  std::vector<std::string> ids;
  {
    // Cached so that ReturnJobs keeps their trigger times and kicks their groups.
    MutexLock lock(&cache_mu_);
    for (store::JobRecord& rec : jobs) {
      ids.push_back(rec.job_id);
      dispatched_[rec.job_id] = std::move(rec);
    }
  }
  ReturnJobs(ids, epoch, why);
}

void JobTracker::Impl::ReturnJobs(const std::vector<std::string>& job_ids, int64_t epoch,
                                  const char* why) {
  std::vector<std::string> ids = job_ids;
  std::string reason = why;
  (void)dispatch_pool_->Submit([this, ids, epoch, reason] {
    const int64_t now = NowMs();
    std::set<std::string> groups;
    for (const std::string& id : ids) {
      std::optional<store::JobRecord> rec;
      {
        MutexLock lock(&cache_mu_);
        auto it = dispatched_.find(id);
        if (it != dispatched_.end()) {
          rec = std::move(it->second);
          dispatched_.erase(it);
        }
      }
      Status s = store_->ReturnToQueue(id, std::max(epoch, epoch_.load()),
                                       rec ? rec->trigger_time_ms : now, now);
      if (!s.ok() && s.code() != StatusCode::kNotFound) {
        LTS_LOG(WARN, "job {}: returning it to the queue ({}) failed: {}", id, reason,
                s.ToString());
      }
      if (rec) groups.insert(rec->job.task_tracker_node_group);
    }
    loop_->RunInLoop([this, groups] {
      for (const std::string& g : groups) Kick(g);
    });
  });
}

// ===================================================================================
// Completion
// ===================================================================================

StatusOr<rpc::RpcResponse> JobTracker::Impl::OnCompleted(const rpc::RpcRequest& request) {
  LTS_ASSIGN_OR_RETURN(auto completed, protocol::DecodeMessage<protocol::CompletedRequest>(
                                           request.body, request.format));
  // A disabled TaskTracker's results are applied as usual; it gets no new jobs.
  const bool disabled = IsDisabled(completed.identity);
  store::ClaimRequest claim{
      completed.node_group,
      options_.identity,
      completed.identity,
      epoch_.load(),
      disabled ? 0
               : std::min(std::max(0, completed.free_threads - HeldFor(completed.identity)),
                          options_.claim_batch),
      NowMs()};
  std::vector<store::JobRecord> claimed;
  LTS_RETURN_IF_ERROR(ProcessResults(completed.identity, std::move(completed.results),
                                     claim.max_jobs > 0 ? &claim : nullptr, &claimed));
  if (!claimed.empty() && IsDisabled(completed.identity)) {
    // Disabled during the claim: the jobs go back and to another TaskTracker.
    Unclaim(std::move(claimed), "the TaskTracker was disabled before the response");
    claimed.clear();
  }
  protocol::CompletedResponse response;
  {
    MutexLock lock(&cache_mu_);
    counters_.dispatched.fetch_add(static_cast<int64_t>(claimed.size()), std::memory_order_relaxed);
    for (store::JobRecord& rec : claimed) {
      response.jobs.push_back(MetaOf(rec));
      dispatched_[rec.job_id] = std::move(rec);
    }
  }
  const int free_after = completed.free_threads - static_cast<int>(response.jobs.size());
  UpdateTracker(completed.identity, completed.node_group, std::max(0, free_after), completed.seq,
                request.channel);
  return MessageResponse(response, kJobsFormat);
}

std::optional<store::JobRecord> JobTracker::Impl::RecordOf(const std::string& job_id,
                                                           const std::string& tracker) {
  {
    MutexLock lock(&cache_mu_);
    auto it = dispatched_.find(job_id);
    if (it != dispatched_.end()) {
      store::JobRecord rec = std::move(it->second);
      dispatched_.erase(it);
      // Our dispatch went elsewhere: the job may have been re-queued and dispatched again
      // by another JobTracker. The store knows.
      if (rec.task_tracker == tracker) return rec;
    }
  }
  auto rec = store_->GetJob(job_id);
  if (!rec.ok()) return std::nullopt;
  if (rec->state != store::JobState::kExecuting) return std::nullopt;
  return *std::move(rec);
}

StatusOr<store::Completion> JobTracker::Impl::FinishCompletion(const store::JobRecord& rec,
                                                               int64_t now_ms, int64_t epoch) {
  store::Completion c;
  c.job_id = rec.job_id;
  c.epoch = epoch;
  c.now_ms = now_ms;
  const Job& job = rec.job;
  if (!IsPeriodic(job) || IsManual(rec)) return c;
  const std::string def_id = DefinitionIdOf(rec);
  if (!job.rely_on_prev_cycle) {
    // A generated instance: the generator makes the next ones; a repeat job counts runs.
    if (job.IsRepeat() && job.repeat_count != -1 && rec.repeated_count >= job.repeat_count) {
      c.definition = store::DefinitionChange{def_id, std::nullopt, std::nullopt, true};
    }
    return c;
  }
  if (job.IsCron()) {
    LTS_ASSIGN_OR_RETURN(auto next, crons_.NextFireAfter(job, now_ms));
    if (!next) {
      c.definition = store::DefinitionChange{def_id, std::nullopt, std::nullopt, true};
      return c;
    }
    store::JobRecord n = rec;
    n.job_id = def_id;
    n.job.task_id = std::string(rec.effective_real_task_id());
    n.real_task_id.clear();
    n.internal_params.erase(kDefParam);
    n.retry_times = 0;
    n.trigger_time_ms = *next;
    c.next_instance = std::move(n);
    return c;
  }
  // Repeat: repeat_count is the total number of runs; rec.repeated_count is this run's.
  const int32_t done = std::max(rec.repeated_count, 1);
  if (job.repeat_count != -1 && done >= job.repeat_count) {
    c.definition = store::DefinitionChange{def_id, std::nullopt, done, true};
    return c;
  }
  const int64_t first = job.trigger_time_ms.value_or(rec.trigger_time_ms);
  const int64_t interval = job.repeat_interval_ms.value_or(1000);
  int64_t next = NextGridTime(first, interval, now_ms);
  if (next <= rec.trigger_time_ms) next = rec.trigger_time_ms + interval;
  store::JobRecord n = rec;
  n.job_id = def_id;
  n.job.task_id = std::string(rec.effective_real_task_id());
  n.real_task_id.clear();
  n.internal_params.erase(kDefParam);
  n.retry_times = 0;
  n.repeated_count = done + 1;
  n.trigger_time_ms = next;
  c.next_instance = std::move(n);
  c.definition = store::DefinitionChange{def_id, std::nullopt, done, false};
  return c;
}

Status JobTracker::Impl::ProcessResults(const std::string& tracker,
                                        std::vector<protocol::RunResult> results,
                                        const store::ClaimRequest* claim,
                                        std::vector<store::JobRecord>* claimed) {
  const int64_t now = NowMs();
  const int64_t epoch = epoch_.load();
  counters_.completion_calls.fetch_add(1, std::memory_order_relaxed);
  counters_.completion_results.fetch_add(static_cast<int64_t>(results.size()),
                                         std::memory_order_relaxed);
  std::vector<store::Completion> completions;
  std::vector<store::JobLogRecord> logs;
  std::vector<std::pair<std::string, JobResult>> feedback;
  std::set<std::string> groups;
  for (protocol::RunResult& r : results) {
    std::optional<store::JobRecord> rec = RecordOf(r.job_id, tracker);
    if (!rec) {
      LTS_LOG(DEBUG, "result of job {} ignored: it is not executing (a duplicate or late result)",
              r.job_id);
      continue;
    }
    if (!rec->task_tracker.empty() && rec->task_tracker != tracker) {
      LTS_LOG(WARN, "late result of job {} from {} ignored: the job now runs on {}", r.job_id,
              tracker, rec->task_tracker);
      continue;
    }
    groups.insert(rec->job.task_tracker_node_group);
    switch (r.action) {
      case JobAction::kExecuteSuccess:
        counters_.succeeded.fetch_add(1, std::memory_order_relaxed);
        break;
      case JobAction::kExecuteFailed:
        counters_.failed.fetch_add(1, std::memory_order_relaxed);
        break;
      case JobAction::kExecuteLater:
        counters_.later.fetch_add(1, std::memory_order_relaxed);
        break;
      case JobAction::kExecuteException:
        counters_.exception.fetch_add(1, std::memory_order_relaxed);
        break;
    }
    Outcome outcome =
        DecideOutcome(rec->job, rec->retry_times, r.action, r.terminated, r.message, now);
    // Cron: a retry later than the next fire gives way to the next cycle.
    if (outcome.kind == Outcome::Kind::kRetry && rec->job.IsCron() && rec->job.rely_on_prev_cycle &&
        !IsManual(*rec)) {
      auto next = crons_.NextFireAfter(rec->job, now);
      if (next.ok() && next->has_value() && **next < outcome.retry_at_ms) {
        outcome.kind = Outcome::Kind::kFinish;
        outcome.reason += "; the next cycle comes before the retry";
      }
    }
    // The result in words, for the job log (not made for a success that is not logged).
    auto what = [&r] {
      return fmt::format("{}{}{}{}", JobActionName(r.action), r.terminated ? " (terminated)" : "",
                         r.timed_out ? " (timed out)" : "",
                         r.message.empty() ? "" : ": " + r.message);
    };
    switch (outcome.kind) {
      case Outcome::Kind::kRetry: {
        counters_.retried.fetch_add(1, std::memory_order_relaxed);
        Status s = store_->Retry(rec->job_id, epoch, outcome.retry_at_ms, now);
        if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
        logs.push_back(
            LogOf(*rec, store::JobLogType::kRetry, false,
                  fmt::format("{}; retry {} of {} in {} ms", what(), rec->retry_times + 1,
                              rec->job.max_retry_times, outcome.retry_at_ms - now)));
        logs.back().tracker = tracker;
        continue;
      }
      case Outcome::Kind::kDeadLetter: {
        counters_.dead_lettered.fetch_add(1, std::memory_order_relaxed);
        Status s = store_->DeadLetter(rec->job_id, epoch, outcome.reason, now);
        if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
        logs.push_back(LogOf(*rec, store::JobLogType::kDeadLetter, false, outcome.reason));
        logs.back().tracker = tracker;
        break;
      }
      case Outcome::Kind::kFinish: {
        LTS_ASSIGN_OR_RETURN(store::Completion c, FinishCompletion(*rec, now, epoch));
        completions.push_back(std::move(c));
        if (!outcome.success || options_.log_every_run) {
          logs.push_back(LogOf(*rec, store::JobLogType::kFinished, outcome.success, what()));
          logs.back().tracker = tracker;
          if (!outcome.success) logs.back().level = 2;
        }
        break;
      }
    }
    if (rec->job.need_feedback && !rec->job.submit_node_group.empty()) {
      JobResult fr;
      fr.job = rec->job;
      fr.job.task_id = std::string(rec->effective_real_task_id());
      fr.job_id = rec->job_id;
      fr.action = r.action;
      fr.success = outcome.success;
      fr.terminated = r.terminated;
      fr.message = outcome.kind == Outcome::Kind::kDeadLetter ? outcome.reason : r.message;
      fr.attempts = rec->retry_times + 1;
      fr.finished_ms = r.finished_ms > 0 ? r.finished_ms : now;
      feedback.emplace_back(rec->job.submit_node_group, std::move(fr));
    }
  }
  if (claim != nullptr) {
    LTS_ASSIGN_OR_RETURN(auto both, store_->CompleteAndClaim(completions, *claim));
    *claimed = std::move(both.claimed);
  } else if (!completions.empty()) {
    LTS_RETURN_IF_ERROR(store_->CompleteBatch(completions).status());
  }
  if (!logs.empty()) Log(std::move(logs));
  if (!feedback.empty()) Feedback(std::move(feedback));
  // A next cycle may be due before the group's timer.
  bool periodic = false;
  for (const store::Completion& c : completions) periodic |= c.next_instance.has_value();
  if (periodic) PostKick(groups);
  return Status::Ok();
}

// ===================================================================================
// Feedback
// ===================================================================================

void JobTracker::Impl::Feedback(std::vector<std::pair<std::string, JobResult>> results) {
  std::map<std::string, std::vector<JobResult>> by_group;
  for (auto& [group, r] : results) by_group[group].push_back(std::move(r));
  loop_->RunInLoop([this, by_group = std::move(by_group)]() mutable {
    for (auto& entry : by_group) {
      // Named copies: clang cannot capture structured bindings in a lambda.
      const std::string group = entry.first;
      const std::vector<JobResult> list = std::move(entry.second);
      std::shared_ptr<rpc::RpcChannel> channel;
      auto it = clients_.find(group);
      if (it != clients_.end()) {
        for (auto c = it->second.begin(); c != it->second.end();) {
          channel = c->second.lock();
          if (channel != nullptr && channel->ready()) break;
          channel.reset();
          c = it->second.erase(c);
        }
      }
      auto store_them = [this, group, list] {
        std::vector<store::FeedbackRecord> rows;
        for (const JobResult& r : list) {
          store::FeedbackRecord row;
          row.client_group = group;
          row.payload = protocol::JobResultToJson(r).dump();
          rows.push_back(std::move(row));
        }
        Status s = store_->AddFeedback(rows, NowMs());
        if (!s.ok())
          LTS_LOG(ERROR, "storing feedback for group {} failed: {}", group, s.ToString());
      };
      if (channel == nullptr) {
        (void)dispatch_pool_->Submit(store_them);
        continue;
      }
      protocol::FeedbackRequest request{list};
      auto body = protocol::EncodeMessage(request);
      if (!body.ok()) continue;
      channel->Call(ToWire(Command::kJobFeedback), rpc::BodyFormat::kJson, *std::move(body),
                    kCallDeadline, [this, store_them](StatusOr<rpc::RpcResponse> r) {
                      if (!r.ok()) (void)dispatch_pool_->Submit(store_them);
                    });
    }
  });
}

void JobTracker::Impl::DeliverStoredFeedback(const std::string& group) {
  for (int round = 0; round < 100; ++round) {
    auto rows = store_->TakeFeedback(group, 100);
    if (!rows.ok() || rows->empty()) return;
    protocol::FeedbackRequest request;
    std::vector<int64_t> ids;
    for (const store::FeedbackRecord& row : *rows) {
      ids.push_back(row.id);
      json value = json::parse(row.payload, nullptr, false);
      auto r = protocol::JobResultFromJson(value, "feedback");
      if (r.ok()) request.results.push_back(*std::move(r));
    }
    std::promise<Status> sent;
    auto body = protocol::EncodeMessage(request);
    if (!body.ok()) return;
    loop_->RunInLoop([this, group, body = *std::move(body), &sent]() mutable {
      std::shared_ptr<rpc::RpcChannel> channel;
      auto it = clients_.find(group);
      if (it != clients_.end()) {
        for (auto& [id, weak] : it->second) {
          channel = weak.lock();
          if (channel != nullptr && channel->ready()) break;
          channel.reset();
        }
      }
      if (channel == nullptr) {
        sent.set_value(Unavailable("no JobClient of the group is connected"));
        return;
      }
      channel->Call(ToWire(Command::kJobFeedback), rpc::BodyFormat::kJson, std::move(body),
                    kCallDeadline, [&sent](StatusOr<rpc::RpcResponse> r) {
                      sent.set_value(r.ok() ? Status::Ok() : r.status());
                    });
    });
    Status s = sent.get_future().get();
    if (!s.ok()) return;  // Kept; tried again on the next repair round.
    (void)store_->DeleteFeedback(ids);
    LTS_LOG(INFO, "delivered {} stored feedback results to JobClient group {}", ids.size(), group);
  }
}

// ===================================================================================
// BizLog, cancel, control, query
// ===================================================================================

StatusOr<rpc::RpcResponse> JobTracker::Impl::OnBizLog(const rpc::RpcRequest& request) {
  LTS_ASSIGN_OR_RETURN(
      auto logs, protocol::DecodeMessage<protocol::BizLogRequest>(request.body, request.format));
  std::vector<store::BizLogRecord> rows;
  rows.reserve(logs.lines.size());
  for (protocol::BizLogLine& line : logs.lines) {
    store::BizLogRecord row;
    row.job_id = std::move(line.job_id);
    row.node_group = std::move(line.node_group);
    row.task_id = std::move(line.task_id);
    row.log_time_ms = line.time_ms;
    row.level = line.level;
    row.message = std::move(line.message);
    rows.push_back(std::move(row));
  }
  if (!rows.empty()) LTS_RETURN_IF_ERROR(store_->AppendBizLog(rows));
  return rpc::RpcResponse{};
}

StatusOr<rpc::RpcResponse> JobTracker::Impl::OnCancel(const rpc::RpcRequest& request) {
  LTS_ASSIGN_OR_RETURN(json value, protocol::DecodeJson(request.body, request.format));
  LTS_ASSIGN_OR_RETURN(protocol::JobKey key, protocol::JobKey::FromJson(value, "cancel"));
  LTS_ASSIGN_OR_RETURN(int64_t removed, store_->Cancel(key.node_group, key.task_id));
  store::JobLogRecord log;
  log.node_group = key.node_group;
  log.task_id = key.task_id;
  log.log_time_ms = NowMs();
  log.type = store::JobLogType::kDelete;
  log.message = fmt::format("cancelled ({} rows removed)", removed);
  Log({log});
  return MessageResponse(protocol::ControlResponse{
      fmt::format("cancelled {}/{}: {} waiting rows removed; a running instance finishes",
                  key.node_group, key.task_id, removed),
      removed});
}

StatusOr<rpc::RpcResponse> JobTracker::Impl::OnControl(const rpc::RpcRequest& request) {
  LTS_ASSIGN_OR_RETURN(auto control, protocol::DecodeMessage<protocol::ControlRequest>(
                                         request.body, request.format));
  const int64_t now = NowMs();
  const protocol::JobKey& key = control.key;
  protocol::ControlResponse response;
  store::JobLogRecord log;
  log.node_group = key.node_group;
  log.task_id = key.task_id;
  log.job_id = control.job_id;
  log.log_time_ms = now;
  switch (control.op) {
    case protocol::ControlOp::kPause: {
      LTS_RETURN_IF_ERROR(store_->Pause(key.node_group, key.task_id, now));
      response.message = fmt::format(
          "paused {}/{}: nothing new starts until it is resumed; a "
          "running instance finishes",
          key.node_group, key.task_id);
      response.affected = 1;
      log.type = store::JobLogType::kSuspend;
      break;
    }
    case protocol::ControlOp::kResume: {
      LTS_ASSIGN_OR_RETURN(auto def, store_->Resume(key.node_group, key.task_id, now));
      if (def.has_value()) {
        // The paused cycle finished while paused: make the next one.
        if (!def->job.rely_on_prev_cycle) {
          def->last_generate_trigger_time_ms = now;
          LTS_RETURN_IF_ERROR(GenerateInstances(*def, now));
        } else {
          store::JobRecord inst = *def;
          inst.is_definition = false;
          inst.job_id.clear();
          inst.internal_params[kDefParam] = def->job_id;
          inst.real_task_id = def->job.task_id;
          inst.job.task_id = fmt::format("{}#resume-{}", def->job.task_id, now);
          std::optional<int64_t> next;
          if (def->job.IsCron()) {
            LTS_ASSIGN_OR_RETURN(next, crons_.NextFireAfter(def->job, now));
          } else {
            const int64_t first = def->job.trigger_time_ms.value_or(def->trigger_time_ms);
            next = NextGridTime(first, def->job.repeat_interval_ms.value_or(1000), now);
            inst.repeated_count = def->repeated_count + 1;
          }
          if (next) {
            inst.trigger_time_ms = *next;
            const store::JobRecord one[] = {inst};
            LTS_RETURN_IF_ERROR(
                store_->AddInstances(def->job_id, one, def->last_generate_trigger_time_ms, now)
                    .status());
          }
        }
      }
      response.message = fmt::format("resumed {}/{}", key.node_group, key.task_id);
      response.affected = 1;
      log.type = store::JobLogType::kResume;
      PostKick({key.node_group});
      break;
    }
    case protocol::ControlOp::kTrigger: {
      // A periodic job gets an extra instance now, its schedule untouched; a waiting
      // one-off job becomes due now with the highest priority.
      store::ListFilter filter;
      filter.node_group = key.node_group;
      filter.task_id_prefix = key.task_id;
      filter.limit = 1000;
      std::optional<store::JobRecord> def;
      for (store::Queue q : {store::Queue::kCron, store::Queue::kRepeat}) {
        LTS_ASSIGN_OR_RETURN(auto defs, store_->List(q, filter));
        for (auto& d : defs) {
          if (d.job.task_id == key.task_id) def = std::move(d);
        }
      }
      if (def.has_value()) {
        if (def->suspended) {
          return FailedPrecondition(
              fmt::format("{}/{} is paused; resume it first", key.node_group, key.task_id));
        }
        if (def->job.rely_on_prev_cycle) {
          LTS_ASSIGN_OR_RETURN(auto running, store_->List(store::Queue::kExecuting, filter));
          for (const auto& r : running) {
            if (r.effective_real_task_id() == key.task_id) {
              return FailedPrecondition(fmt::format(
                  "{}/{} is running now and relies on its previous cycle; try again when it "
                  "has finished",
                  key.node_group, key.task_id));
            }
          }
        }
        store::JobRecord inst = *def;
        inst.is_definition = false;
        inst.job_id.clear();
        inst.internal_params[kDefParam] = def->job_id;
        inst.internal_params[kManualParam] = "1";
        inst.real_task_id = def->job.task_id;
        inst.job.task_id = fmt::format("{}#now-{}", def->job.task_id, now);
        inst.trigger_time_ms = now;
        inst.retry_times = 0;
        const store::JobRecord one[] = {inst};
        LTS_ASSIGN_OR_RETURN(
            int64_t added,
            store_->AddInstances(def->job_id, one, def->last_generate_trigger_time_ms, now));
        response.affected = added;
        response.message = fmt::format(
            "triggered {}/{}: an extra run now; the schedule is "
            "unchanged",
            key.node_group, key.task_id);
      } else {
        LTS_RETURN_IF_ERROR(store_->TriggerNow(key.node_group, key.task_id, now));
        response.affected = 1;
        response.message =
            fmt::format("triggered {}/{}: it runs next", key.node_group, key.task_id);
      }
      log.type = store::JobLogType::kUpdate;
      loop_->RunInLoop([this, group = key.node_group] { Kick(group); });
      break;
    }
    case protocol::ControlOp::kCancel: {
      LTS_ASSIGN_OR_RETURN(int64_t removed, store_->Cancel(key.node_group, key.task_id));
      response.affected = removed;
      response.message = fmt::format("cancelled {}/{}: {} waiting rows removed", key.node_group,
                                     key.task_id, removed);
      log.type = store::JobLogType::kDelete;
      break;
    }
    case protocol::ControlOp::kTerminate: {
      std::optional<store::JobRecord> running;
      if (!control.job_id.empty()) {
        LTS_ASSIGN_OR_RETURN(store::JobRecord rec, store_->GetJob(control.job_id));
        if (rec.state == store::JobState::kExecuting) running = std::move(rec);
      } else {
        store::ListFilter filter;
        filter.node_group = key.node_group;
        filter.task_id_prefix = key.task_id;
        filter.limit = 1000;
        LTS_ASSIGN_OR_RETURN(auto list, store_->List(store::Queue::kExecuting, filter));
        for (auto& r : list) {
          if (r.effective_real_task_id() == key.task_id) running = std::move(r);
        }
      }
      if (!running) {
        return NotFound(fmt::format("{}: not running", control.job_id.empty()
                                                           ? key.node_group + "/" + key.task_id
                                                           : control.job_id));
      }
      std::promise<StatusOr<bool>> done;
      protocol::TerminateRequest terminate{running->job_id, "terminated by an operator"};
      auto body = protocol::EncodeMessage(terminate);
      if (!body.ok()) return body.status();
      const std::string tracker = running->task_tracker;
      loop_->RunInLoop([this, tracker, body = *std::move(body), &done]() mutable {
        auto it = trackers_.find(tracker);
        auto channel = it == trackers_.end() ? nullptr : it->second.channel.lock();
        if (channel == nullptr) {
          done.set_value(Unavailable(
              fmt::format("TaskTracker {} is not connected to this JobTracker", tracker)));
          return;
        }
        channel->Call(ToWire(Command::kTerminateJob), rpc::BodyFormat::kJson, std::move(body),
                      kCallDeadline, [&done](StatusOr<rpc::RpcResponse> r) {
                        if (!r.ok()) {
                          done.set_value(r.status());
                          return;
                        }
                        auto answer = protocol::DecodeMessage<protocol::TerminateResponse>(
                            r->body, r->format);
                        if (!answer.ok()) {
                          done.set_value(answer.status());
                        } else {
                          done.set_value(answer->found);
                        }
                      });
      });
      LTS_ASSIGN_OR_RETURN(bool found, done.get_future().get());
      if (!found) {
        return NotFound(
            fmt::format("job {} is not running on {} any more", running->job_id, tracker));
      }
      response.affected = 1;
      response.message = fmt::format("terminating job {} on {}", running->job_id, tracker);
      log.job_id = running->job_id;
      log.type = store::JobLogType::kUpdate;
      log.tracker = tracker;
      break;
    }
    case protocol::ControlOp::kDisableNode:
    case protocol::ControlOp::kEnableNode:
      // Not a job: no store, no job log.
      return SetNodeDisabled(control.identity, control.op == protocol::ControlOp::kDisableNode);
    case protocol::ControlOp::kRetryDead: {
      LTS_ASSIGN_OR_RETURN(auto dead, store_->GetDeadLetter(control.job_id));
      LTS_RETURN_IF_ERROR(store_->RetryDeadLetter(control.job_id, now));
      response.affected = 1;
      response.message = fmt::format("job {} is back in the queue", control.job_id);
      log.node_group = dead.record.job.task_tracker_node_group;
      log.task_id = dead.record.job.task_id;
      log.type = store::JobLogType::kRetry;
      PostKick({log.node_group});
      break;
    }
  }
  log.message = response.message;
  Log({log});
  return MessageResponse(response);
}

StatusOr<rpc::RpcResponse> JobTracker::Impl::OnQuery(const rpc::RpcRequest& request) {
  LTS_ASSIGN_OR_RETURN(
      auto query, protocol::DecodeMessage<protocol::QueryRequest>(request.body, request.format));
  if (query.kind == protocol::QueryKind::kStats) {
    LTS_ASSIGN_OR_RETURN(json answer, StatsAnswer());
    return JsonResponse(answer);
  }
  LTS_ASSIGN_OR_RETURN(json answer, RunQuery(store_.get(), query));
  return JsonResponse(answer);
}

// ===================================================================================
// TaskTracker state for operators: stats, disable/enable (answered by the loop)
// ===================================================================================

template <typename T>
StatusOr<T> JobTracker::Impl::AskLoop(std::function<StatusOr<T>()> fn) {
  // Shared with the functor: a timed-out wait leaves it to the functor (or to its
  // destruction when the loop is gone).
  struct Answer {
    Mutex mu;
    CondVar cv;
    std::optional<StatusOr<T>> value GUARDED_BY(mu);
  };
  auto answer = std::make_shared<Answer>();
  loop_->RunInLoop([answer, fn = std::move(fn)] {
    StatusOr<T> value = fn();
    MutexLock lock(&answer->mu);
    answer->value.emplace(std::move(value));
    answer->cv.SignalAll();
  });
  const auto deadline = std::chrono::steady_clock::now() + kCallDeadline;
  MutexLock lock(&answer->mu);
  while (!answer->value.has_value()) {
    if (!answer->cv.WaitUntil(&answer->mu, deadline) && !answer->value.has_value()) {
      return Unavailable("the JobTracker's scheduler did not answer in time");
    }
  }
  return *std::move(answer->value);
}

StatusOr<rpc::RpcResponse> JobTracker::Impl::SetNodeDisabled(const std::string& identity,
                                                             bool disable) {
  LTS_ASSIGN_OR_RETURN(protocol::ControlResponse response,
                       AskLoop<protocol::ControlResponse>([this, identity, disable] {
                         return SetNodeDisabledInLoop(identity, disable);
                       }));
  return MessageResponse(response);
}

StatusOr<protocol::ControlResponse> JobTracker::Impl::SetNodeDisabledInLoop(
    const std::string& identity, bool disable) {
  if (known_trackers_.count(identity) == 0) {
    return NotFound(fmt::format("TaskTracker {} has never reported to this JobTracker", identity));
  }
  const char* what = disable ? "disabled" : "enabled";
  bool changed = false;
  {
    MutexLock lock(&disabled_mu_);
    changed = disable ? disabled_.insert(identity).second : disabled_.erase(identity) > 0;
  }
  if (!changed) {
    return protocol::ControlResponse{fmt::format("TaskTracker {} was already {}", identity, what),
                                     0};
  }
  LTS_LOG(INFO, "TaskTracker {} {} by an operator", identity, what);
  if (!disable) {
    // Eligible at once: due jobs go to its free threads now.
    auto it = trackers_.find(identity);
    if (it != trackers_.end() && it->second.connected && it->second.free > 0) {
      const std::string group = it->second.group;
      Kick(group);
    }
  }
  return protocol::ControlResponse{fmt::format("{} TaskTracker {}", what, identity), 1};
}

json JobTracker::Impl::TrackersJson() {
  // Runs this JobTracker dispatched to each TaskTracker and has no result of yet.
  std::unordered_map<std::string, int64_t> running;
  {
    MutexLock lock(&cache_mu_);
    for (const auto& entry : dispatched_) ++running[entry.second.task_tracker];
  }
  std::set<std::string> disabled;
  {
    MutexLock lock(&disabled_mu_);
    disabled = disabled_;
  }
  std::map<std::string, const Tracker*> sorted;
  for (const auto& entry : trackers_) sorted.emplace(entry.first, &entry.second);
  json list = json::array();
  for (const auto& [identity, t] : sorted) {
    auto r = running.find(identity);
    list.push_back(json{{"identity", identity},
                        {"group", t->group},
                        {"connected", t->connected},
                        {"freeThreads", t->free},
                        {"running", r == running.end() ? 0 : r->second},
                        {"disabled", disabled.count(identity) != 0}});
  }
  json all_disabled = json::array();
  for (const std::string& identity : disabled) all_disabled.push_back(identity);
  return json{{"taskTrackers", std::move(list)}, {"disabledTaskTrackers", std::move(all_disabled)}};
}

StatusOr<json> JobTracker::Impl::StatsAnswer() {
  LTS_ASSIGN_OR_RETURN(json answer,
                       AskLoop<json>([this]() -> StatusOr<json> { return TrackersJson(); }));
  const Counters& c = counters_;
  answer["jobTracker"] = json{{"identity", options_.identity},
                              {"listen", server_->listen_address().ToString()},
                              {"master", master_.load()},
                              {"epoch", epoch_.load()}};
  answer["stats"] =
      json{{"submitted", c.submitted.load()}, {"dispatched", c.dispatched.load()},
           {"succeeded", c.succeeded.load()}, {"failed", c.failed.load()},
           {"later", c.later.load()},         {"exception", c.exception.load()},
           {"retried", c.retried.load()},     {"deadLettered", c.dead_lettered.load()},
           {"requeued", c.requeued.load()}};
  return answer;
}

// ===================================================================================
// Failover and repair
// ===================================================================================

void JobTracker::Impl::OnChannelClosed(const std::shared_ptr<rpc::RpcChannel>& channel) {
  for (auto& [identity, t] : trackers_) {
    auto current = t.channel.lock();
    if (current != nullptr && current != channel) continue;
    if (current == nullptr && !t.channel.expired()) continue;
    if (!t.connected) continue;
    t.connected = false;
    t.free = 0;
    const std::string id = identity;
    LTS_LOG(WARN,
            "TaskTracker {} disconnected; its jobs go back to the queue unless it returns "
            "within {} ms",
            id, options_.tasktracker_grace_ms);
    t.grace_timer =
        loop_->RunAfter(std::chrono::milliseconds(options_.tasktracker_grace_ms), [this, id] {
          auto it = trackers_.find(id);
          if (it == trackers_.end()) return;
          it->second.grace_timer = net::TimerId();
          if (it->second.connected) return;
          OnTrackerGone(id, "did not reconnect in time");
        });
  }
}

void JobTracker::Impl::OnTrackerGone(const std::string& identity, const std::string& why) {
  trackers_.erase(identity);
  const int64_t epoch = epoch_.load();
  (void)dispatch_pool_->Submit([this, identity, why, epoch] {
    // The jobs first, for their job log entries; then one statement moves them all.
    auto running = store_->ListExecutingBy(store::JobStore::Owner::kTaskTracker, identity);
    auto moved =
        store_->RequeueExecuting(store::JobStore::Owner::kTaskTracker, identity, epoch, NowMs());
    if (!moved.ok()) {
      LTS_LOG(ERROR, "re-queueing the jobs of TaskTracker {} failed: {}", identity,
              moved.status().ToString());
      return;
    }
    {
      MutexLock lock(&cache_mu_);
      for (auto d = dispatched_.begin(); d != dispatched_.end();) {
        d = d->second.task_tracker == identity ? dispatched_.erase(d) : std::next(d);
      }
    }
    if (*moved > 0) {
      counters_.requeued.fetch_add(*moved, std::memory_order_relaxed);
      LTS_LOG(WARN, "TaskTracker {} {}: {} of its running jobs are back in the queue", identity,
              why, *moved);
      std::vector<store::JobLogRecord> logs;
      if (running.ok()) {
        for (const store::JobRecord& rec : *running) {
          logs.push_back(LogOf(rec, store::JobLogType::kFixedDead, false,
                               fmt::format("TaskTracker {} {}: back in the queue", identity, why)));
          logs.back().tracker = identity;
        }
      }
      Log(std::move(logs));
      loop_->RunInLoop([this] {
        for (auto& [name, g] : groups_) Kick(name);
        for (auto& [name, g] : groups_) RefreshDueTime(name);
      });
    }
  });
}

void JobTracker::Impl::Rescan() {
  std::set<std::string> groups;
  for (auto& [id, t] : trackers_) {
    if (t.connected) groups.insert(t.group);
  }
  for (const std::string& g : groups) {
    if (!groups_[g].claiming) RefreshDueTime(g);
  }
}

void JobTracker::Impl::Repair() {
  if (!master_.load() || stopping_.load()) return;
  // Executing jobs older than the check age: ask their TaskTrackers.
  std::map<std::string, std::weak_ptr<rpc::RpcChannel>> channels;
  for (auto& [id, t] : trackers_) {
    if (t.connected) channels[id] = t.channel;
  }
  std::set<std::string> client_groups;
  for (auto& [group, list] : clients_) {
    if (!list.empty()) client_groups.insert(group);
  }
  const int64_t epoch = epoch_.load();
  if (repair_pool_->queue_size() > 0) return;  // The previous round is still running.
  (void)repair_pool_->Submit([this, channels, client_groups, epoch] {
    const int64_t now = NowMs();
    auto old = store_->ListExecutingOlderThan(now - options_.executing_check_ms, 1000);
    if (old.ok()) {
      std::map<std::string, std::vector<std::string>> by_tracker;
      for (const store::JobRecord& rec : *old) {
        // A job's own timeout is the TaskTracker's to enforce; ask only past it.
        const int64_t limit =
            std::max<int64_t>(options_.executing_check_ms, rec.job.timeout_seconds * 1000 + 5000);
        if (rec.started_at_ms + limit > now) continue;
        by_tracker[rec.task_tracker].push_back(rec.job_id);
      }
      for (auto& entry : by_tracker) {
        const std::string tracker = entry.first;
        const std::vector<std::string>& ids = entry.second;
        auto it = channels.find(tracker);
        auto channel = it == channels.end() ? nullptr : it->second.lock();
        if (channel == nullptr) {
          const bool registered = [&] {
            if (registry_ == nullptr) return false;
            auto nodes = registry_->List(registry::NodeType::kTaskTracker);
            if (!nodes.ok()) return true;  // Cannot tell: leave it.
            for (const auto& n : *nodes) {
              if (n.identity == tracker) return true;
            }
            return false;
          }();
          if (!registered) {
            loop_->RunInLoop([this, tracker] {
              if (trackers_.count(tracker) != 0 && trackers_[tracker].connected) return;
              OnTrackerGone(tracker, "is gone (found by the executing-job check)");
            });
          }
          continue;
        }
        protocol::AskRequest ask{ids};
        auto body = protocol::EncodeMessage(ask);
        if (!body.ok()) continue;
        auto answer = std::make_shared<std::promise<StatusOr<rpc::RpcResponse>>>();
        channel->Call(ToWire(Command::kJobAsk), rpc::BodyFormat::kJson, *std::move(body),
                      kCallDeadline,
                      [answer](StatusOr<rpc::RpcResponse> r) { answer->set_value(std::move(r)); });
        auto r = answer->get_future().get();
        if (!r.ok()) continue;
        auto asked = protocol::DecodeMessage<protocol::AskResponse>(r->body, r->format);
        if (!asked.ok()) continue;
        for (const std::string& id : asked->not_running) {
          Status s = store_->RequeueOne(id, epoch, NowMs());
          if (s.ok()) {
            LTS_LOG(WARN, "job {} was executing on {} but it is not running there; re-queued", id,
                    tracker);
          }
        }
      }
    }
    // Non-relyOnPrevCycle generation.
    auto defs = store_->ListDefinitionsToGenerate(now + options_.nonrely_window_ms / 2, 100);
    if (defs.ok()) {
      for (const store::JobRecord& def : *defs) {
        Status s = GenerateInstances(def, now);
        if (!s.ok()) LTS_LOG(WARN, "job {}: generating instances: {}", def.job_id, s.ToString());
      }
    }
    for (const std::string& group : client_groups) DeliverStoredFeedback(group);
  });
}

// ===================================================================================
// Job log
// ===================================================================================

store::JobLogRecord JobTracker::Impl::LogOf(const store::JobRecord& rec, store::JobLogType type,
                                            bool success, std::string message) const {
  store::JobLogRecord log;
  log.node_group = rec.job.task_tracker_node_group;
  log.task_id = std::string(rec.effective_real_task_id());
  log.job_id = rec.job_id;
  log.log_time_ms = NowMs();
  log.type = type;
  log.success = success;
  log.level = success ? 1 : 2;
  log.tracker = options_.identity;
  if (message.size() > store::kMaxMessageBytes) message.resize(store::kMaxMessageBytes);
  log.message = std::move(message);
  return log;
}

void JobTracker::Impl::Log(std::vector<store::JobLogRecord> records) {
  if (options_.job_log_flush_ms > 0) {
    MutexLock lock(&log_mu_);
    if (log_buffer_.size() + records.size() > kMaxBufferedLogs) {
      ++dropped_logs_;  // Counted and reported by the writer; jobs are never held up.
      return;
    }
    for (auto& r : records) log_buffer_.push_back(std::move(r));
    if (log_buffer_.size() >= 1000) log_cv_.Signal();
    return;
  }
  WriteLogs(records);
}

void JobTracker::Impl::WriteLogs(std::vector<store::JobLogRecord>& records) {
  for (size_t i = 0; i < records.size(); i += store::kMaxBatch) {
    const size_t n = std::min(records.size() - i, store::kMaxBatch);
    auto batch = std::span(records).subspan(i, n);
    Status s = store_->AppendJobLog(batch);
    if (s.code() == StatusCode::kInvalidArgument && n > 1) {
      // One bad entry must not take the others with it: write them one by one.
      for (size_t k = 0; k < n; ++k) {
        Status one = store_->AppendJobLog(batch.subspan(k, 1));
        if (!one.ok()) LTS_LOG(WARN, "a job log entry was refused: {}", one.ToString());
      }
    } else if (!s.ok()) {
      LTS_LOG(WARN, "writing {} job log entries failed: {}", n, s.ToString());
    }
  }
}

void JobTracker::Impl::LogWriterMain() {
  for (;;) {
    std::vector<store::JobLogRecord> batch;
    int64_t dropped = 0;
    bool stop = false;
    {
      MutexLock lock(&log_mu_);
      if (!log_stop_ && log_buffer_.size() < 1000) {
        log_cv_.WaitFor(&log_mu_, std::chrono::milliseconds(options_.job_log_flush_ms));
      }
      batch.swap(log_buffer_);
      dropped = std::exchange(dropped_logs_, 0);
      stop = log_stop_;
    }
    if (dropped > 0) {
      LTS_LOG(WARN, "the job log writer fell behind: {} log writes were dropped", dropped);
    }
    if (!batch.empty()) WriteLogs(batch);
    if (stop) return;
  }
}

// ===================================================================================
// JobTracker
// ===================================================================================

JobTracker::JobTracker(JobTrackerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
JobTracker::~JobTracker() { impl_->Stop(); }
Status JobTracker::Start() { return impl_->Start(); }
void JobTracker::Stop() { impl_->Stop(); }
std::string JobTracker::listen_address() const {
  return impl_->server_ ? impl_->server_->listen_address().ToString() : impl_->options_.listen;
}
const std::string& JobTracker::identity() const { return impl_->options_.identity; }
bool JobTracker::is_master() const { return impl_->master_.load(); }
int64_t JobTracker::epoch() const { return impl_->epoch_.load(); }
store::JobStore* JobTracker::store() const { return impl_->store_.get(); }
JobTrackerStats JobTracker::stats() const {
  const auto& c = impl_->counters_;
  JobTrackerStats s;
  s.submitted = c.submitted.load();
  s.dispatched = c.dispatched.load();
  s.succeeded = c.succeeded.load();
  s.failed = c.failed.load();
  s.later = c.later.load();
  s.exception = c.exception.load();
  s.retried = c.retried.load();
  s.dead_lettered = c.dead_lettered.load();
  s.requeued = c.requeued.load();
  s.claim_calls = c.claim_calls.load();
  s.completion_calls = c.completion_calls.load();
  s.completion_results = c.completion_results.load();
  s.submit_calls = c.submit_calls.load();
  return s;
}

}  // namespace lts::jobtracker
