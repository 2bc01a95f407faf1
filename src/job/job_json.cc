// Job <-> JSON (include/lts/job.h). Field names follow the Java LTS.

#include "job/job_json.h"

#include <fmt/format.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "base/json_limits.h"
#include "job/json_reader.h"
#include "lts/job.h"

namespace lts {
namespace {

using nlohmann::json;

constexpr int kMaxJsonDepth = 32;

std::string_view BackoffKindName(RetryBackoff::Kind kind) {
  return kind == RetryBackoff::Kind::kExponential ? "exponential" : "fixed";
}

json BackoffToJson(const RetryBackoff& b) {
  return json{{"kind", BackoffKindName(b.kind)},
              {"initialMs", b.initial_ms},
              {"maxMs", b.max_ms},
              {"multiplier", b.multiplier}};
}

Status ReadBackoff(const json& v, const std::string& prefix, RetryBackoff* b) {
  if (!v.is_object()) return InvalidArgument(fmt::format("{}: expected an object", prefix));
  JsonReader r(v, prefix);
  std::string kind(BackoffKindName(b->kind));
  LTS_RETURN_IF_ERROR(r.String("kind", &kind));
  if (kind == "fixed") {
    b->kind = RetryBackoff::Kind::kFixed;
  } else if (kind == "exponential") {
    b->kind = RetryBackoff::Kind::kExponential;
  } else {
    return r.Error("kind", "expected \"fixed\" or \"exponential\"");
  }
  LTS_RETURN_IF_ERROR(r.Integer("initialMs", &b->initial_ms));
  LTS_RETURN_IF_ERROR(r.Integer("maxMs", &b->max_ms));
  return r.Number("multiplier", &b->multiplier);
}

}  // namespace

json JobToJsonValue(const Job& job, JobJsonForm form) {
  static const Job kDefaults;
  const bool full = form == JobJsonForm::kFull;
  json j;
  j["taskId"] = job.task_id;
  j["taskTrackerNodeGroup"] = job.task_tracker_node_group;
  if (full || job.priority != kDefaults.priority) j["priority"] = job.priority;
  if (!job.submit_node_group.empty()) j["submitNodeGroup"] = job.submit_node_group;
  if (!job.ext_params.empty()) j["extParams"] = job.ext_params;
  if (full || job.need_feedback) j["needFeedback"] = job.need_feedback;
  if (full || job.max_retry_times != 0) j["maxRetryTimes"] = job.max_retry_times;
  if (!job.cron_expression.empty()) j["cronExpression"] = job.cron_expression;
  if (full || job.repeat_count != 0) j["repeatCount"] = job.repeat_count;
  if (job.repeat_interval_ms) j["repeatInterval"] = *job.repeat_interval_ms;
  if (job.trigger_time_ms) j["triggerTime"] = *job.trigger_time_ms;
  if (full || job.replace_on_exist) j["replaceOnExist"] = job.replace_on_exist;
  if (full || !job.rely_on_prev_cycle) j["relyOnPrevCycle"] = job.rely_on_prev_cycle;
  if (full || job.timeout_seconds != 0) j["timeoutSeconds"] = job.timeout_seconds;
  if (full || job.time_zone != kDefaults.time_zone) j["timeZone"] = job.time_zone;
  if (full || !(job.retry_backoff == kDefaults.retry_backoff)) {
    j["retryBackoff"] = BackoffToJson(job.retry_backoff);
  }
  return j;
}

std::string Job::ToJson() const {
  return JobToJsonValue(*this).dump(-1, ' ', false, json::error_handler_t::replace);
}

StatusOr<Job> Job::FromJson(std::string_view text) {
  LTS_RETURN_IF_ERROR(CheckJsonLimits(text, "job", kMaxJobJsonBytes, kMaxJsonDepth));
  // nlohmann-json reports syntax errors by throwing; this boundary turns that into a
  // Status and nothing else in our code throws.
  json j;
  try {
    j = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    return InvalidArgument(fmt::format("job: malformed JSON at byte {}: {}", e.byte, e.what()));
  }
  return JobFromJsonValue(j, "job");
}

StatusOr<Job> JobFromJsonValue(const json& j, std::string_view prefix) {
  if (!j.is_object()) return InvalidArgument(fmt::format("{}: expected a JSON object", prefix));

  Job job;
  JsonReader r(j, std::string(prefix));
  LTS_RETURN_IF_ERROR(r.String("taskId", &job.task_id));
  LTS_RETURN_IF_ERROR(r.String("taskTrackerNodeGroup", &job.task_tracker_node_group));
  LTS_RETURN_IF_ERROR(r.Integer("priority", &job.priority));
  LTS_RETURN_IF_ERROR(r.String("submitNodeGroup", &job.submit_node_group));
  if (const json* params = r.Find("extParams"); params != nullptr && !params->is_null()) {
    if (!params->is_object()) return r.Error("extParams", "expected an object of strings");
    for (const auto& [key, value] : params->items()) {
      if (!value.is_string()) {
        return r.Error("extParams", fmt::format("value of '{}' is not a string", key));
      }
      job.ext_params[key] = value.get<std::string>();
    }
  }
  LTS_RETURN_IF_ERROR(r.Bool("needFeedback", &job.need_feedback));
  LTS_RETURN_IF_ERROR(r.Integer("maxRetryTimes", &job.max_retry_times));
  LTS_RETURN_IF_ERROR(r.String("cronExpression", &job.cron_expression));
  LTS_RETURN_IF_ERROR(r.Integer("repeatCount", &job.repeat_count));
  LTS_RETURN_IF_ERROR(r.OptionalInteger("repeatInterval", &job.repeat_interval_ms));
  LTS_RETURN_IF_ERROR(r.OptionalInteger("triggerTime", &job.trigger_time_ms));
  LTS_RETURN_IF_ERROR(r.Bool("replaceOnExist", &job.replace_on_exist));
  LTS_RETURN_IF_ERROR(r.Bool("relyOnPrevCycle", &job.rely_on_prev_cycle));
  LTS_RETURN_IF_ERROR(r.Integer("timeoutSeconds", &job.timeout_seconds));
  LTS_RETURN_IF_ERROR(r.String("timeZone", &job.time_zone));
  if (const json* backoff = r.Find("retryBackoff"); backoff != nullptr) {
    LTS_RETURN_IF_ERROR(
        ReadBackoff(*backoff, fmt::format("{}.retryBackoff", prefix), &job.retry_backoff));
  }
  LTS_RETURN_IF_ERROR(job.Validate());
  return job;
}

}  // namespace lts
