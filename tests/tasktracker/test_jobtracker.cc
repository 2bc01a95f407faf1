// TestJobTracker (test_jobtracker.h).

#include "test_jobtracker.h"

#include <future>
#include <utility>

#include "net/event_loop.h"
#include "rpc/command.h"
#include "testing/free_port.h"

namespace lts::tasktracker::testing {
namespace {

using namespace std::chrono_literals;

uint16_t Wire(rpc::Command command) { return rpc::ToWire(command); }

}  // namespace

protocol::JobMeta MakeJobMeta(const std::string& job_id, const std::string& group,
                              std::map<std::string, std::string> params) {
  protocol::JobMeta meta;
  meta.job.task_id = "task-" + job_id;
  meta.job.task_tracker_node_group = group;
  meta.job.ext_params = std::move(params);
  meta.job_id = job_id;
  meta.instance_task_id = meta.job.task_id;
  meta.epoch = 7;
  return meta;
}

TestJobTracker::TestJobTracker() { loop_ = thread_.StartLoop(); }

TestJobTracker::~TestJobTracker() {
  Stop();
  thread_.Stop();
}

template <typename Message>
StatusOr<rpc::RpcResponse> TestJobTracker::Record(const rpc::RpcRequest& request,
                                                  const char* kind) {
  LTS_ASSIGN_OR_RETURN(Message message,
                       protocol::DecodeMessage<Message>(request.body, request.format));
  MutexLock lock(&mu_);
  if constexpr (std::is_same_v<Message, protocol::PullRequest>) {
    events_.push_back(kind);
    pulls_.push_back(std::move(message));
  } else if constexpr (std::is_same_v<Message, protocol::HeartbeatRequest>) {
    events_.push_back(kind);
    heartbeats_.push_back(std::move(message));
  } else if constexpr (std::is_same_v<Message, protocol::BizLogRequest>) {
    for (auto& line : message.lines) {
      events_.push_back(std::string(kind) + ":" + line.job_id);
      biz_lines_.push_back(std::move(line));
    }
  } else {
    results_received_ += static_cast<int>(message.results.size());
    protocol::CompletedResponse response;
    response.jobs.swap(piggyback_);
    if (feed_left_ > 0) {
      for (auto& meta : TakeFeedLocked(message.free_threads)) response.jobs.push_back(meta);
    }
    if (keep_) {
      for (const auto& result : message.results) {
        events_.push_back(std::string(kind) + ":" + result.job_id);
      }
      completions_.push_back(std::move(message));
    }
    LTS_ASSIGN_OR_RETURN(std::string body, protocol::EncodeMessage(response, request.format));
    return rpc::RpcResponse{request.format, std::move(body)};
  }
  return rpc::RpcResponse{request.format, ""};
}

Status TestJobTracker::Start() {
  if (port_ == 0) {
    LTS_ASSIGN_OR_RETURN(port_, lts::testing::PickFreePort());
  }
  Status status;
  loop_->RunInLoopAndWait([&] {
    rpc::RpcServer::Options options;
    options.processor_threads = 1;
    server_ = std::make_unique<rpc::RpcServer>(loop_, net::InetAddress::Loopback(port_),
                                               "test-jobtracker", options);
    server_->RegisterProcessor(
        Wire(rpc::Command::kJobPull),
        [this](const rpc::RpcRequest& r) { return Record<protocol::PullRequest>(r, "pull"); },
        rpc::ProcessorMode::kInLoop);
    server_->RegisterProcessor(
        Wire(rpc::Command::kHeartbeat),
        [this](const rpc::RpcRequest& r) {
          return Record<protocol::HeartbeatRequest>(r, "heartbeat");
        },
        rpc::ProcessorMode::kInLoop);
    server_->RegisterProcessor(
        Wire(rpc::Command::kJobCompleted),
        [this](const rpc::RpcRequest& r) {
          return Record<protocol::CompletedRequest>(r, "result");
        },
        rpc::ProcessorMode::kInLoop);
    server_->RegisterProcessor(
        Wire(rpc::Command::kBizLogSend),
        [this](const rpc::RpcRequest& r) { return Record<protocol::BizLogRequest>(r, "biz"); },
        rpc::ProcessorMode::kInLoop);
    status = server_->Start();
  });
  return status;
}

void TestJobTracker::Stop() {
  loop_->RunInLoopAndWait([&] {
    if (server_ == nullptr) return;
    server_->Stop();
    server_.reset();
  });
}

std::string TestJobTracker::address() const { return "127.0.0.1:" + std::to_string(port_); }

size_t TestJobTracker::connections() const {
  size_t n = 0;
  loop_->RunInLoopAndWait([&] {
    if (server_ != nullptr) n = server_->Channels().size();
  });
  return n;
}

std::vector<std::string> TestJobTracker::Events() const {
  MutexLock lock(&mu_);
  return events_;
}
std::vector<protocol::PullRequest> TestJobTracker::Pulls() const {
  MutexLock lock(&mu_);
  return pulls_;
}
std::vector<protocol::HeartbeatRequest> TestJobTracker::Heartbeats() const {
  MutexLock lock(&mu_);
  return heartbeats_;
}
std::vector<protocol::CompletedRequest> TestJobTracker::Completions() const {
  MutexLock lock(&mu_);
  return completions_;
}
std::vector<protocol::RunResult> TestJobTracker::Results() const {
  MutexLock lock(&mu_);
  std::vector<protocol::RunResult> out;
  for (const auto& c : completions_) out.insert(out.end(), c.results.begin(), c.results.end());
  return out;
}
std::vector<protocol::BizLogLine> TestJobTracker::BizLines() const {
  MutexLock lock(&mu_);
  return biz_lines_;
}
void TestJobTracker::Feed(int total, const std::string& group) {
  MutexLock lock(&mu_);
  feed_left_ = total;
  feed_group_ = group;
  keep_ = false;
}

std::vector<protocol::JobMeta> TestJobTracker::TakeFeed(int max) {
  MutexLock lock(&mu_);
  return TakeFeedLocked(max);
}

std::vector<protocol::JobMeta> TestJobTracker::TakeFeedLocked(int max) {
  std::vector<protocol::JobMeta> out;
  while (feed_left_ > 0 && static_cast<int>(out.size()) < max) {
    out.push_back(MakeJobMeta("F" + std::to_string(feed_next_++), feed_group_));
    --feed_left_;
  }
  return out;
}

int TestJobTracker::results_received() const {
  MutexLock lock(&mu_);
  return results_received_;
}

void TestJobTracker::PiggyBackOnNextCompletion(std::vector<protocol::JobMeta> jobs) {
  MutexLock lock(&mu_);
  piggyback_ = std::move(jobs);
}

StatusOr<rpc::RpcResponse> TestJobTracker::CallTaskTracker(uint16_t command, std::string body) {
  rpc::RpcChannelPtr channel;
  loop_->RunInLoopAndWait([&] {
    if (server_ == nullptr) return;
    for (auto& c : server_->Channels()) {
      if (c->ready()) channel = c;
    }
  });
  if (channel == nullptr) return Unavailable("no TaskTracker connected");
  auto promise = std::make_shared<std::promise<StatusOr<rpc::RpcResponse>>>();
  auto future = promise->get_future();
  channel->Call(command, rpc::BodyFormat::kJson, std::move(body), 10s,
                [promise](StatusOr<rpc::RpcResponse> r) { promise->set_value(std::move(r)); });
  return future.get();
}

StatusOr<protocol::PushResponse> TestJobTracker::Push(std::vector<protocol::JobMeta> jobs) {
  protocol::PushRequest request;
  request.jobs = std::move(jobs);
  LTS_ASSIGN_OR_RETURN(std::string body, protocol::EncodeMessage(request));
  LTS_ASSIGN_OR_RETURN(rpc::RpcResponse response,
                       CallTaskTracker(Wire(rpc::Command::kPushJob), std::move(body)));
  return protocol::DecodeMessage<protocol::PushResponse>(response.body, response.format);
}

StatusOr<protocol::AskResponse> TestJobTracker::Ask(std::vector<std::string> job_ids) {
  protocol::AskRequest request;
  request.job_ids = std::move(job_ids);
  LTS_ASSIGN_OR_RETURN(std::string body, protocol::EncodeMessage(request));
  LTS_ASSIGN_OR_RETURN(rpc::RpcResponse response,
                       CallTaskTracker(Wire(rpc::Command::kJobAsk), std::move(body)));
  return protocol::DecodeMessage<protocol::AskResponse>(response.body, response.format);
}

StatusOr<protocol::TerminateResponse> TestJobTracker::Terminate(const std::string& job_id) {
  protocol::TerminateRequest request;
  request.job_id = job_id;
  request.reason = "test";
  LTS_ASSIGN_OR_RETURN(std::string body, protocol::EncodeMessage(request));
  LTS_ASSIGN_OR_RETURN(rpc::RpcResponse response,
                       CallTaskTracker(Wire(rpc::Command::kTerminateJob), std::move(body)));
  return protocol::DecodeMessage<protocol::TerminateResponse>(response.body, response.format);
}

}  // namespace lts::tasktracker::testing
