// The job protocol's messages (protocol/messages.h).

#include "protocol/messages.h"

#include <fmt/format.h>

#include <utility>

#include "job/job_json.h"
#include "job/json_reader.h"
#include "rpc/body_codec.h"

namespace lts::protocol {
namespace {

using nlohmann::json;

constexpr StatusCode kAllCodes[] = {
    StatusCode::kOk,
    StatusCode::kCancelled,
    StatusCode::kInvalidArgument,
    StatusCode::kDeadlineExceeded,
    StatusCode::kNotFound,
    StatusCode::kAlreadyExists,
    StatusCode::kResourceExhausted,
    StatusCode::kFailedPrecondition,
    StatusCode::kAborted,
    StatusCode::kUnavailable,
    StatusCode::kInternal,
    StatusCode::kNotSupported,
    StatusCode::kCorruption,
    StatusCode::kIOError,
    StatusCode::kExecuteException,
};

std::string Item(std::string_view prefix, std::string_view key, size_t i) {
  return fmt::format("{}.{}[{}]", prefix, key, i);
}

// A required, non-empty string of at most `max` bytes.
Status RequiredString(const JsonReader& r, const char* key, std::string* out,
                      size_t max = kMaxIdBytes) {
  LTS_RETURN_IF_ERROR(r.String(key, out, max));
  if (out->empty()) return r.Error(key, "required");
  return Status::Ok();
}

// An array of strings of at most `max_bytes` each.
Status StringArray(const JsonReader& r, const char* key, size_t max_items,
                   std::vector<std::string>* out) {
  const json* array = nullptr;
  LTS_RETURN_IF_ERROR(r.Array(key, max_items, &array));
  if (array == nullptr) return Status::Ok();
  out->reserve(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    const json& v = (*array)[i];
    if (!v.is_string() || v.get_ref<const std::string&>().size() > kMaxIdBytes) {
      return InvalidArgument(fmt::format("{}: expected a string of at most {} bytes",
                                         Item(r.prefix(), key, i), kMaxIdBytes));
    }
    out->push_back(v.get_ref<const std::string&>());
  }
  return Status::Ok();
}

// Reads an array of objects with `read(value, prefix)` into `out`.
template <typename T, typename ReadFn>
Status ObjectArray(const JsonReader& r, const char* key, size_t max_items, std::vector<T>* out,
                   ReadFn read) {
  const json* array = nullptr;
  LTS_RETURN_IF_ERROR(r.Array(key, max_items, &array));
  if (array == nullptr) return Status::Ok();
  out->reserve(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    LTS_ASSIGN_OR_RETURN(T item, read((*array)[i], Item(r.prefix(), key, i)));
    out->push_back(std::move(item));
  }
  return Status::Ok();
}

Status ExpectObject(const json& value, std::string_view what) {
  if (!value.is_object()) return InvalidArgument(fmt::format("{}: expected an object", what));
  return Status::Ok();
}

json StringsToJson(const std::vector<std::string>& values) {
  json array = json::array();
  for (const std::string& v : values) array.push_back(v);
  return array;
}

template <typename T>
json ObjectsToJson(const std::vector<T>& values) {
  json array = json::array();
  for (const T& v : values) array.push_back(v.ToJson());
  return array;
}

}  // namespace

// --- Status ---------------------------------------------------------------------------

json StatusToJson(const Status& status) {
  json j{{"code", StatusCodeName(status.code())}};
  if (!status.ok()) j["message"] = std::string(status.message());
  return j;
}

Status StatusFromJson(const json& value, std::string_view prefix, Status* out) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, prefix));
  JsonReader r(value, std::string(prefix));
  std::string code_name = "OK";
  std::string message;
  LTS_RETURN_IF_ERROR(r.String("code", &code_name, 64));
  LTS_RETURN_IF_ERROR(r.String("message", &message, kMaxMessageText));
  for (StatusCode code : kAllCodes) {
    if (StatusCodeName(code) == code_name) {
      *out = code == StatusCode::kOk ? Status::Ok() : Status(code, message);
      return Status::Ok();
    }
  }
  return r.Error("code", fmt::format("unknown status code '{}'", code_name));
}

