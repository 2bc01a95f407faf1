// lts::JobClient (include/lts/job_client.h) over node::JobTrackerLinks and a FailStore.
//
// Order of submissions. `store_mu_` orders every write to the FailStore and every resend
// from it. `backlog_` is true while the own FailStore may hold entries: a submission that
// sees it goes to the FailStore behind the waiting jobs instead of to a JobTracker, so a
// caller's jobs reach the JobTracker in the order it submitted them. Only the resend
// thread clears it, under `store_mu_`, after it found the store empty.
//
// Threads: the links' IO loop (heartbeats, link-ready hook), one processor thread per link
// (JOB_FEEDBACK, runs the user's handler), the resend thread (FailStore drain and
// takeover of dead siblings' stores), and the callers of Submit/Cancel.

#include "lts/job_client.h"

#include <fmt/format.h>

#include <atomic>
#include <exception>
#include <filesystem>
#include <limits>
#include <optional>
#include <thread>
#include <utility>

#include "base/clock.h"
#include "base/logging.h"
#include "base/mutex.h"
#include "client/links.h"
#include "failstore/fail_store.h"
#include "net/event_loop.h"
#include "node/jobtracker_links.h"
#include "protocol/messages.h"
#include "registry/registry.h"
#include "rpc/command.h"

namespace lts {
namespace {

constexpr size_t kResendBatch = 100;

// A call that failed this way may succeed later: the job is kept for a resend.
bool Retryable(const Status& status) {
  return status.code() == StatusCode::kUnavailable ||
         status.code() == StatusCode::kDeadlineExceeded ||
         status.code() == StatusCode::kResourceExhausted;
}

// The answer to a SUBMIT_JOB of `jobs` jobs: one result per job, or an error.
StatusOr<protocol::SubmitResponse> DecodeSubmitResponse(const rpc::RpcResponse& response,
                                                        size_t jobs) {
  StatusOr<protocol::SubmitResponse> decoded =
      protocol::DecodeMessage<protocol::SubmitResponse>(response.body, response.format);
  if (decoded.ok() && decoded->results.size() != jobs) {
    return Internal(fmt::format("{} results for {} jobs", decoded->results.size(), jobs));
  }
  return decoded;
}

int64_t WallMillis() { return SystemClock().NowMicros() / 1000; }

}  // namespace

class JobClient::Impl {
 public:
  explicit Impl(Options options) : options_(std::move(options)) {
    if (options_.identity.empty()) options_.identity = client::DefaultIdentity("jobclient");
  }
  ~Impl() { Stop(); }

  void SetFeedbackHandler(std::function<void(const std::vector<JobResult>&)> handler) {
    handler_ = std::move(handler);
  }

  Status Start();
  void Stop();
  bool WaitForJobTracker(std::chrono::milliseconds timeout) const {
    return links_ != nullptr && links_->WaitReady(timeout);
  }
  std::vector<SubmitResult> SubmitBatch(std::span<const Job> jobs);
  Status Cancel(std::string_view node_group, std::string_view task_id);
  uint64_t pending_jobs() const { return pending_.load(); }

 private:
  client::LinkSettings Settings() const;
  Status CheckOptions() const;
  Status OpenFailStore();
  StatusOr<rpc::RpcResponse> FeedbackProcessor(const rpc::RpcRequest& request);
  void SendHeartbeats();

  // Sends jobs[indices] in one SUBMIT_JOB and fills their results. Returns the call's
  // error when it is retryable (the results are then untouched).
  Status SendChunk(std::span<const Job> jobs, std::span<const size_t> indices,
                   std::vector<SubmitResult>* results);
  // Puts jobs[indices] into the FailStore in order and fills their results.
  void SaveForLater(std::span<const Job> jobs, std::span<const size_t> indices, const Status& why,
                    std::vector<SubmitResult>* results);

