// ControlClient: the operator side of the job protocol, for the CLI (`lts job`) and the
// Admin HTTP server: JOB_CONTROL (pause, resume, trigger, cancel, terminate, retry-dead),
// JOB_QUERY (queues, a job, its logs, counts) and CANCEL_JOB, over JobTrackerLinks. It does
// not register in the registry and receives nothing from JobTrackers.
//
// Threading: Start()/Stop() from the owner's thread; the calls are thread-safe and block
// for one round trip (never call them on an event loop).

#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "client/links.h"
#include "lts/statusor.h"
#include "protocol/messages.h"

namespace lts::client {

class ControlClient {
 public:
  struct Options {
    LinkSettings links;
    // Deadline of each call.
    std::chrono::milliseconds call_timeout{10000};
  };

  explicit ControlClient(Options options);
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;
  ~ControlClient();

  // Starts the links and waits up to `connect_timeout` for a JobTracker. Errors:
  // kInvalidArgument for a bad address; kUnavailable "no JobTracker reachable at <target>".
  Status Start(std::chrono::milliseconds connect_timeout);
  void Stop();

  // JOB_CONTROL. Errors: the JobTracker's (kNotFound, kFailedPrecondition, ...) with its
  // message; kUnavailable; kInternal for a malformed response.
  StatusOr<protocol::ControlResponse> Control(const protocol::ControlRequest& request);
  // JOB_QUERY: the JSON object the JobTracker answered. Errors as for Control(); a response
  // that is not a JSON object is kInternal.
  StatusOr<nlohmann::json> Query(const protocol::QueryRequest& request);
  // CANCEL_JOB. kNotFound when nothing was cancelled.
  StatusOr<protocol::ControlResponse> Cancel(const protocol::JobKey& key);
  // SUBMIT_JOB: one result per job, in order. Errors: kUnavailable, kInvalidArgument for a
  // message the JobTracker refused whole; kInternal for a malformed response.
  StatusOr<protocol::SubmitResponse> Submit(const protocol::SubmitRequest& request);

  // One JobTracker's answer to a call sent to each of them.
  struct EachAnswer {
    std::string address;  // "host:port" of the JobTracker.
    StatusOr<nlohmann::json> answer;
  };
  // JOB_QUERY / JOB_CONTROL sent to every JobTracker reachable now (the Admin's node stats,
  // disabling a TaskTracker everywhere), one answer each; empty when none is reachable.
  std::vector<EachAnswer> QueryEach(const protocol::QueryRequest& request);
  std::vector<EachAnswer> ControlEach(const protocol::ControlRequest& request);

  // Where the client looks for JobTrackers, for messages.
  std::string target() const { return DescribeTarget(options_.links); }

 private:
  StatusOr<nlohmann::json> Call(uint16_t command, const nlohmann::json& body);
  std::vector<EachAnswer> CallEach(uint16_t command, const nlohmann::json& body);
  // Call() and read the answer as `Response` (FromJson); a malformed one is kInternal.
  template <typename Response>
  StatusOr<Response> CallFor(uint16_t command, const nlohmann::json& body);
  // Call() and read the answer as a ControlResponse.
  StatusOr<protocol::ControlResponse> CallControl(uint16_t command, const nlohmann::json& body);

  Options options_;
  std::unique_ptr<node::JobTrackerLinks> links_;
};

}  // namespace lts::client