// --- JobMeta ----------------------------------------------------------------------------

json JobMeta::ToJson() const {
  json j{{"job", JobToJsonValue(job, JobJsonForm::kCompact)},
         {"jobId", job_id},
         {"epoch", epoch},
         {"retryTimes", retry_times},
         {"repeatedCount", repeated_count},
         {"triggerTime", trigger_time_ms}};
  if (!instance_task_id.empty() && instance_task_id != job.task_id) {
    j["instanceTaskId"] = instance_task_id;
  }
  return j;
}

StatusOr<JobMeta> JobMeta::FromJson(const json& value, std::string_view prefix) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, prefix));
  JsonReader r(value, std::string(prefix));
  JobMeta meta;
  const json* job = r.Find("job");
  if (job == nullptr) return r.Error("job", "required");
  LTS_ASSIGN_OR_RETURN(meta.job, JobFromJsonValue(*job, fmt::format("{}.job", prefix)));
  LTS_RETURN_IF_ERROR(RequiredString(r, "jobId", &meta.job_id));
  LTS_RETURN_IF_ERROR(r.String("instanceTaskId", &meta.instance_task_id, kMaxIdBytes));
  if (meta.instance_task_id.empty()) meta.instance_task_id = meta.job.task_id;
  LTS_RETURN_IF_ERROR(r.Integer("epoch", &meta.epoch));
  LTS_RETURN_IF_ERROR(r.Integer("retryTimes", &meta.retry_times));
  LTS_RETURN_IF_ERROR(r.Integer("repeatedCount", &meta.repeated_count));
  LTS_RETURN_IF_ERROR(r.Integer("triggerTime", &meta.trigger_time_ms));
  if (meta.retry_times < 0) return r.Error("retryTimes", "must be >= 0");
  return meta;
}

// --- Submit ---------------------------------------------------------------------------

json SubmitRequest::ToJson() const {
  json jobs_json = json::array();
  for (const Job& job : jobs) jobs_json.push_back(JobToJsonValue(job, JobJsonForm::kCompact));
  return json{{"clientGroup", client_group}, {"identity", identity}, {"jobs", jobs_json}};
}

StatusOr<SubmitRequest> SubmitRequest::FromJson(const json& value) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, "submit"));
  JsonReader r(value, "submit");
  SubmitRequest request;
  LTS_RETURN_IF_ERROR(r.String("clientGroup", &request.client_group, kMaxIdBytes));
  LTS_RETURN_IF_ERROR(r.String("identity", &request.identity, kMaxIdBytes));
  const json* jobs = nullptr;
  LTS_RETURN_IF_ERROR(r.Array("jobs", kMaxJobsPerMessage, &jobs));
  if (jobs == nullptr || jobs->empty()) return r.Error("jobs", "at least one job is required");
  request.jobs.resize(jobs->size());
  request.job_status.resize(jobs->size());
  for (size_t i = 0; i < jobs->size(); ++i) {
    auto job = JobFromJsonValue((*jobs)[i], Item("submit", "jobs", i));
    if (job.ok()) {
      request.jobs[i] = *std::move(job);
    } else {
      request.job_status[i] = job.status();
    }
  }
  return request;
}

json SubmitResponse::ToJson() const {
  json array = json::array();
  for (const SubmitItem& item : results) {
    json j = StatusToJson(item.status);
    if (!item.job_id.empty()) j["jobId"] = item.job_id;
    if (item.replaced) j["replaced"] = true;
    array.push_back(std::move(j));
  }
  return json{{"results", array}};
}

