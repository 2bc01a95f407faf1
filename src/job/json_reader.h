// JsonReader: typed, range-checked reads of the fields of a JSON object from a peer or a
// user. nlohmann-json's get<T>() throws on a type mismatch; these return a Status naming
// "<prefix>.<field>" instead, so no exception crosses our code.
//
// Thread safety: a view of a json value; use on one thread.

#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "lts/status.h"

namespace lts {

// Each reader returns OK when the field is absent (keeping the default)
// and kInvalidArgument naming "job.<field>" when it has the wrong type or range.
class JsonReader {
 public:
  JsonReader(const nlohmann::json& object, std::string prefix)
      : object_(object), prefix_(std::move(prefix)) {}

  Status String(const char* key, std::string* out) const {
    const nlohmann::json* v = Find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_string()) return Error(key, "expected a string");
    *out = v->get_ref<const std::string&>();
    return Status::Ok();
  }
  Status Bool(const char* key, bool* out) const {
    const nlohmann::json* v = Find(key);
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
    const nlohmann::json* v = Find(key);
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
    const nlohmann::json* v = Find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_number()) return Error(key, "expected a number");
    *out = v->get<double>();
    return Status::Ok();
  }
  // String() with a length limit in bytes.
  Status String(const char* key, std::string* out, size_t max_bytes) const {
    const nlohmann::json* v = Find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_string()) return Error(key, "expected a string");
    if (v->get_ref<const std::string&>().size() > max_bytes) {
      return Error(key, fmt::format("longer than {} bytes", max_bytes));
    }
    *out = v->get_ref<const std::string&>();
    return Status::Ok();
  }
  // The array at `key` (nullptr when absent or null), at most `max_items` long.
  Status Array(const char* key, size_t max_items, const nlohmann::json** out) const {
    *out = nullptr;
    const nlohmann::json* v = Find(key);
    if (v == nullptr || v->is_null()) return Status::Ok();
    if (!v->is_array()) return Error(key, "expected an array");
    if (v->size() > max_items) return Error(key, fmt::format("more than {} items", max_items));
    *out = v;
    return Status::Ok();
  }
  // The object at `key` (nullptr when absent or null).
  Status Object(const char* key, const nlohmann::json** out) const {
    *out = nullptr;
    const nlohmann::json* v = Find(key);
    if (v == nullptr || v->is_null()) return Status::Ok();
    if (!v->is_object()) return Error(key, "expected an object");
    *out = v;
    return Status::Ok();
  }
  const std::string& prefix() const { return prefix_; }
  const nlohmann::json* Find(const char* key) const {
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }
  Status Error(std::string_view key, std::string_view what) const {
    return InvalidArgument(fmt::format("{}.{}: {}", prefix_, key, what));
  }

 private:
  const nlohmann::json& object_;
  std::string prefix_;
};

}  // namespace lts
