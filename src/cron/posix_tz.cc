#include "cron/posix_tz.h"

#include <fmt/format.h>

#include <array>
#include <fstream>

#include "cron/java_calendar.h"

namespace lts::cron {
namespace {

constexpr int64_t kDay = 86400;
constexpr size_t kMaxTzifBytes = 1 << 20;

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  bool Consume(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  Status Error(std::string_view what) const {
    return InvalidArgument(fmt::format("TZ rule '{}': {} at position {}", s_, what, i_));
  }

  // A zone abbreviation: 3+ letters, or <...> with letters, digits, '+' and '-'.
  Status Name() {
    if (Consume('<')) {
      size_t start = i_;
      while (!done() && peek() != '>') ++i_;
      if (!Consume('>') || i_ - start < 4) return Error("bad quoted zone name");
      return Status::Ok();
    }
    size_t start = i_;
    while (!done() && ((peek() >= 'A' && peek() <= 'Z') || (peek() >= 'a' && peek() <= 'z'))) ++i_;
    if (i_ - start < 3) return Error("zone name shorter than 3 letters");
    return Status::Ok();
  }

  // [+|-]hh[:mm[:ss]], hours up to 167 (RFC 8536 allows -167..167 for rule times).
  StatusOr<int64_t> Duration() {
    int sign = 1;
    if (Consume('-')) {
      sign = -1;
    } else {
      Consume('+');
    }
    std::array<int64_t, 3> parts = {0, 0, 0};
    for (size_t p = 0; p < parts.size(); ++p) {
      if (p > 0 && !Consume(':')) break;
      int digits = 0;
      while (!done() && peek() >= '0' && peek() <= '9' && digits < 3) {
        parts[p] = parts[p] * 10 + (peek() - '0');
        ++i_, ++digits;
      }
      if (digits == 0) return Error("expected a number");
    }
    if (parts[0] > 167 || parts[1] > 59 || parts[2] > 59) return Error("time out of range");
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
  }

  StatusOr<int> Number(int min, int max) {
    int value = 0;
    int digits = 0;
    while (!done() && peek() >= '0' && peek() <= '9' && digits < 4) {
      value = value * 10 + (peek() - '0');
      ++i_, ++digits;
    }
    if (digits == 0 || value < min || value > max) return Error("number out of range");
    return value;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

StatusOr<PosixTzRule> PosixTzRule::Parse(std::string_view spec) {
  PosixTzRule rule;
  rule.spec_ = std::string(spec);
  Scanner in(spec);
  LTS_RETURN_IF_ERROR(in.Name());
  LTS_ASSIGN_OR_RETURN(int64_t std_west, in.Duration());
  rule.std_offset_ = -std_west;
  if (in.done()) return rule;
  LTS_RETURN_IF_ERROR(in.Name());
  rule.has_dst_ = true;
  rule.dst_offset_ = rule.std_offset_ + 3600;
  if (!in.done() && in.peek() != ',') {
    LTS_ASSIGN_OR_RETURN(int64_t dst_west, in.Duration());
    rule.dst_offset_ = -dst_west;
  }
  // A DST name without transition rules: no footer in tzdata does this; refuse it
  // rather than guess POSIX's implementation-defined default.
  if (!in.Consume(',')) return in.Error("daylight saving time without rules");
  for (Date* date : {&rule.start_, &rule.end_}) {
    if (in.Consume('J')) {
      date->kind = Date::kJulianNoLeap;
      LTS_ASSIGN_OR_RETURN(date->day, in.Number(1, 365));
    } else if (in.Consume('M')) {
      date->kind = Date::kMonthWeekDay;
      LTS_ASSIGN_OR_RETURN(date->month, in.Number(1, 12));
      if (!in.Consume('.')) return in.Error("expected '.'");
      LTS_ASSIGN_OR_RETURN(date->week, in.Number(1, 5));
      if (!in.Consume('.')) return in.Error("expected '.'");
      LTS_ASSIGN_OR_RETURN(date->day, in.Number(0, 6));
    } else {
      date->kind = Date::kZeroBasedDay;
      LTS_ASSIGN_OR_RETURN(date->day, in.Number(0, 365));
    }
    if (in.Consume('/')) {
      LTS_ASSIGN_OR_RETURN(date->time, in.Duration());
    }
    if (date == &rule.start_ && !in.Consume(',')) return in.Error("expected ','");
  }
  if (!in.done()) return in.Error("unexpected text");
  return rule;
}

StatusOr<PosixTzRule> PosixTzRule::FromTzifFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return NotFound(fmt::format("cannot open {}", path));
  std::string data(kMaxTzifBytes, '\0');
  file.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(file.gcount()));
  // The footer is the text between the last two newlines (TZif version 2 and later).
  if (data.size() < 2 || data.back() != '\n') return NotFound(fmt::format("{}: no footer", path));
  const size_t start = data.rfind('\n', data.size() - 2);
  if (start == std::string::npos) return NotFound(fmt::format("{}: no footer", path));
  return Parse(std::string_view(data).substr(start + 1, data.size() - start - 2));
}

int64_t PosixTzRule::DayStart(const Date& date, int64_t year) {
  const int64_t jan1 = DaysFromCivil(year, 1, 1);
  switch (date.kind) {
    case Date::kJulianNoLeap: {
      // Day 1-365, February 29 never counted.
      const bool leap = DaysInMonth(year, 2) == 29;
      return (jan1 + date.day - 1 + (leap && date.day >= 60 ? 1 : 0)) * kDay;
    }
    case Date::kZeroBasedDay:
      return (jan1 + date.day) * kDay;
    case Date::kMonthWeekDay: {
      const int64_t first = DaysFromCivil(year, date.month, 1);
      const int first_dow = static_cast<int>(((first + 4) % 7 + 7) % 7);  // 0 = Sunday
      int64_t day = first + (date.day - first_dow + 7) % 7 + 7 * (date.week - 1);
      const int64_t limit = first + DaysInMonth(year, date.month);
      while (day >= limit) day -= 7;  // Week 5 means the last one.
      return day * kDay;
    }
  }
  return 0;
}

int64_t PosixTzRule::OffsetAt(int64_t utc_seconds) const {
  if (!has_dst_) return std_offset_;
  // Civil year of the instant in standard time; transitions of the neighbouring years
  // decide the edges.
  const int64_t days =
      (utc_seconds + std_offset_) / kDay - ((utc_seconds + std_offset_) % kDay < 0);
  int64_t year = 1970 + days / 365;
  while (DaysFromCivil(year, 1, 1) > days) --year;
  while (DaysFromCivil(year + 1, 1, 1) <= days) ++year;

  // The latest transition at or before the instant decides. At equal instants a start
  // wins over an end, so all-year daylight time (written "0/0,J365/25") stays in force.
  int64_t latest = INT64_MIN;
  bool in_dst = false;
  for (int64_t y = year - 1; y <= year + 1; ++y) {
    const int64_t start_utc = DayStart(start_, y) + start_.time - std_offset_;
    const int64_t end_utc = DayStart(end_, y) + end_.time - dst_offset_;
    if (end_utc <= utc_seconds && end_utc > latest) {
      latest = end_utc;
      in_dst = false;
    }
    if (start_utc <= utc_seconds && start_utc >= latest) {
      latest = start_utc;
      in_dst = true;
    }
  }
  return in_dst ? dst_offset_ : std_offset_;
}

}  // namespace lts::cron
