// TestJobTracker (test_job_tracker.h).

#include "test_job_tracker.h"

#include <fmt/format.h>

#include <future>

#include "net/event_loop.h"
#include "net/inet_address.h"
#include "rpc/command.h"

namespace lts::testing {
namespace {

rpc::RpcResponse Json(const nlohmann::json& value) {
  return rpc::RpcResponse{rpc::BodyFormat::kJson, value.dump()};
}

std::string KeyOf(const std::string& group, const std::string& task_id) {
  return group + "/" + task_id;
}

}  // namespace

TestJobTracker::TestJobTracker() { loop_ = thread_.StartLoop(); }

TestJobTracker::~TestJobTracker() {
  Stop();
  thread_.Stop();
}

Status TestJobTracker::Start(uint16_t port) {
  if (port == 0) port = port_;
  Status status;
  loop_->RunInLoopAndWait([&] {
    rpc::RpcServer::Options options;
    options.processor_threads = 2;
    server_ = std::make_unique<rpc::RpcServer>(loop_, net::InetAddress::Loopback(port),
                                               "test-jobtracker", options);
    auto bind = [this](auto method) {
      return [this, method](const rpc::RpcRequest& request) { return (this->*method)(request); };
    };
    server_->RegisterProcessor(rpc::ToWire(rpc::Command::kSubmitJob),
                               bind(&TestJobTracker::OnSubmit), rpc::ProcessorMode::kInLoop);
    server_->RegisterProcessor(rpc::ToWire(rpc::Command::kHeartbeat),
                               bind(&TestJobTracker::OnHeartbeat), rpc::ProcessorMode::kInLoop);
    server_->RegisterProcessor(rpc::ToWire(rpc::Command::kCancelJob),
                               bind(&TestJobTracker::OnCancel), rpc::ProcessorMode::kInLoop);
    server_->RegisterProcessor(rpc::ToWire(rpc::Command::kJobControl),
                               bind(&TestJobTracker::OnControl), rpc::ProcessorMode::kInLoop);
    server_->RegisterProcessor(rpc::ToWire(rpc::Command::kJobQuery), bind(&TestJobTracker::OnQuery),
                               rpc::ProcessorMode::kInLoop);
    status = server_->Start();
    if (status.ok()) {
      port_ = server_->listen_address().port();
    } else {
      server_.reset();
    }
  });
  if (status.ok()) {
    MutexLock lock(&mu_);
    running_ = true;
  }
  return status;
}

void TestJobTracker::Stop() {
  loop_->RunInLoopAndWait([&] {
    if (server_) server_->Stop();
    server_.reset();
  });
  MutexLock lock(&mu_);
  running_ = false;
}

bool TestJobTracker::running() const {
  MutexLock lock(&mu_);
  return running_;
}

std::vector<protocol::SubmitRequest> TestJobTracker::submit_requests() const {
  MutexLock lock(&mu_);
  return submits_;
}

std::vector<Job> TestJobTracker::submitted_jobs() const {
  MutexLock lock(&mu_);
  std::vector<Job> jobs;
  for (const auto& request : submits_)
    jobs.insert(jobs.end(), request.jobs.begin(), request.jobs.end());
  return jobs;
}

std::vector<protocol::HeartbeatRequest> TestJobTracker::heartbeats() const {
  MutexLock lock(&mu_);
  return heartbeats_;
}
std::vector<protocol::ControlRequest> TestJobTracker::controls() const {
  MutexLock lock(&mu_);
  return controls_;
}
std::vector<protocol::QueryRequest> TestJobTracker::queries() const {
  MutexLock lock(&mu_);
  return queries_;
}
std::vector<protocol::JobKey> TestJobTracker::cancels() const {
  MutexLock lock(&mu_);
  return cancels_;
}

void TestJobTracker::AddExisting(const std::string& key) {
  MutexLock lock(&mu_);
  existing_.insert(key);
}
void TestJobTracker::SetQueryBody(std::string body) {
  MutexLock lock(&mu_);
  query_body_ = std::move(body);
}
void TestJobTracker::SetSubmitBody(std::string body) {
  MutexLock lock(&mu_);
  submit_body_ = std::move(body);
}
void TestJobTracker::set_auto_feedback(bool on) {
  MutexLock lock(&mu_);
  auto_feedback_ = on;
}

StatusOr<rpc::RpcResponse> TestJobTracker::OnSubmit(const rpc::RpcRequest& request) {
  LTS_ASSIGN_OR_RETURN(
      auto submit, protocol::DecodeMessage<protocol::SubmitRequest>(request.body, request.format));
  protocol::SubmitResponse response;
  std::vector<JobResult> feedback;
  MutexLock lock(&mu_);
  for (size_t i = 0; i < submit.jobs.size(); ++i) {
    const Job& job = submit.jobs[i];
    protocol::SubmitItem item;
    if (!submit.job_status[i].ok()) {
      item.status = submit.job_status[i];
    } else {
      const std::string key = KeyOf(job.task_tracker_node_group, job.task_id);
      const bool exists = existing_.count(key) != 0;
      if (exists && !job.replace_on_exist) {
        item.status = AlreadyExists(fmt::format("job {} exists", key));
      } else {
        item.job_id = fmt::format("job-{}", next_job_id_++);
        item.replaced = exists;
        existing_.insert(key);
        if (job.need_feedback) {
          JobResult result;
          result.job = job;
          result.job_id = item.job_id;
          result.success = true;
          result.message = "done by the test JobTracker";
          result.attempts = 1;
          result.finished_ms = 1;
          feedback.push_back(std::move(result));
        }
      }
    }
    response.results.push_back(std::move(item));
  }
  submits_.push_back(std::move(submit));
  if (auto_feedback_ && !feedback.empty()) {
    loop_->QueueInLoop([this, feedback = std::move(feedback)]() mutable {
      SendAutoFeedback(std::move(feedback));
    });
  }
  if (!submit_body_.empty()) return rpc::RpcResponse{rpc::BodyFormat::kJson, submit_body_};
  return Json(response.ToJson());
}

void TestJobTracker::SendAutoFeedback(std::vector<JobResult> results) {
  if (!server_) return;
  protocol::FeedbackRequest request;
  request.results = std::move(results);
  for (const auto& channel : server_->Channels()) {
    if (!channel->ready()) continue;
    channel->Call(rpc::ToWire(rpc::Command::kJobFeedback), rpc::BodyFormat::kJson,
                  request.ToJson().dump(), std::chrono::seconds(10),
                  [](StatusOr<rpc::RpcResponse>) {});
    return;
  }
}

StatusOr<rpc::RpcResponse> TestJobTracker::OnHeartbeat(const rpc::RpcRequest& request) {
  LTS_ASSIGN_OR_RETURN(auto heartbeat, protocol::DecodeMessage<protocol::HeartbeatRequest>(
                                           request.body, request.format));
  MutexLock lock(&mu_);
  heartbeats_.push_back(std::move(heartbeat));
  return rpc::RpcResponse{request.format, ""};
}

StatusOr<rpc::RpcResponse> TestJobTracker::OnCancel(const rpc::RpcRequest& request) {
  LTS_ASSIGN_OR_RETURN(nlohmann::json value, protocol::DecodeJson(request.body, request.format));
  LTS_ASSIGN_OR_RETURN(protocol::JobKey key, protocol::JobKey::FromJson(value, "cancel"));
  MutexLock lock(&mu_);
  cancels_.push_back(key);
  if (existing_.erase(KeyOf(key.node_group, key.task_id)) == 0) {
    return NotFound(fmt::format("no job {}/{} to cancel", key.node_group, key.task_id));
  }
  return Json(protocol::ControlResponse{"cancelled", 1}.ToJson());
}

StatusOr<rpc::RpcResponse> TestJobTracker::OnControl(const rpc::RpcRequest& request) {
  LTS_ASSIGN_OR_RETURN(auto control, protocol::DecodeMessage<protocol::ControlRequest>(
                                         request.body, request.format));
  MutexLock lock(&mu_);
  controls_.push_back(control);
  if (control.op != protocol::ControlOp::kRetryDead &&
      existing_.count(KeyOf(control.key.node_group, control.key.task_id)) == 0) {
    return NotFound(fmt::format("no job {}/{}", control.key.node_group, control.key.task_id));
  }
  return Json(
      protocol::ControlResponse{fmt::format("{} done", protocol::ControlOpName(control.op)), 1}
          .ToJson());
}

StatusOr<rpc::RpcResponse> TestJobTracker::OnQuery(const rpc::RpcRequest& request) {
  LTS_ASSIGN_OR_RETURN(
      auto query, protocol::DecodeMessage<protocol::QueryRequest>(request.body, request.format));
  MutexLock lock(&mu_);
  queries_.push_back(query);
  return rpc::RpcResponse{rpc::BodyFormat::kJson, query_body_};
}

StatusOr<rpc::RpcResponse> TestJobTracker::SendFeedback(const protocol::FeedbackRequest& request,
                                                        std::chrono::milliseconds timeout) {
  auto done = std::make_shared<std::promise<StatusOr<rpc::RpcResponse>>>();
  std::future<StatusOr<rpc::RpcResponse>> future = done->get_future();
  loop_->RunInLoop([this, done, body = request.ToJson().dump(), timeout] {
    if (server_) {
      for (const auto& channel : server_->Channels()) {
        if (!channel->ready()) continue;
        channel->Call(rpc::ToWire(rpc::Command::kJobFeedback), rpc::BodyFormat::kJson, body,
                      timeout,
                      [done](StatusOr<rpc::RpcResponse> r) { done->set_value(std::move(r)); });
        return;
      }
    }
    done->set_value(Unavailable("no client connected to the test JobTracker"));
  });
  return future.get();
}

}  // namespace lts::testing