  void ResendLoop();
  void TakeOverDeadStores();
  // Resends one batch. Returns true when it made progress and more may follow now.
  bool ResendOnce();
  void Wake();

  Options options_;
  std::function<void(const std::vector<JobResult>&)> handler_;
  std::unique_ptr<node::JobTrackerLinks> links_;
  std::string heartbeat_body_;
  std::atomic<bool> started_{false};

  Mutex store_mu_;
  std::unique_ptr<failstore::FailStore> store_ GUARDED_BY(store_mu_);
  // Stores of dead clients of the group, drained before the own one.
  std::vector<std::unique_ptr<failstore::FailStore>> adopted_ GUARDED_BY(store_mu_);
  std::atomic<bool> backlog_{false};
  std::atomic<uint64_t> pending_{0};

  Mutex wake_mu_;
  CondVar wake_cv_;
  bool wake_ GUARDED_BY(wake_mu_) = false;
  bool stopping_ GUARDED_BY(wake_mu_) = false;
  std::thread resend_thread_;
};

client::LinkSettings JobClient::Impl::Settings() const {
  client::LinkSettings settings;
  settings.registry = options_.registry;
  settings.cluster = options_.cluster;
  settings.jobtrackers = options_.jobtrackers;
  settings.cluster_secret = options_.cluster_secret;
  settings.identity = options_.identity;
  settings.reconnect_backoff_max = options_.reconnect_backoff_max;
  return settings;
}

Status JobClient::Impl::CheckOptions() const {
  Job probe;
  probe.task_id = "probe";
  probe.task_tracker_node_group = options_.node_group;
  if (Status s = probe.Validate(); !s.ok()) {
    return InvalidArgument(
        fmt::format("JobClient node_group '{}': {}", options_.node_group, s.message()));
  }
  if (options_.identity.size() > protocol::kMaxIdBytes) {
    return InvalidArgument("JobClient identity: longer than 128 bytes");
  }
  if (options_.call_timeout.count() <= 0 || options_.heartbeat_interval.count() <= 0 ||
      options_.resend_interval.count() <= 0 || options_.takeover_interval.count() <= 0) {
    return InvalidArgument("JobClient options: every interval and timeout must be positive");
  }
  return Status::Ok();
}

Status JobClient::Impl::OpenFailStore() {
  const std::string dir =
      failstore::FailStorePath(options_.data_dir, "JOB_CLIENT", options_.node_group, "job_submit",
                               options_.fail_store_engine, options_.identity);
  LTS_ASSIGN_OR_RETURN(std::unique_ptr<failstore::FailStore> store,
                       failstore::FailStore::Open(options_.fail_store_engine, dir));
  // Count what a previous run left (bounded: the counter is for pending_jobs() only).
  LTS_ASSIGN_OR_RETURN(std::vector<failstore::FailStoreEntry> left, store->Take(1u << 20));
  if (!left.empty()) {
    LTS_LOG(INFO, "JobClient {}: {} job(s) in the FailStore {} from an earlier run; resending",
            options_.identity, left.size(), dir);
    backlog_ = true;
    pending_ = left.size();
  }
  MutexLock lock(&store_mu_);
  store_ = std::move(store);
  return Status::Ok();
}

Status JobClient::Impl::Start() {
  if (started_) return FailedPrecondition("JobClient: started twice");
  LTS_RETURN_IF_ERROR(CheckOptions());
  if (options_.use_fail_store) LTS_RETURN_IF_ERROR(OpenFailStore());

  protocol::HeartbeatRequest heartbeat;
  heartbeat.identity = options_.identity;
  heartbeat.node_type = "JOB_CLIENT";
  heartbeat.node_group = options_.node_group;
  LTS_ASSIGN_OR_RETURN(heartbeat_body_, protocol::EncodeMessage(heartbeat));

  node::JobTrackerLinksOptions links = client::MakeLinksOptions(Settings());
  links.self.type = registry::NodeType::kJobClient;
  links.self.group = options_.node_group;
  links.self.identity = options_.identity;
  links.self.ip = client::HostName();
  links.self.create_time_ms = WallMillis();
  // One feedback batch at a time per link: the handler sees results in delivery order.
  links.processor_threads = 1;
  links.processors.push_back(
      {rpc::ToWire(rpc::Command::kJobFeedback),
       [this](const rpc::RpcRequest& request) { return FeedbackProcessor(request); },
       rpc::ProcessorMode::kPool});
  links.on_link_ready = [this](const std::shared_ptr<rpc::RpcChannel>& channel) {
    channel->Call(rpc::ToWire(rpc::Command::kHeartbeat), rpc::BodyFormat::kJson, heartbeat_body_,
                  options_.call_timeout, [](StatusOr<rpc::RpcResponse>) {});
    Wake();  // Resend the FailStore now.
  };
  links_ = std::make_unique<node::JobTrackerLinks>(std::move(links));
  if (Status s = links_->Start(); !s.ok()) {
    links_->Stop();
    links_.reset();
    MutexLock lock(&store_mu_);
    store_.reset();
    return s;
  }
  started_ = true;
  links_->loop()->RunEvery(options_.heartbeat_interval, [this] { SendHeartbeats(); });
  {
    MutexLock lock(&wake_mu_);
    stopping_ = false;
  }
  if (options_.use_fail_store) resend_thread_ = std::thread([this] { ResendLoop(); });
  LTS_LOG(INFO, "JobClient {} (group {}) started; JobTrackers: {}", options_.identity,
          options_.node_group, client::DescribeTarget(Settings()));
  return Status::Ok();
}

void JobClient::Impl::Stop() {
  if (!started_) return;
  started_ = false;
  {
    MutexLock lock(&wake_mu_);
    stopping_ = true;
    wake_cv_.SignalAll();
  }
  if (resend_thread_.joinable()) resend_thread_.join();
  links_->Stop();
  links_.reset();
  MutexLock lock(&store_mu_);
  for (auto& store : adopted_) (void)store->Close();
  adopted_.clear();
  if (store_) (void)store_->Close();
  store_.reset();
  LTS_LOG(INFO, "JobClient {} stopped", options_.identity);
}

void JobClient::Impl::SendHeartbeats() {
  for (const auto& link : links_->ReadyLinks()) {
    link->Call(rpc::ToWire(rpc::Command::kHeartbeat), rpc::BodyFormat::kJson, heartbeat_body_,
               options_.call_timeout, [](StatusOr<rpc::RpcResponse>) {});
  }
}

StatusOr<rpc::RpcResponse> JobClient::Impl::FeedbackProcessor(const rpc::RpcRequest& request) {
  StatusOr<protocol::FeedbackRequest> feedback =
      protocol::DecodeMessage<protocol::FeedbackRequest>(request.body, request.format);
  if (!feedback.ok()) {
    LTS_LOG(WARN, "JobClient {}: malformed JOB_FEEDBACK from {}: {}", options_.identity,
            request.peer, feedback.status().ToString());
    return feedback.status();
  }
  if (!handler_) {
    LTS_LOG(WARN, "JobClient {}: {} feedback result(s) arrived but no feedback handler is set",
            options_.identity, feedback->results.size());
  } else {
    // User code: nothing it throws may escape into the RPC layer.
    try {
      handler_(feedback->results);
    } catch (const std::exception& e) {
      LTS_LOG(ERROR, "JobClient {}: the feedback handler threw: {}", options_.identity, e.what());
    } catch (...) {
      LTS_LOG(ERROR, "JobClient {}: the feedback handler threw a non-std exception",
              options_.identity);
    }
  }
  return rpc::RpcResponse{request.format, ""};
}

std::vector<SubmitResult> JobClient::Impl::SubmitBatch(std::span<const Job> jobs) {
  std::vector<SubmitResult> results(jobs.size());
  std::vector<size_t> valid;
  valid.reserve(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    results[i].status = jobs[i].Validate();
    if (results[i].status.ok()) valid.push_back(i);
  }
  if (!started_) {
    for (size_t i : valid) results[i].status = FailedPrecondition("JobClient: not started");
    return results;
  }
  size_t pos = 0;
  while (pos < valid.size()) {
    const std::span<const size_t> rest(valid.data() + pos, valid.size() - pos);
    if (backlog_.load()) {
      SaveForLater(jobs, rest, Unavailable("older jobs are waiting in the FailStore"), &results);
      break;
    }
    const size_t n = std::min(rest.size(), protocol::kMaxJobsPerMessage);
    Status call = SendChunk(jobs, rest.first(n), &results);
    if (!call.ok()) {
      SaveForLater(jobs, rest, call, &results);
      break;
    }
    pos += n;
  }
  return results;
}

Status JobClient::Impl::SendChunk(std::span<const Job> jobs, std::span<const size_t> indices,
                                  std::vector<SubmitResult>* results) {
  protocol::SubmitRequest request;
  request.client_group = options_.node_group;
  request.identity = options_.identity;
  request.jobs.reserve(indices.size());
  for (size_t i : indices) request.jobs.push_back(jobs[i]);
  auto fail_all = [&](const Status& status) {
    for (size_t i : indices) (*results)[i].status = status;
  };
  StatusOr<std::string> body = protocol::EncodeMessage(request);
  if (!body.ok()) {
    fail_all(body.status());
    return Status::Ok();
  }
  StatusOr<rpc::RpcResponse> response = links_->CallSync(rpc::ToWire(rpc::Command::kSubmitJob),
                                                         std::move(*body), options_.call_timeout);
  if (!response.ok()) {
    if (Retryable(response.status())) return response.status();
    fail_all(response.status());
    return Status::Ok();
  }
  StatusOr<protocol::SubmitResponse> decoded = DecodeSubmitResponse(*response, indices.size());
  if (!decoded.ok()) {
    // The JobTracker may have stored the jobs: resending could duplicate them, so report.
    fail_all(Internal(fmt::format("malformed SUBMIT_JOB response from the JobTracker: {}",
                                  decoded.status().message())));
    return Status::Ok();
  }
  for (size_t k = 0; k < indices.size(); ++k) {
    protocol::SubmitItem& item = decoded->results[k];
    SubmitResult& out = (*results)[indices[k]];
    out.status = std::move(item.status);
    out.job_id = std::move(item.job_id);
    out.replaced = item.replaced;
  }
  return Status::Ok();
}

void JobClient::Impl::SaveForLater(std::span<const Job> jobs, std::span<const size_t> indices,
                                   const Status& why, std::vector<SubmitResult>* results) {
  if (!options_.use_fail_store) {
    for (size_t i : indices) {
      (*results)[i].status =
          why.code() == StatusCode::kUnavailable
              ? Unavailable(fmt::format("no JobTracker reachable ({}): {}",
                                        client::DescribeTarget(Settings()), why.message()))
              : why;
    }
    return;
  }
  std::vector<std::string> values;
  values.reserve(indices.size());
  for (size_t i : indices) values.push_back(jobs[i].ToJson());
  Status put;
  {
    MutexLock lock(&store_mu_);
    StatusOr<std::vector<std::string>> keys =
        store_ ? store_->PutBatch(values)
               : StatusOr<std::vector<std::string>>(FailedPrecondition("JobClient: stopped"));
    put = keys.status();
    if (put.ok()) {
      backlog_ = true;
      pending_ += values.size();
    }
  }
  if (!put.ok()) {
    LTS_LOG(ERROR, "JobClient {}: cannot save {} job(s) to the FailStore: {}", options_.identity,
            values.size(), put.ToString());
  } else {
    LTS_LOG(DEBUG, "JobClient {}: {} job(s) saved for later ({})", options_.identity, values.size(),
            why.message());
  }
  for (size_t i : indices) {
    (*results)[i].status = put;
    (*results)[i].saved_for_later = put.ok();
  }
  Wake();
}

Status JobClient::Impl::Cancel(std::string_view node_group, std::string_view task_id) {
  if (!started_) return FailedPrecondition("JobClient: not started");
  protocol::JobKey key{std::string(node_group), std::string(task_id)};
  Job probe;
  probe.task_id = key.task_id;
  probe.task_tracker_node_group = key.node_group;
  LTS_RETURN_IF_ERROR(probe.Validate());
  LTS_ASSIGN_OR_RETURN(std::string body,
                       protocol::EncodeJson(key.ToJson(), rpc::BodyFormat::kJson));
  LTS_ASSIGN_OR_RETURN(rpc::RpcResponse response,
                       links_->CallSync(rpc::ToWire(rpc::Command::kCancelJob), std::move(body),
                                        options_.call_timeout));
  (void)response;
  return Status::Ok();
}

void JobClient::Impl::Wake() {
  MutexLock lock(&wake_mu_);
  wake_ = true;
  wake_cv_.SignalAll();
}

void JobClient::Impl::ResendLoop() {
  auto next_takeover = std::chrono::steady_clock::now();
  while (true) {
    {
      MutexLock lock(&wake_mu_);
      if (stopping_) return;
    }
    if (std::chrono::steady_clock::now() >= next_takeover) {
      TakeOverDeadStores();
      next_takeover = std::chrono::steady_clock::now() + options_.takeover_interval;
    }
    if (ResendOnce()) continue;
    MutexLock lock(&wake_mu_);
    const auto until =
        std::min(std::chrono::steady_clock::now() + options_.resend_interval, next_takeover);
    while (!wake_ && !stopping_) {
      if (!wake_cv_.WaitUntil(&wake_mu_, until)) break;
    }
    wake_ = false;
  }
}

void JobClient::Impl::TakeOverDeadStores() {
  const std::string own =
      failstore::FailStorePath(options_.data_dir, "JOB_CLIENT", options_.node_group, "job_submit",
                               options_.fail_store_engine, options_.identity);
  const std::string engine_dir = std::filesystem::path(own).parent_path().string();
  StatusOr<std::vector<std::unique_ptr<failstore::FailStore>>> dead =
      failstore::OpenDeadFailStores(options_.fail_store_engine, engine_dir, own);
  if (!dead.ok()) {
    LTS_LOG(WARN, "JobClient {}: looking for FailStores of dead clients in {}: {}",
            options_.identity, engine_dir, dead.status().ToString());
    return;
  }
  if (dead->empty()) return;
  MutexLock lock(&store_mu_);
  for (auto& store : *dead) {
    StatusOr<std::vector<failstore::FailStoreEntry>> left = store->Take(1u << 20);
    const size_t n = left.ok() ? left->size() : 0;
    LTS_LOG(INFO, "JobClient {}: took over the FailStore {} of a dead client ({} job(s))",
            options_.identity, store->dir(), n);
    pending_ += n;
    adopted_.push_back(std::move(store));
  }
}

bool JobClient::Impl::ResendOnce() {
  if (!links_->AnyReady()) return false;
  MutexLock lock(&store_mu_);
  const bool adopted = !adopted_.empty();
  failstore::FailStore* store = adopted ? adopted_.front().get() : store_.get();
  if (store == nullptr) return false;
  StatusOr<std::vector<failstore::FailStoreEntry>> entries = store->Take(kResendBatch);
  if (!entries.ok()) {
    LTS_LOG(ERROR, "JobClient {}: cannot read the FailStore {}: {}", options_.identity,
            store->dir(), entries.status().ToString());
    return false;
  }
  if (entries->empty()) {
    if (adopted) {
      if (Status s = store->Destroy(); !s.ok()) {
        LTS_LOG(WARN, "JobClient {}: cannot remove the drained FailStore {}: {}", options_.identity,
                store->dir(), s.ToString());
      }
      adopted_.erase(adopted_.begin());
      return true;
    }
    backlog_ = false;
    return false;
  }
  std::vector<std::string> keys;
  protocol::SubmitRequest request;
  request.client_group = options_.node_group;
  request.identity = options_.identity;
  std::vector<std::string> undecodable;
  for (failstore::FailStoreEntry& entry : *entries) {
    StatusOr<Job> job = Job::FromJson(entry.value);
    if (!job.ok()) {
      LTS_LOG(ERROR, "JobClient {}: dropping an unreadable FailStore entry {}: {}",
              options_.identity, entry.key, job.status().ToString());
      undecodable.push_back(std::move(entry.key));
      continue;
    }
    request.jobs.push_back(std::move(*job));
    keys.push_back(std::move(entry.key));
  }
  if (!undecodable.empty()) {
    if (Status s = store->Delete(undecodable); !s.ok()) return false;
    pending_ -= std::min<uint64_t>(pending_.load(), undecodable.size());
    if (request.jobs.empty()) return true;
  }
  StatusOr<std::string> body = protocol::EncodeMessage(request);
  if (!body.ok()) return false;
  StatusOr<rpc::RpcResponse> response = links_->CallSync(rpc::ToWire(rpc::Command::kSubmitJob),
                                                         std::move(*body), options_.call_timeout);
  if (!response.ok()) {
    LTS_LOG(WARN, "JobClient {}: resending {} saved job(s) failed, retrying later: {}",
            options_.identity, request.jobs.size(), response.status().ToString());
    return false;
  }
  StatusOr<protocol::SubmitResponse> decoded = DecodeSubmitResponse(*response, request.jobs.size());
  if (!decoded.ok()) {
    LTS_LOG(WARN, "JobClient {}: malformed SUBMIT_JOB response while resending, retrying later: {}",
            options_.identity, decoded.status().ToString());
    return false;
  }
  for (size_t i = 0; i < request.jobs.size(); ++i) {
    const protocol::SubmitItem& item = decoded->results[i];
    if (!item.status.ok()) {
      // Final answers: the job will not be accepted on a later try either.
      LTS_LOG(WARN, "JobClient {}: saved job {}/{} refused on resend: {}", options_.identity,
              request.jobs[i].task_tracker_node_group, request.jobs[i].task_id,
              item.status.ToString());
    }
  }
  if (Status s = store->Delete(keys); !s.ok()) {
    LTS_LOG(ERROR, "JobClient {}: cannot delete resent jobs from the FailStore: {}",
            options_.identity, s.ToString());
    return false;
  }
  pending_ -= std::min<uint64_t>(pending_.load(), keys.size());
  LTS_LOG(DEBUG, "JobClient {}: resent {} saved job(s)", options_.identity, keys.size());
  return true;
}

JobClient::JobClient(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
JobClient::~JobClient() = default;

void JobClient::SetFeedbackHandler(std::function<void(const std::vector<JobResult>&)> handler) {
  impl_->SetFeedbackHandler(std::move(handler));
}
Status JobClient::Start() { return impl_->Start(); }
void JobClient::Stop() { impl_->Stop(); }
bool JobClient::WaitForJobTracker(std::chrono::milliseconds timeout) const {
  return impl_->WaitForJobTracker(timeout);
}
SubmitResult JobClient::Submit(const Job& job) {
  return std::move(impl_->SubmitBatch(std::span<const Job>(&job, 1)).front());
}
std::vector<SubmitResult> JobClient::SubmitBatch(std::span<const Job> jobs) {
  return impl_->SubmitBatch(jobs);
}
Status JobClient::Cancel(std::string_view node_group, std::string_view task_id) {
  return impl_->Cancel(node_group, task_id);
}
uint64_t JobClient::pending_jobs() const { return impl_->pending_jobs(); }

}  // namespace lts