namespace {
StatusOr<SubmitItem> ReadSubmitItem(const json& v, const std::string& prefix) {
  SubmitItem item;
  LTS_RETURN_IF_ERROR(StatusFromJson(v, prefix, &item.status));
  JsonReader r(v, prefix);
  LTS_RETURN_IF_ERROR(r.String("jobId", &item.job_id, kMaxIdBytes));
  LTS_RETURN_IF_ERROR(r.Bool("replaced", &item.replaced));
  return item;
}
}  // namespace

StatusOr<SubmitResponse> SubmitResponse::FromJson(const json& value) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, "submitResponse"));
  JsonReader r(value, "submitResponse");
  SubmitResponse response;
  LTS_RETURN_IF_ERROR(
      ObjectArray(r, "results", kMaxJobsPerMessage, &response.results, ReadSubmitItem));
  return response;
}

// --- Keys and control -----------------------------------------------------------------

json JobKey::ToJson() const { return json{{"nodeGroup", node_group}, {"taskId", task_id}}; }

StatusOr<JobKey> JobKey::FromJson(const json& value, std::string_view prefix) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, prefix));
  JsonReader r(value, std::string(prefix));
  JobKey key;
  LTS_RETURN_IF_ERROR(RequiredString(r, "nodeGroup", &key.node_group, kMaxNodeGroupBytes));
  LTS_RETURN_IF_ERROR(RequiredString(r, "taskId", &key.task_id, kMaxIdBytes));
  return key;
}

namespace {
constexpr std::string_view kControlOpNames[] = {"pause",        "resume",     "trigger",
                                                "cancel",       "terminate",  "retry-dead",
                                                "disable-node", "enable-node"};
constexpr std::string_view kQueryKindNames[] = {"list", "get", "logs", "bizlog", "counts", "stats"};

// "a, b, c" of a name table, for error messages.
template <size_t N>
std::string NameList(const std::string_view (&names)[N]) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}
}  // namespace

std::string_view ControlOpName(ControlOp op) { return kControlOpNames[static_cast<int>(op)]; }

StatusOr<ControlOp> ParseControlOp(std::string_view name) {
  for (size_t i = 0; i < std::size(kControlOpNames); ++i) {
    if (kControlOpNames[i] == name) return static_cast<ControlOp>(i);
  }
  return InvalidArgument(
      fmt::format("op: '{}' is not one of {}", name.substr(0, 64), NameList(kControlOpNames)));
}

bool IsNodeControlOp(ControlOp op) {
  return op == ControlOp::kDisableNode || op == ControlOp::kEnableNode;
}

json ControlRequest::ToJson() const {
  json j{{"op", ControlOpName(op)}};
  if (!key.task_id.empty() || !key.node_group.empty()) j["key"] = key.ToJson();
  if (!job_id.empty()) j["jobId"] = job_id;
  if (!identity.empty()) j["identity"] = identity;
  return j;
}

StatusOr<ControlRequest> ControlRequest::FromJson(const json& value) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, "control"));
  JsonReader r(value, "control");
  ControlRequest request;
  std::string op;
  LTS_RETURN_IF_ERROR(RequiredString(r, "op", &op, 32));
  LTS_ASSIGN_OR_RETURN(request.op, ParseControlOp(op));
  if (IsNodeControlOp(request.op)) {
    // A TaskTracker op: the identity is all it needs; job fields are ignored.
    LTS_RETURN_IF_ERROR(RequiredString(r, "identity", &request.identity, kMaxIdBytes));
    return request;
  }
  LTS_RETURN_IF_ERROR(r.String("jobId", &request.job_id, kMaxIdBytes));
  if (const json* key = r.Find("key"); key != nullptr && !key->is_null()) {
    LTS_ASSIGN_OR_RETURN(request.key, JobKey::FromJson(*key, "control.key"));
  }
  const bool by_key = !request.key.task_id.empty();
  const bool by_id = !request.job_id.empty();
  if (request.op == ControlOp::kRetryDead && !by_id) return r.Error("jobId", "required");
  if (request.op == ControlOp::kTerminate && !by_key && !by_id) {
    return r.Error("key", "a key or a jobId is required");
  }
  if (request.op != ControlOp::kRetryDead && request.op != ControlOp::kTerminate && !by_key) {
    return r.Error("key", "required");
  }
  return request;
}

