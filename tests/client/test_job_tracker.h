// TestJobTracker: a stand-in JobTracker for client and CLI tests, built from rpc::RpcServer
// and the protocol messages. It records every request it receives (in arrival order) and
// answers like the real JobTracker's contract: SUBMIT_JOB stores by (group, taskId) with
// ALREADY_EXISTS / replaced, CANCEL_JOB and JOB_CONTROL answer NOT_FOUND for unknown keys,
// JOB_QUERY answers a canned body. It can be stopped and started again on the same port
// (a JobTracker outage), send JOB_FEEDBACK to connected clients, and answer garbage.
//
// Threading: every method is thread-safe; Start()/Stop() block until done.

#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "net/event_loop_thread.h"
#include "protocol/messages.h"
#include "rpc/rpc_server.h"

namespace lts::testing {

class TestJobTracker {
 public:
  TestJobTracker();
  ~TestJobTracker();

  // Listens on 127.0.0.1:`port` (0: a free port, kept for later restarts).
  Status Start(uint16_t port = 0);
  // Closes the listener and every connection.
  void Stop();
  bool running() const;

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // What arrived, in order (kept across Stop/Start).
  std::vector<protocol::SubmitRequest> submit_requests() const;
  std::vector<Job> submitted_jobs() const;
  std::vector<protocol::HeartbeatRequest> heartbeats() const;
  std::vector<protocol::ControlRequest> controls() const;
  std::vector<protocol::QueryRequest> queries() const;
  std::vector<protocol::JobKey> cancels() const;

  // Keys ("group/taskId") the store already holds: a submission without replaceOnExist is
  // ALREADY_EXISTS. Submitted keys are added too.
  void AddExisting(const std::string& key);
  // The raw JSON body of every JOB_QUERY answer.
  void SetQueryBody(std::string body);
  // The raw JSON body of every SUBMIT_JOB answer instead of the real one (garbage tests).
  void SetSubmitBody(std::string body);
  // After each SUBMIT_JOB, send a JOB_FEEDBACK with a success result for each accepted job
  // that asked for feedback.
  void set_auto_feedback(bool on);

  // Sends JOB_FEEDBACK over the first ready connection and waits for the answer.
  StatusOr<rpc::RpcResponse> SendFeedback(const protocol::FeedbackRequest& request,
                                          std::chrono::milliseconds timeout);

 private:
  StatusOr<rpc::RpcResponse> OnSubmit(const rpc::RpcRequest& request);
  StatusOr<rpc::RpcResponse> OnHeartbeat(const rpc::RpcRequest& request);
  StatusOr<rpc::RpcResponse> OnCancel(const rpc::RpcRequest& request);
  StatusOr<rpc::RpcResponse> OnControl(const rpc::RpcRequest& request);
  StatusOr<rpc::RpcResponse> OnQuery(const rpc::RpcRequest& request);
  void SendAutoFeedback(std::vector<JobResult> results);

  net::EventLoopThread thread_{"test-jobtracker"};
  net::EventLoop* loop_ = nullptr;
  std::unique_ptr<rpc::RpcServer> server_;  // Touched on loop_ only.
  uint16_t port_ = 0;

  mutable Mutex mu_;
  bool running_ GUARDED_BY(mu_) = false;
  std::vector<protocol::SubmitRequest> submits_ GUARDED_BY(mu_);
  std::vector<protocol::HeartbeatRequest> heartbeats_ GUARDED_BY(mu_);
  std::vector<protocol::ControlRequest> controls_ GUARDED_BY(mu_);
  std::vector<protocol::QueryRequest> queries_ GUARDED_BY(mu_);
  std::vector<protocol::JobKey> cancels_ GUARDED_BY(mu_);
  std::set<std::string> existing_ GUARDED_BY(mu_);
  std::string query_body_ GUARDED_BY(mu_) = R"({"jobs":[]})";
  std::string submit_body_ GUARDED_BY(mu_);
  bool auto_feedback_ GUARDED_BY(mu_) = false;
  uint64_t next_job_id_ GUARDED_BY(mu_) = 1;
};

}  // namespace lts::testing
