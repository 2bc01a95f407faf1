// Job <-> JSON (include/lts/job.h). Field names follow the Java LTS.

#include <fmt/format.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "base/json_limits.h"
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

// Typed field readers: each returns OK when the field is absent (keeping the default)
// and kInvalidArgument naming "job.<field>" when it has the wrong type or range.
class Reader {
 public:
  Reader(const json& object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {}

  Status String(const char* key, std::string* out) const {
    const json* v = Find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_string()) return Error(key, "expected a string");
    *out = v->get_ref<const std::string&>();
    return Status::Ok();
  }
  Status Bool(const char* key, bool* out) const {
    const json* v = Find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_boolean()) return Error(key, "expected true or false");
    *out = v->get<bool>();
    return Status::Ok();
  }
  template <typename Int>
  Status Integer(const char* key, Int* out) const {
    std::optional<int64_t> value;
    LTS_RETURN_IF_ERROR(OptionalInteger(key, &value, std::numeric_limits<Int>::min(),
                                        std::numeric_limits<Int>::max()));
    if (value) *out = static_cast<Int>(*value);
    return Status::Ok();
  }
  Status OptionalInteger(const char* key, std::optional<int64_t>* out,
                         int64_t min = std::numeric_limits<int64_t>::min(),
                         int64_t max = std::numeric_limits<int64_t>::max()) const {
    const json* v = Find(key);
    if (v == nullptr || v->is_null()) return Status::Ok();
    bool in_range = false;
    int64_t value = 0;
    if (v->is_number_unsigned()) {
      const uint64_t u = v->get<uint64_t>();
      in_range = u <= static_cast<uint64_t>(max);
      value = static_cast<int64_t>(u);
    } else if (v->is_number_integer()) {
      value = v->get<int64_t>();
      in_range = value >= min && value <= max;
    } else {
      return Error(key, fmt::format("expected an integer in [{}, {}]", min, max));
    }
    if (!in_range) return Error(key, fmt::format("expected an integer in [{}, {}]", min, max));
    *out = value;
    return Status::Ok();
  }
  Status Number(const char* key, double* out) const {
    const json* v = Find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_number()) return Error(key, "expected a number");
    *out = v->get<double>();
    return Status::Ok();
  }
  const json* Find(const char* key) const {
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }
  Status Error(std::string_view key, std::string_view what) const {
    return InvalidArgument(fmt::format("{}.{}: {}", prefix_, key, what));
  }

 private:
  const json& object_;
  std::string prefix_;
};

Status ReadBackoff(const json& v, RetryBackoff* b) {
  if (!v.is_object()) return InvalidArgument("job.retryBackoff: expected an object");
  Reader r(v, "job.retryBackoff");
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

std::string Job::ToJson() const {
  json j;
  j["taskId"] = task_id;
  j["taskTrackerNodeGroup"] = task_tracker_node_group;
  j["priority"] = priority;
  if (!submit_node_group.empty()) j["submitNodeGroup"] = submit_node_group;
  if (!ext_params.empty()) j["extParams"] = ext_params;
  j["needFeedback"] = need_feedback;
  j["maxRetryTimes"] = max_retry_times;
  if (!cron_expression.empty()) j["cronExpression"] = cron_expression;
  j["repeatCount"] = repeat_count;
  if (repeat_interval_ms) j["repeatInterval"] = *repeat_interval_ms;
  if (trigger_time_ms) j["triggerTime"] = *trigger_time_ms;
  j["replaceOnExist"] = replace_on_exist;
  j["relyOnPrevCycle"] = rely_on_prev_cycle;
  j["timeoutSeconds"] = timeout_seconds;
  j["timeZone"] = time_zone;
  j["retryBackoff"] = BackoffToJson(retry_backoff);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
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
  if (!j.is_object()) return InvalidArgument("job: expected a JSON object");

  Job job;
  Reader r(j, "job");
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
    LTS_RETURN_IF_ERROR(ReadBackoff(*backoff, &job.retry_backoff));
  }
  LTS_RETURN_IF_ERROR(job.Validate());
  return job;
}

}  // namespace lts