json ControlResponse::ToJson() const { return json{{"message", message}, {"affected", affected}}; }

StatusOr<ControlResponse> ControlResponse::FromJson(const json& value) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, "controlResponse"));
  JsonReader r(value, "controlResponse");
  ControlResponse response;
  LTS_RETURN_IF_ERROR(r.String("message", &response.message, kMaxMessageText));
  LTS_RETURN_IF_ERROR(r.Integer("affected", &response.affected));
  return response;
}

// --- Pull, push, completion -----------------------------------------------------------

json PullRequest::ToJson() const {
  return json{{"identity", identity},
              {"nodeGroup", node_group},
              {"freeThreads", free_threads},
              {"seq", seq}};
}

StatusOr<PullRequest> PullRequest::FromJson(const json& value) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, "pull"));
  JsonReader r(value, "pull");
  PullRequest request;
  LTS_RETURN_IF_ERROR(RequiredString(r, "identity", &request.identity));
  LTS_RETURN_IF_ERROR(RequiredString(r, "nodeGroup", &request.node_group, kMaxNodeGroupBytes));
  LTS_RETURN_IF_ERROR(r.Integer("freeThreads", &request.free_threads));
  LTS_RETURN_IF_ERROR(r.Integer("seq", &request.seq));
  if (request.free_threads < 0) return r.Error("freeThreads", "must be >= 0");
  return request;
}

json PushRequest::ToJson() const { return json{{"jobs", ObjectsToJson(jobs)}}; }

StatusOr<PushRequest> PushRequest::FromJson(const json& value) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, "push"));
  JsonReader r(value, "push");
  PushRequest request;
  LTS_RETURN_IF_ERROR(
      ObjectArray(r, "jobs", kMaxJobsPerMessage, &request.jobs,
                  [](const json& v, const std::string& p) { return JobMeta::FromJson(v, p); }));
  return request;
}

json PushResponse::ToJson() const { return json{{"rejected", StringsToJson(rejected)}}; }

StatusOr<PushResponse> PushResponse::FromJson(const json& value) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, "pushResponse"));
  JsonReader r(value, "pushResponse");
  PushResponse response;
  LTS_RETURN_IF_ERROR(StringArray(r, "rejected", kMaxJobsPerMessage, &response.rejected));
  return response;
}

json RunResult::ToJson() const {
  json j{{"jobId", job_id},    {"epoch", epoch},          {"action", JobActionName(action)},
         {"message", message}, {"startedAt", started_ms}, {"finishedAt", finished_ms}};
  if (terminated) j["terminated"] = true;
  if (timed_out) j["timedOut"] = true;
  if (resend) j["resend"] = true;
  return j;
}

StatusOr<RunResult> RunResult::FromJson(const json& value, std::string_view prefix) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, prefix));
  JsonReader r(value, std::string(prefix));
  RunResult result;
  LTS_RETURN_IF_ERROR(RequiredString(r, "jobId", &result.job_id));
  LTS_RETURN_IF_ERROR(r.Integer("epoch", &result.epoch));
  std::string action;
  LTS_RETURN_IF_ERROR(RequiredString(r, "action", &action, 32));
  auto parsed = ParseJobAction(action);
  if (!parsed.ok()) return r.Error("action", parsed.status().message());
  result.action = *parsed;
  LTS_RETURN_IF_ERROR(r.String("message", &result.message, kMaxMessageText));
  LTS_RETURN_IF_ERROR(r.Bool("terminated", &result.terminated));
  LTS_RETURN_IF_ERROR(r.Bool("timedOut", &result.timed_out));
  LTS_RETURN_IF_ERROR(r.Bool("resend", &result.resend));
  LTS_RETURN_IF_ERROR(r.Integer("startedAt", &result.started_ms));
  LTS_RETURN_IF_ERROR(r.Integer("finishedAt", &result.finished_ms));
  return result;
}

