// The job protocol: the bodies of the job commands of rpc/command.h, as C++ structs with
// their JSON form. Every node kind speaks it: JobClient and TaskTracker to the
// JobTracker, the JobTracker back to them, and the CLI/Admin to the JobTracker.
// docs/job_protocol.md describes each message, its fields and limits, and the order of
// the exchanges.
//
// Encoding: each message has ToJson() and a static FromJson(). EncodeMessage() and
// DecodeMessage() put them into and take them out of an RPC body in any body format
// (JSON text, CBOR, MessagePack; rpc/body_codec.h). Decoding is defensive: every string,
// array and number is checked for type, range and the limits below, and a malformed
// message is kInvalidArgument naming the field ("push.jobs[3].jobId: expected a string");
// nothing throws.
//
// Fencing: every job the JobTracker hands out carries the JobTracker's epoch (JobMeta),
// and every result echoes it (RunResult), so that a result of a superseded dispatch is
// refused by the store.
//
// Thread safety: plain value types and pure functions.

#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lts/job.h"
#include "lts/job_result.h"
#include "lts/status.h"
#include "lts/statusor.h"
#include "rpc/frame_format.h"

namespace lts::protocol {

// Limits enforced by FromJson.
inline constexpr size_t kMaxJobsPerMessage = 1000;  // Submit, push, completed.
inline constexpr size_t kMaxIdsPerMessage = 10000;  // Job ids in ask and heartbeat.
inline constexpr size_t kMaxBizLogLinesPerMessage = 1000;
inline constexpr size_t kMaxMessageText = 64 * 1024;  // Runner messages, log lines.
inline constexpr size_t kMaxIdBytes = 128;            // Job ids, identities, groups.
inline constexpr int kMaxQueryLimit = 1000;

// One job instance handed to a TaskTracker.
struct JobMeta {
  Job job;                       // task_id is the user's taskId (Java: taskId := realTaskId).
  std::string job_id;            // The instance's id: results and terminate refer to it.
  std::string instance_task_id;  // The stored task id (differs for pre-generated instances).
  int64_t epoch = 0;             // The dispatching JobTracker's fencing epoch; echo it back.
  int32_t retry_times = 0;       // Retries done before this run; attempt = retry_times + 1.
  int32_t repeated_count = 0;    // Repeat jobs: this run's cycle number.
  int64_t trigger_time_ms = 0;

  nlohmann::json ToJson() const;
  static StatusOr<JobMeta> FromJson(const nlohmann::json& value, std::string_view prefix);
};

// SUBMIT_JOB (JobClient -> JobTracker).
struct SubmitRequest {
  std::string client_group;  // Fills Job::submit_node_group when empty.
  std::string identity;
  std::vector<Job> jobs;  // 1..kMaxJobsPerMessage.
  // Set by FromJson, one per job: OK, or why that job did not parse or validate (the
  // job is then default-constructed). One bad job fails alone.
  std::vector<Status> job_status;

  nlohmann::json ToJson() const;
  static StatusOr<SubmitRequest> FromJson(const nlohmann::json& value);
};

struct SubmitItem {
  Status status;  // OK (stored), kAlreadyExists (kept the existing job), kInvalidArgument.
  std::string job_id;
  bool replaced = false;
};

struct SubmitResponse {
  std::vector<SubmitItem> results;  // One per submitted job, in order.

  nlohmann::json ToJson() const;
  static StatusOr<SubmitResponse> FromJson(const nlohmann::json& value);
};

// CANCEL_JOB (JobClient, CLI -> JobTracker) and the by-key operations of JOB_CONTROL.
struct JobKey {
  std::string node_group;  // The TaskTracker node group.
  std::string task_id;

  nlohmann::json ToJson() const;
  static StatusOr<JobKey> FromJson(const nlohmann::json& value, std::string_view prefix);
};

// JOB_CONTROL (CLI, Admin -> JobTracker). kDisableNode/kEnableNode act on a TaskTracker
// (by identity), the others on jobs.
enum class ControlOp {
  kPause,
  kResume,
  kTrigger,
  kCancel,
  kTerminate,
  kRetryDead,
  kDisableNode,
  kEnableNode
};
// "pause", "resume", "trigger", "cancel", "terminate", "retry-dead", "disable-node",
// "enable-node".
std::string_view ControlOpName(ControlOp op);
StatusOr<ControlOp> ParseControlOp(std::string_view name);
// kDisableNode and kEnableNode.
bool IsNodeControlOp(ControlOp op);

struct ControlRequest {
  ControlOp op = ControlOp::kPause;
  JobKey key;            // Every job op but kRetryDead.
  std::string job_id;    // kRetryDead; kTerminate may give it instead of the key.
  std::string identity;  // kDisableNode, kEnableNode: the TaskTracker (1..kMaxIdBytes).

