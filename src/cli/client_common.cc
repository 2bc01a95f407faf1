// Shared helpers of `lts submit` and `lts job` (cli/client_common.h).

#include "cli/client_common.h"

#include <fmt/format.h>

#include <charconv>
#include <optional>

namespace lts::cli {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Reads exactly `digits` decimal digits at `*pos`.
bool ReadNumber(std::string_view text, size_t* pos, size_t digits, int64_t* out) {
  if (*pos + digits > text.size()) return false;
  int64_t value = 0;
  for (size_t i = 0; i < digits; ++i) {
    const char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *pos += digits;
  *out = value;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

std::optional<int64_t> ParseIso(std::string_view text) {
  size_t pos = 0;
  int64_t year, month, day, hour, minute, second, millis = 0;
  if (!ReadNumber(text, &pos, 4, &year) || !Expect(text, &pos, '-') ||
      !ReadNumber(text, &pos, 2, &month) || !Expect(text, &pos, '-') ||
      !ReadNumber(text, &pos, 2, &day) || !(Expect(text, &pos, 'T') || Expect(text, &pos, 't')) ||
      !ReadNumber(text, &pos, 2, &hour) || !Expect(text, &pos, ':') ||
      !ReadNumber(text, &pos, 2, &minute) || !Expect(text, &pos, ':') ||
      !ReadNumber(text, &pos, 2, &second)) {
    return std::nullopt;
  }
  if (Expect(text, &pos, '.')) {
    size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (size_t i = digits; i < 3; ++i) millis *= 10;
  }
  int64_t offset_minutes = 0;
  if (Expect(text, &pos, 'Z') || Expect(text, &pos, 'z')) {
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int64_t oh, om;
    if (!ReadNumber(text, &pos, 2, &oh) || !Expect(text, &pos, ':') ||
        !ReadNumber(text, &pos, 2, &om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;  // A zone is required: a local time would depend on the machine.
  }
  if (pos != text.size()) return std::nullopt;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1] || hour > 23 || minute > 59 ||
      second > 59) {
    return std::nullopt;
  }
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && day == 29 && !leap) return std::nullopt;
  const int64_t seconds = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                          second - offset_minutes * 60;
  return seconds * 1000 + millis;
}

}  // namespace

client::LinkSettings LinkSettingsFrom(const NodeFlags& flags, std::string_view identity) {
  client::LinkSettings settings;
  settings.registry = flags.registry;
  settings.cluster = flags.cluster;
  settings.jobtrackers = flags.jobtrackers;
  settings.cluster_secret = flags.secret;
  settings.identity = std::string(identity);
  return settings;
}

StatusOr<int64_t> ParseTimeMs(std::string_view text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && end == text.data() + text.size()) return value;
  } else if (std::optional<int64_t> ms = ParseIso(text)) {
    return *ms;
  }
  return InvalidArgument(fmt::format(
      "'{}' is not a time: give epoch milliseconds (1795514400000) or ISO-8601 with a zone "
      "(2026-11-24T10:00:00Z, 2026-11-24T11:00:00+01:00)",
      text));
}

std::string FormatTimeMs(int64_t ms) {
  int64_t days = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
  int64_t rest = ms - days * 86400000;
  // civil_from_days (Howard Hinnant).
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2);
  const int64_t h = rest / 3600000;
  rest %= 3600000;
  const int64_t min = rest / 60000;
  rest %= 60000;
  const int64_t s = rest / 1000;
  const int64_t millis = rest % 1000;
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", y, m, d, h, min, s);
  if (millis != 0) out += fmt::format(".{:03}", millis);
  return out + "Z";
}

std::string JsonCell(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  if (it->is_string()) return it->get_ref<const std::string&>();
  return it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string TimeCell(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it != object.end() && it->is_number_integer()) {
    const int64_t ms = it->get<int64_t>();
    return ms == 0 ? "" : FormatTimeMs(ms);
  }
  return JsonCell(object, key);
}

}  // namespace lts::cli