json CompletedRequest::ToJson() const {
  return json{{"identity", identity},
              {"nodeGroup", node_group},
              {"results", ObjectsToJson(results)},
              {"freeThreads", free_threads},
              {"seq", seq}};
}

StatusOr<CompletedRequest> CompletedRequest::FromJson(const json& value) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, "completed"));
  JsonReader r(value, "completed");
  CompletedRequest request;
  LTS_RETURN_IF_ERROR(RequiredString(r, "identity", &request.identity));
  LTS_RETURN_IF_ERROR(RequiredString(r, "nodeGroup", &request.node_group, kMaxNodeGroupBytes));
  LTS_RETURN_IF_ERROR(
      ObjectArray(r, "results", kMaxJobsPerMessage, &request.results,
                  [](const json& v, const std::string& p) { return RunResult::FromJson(v, p); }));
  LTS_RETURN_IF_ERROR(r.Integer("freeThreads", &request.free_threads));
  LTS_RETURN_IF_ERROR(r.Integer("seq", &request.seq));
  if (request.free_threads < 0) return r.Error("freeThreads", "must be >= 0");
  return request;
}

json CompletedResponse::ToJson() const { return json{{"jobs", ObjectsToJson(jobs)}}; }

StatusOr<CompletedResponse> CompletedResponse::FromJson(const json& value) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, "completedResponse"));
  JsonReader r(value, "completedResponse");
  CompletedResponse response;
  LTS_RETURN_IF_ERROR(
      ObjectArray(r, "jobs", kMaxJobsPerMessage, &response.jobs,
                  [](const json& v, const std::string& p) { return JobMeta::FromJson(v, p); }));
  return response;
}

// --- Ask, terminate ---------------------------------------------------------------------

json AskRequest::ToJson() const { return json{{"jobIds", StringsToJson(job_ids)}}; }

StatusOr<AskRequest> AskRequest::FromJson(const json& value) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, "ask"));
  JsonReader r(value, "ask");
  AskRequest request;
  LTS_RETURN_IF_ERROR(StringArray(r, "jobIds", kMaxIdsPerMessage, &request.job_ids));
  return request;
}

json AskResponse::ToJson() const { return json{{"notRunning", StringsToJson(not_running)}}; }

StatusOr<AskResponse> AskResponse::FromJson(const json& value) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, "askResponse"));
  JsonReader r(value, "askResponse");
  AskResponse response;
  LTS_RETURN_IF_ERROR(StringArray(r, "notRunning", kMaxIdsPerMessage, &response.not_running));
  return response;
}

json TerminateRequest::ToJson() const { return json{{"jobId", job_id}, {"reason", reason}}; }

StatusOr<TerminateRequest> TerminateRequest::FromJson(const json& value) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, "terminate"));
  JsonReader r(value, "terminate");
  TerminateRequest request;
  LTS_RETURN_IF_ERROR(RequiredString(r, "jobId", &request.job_id));
  LTS_RETURN_IF_ERROR(r.String("reason", &request.reason, kMaxMessageText));
  return request;
}

json TerminateResponse::ToJson() const { return json{{"found", found}}; }

StatusOr<TerminateResponse> TerminateResponse::FromJson(const json& value) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, "terminateResponse"));
  JsonReader r(value, "terminateResponse");
  TerminateResponse response;
  LTS_RETURN_IF_ERROR(r.Bool("found", &response.found));
  return response;
}

// --- BizLog -------------------------------------------------------------------------------

json BizLogLine::ToJson() const {
  return json{{"jobId", job_id}, {"nodeGroup", node_group}, {"taskId", task_id},
              {"time", time_ms}, {"level", level},          {"message", message}};
}