  nlohmann::json ToJson() const;
  static StatusOr<ControlRequest> FromJson(const nlohmann::json& value);
};

struct ControlResponse {
  std::string message;  // What was done, in words.
  int64_t affected = 0;

  nlohmann::json ToJson() const;
  static StatusOr<ControlResponse> FromJson(const nlohmann::json& value);
};

// JOB_PULL (TaskTracker -> JobTracker): how many jobs the TaskTracker can take now. The
// JobTracker pushes up to that many due jobs (PUSH_JOB) at once and whenever jobs
// become due, until the TaskTracker reports a new number. Sent when the number changes
// from 0, on connection, and with every heartbeat.
struct PullRequest {
  std::string identity;
  std::string node_group;
  int32_t free_threads = 0;
  // Increases with every report; an older report than the last one seen is ignored.
  int64_t seq = 0;

  nlohmann::json ToJson() const;
  static StatusOr<PullRequest> FromJson(const nlohmann::json& value);
};

// PUSH_JOB (JobTracker -> TaskTracker).
struct PushRequest {
  std::vector<JobMeta> jobs;

  nlohmann::json ToJson() const;
  static StatusOr<PushRequest> FromJson(const nlohmann::json& value);
};

struct PushResponse {
  // Jobs the TaskTracker did not start (no free thread, shutting down, resources low);
  // the JobTracker puts them back in the queue at once.
  std::vector<std::string> rejected;

  nlohmann::json ToJson() const;
  static StatusOr<PushResponse> FromJson(const nlohmann::json& value);
};

// One run's result.
struct RunResult {
  std::string job_id;
  int64_t epoch = 0;  // JobMeta::epoch of the dispatch.
  JobAction action = JobAction::kExecuteSuccess;
  std::string message;
  bool terminated = false;  // Ended by a TERMINATE_JOB.
  bool timed_out = false;   // Ended by the job's timeout (then action is kExecuteException).
  bool resend = false;      // Sent again from the TaskTracker's FailStore.
  int64_t started_ms = 0;
  int64_t finished_ms = 0;

  nlohmann::json ToJson() const;
  static StatusOr<RunResult> FromJson(const nlohmann::json& value, std::string_view prefix);
};

// JOB_COMPLETED (TaskTracker -> JobTracker). The response may carry new jobs for the
// threads that just became free (at most `free_threads`), which the TaskTracker runs as
// if pushed.
struct CompletedRequest {
  std::string identity;
  std::string node_group;
  std::vector<RunResult> results;
  int32_t free_threads = 0;  // As in PullRequest, after these results.
  int64_t seq = 0;

  nlohmann::json ToJson() const;
  static StatusOr<CompletedRequest> FromJson(const nlohmann::json& value);
};

struct CompletedResponse {
  std::vector<JobMeta> jobs;

  nlohmann::json ToJson() const;
  static StatusOr<CompletedResponse> FromJson(const nlohmann::json& value);
};

// JOB_ASK (JobTracker -> TaskTracker): which of these jobs are not running there?
struct AskRequest {
  std::vector<std::string> job_ids;

  nlohmann::json ToJson() const;
  static StatusOr<AskRequest> FromJson(const nlohmann::json& value);
};

struct AskResponse {
  std::vector<std::string> not_running;

  nlohmann::json ToJson() const;
  static StatusOr<AskResponse> FromJson(const nlohmann::json& value);
};

// TERMINATE_JOB (JobTracker -> TaskTracker).
struct TerminateRequest {
  std::string job_id;
  std::string reason;

  nlohmann::json ToJson() const;
  static StatusOr<TerminateRequest> FromJson(const nlohmann::json& value);
};

struct TerminateResponse {
  bool found = false;  // The job was running there and is being interrupted.

