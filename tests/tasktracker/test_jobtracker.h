// TestJobTracker: a stand-in for the JobTracker in TaskTracker tests, built from
// rpc::RpcServer and the protocol messages. It records what a TaskTracker sends
// (JOB_PULL, HEART_BEAT, JOB_COMPLETED, BIZ_LOG_SEND, in arrival order) and calls the
// TaskTracker back (PUSH_JOB, JOB_ASK, TERMINATE_JOB) over the connection the
// TaskTracker opened. It can be stopped and started again on the same port.
//
// Thread safety: every method may be called from the test thread.

#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "net/event_loop_thread.h"
#include "protocol/messages.h"
#include "rpc/rpc_server.h"

namespace lts::tasktracker::testing {

class TestJobTracker {
 public:
  TestJobTracker();
  ~TestJobTracker();

  // Listens on the port of the previous Start(), or a free one the first time.
  Status Start();
  void Stop();
  std::string address() const;

  // One entry per message received, e.g. "pull", "heartbeat", "biz:J1", "result:J1".
  std::vector<std::string> Events() const;
  std::vector<protocol::PullRequest> Pulls() const;
  std::vector<protocol::HeartbeatRequest> Heartbeats() const;
  std::vector<protocol::RunResult> Results() const;
  std::vector<protocol::CompletedRequest> Completions() const;
  std::vector<protocol::BizLogLine> BizLines() const;
  // Jobs handed out with the next JOB_COMPLETED response.
  void PiggyBackOnNextCompletion(std::vector<protocol::JobMeta> jobs);
  // Feed mode, as a JobTracker with `total` due jobs of `group` would: every JOB_COMPLETED
  // response carries up to the reported freeThreads new jobs ("F<n>") until `total` were
  // handed out. The test pushes the first ones (TakeFeed).
  void Feed(int total, const std::string& group);
  std::vector<protocol::JobMeta> TakeFeed(int max);
  int results_received() const;

  // Calls the (first) connected TaskTracker and waits for the answer.
  StatusOr<protocol::PushResponse> Push(std::vector<protocol::JobMeta> jobs);
  StatusOr<protocol::AskResponse> Ask(std::vector<std::string> job_ids);
  StatusOr<protocol::TerminateResponse> Terminate(const std::string& job_id);
  size_t connections() const;

 private:
  StatusOr<rpc::RpcResponse> CallTaskTracker(uint16_t command, std::string body);
  template <typename Message>
  StatusOr<rpc::RpcResponse> Record(const rpc::RpcRequest& request, const char* kind);

  net::EventLoopThread thread_{"test-jobtracker"};
  net::EventLoop* loop_ = nullptr;
  std::unique_ptr<rpc::RpcServer> server_;
  uint16_t port_ = 0;
  mutable Mutex mu_;
  std::vector<std::string> events_ GUARDED_BY(mu_);
  std::vector<protocol::PullRequest> pulls_ GUARDED_BY(mu_);
  std::vector<protocol::HeartbeatRequest> heartbeats_ GUARDED_BY(mu_);
  std::vector<protocol::CompletedRequest> completions_ GUARDED_BY(mu_);
  std::vector<protocol::BizLogLine> biz_lines_ GUARDED_BY(mu_);
  std::vector<protocol::JobMeta> piggyback_ GUARDED_BY(mu_);
  std::vector<protocol::JobMeta> TakeFeedLocked(int max) REQUIRES(mu_);
  int feed_left_ GUARDED_BY(mu_) = 0;
  int feed_next_ GUARDED_BY(mu_) = 0;
  std::string feed_group_ GUARDED_BY(mu_);
  bool keep_ GUARDED_BY(mu_) = true;  // Keep every message (off in feed mode).
  int results_received_ GUARDED_BY(mu_) = 0;
};

// A job instance as a JobTracker would push it.
protocol::JobMeta MakeJobMeta(const std::string& job_id, const std::string& group,
                              std::map<std::string, std::string> params = {});

}  // namespace lts::tasktracker::testing