StatusOr<BizLogLine> BizLogLine::FromJson(const json& value, std::string_view prefix) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, prefix));
  JsonReader r(value, std::string(prefix));
  BizLogLine line;
  LTS_RETURN_IF_ERROR(RequiredString(r, "jobId", &line.job_id));
  LTS_RETURN_IF_ERROR(r.String("nodeGroup", &line.node_group, kMaxNodeGroupBytes));
  LTS_RETURN_IF_ERROR(r.String("taskId", &line.task_id, kMaxIdBytes));
  LTS_RETURN_IF_ERROR(r.Integer("time", &line.time_ms));
  LTS_RETURN_IF_ERROR(r.Integer("level", &line.level));
  if (line.level < 0 || line.level > 3) return r.Error("level", "expected 0..3");
  LTS_RETURN_IF_ERROR(r.String("message", &line.message, kMaxMessageText));
  return line;
}

json BizLogRequest::ToJson() const { return json{{"lines", ObjectsToJson(lines)}}; }

StatusOr<BizLogRequest> BizLogRequest::FromJson(const json& value) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, "bizlog"));
  JsonReader r(value, "bizlog");
  BizLogRequest request;
  LTS_RETURN_IF_ERROR(
      ObjectArray(r, "lines", kMaxBizLogLinesPerMessage, &request.lines,
                  [](const json& v, const std::string& p) { return BizLogLine::FromJson(v, p); }));
  return request;
}

// --- Feedback -----------------------------------------------------------------------------

json JobResultToJson(const JobResult& result) {
  json j{{"job", JobToJsonValue(result.job, JobJsonForm::kCompact)},
         {"jobId", result.job_id},
         {"action", JobActionName(result.action)},
         {"success", result.success},
         {"message", result.message},
         {"attempts", result.attempts},
         {"finishedAt", result.finished_ms}};
  if (result.terminated) j["terminated"] = true;
  return j;
}

StatusOr<JobResult> JobResultFromJson(const json& value, std::string_view prefix) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, prefix));
  JsonReader r(value, std::string(prefix));
  JobResult result;
  const json* job = r.Find("job");
  if (job == nullptr) return r.Error("job", "required");
  LTS_ASSIGN_OR_RETURN(result.job, JobFromJsonValue(*job, fmt::format("{}.job", prefix)));
  LTS_RETURN_IF_ERROR(RequiredString(r, "jobId", &result.job_id));
  std::string action;
  LTS_RETURN_IF_ERROR(RequiredString(r, "action", &action, 32));
  auto parsed = ParseJobAction(action);
  if (!parsed.ok()) return r.Error("action", parsed.status().message());
  result.action = *parsed;
  LTS_RETURN_IF_ERROR(r.Bool("success", &result.success));
  LTS_RETURN_IF_ERROR(r.Bool("terminated", &result.terminated));
  LTS_RETURN_IF_ERROR(r.String("message", &result.message, kMaxMessageText));
  LTS_RETURN_IF_ERROR(r.Integer("attempts", &result.attempts));
  LTS_RETURN_IF_ERROR(r.Integer("finishedAt", &result.finished_ms));
  return result;
}

json FeedbackRequest::ToJson() const {
  json array = json::array();
  for (const JobResult& result : results) array.push_back(JobResultToJson(result));
  return json{{"results", array}};
}

StatusOr<FeedbackRequest> FeedbackRequest::FromJson(const json& value) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, "feedback"));
  JsonReader r(value, "feedback");
  FeedbackRequest request;
  LTS_RETURN_IF_ERROR(
      ObjectArray(r, "results", kMaxJobsPerMessage, &request.results,
                  [](const json& v, const std::string& p) { return JobResultFromJson(v, p); }));
  return request;
}

// --- Heartbeat --------------------------------------------------------------------------

json HeartbeatRequest::ToJson() const {
  return json{{"identity", identity},
              {"nodeType", node_type},
              {"nodeGroup", node_group},
              {"freeThreads", free_threads},
              {"seq", seq},
              {"running", StringsToJson(running)}};
}