  nlohmann::json ToJson() const;
  static StatusOr<TerminateResponse> FromJson(const nlohmann::json& value);
};

// BIZ_LOG_SEND (TaskTracker -> JobTracker).
struct BizLogLine {
  std::string job_id;
  std::string node_group;
  std::string task_id;
  int64_t time_ms = 0;
  int32_t level = 1;  // 0 DEBUG, 1 INFO, 2 WARN, 3 ERROR.
  std::string message;

  nlohmann::json ToJson() const;
  static StatusOr<BizLogLine> FromJson(const nlohmann::json& value, std::string_view prefix);
};

struct BizLogRequest {
  std::vector<BizLogLine> lines;

  nlohmann::json ToJson() const;
  static StatusOr<BizLogRequest> FromJson(const nlohmann::json& value);
};

// JOB_FEEDBACK (JobTracker -> JobClient). The response is empty; a JobClient answers OK
// once its handler has run (at least once delivery).
struct FeedbackRequest {
  std::vector<JobResult> results;

  nlohmann::json ToJson() const;
  static StatusOr<FeedbackRequest> FromJson(const nlohmann::json& value);
};

nlohmann::json JobResultToJson(const JobResult& result);
StatusOr<JobResult> JobResultFromJson(const nlohmann::json& value, std::string_view prefix);

// HEART_BEAT (TaskTracker, JobClient -> JobTracker): who the sender is; a TaskTracker
// lists the jobs it is running (its lease on them) and its free threads.
struct HeartbeatRequest {
  std::string identity;
  std::string node_type;  // "TASK_TRACKER", "JOB_CLIENT".
  std::string node_group;
  int32_t free_threads = 0;
  int64_t seq = 0;
  std::vector<std::string> running;

  nlohmann::json ToJson() const;
  static StatusOr<HeartbeatRequest> FromJson(const nlohmann::json& value);
};

// JOB_QUERY (CLI, Admin -> JobTracker): read-only views of the queues and logs.
// kStats is answered from the JobTracker's memory (counters, TaskTrackers), not the store.
enum class QueryKind { kList, kGet, kLogs, kBizLog, kCounts, kStats };
// "list", "get", "logs", "bizlog", "counts", "stats".
std::string_view QueryKindName(QueryKind kind);
StatusOr<QueryKind> ParseQueryKind(std::string_view name);

struct QueryRequest {
  QueryKind kind = QueryKind::kList;
  // kList: "executable", "executing", "cron", "repeat", "suspended", "dead".
  std::string queue;
  std::string node_group;  // kList filter (may be empty); kGet/kLogs key.
  std::string task_id;     // kList: a prefix; kGet/kLogs: the task.
  std::string job_id;      // kGet/kBizLog by id.
  int64_t offset = 0;
  int32_t limit = 100;  // 1..kMaxQueryLimit.

  nlohmann::json ToJson() const;
  static StatusOr<QueryRequest> FromJson(const nlohmann::json& value);
};
// The response is a JSON object documented in docs/job_protocol.md ({"jobs": [...]},
// {"logs": [...]}, {"counts": {...}}, {"jobTracker", "stats", "taskTrackers"}), produced
// by the JobTracker and read as JSON.

// Encodes `message` (any type above) as an RPC body in `format`.
template <typename Message>
StatusOr<std::string> EncodeMessage(const Message& message,
                                    rpc::BodyFormat format = rpc::BodyFormat::kJson);
// Encodes a JSON value as a body in `format`.
StatusOr<std::string> EncodeJson(const nlohmann::json& value, rpc::BodyFormat format);
// Decodes an RPC body into a JSON value within the body limits (rpc/body_codec.h).
StatusOr<nlohmann::json> DecodeJson(std::string_view body, rpc::BodyFormat format);
// Decodes an RPC body into `Message` (one of the types above with FromJson(json)).
template <typename Message>
StatusOr<Message> DecodeMessage(std::string_view body, rpc::BodyFormat format) {
  LTS_ASSIGN_OR_RETURN(nlohmann::json value, DecodeJson(body, format));
  return Message::FromJson(value);
}

template <typename Message>
StatusOr<std::string> EncodeMessage(const Message& message, rpc::BodyFormat format) {
  return EncodeJson(message.ToJson(), format);
}

// A Status as carried inside a message: {"code": "ALREADY_EXISTS", "message": "..."}.
nlohmann::json StatusToJson(const Status& status);
// Reads a carried Status into `*out`; the return value is the parse error, if any.
Status StatusFromJson(const nlohmann::json& value, std::string_view prefix, Status* out);

}  // namespace lts::protocol
