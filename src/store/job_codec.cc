#include "store/job_codec.h"

#include <bit>
#include <cstdint>

#include "base/coding.h"

namespace lts::store::internal {
namespace {

constexpr char kBodyVersion = 1;

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

void PutInt(std::string* out, int64_t v) { PutVarint64(out, ZigZag(v)); }

void PutOptional(std::string* out, const std::optional<int64_t>& v) {
  out->push_back(v.has_value() ? 1 : 0);
  if (v) PutInt(out, *v);
}

void PutMap(std::string* out, const std::map<std::string, std::string>& m) {
  PutVarint64(out, m.size());
  for (const auto& [k, v] : m) {
    PutLengthPrefixedSlice(out, k);
    PutLengthPrefixedSlice(out, v);
  }
}

// A reader that remembers the first failure, so decoding reads as a field list.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return in_.empty(); }

  int64_t Int() {
    // One byte (small values, the common case) without the general decoder.
    if (ok_ && !in_.empty() && static_cast<unsigned char>(in_[0]) < 0x80) {
      const uint64_t v = static_cast<unsigned char>(in_[0]);
      in_.remove_prefix(1);
      return UnZigZag(v);
    }
    uint64_t v = 0;
    if (ok_ && !GetVarint64(&in_, &v)) ok_ = false;
    return UnZigZag(v);
  }
  bool Bool() { return Byte() != 0; }
  char Byte() {
    if (!ok_ || in_.empty()) {
      ok_ = false;
      return 0;
    }
    const char c = in_[0];
    in_.remove_prefix(1);
    return c;
  }
  std::string String() {
    std::string_view s;
    if (ok_ && !in_.empty() && static_cast<unsigned char>(in_[0]) < 0x80) {
      // A length below 128 in one byte, the common case.
      const size_t n = static_cast<unsigned char>(in_[0]);
      if (in_.size() - 1 < n) {
        ok_ = false;
        return std::string();
      }
      s = in_.substr(1, n);
      in_.remove_prefix(1 + n);
      return std::string(s);
    }
    if (ok_ && !GetLengthPrefixedSlice(&in_, &s)) ok_ = false;
    return ok_ ? std::string(s) : std::string();
  }
  std::optional<int64_t> Optional() {
    if (!Bool()) return std::nullopt;
    return Int();
  }
  uint64_t Fixed64() {
    uint64_t v = 0;
    if (ok_ && !GetFixed64(&in_, &v)) ok_ = false;
    return v;
  }
  std::map<std::string, std::string> Map() {
    std::map<std::string, std::string> m;
    uint64_t n = 0;
    if (ok_ && !GetVarint64(&in_, &n)) ok_ = false;
    // Each entry takes at least two bytes: a count beyond that is corrupt.
    if (n > in_.size() / 2) ok_ = false;
    for (uint64_t i = 0; ok_ && i < n; ++i) {
      std::string k = String();
      std::string v = String();
      m.emplace(std::move(k), std::move(v));
    }
    return m;
  }

 private:
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace

void EncodeJobBody(const JobRecord& record, std::string* out) {
  const Job& j = record.job;
  out->push_back(kBodyVersion);
  PutLengthPrefixedSlice(out, j.task_id);
  PutLengthPrefixedSlice(out, j.task_tracker_node_group);
  PutInt(out, j.priority);
  PutLengthPrefixedSlice(out, j.submit_node_group);
  PutMap(out, j.ext_params);
  out->push_back(j.need_feedback ? 1 : 0);
  PutInt(out, j.max_retry_times);
  PutLengthPrefixedSlice(out, j.cron_expression);
  PutInt(out, j.repeat_count);
  PutOptional(out, j.repeat_interval_ms);
  PutOptional(out, j.trigger_time_ms);
  out->push_back(j.replace_on_exist ? 1 : 0);
  out->push_back(j.rely_on_prev_cycle ? 1 : 0);
  PutInt(out, j.timeout_seconds);
  PutLengthPrefixedSlice(out, j.time_zone);
  out->push_back(j.retry_backoff.kind == RetryBackoff::Kind::kExponential ? 1 : 0);
  PutInt(out, j.retry_backoff.initial_ms);
  PutInt(out, j.retry_backoff.max_ms);
  PutFixed64(out, std::bit_cast<uint64_t>(j.retry_backoff.multiplier));
  PutLengthPrefixedSlice(out, record.real_task_id);
  PutMap(out, record.internal_params);
}

Status DecodeJobBody(std::string_view body, JobRecord* record) {
  Reader r(body);
  if (r.Byte() != kBodyVersion) return Corruption("job body: unknown version");
  Job& j = record->job;
  j.task_id = r.String();
  j.task_tracker_node_group = r.String();
  j.priority = static_cast<int32_t>(r.Int());
  j.submit_node_group = r.String();
  j.ext_params = r.Map();
  j.need_feedback = r.Bool();
  j.max_retry_times = static_cast<int32_t>(r.Int());
  j.cron_expression = r.String();
  j.repeat_count = static_cast<int32_t>(r.Int());
  j.repeat_interval_ms = r.Optional();
  j.trigger_time_ms = r.Optional();
  j.replace_on_exist = r.Bool();
  j.rely_on_prev_cycle = r.Bool();
  j.timeout_seconds = r.Int();
  j.time_zone = r.String();
  j.retry_backoff.kind = r.Bool() ? RetryBackoff::Kind::kExponential : RetryBackoff::Kind::kFixed;
  j.retry_backoff.initial_ms = r.Int();
  j.retry_backoff.max_ms = r.Int();
  j.retry_backoff.multiplier = std::bit_cast<double>(r.Fixed64());
  record->real_task_id = r.String();
  record->internal_params = r.Map();
  if (!r.ok() || !r.done()) return Corruption("job body: truncated or malformed");
  return Status::Ok();
}

}  // namespace lts::store::internal