StatusOr<HeartbeatRequest> HeartbeatRequest::FromJson(const json& value) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, "heartbeat"));
  JsonReader r(value, "heartbeat");
  HeartbeatRequest request;
  LTS_RETURN_IF_ERROR(RequiredString(r, "identity", &request.identity));
  LTS_RETURN_IF_ERROR(RequiredString(r, "nodeType", &request.node_type, 32));
  LTS_RETURN_IF_ERROR(RequiredString(r, "nodeGroup", &request.node_group, kMaxNodeGroupBytes));
  LTS_RETURN_IF_ERROR(r.Integer("freeThreads", &request.free_threads));
  LTS_RETURN_IF_ERROR(r.Integer("seq", &request.seq));
  LTS_RETURN_IF_ERROR(StringArray(r, "running", kMaxIdsPerMessage, &request.running));
  if (request.free_threads < 0) return r.Error("freeThreads", "must be >= 0");
  return request;
}

// --- Query ------------------------------------------------------------------------------

std::string_view QueryKindName(QueryKind kind) { return kQueryKindNames[static_cast<int>(kind)]; }

StatusOr<QueryKind> ParseQueryKind(std::string_view name) {
  for (size_t i = 0; i < std::size(kQueryKindNames); ++i) {
    if (kQueryKindNames[i] == name) return static_cast<QueryKind>(i);
  }
  return InvalidArgument(
      fmt::format("kind: '{}' is not one of {}", name.substr(0, 64), NameList(kQueryKindNames)));
}

json QueryRequest::ToJson() const {
  json j{{"kind", QueryKindName(kind)}, {"offset", offset}, {"limit", limit}};
  if (!queue.empty()) j["queue"] = queue;
  if (!node_group.empty()) j["nodeGroup"] = node_group;
  if (!task_id.empty()) j["taskId"] = task_id;
  if (!job_id.empty()) j["jobId"] = job_id;
  return j;
}

StatusOr<QueryRequest> QueryRequest::FromJson(const json& value) {
  LTS_RETURN_IF_ERROR(ExpectObject(value, "query"));
  JsonReader r(value, "query");
  QueryRequest request;
  std::string kind;
  LTS_RETURN_IF_ERROR(RequiredString(r, "kind", &kind, 32));
  auto parsed = ParseQueryKind(kind);
  if (!parsed.ok()) {
    return r.Error("kind", fmt::format("'{}' is not one of {}", kind, NameList(kQueryKindNames)));
  }
  request.kind = *parsed;
  LTS_RETURN_IF_ERROR(r.String("queue", &request.queue, 32));
  LTS_RETURN_IF_ERROR(r.String("nodeGroup", &request.node_group, kMaxNodeGroupBytes));
  LTS_RETURN_IF_ERROR(r.String("taskId", &request.task_id, kMaxIdBytes));
  LTS_RETURN_IF_ERROR(r.String("jobId", &request.job_id, kMaxIdBytes));
  LTS_RETURN_IF_ERROR(r.Integer("offset", &request.offset));
  LTS_RETURN_IF_ERROR(r.Integer("limit", &request.limit));
  if (request.offset < 0) return r.Error("offset", "must be >= 0");
  if (request.limit < 1 || request.limit > kMaxQueryLimit) {
    return r.Error("limit", fmt::format("expected 1..{}", kMaxQueryLimit));
  }
  return request;
}

// --- Bodies -----------------------------------------------------------------------------

StatusOr<std::string> EncodeJson(const json& value, rpc::BodyFormat format) {
  std::string body;
  LTS_RETURN_IF_ERROR(rpc::EncodeBody(value, format, &body));
  return body;
}

StatusOr<json> DecodeJson(std::string_view body, rpc::BodyFormat format) {
  return rpc::DecodeBody(body, format);
}

}  // namespace lts::protocol
