#include "cron/cron_expression.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>

#include "cron/java_calendar.h"

namespace lts::cron {
namespace {

enum FieldIndex {
  kSecondField,
  kMinuteField,
  kHourField,
  kDomField,
  kMonthField,
  kDowField,
  kYearField
};

constexpr std::array<std::string_view, 7> kFieldNames = {
    "second", "minute", "hour", "day-of-month", "month", "day-of-week", "year"};

// Quartz's markers inside a value set: `?` and `*`.
constexpr int kNoSpec = 98;
constexpr int kAllSpec = 99;
// Year values above this can never fire (Quartz stops searching at year 2999), so a
// year range is only expanded up to here.
constexpr int kYearCeiling = 3000;
constexpr int kMaxSearchPasses = 200000;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// java.lang.Integer.parseInt: optional sign, at least one digit, fits in int32.
std::optional<int> JavaParseInt(std::string_view s) {
  size_t i = 0;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    i = 1;
  }
  if (i >= s.size()) return std::nullopt;
  int64_t value = 0;
  for (; i < s.size(); ++i) {
    if (!IsDigit(s[i])) return std::nullopt;
    value = value * 10 + (s[i] - '0');
    if (value > int64_t{2147483648}) return std::nullopt;
  }
  if (negative) value = -value;
  if (value > 2147483647 || value < -2147483648LL) return std::nullopt;
  return static_cast<int>(value);
}

int MonthNumber(std::string_view name) {  // 0-based, -1 if unknown.
  static constexpr std::array<std::string_view, 12> kMonths = {
      "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == name) return static_cast<int>(i);
  }
  return -1;
}

int DayOfWeekNumber(std::string_view name) {  // 1 = SUN, -1 if unknown.
  static constexpr std::array<std::string_view, 7> kDays = {"SUN", "MON", "TUE", "WED",
                                                            "THU", "FRI", "SAT"};
  for (size_t i = 0; i < kDays.size(); ++i) {
    if (kDays[i] == name) return static_cast<int>(i) + 1;
  }
  return -1;
}

// Java's `s.matches("^L-[0-9]*[W]?")`.
bool IsLastDayOffsetForm(std::string_view s) {
  if (s.size() < 2 || s[0] != 'L' || s[1] != '-') return false;
  size_t i = 2;
  while (i < s.size() && IsDigit(s[i])) ++i;
  if (i < s.size() && s[i] == 'W') ++i;
  return i == s.size();
}

bool IsJavaWhitespace(char c) { return static_cast<unsigned char>(c) <= ' '; }

}  // namespace

// ---------------------------------------------------------------------------------
// CronValueSet

void CronValueSet::Insert(int value) {
  if (value < 0) return;  // Quartz never stores negatives; guard the bitset.
  if (value < kLowLimit) {
    low_.set(static_cast<size_t>(value));
    return;
  }
  auto it = std::lower_bound(high_.begin(), high_.end(), value);
  if (it == high_.end() || *it != value) high_.insert(it, value);
}

bool CronValueSet::Contains(int value) const {
  if (value < 0) return false;
  if (value < kLowLimit) return low_.test(static_cast<size_t>(value));
  return std::binary_search(high_.begin(), high_.end(), value);
}

std::optional<int> CronValueSet::LowerBound(int value) const {
  if (value < 0) value = 0;
  for (int v = value; v < kLowLimit; ++v) {
    if (low_.test(static_cast<size_t>(v))) return v;
  }
  auto it = std::lower_bound(high_.begin(), high_.end(), value);
  if (it != high_.end()) return *it;
  return std::nullopt;
}

int CronValueSet::Last() const {
  if (!high_.empty()) return high_.back();
  for (int v = kLowLimit - 1; v >= 0; --v) {
    if (low_.test(static_cast<size_t>(v))) return v;
  }
  return -1;
}

// ---------------------------------------------------------------------------------
// Parsing: a faithful re-statement of Quartz's storeExpressionVals / checkNext /
// addToSet, so that the same strings are accepted and mean the same schedule.

class CronParser {
 public:
  CronParser(CronExpression* expr, const CronParseOptions& options) : e_(expr) {
    e_->max_year_ = options.max_year;
    if (e_->max_year_ == 0) {
      const auto now = std::chrono::system_clock::now();
      const auto days = std::chrono::floor<std::chrono::days>(now);
      const std::chrono::year_month_day ymd{days};
      e_->max_year_ = static_cast<int>(ymd.year()) + 100;
    }
  }

  Status Parse(std::string_view text);

 private:
  struct ValuePos {
    int value;
    size_t pos;
  };

  Status Error(std::string_view reason) const {
    return InvalidArgument(fmt::format("{} field '{}': {}", kFieldNames[field_], piece_, reason));
  }
  CronValueSet& Set(int field) {
    switch (field) {
      case kSecondField:
        return e_->seconds_;
      case kMinuteField:
        return e_->minutes_;
      case kHourField:
        return e_->hours_;
      case kDomField:
        return e_->days_of_month_;
      case kMonthField:
        return e_->months_;
      case kDowField:
        return e_->days_of_week_;
      default:
        return e_->years_;
    }
  }

  Status StoreValues(std::string_view s);
  Status StoreName(std::string_view s);
  Status CheckNext(size_t pos, std::string_view s, int value);
  Status CheckIncrementRange(int incr) const;
  Status AddToSet(int value, int end, int incr);
  StatusOr<ValuePos> GetValue(int prefix, std::string_view s, size_t i) const;
  StatusOr<int> DigitAt(std::string_view s, size_t i) const;

  CronExpression* e_;
  int field_ = kSecondField;
  std::string_view piece_;
};

Status CronParser::Parse(std::string_view text) {
  if (text.size() > kMaxCronExpressionLength) {
    return InvalidArgument(fmt::format("cron expression is {} bytes, longer than the limit of {}",
                                       text.size(), kMaxCronExpressionLength));
  }
  std::string upper(text);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  e_->text_ = upper;
  std::string_view rest = e_->text_;

  // Fields are separated by spaces and tabs; anything after the seventh is ignored,
  // as in Quartz.
  int fields_seen = 0;
  while (field_ <= kYearField) {
    size_t start = rest.find_first_not_of(" \t");
    if (start == std::string_view::npos) break;
    size_t end = rest.find_first_of(" \t", start);
    std::string_view token =
        rest.substr(start, end == std::string_view::npos ? rest.size() - start : end - start);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    while (!token.empty() && IsJavaWhitespace(token.front())) token.remove_prefix(1);
    while (!token.empty() && IsJavaWhitespace(token.back())) token.remove_suffix(1);
    piece_ = token;

    const bool has_l = token.find('L') != std::string_view::npos;
    const bool has_comma = token.find(',') != std::string_view::npos;
    if (field_ == kDomField && has_l && token.size() > 1 && has_comma) {
      return Error("'L' and 'LW' cannot be combined with other days of the month");
    }
    if (field_ == kDowField && has_l && token.size() > 1 && has_comma) {
      return Error("'L' cannot be combined with other days of the week");
    }
    if (field_ == kDowField && std::count(token.begin(), token.end(), '#') > 1) {
      return Error("only one 'n#m' (nth day of the month) is supported");
    }
    size_t p = 0;
    while (p < token.size()) {
      size_t comma = token.find(',', p);
      if (comma == std::string_view::npos) comma = token.size();
      if (comma > p) {
        piece_ = token.substr(p, comma - p);
        LTS_RETURN_IF_ERROR(StoreValues(piece_));
      }
      p = comma + 1;
    }
    ++field_;
    ++fields_seen;
  }
  if (field_ <= kDowField) {
    return InvalidArgument(fmt::format(
        "cron expression has {} field{}, expected 6 or 7 (second minute hour day-of-month month "
        "day-of-week [year])",
        fields_seen, fields_seen == 1 ? "" : "s"));
  }
  if (field_ <= kYearField) {
    field_ = kYearField;
    piece_ = "*";
    LTS_RETURN_IF_ERROR(StoreValues("*"));
  }

  const bool dom_spec = !e_->days_of_month_.Contains(kNoSpec);
  const bool dow_spec = !e_->days_of_week_.Contains(kNoSpec);
  if (dom_spec == dow_spec) {
    return InvalidArgument(
        "day-of-month and day-of-week: exactly one of the two must be '?' (specifying both, or "
        "neither, is not supported)");
  }
  // Quartz accepts these but then fails while computing a fire time; we refuse them
  // here with the reason (docs/scheduling.md lists the difference).
  for (int f : {kSecondField, kMinuteField, kHourField, kMonthField}) {
    if (Set(f).empty()) {
      return InvalidArgument(fmt::format("{} field has no values", kFieldNames[f]));
    }
  }
  if (dom_spec && !e_->last_day_of_month_ && e_->days_of_month_.empty()) {
    return InvalidArgument("day-of-month field has no values");
  }
  if (dow_spec && e_->days_of_week_.empty()) {
    return InvalidArgument("day-of-week field has no values");
  }
  return Status::Ok();
}

Status CronParser::StoreValues(std::string_view s) {
  const char c = s[0];
  if (c >= 'A' && c <= 'Z' && s != "L" && s != "LW" && !IsLastDayOffsetForm(s)) {
    return StoreName(s);
  }
  if (c == '?') {
    if (s.size() > 2) return Error(fmt::format("unexpected character after '?': '{}'", s[1]));
    if (field_ != kDomField && field_ != kDowField) {
      return Error("'?' is only allowed in day-of-month or day-of-week");
    }
    if (field_ == kDowField && !e_->last_day_of_month_) {
      if (e_->days_of_month_.empty() || e_->days_of_month_.Last() == kNoSpec) {
        return Error("'?' may be given for day-of-month or day-of-week, not both");
      }
    }
    return AddToSet(kNoSpec, -1, 0);
  }
  if (c == '*' || c == '/') {
    if (c == '*' && s.size() == 1) return AddToSet(kAllSpec, -1, 0);
    if (c == '/' && s.size() == 1) return Error("'/' must be followed by an integer");
    size_t i = c == '*' ? 1 : 0;
    int incr = 1;
    if (s[i] == '/') {
      ++i;
      if (i >= s.size()) return Error("'/' must be followed by an integer");
      std::optional<int> parsed = JavaParseInt(s.substr(i));
      if (!parsed) return Error(fmt::format("step '{}' is not an integer", s.substr(i)));
      incr = *parsed;
      LTS_RETURN_IF_ERROR(CheckIncrementRange(incr));
    }
    return AddToSet(kAllSpec, -1, incr);
  }
  if (c == 'L') {
    if (field_ == kDowField) return AddToSet(7, 7, 0);  // `L` alone: Saturday.
    if (field_ != kDomField) return Status::Ok();       // Quartz ignores it elsewhere.
    e_->last_day_of_month_ = true;
    size_t i = 1;
    if (s.size() > 1 && s[1] == '-') {
      LTS_ASSIGN_OR_RETURN(ValuePos offset, GetValue(0, s, 2));
      if (offset.value > 30) return Error("the offset from the last day must be at most 30");
      e_->last_day_offset_ = offset.value;
      i = offset.pos;
    }
    if (i < s.size() && s[i] == 'W') e_->nearest_weekday_ = true;
    return Status::Ok();
  }
  if (IsDigit(c)) {
    int value = c - '0';
    size_t i = 1;
    if (i >= s.size()) return AddToSet(value, -1, -1);
    if (IsDigit(s[i])) {
      LTS_ASSIGN_OR_RETURN(ValuePos v, GetValue(value, s, i));
      value = v.value;
      i = v.pos;
    }
    return CheckNext(i, s, value);
  }
  return Error(fmt::format("unexpected character '{}'", c));
}

Status CronParser::StoreName(std::string_view s) {
  if (field_ != kMonthField && field_ != kDowField) {
    return Error("names are only allowed in the month and day-of-week fields");
  }
  if (s.size() < 3) return Error(fmt::format("'{}' is not a valid name", s));
  const bool month = field_ == kMonthField;
  auto lookup = [month](std::string_view name) {
    return month ? MonthNumber(name) + 1 : DayOfWeekNumber(name);
  };
  const int start = lookup(s.substr(0, 3));
  if (start <= 0) {
    return Error(fmt::format("'{}' is not a {} name", s.substr(0, 3),
                             month ? "month (JAN-DEC)" : "day (SUN-SAT)"));
  }
  int end = -1;
  if (s.size() > 3) {
    const char next = s[3];
    if (next == '-') {
      if (s.size() < 7) return Error("a name range needs a name after '-'");
      end = lookup(s.substr(4, 3));
      if (end <= 0) {
        return Error(fmt::format("'{}' is not a {} name", s.substr(4, 3),
                                 month ? "month (JAN-DEC)" : "day (SUN-SAT)"));
      }
    } else if (!month && next == '#') {
      std::optional<int> nth = JavaParseInt(s.substr(4));
      if (!nth || *nth < 1 || *nth > 5) return Error("'#' must be followed by a number 1-5");
      e_->nth_day_of_week_ = *nth;
    } else if (!month && next == 'L') {
      e_->last_day_of_week_ = true;
    }
  }
  return AddToSet(start, end, end != -1 ? 1 : 0);
}

StatusOr<CronParser::ValuePos> CronParser::GetValue(int prefix, std::string_view s,
                                                    size_t i) const {
  if (i >= s.size()) return Error("a number is missing");
  std::string digits = std::to_string(prefix);
  while (i < s.size() && IsDigit(s[i])) digits += s[i++];
  std::optional<int> value = JavaParseInt(digits);
  if (!value) return Error(fmt::format("'{}' is too large", digits));
  // Quartz points one past the end when the digits run to the end of the piece.
  return ValuePos{*value, i < s.size() ? i : i + 1};
}

StatusOr<int> CronParser::DigitAt(std::string_view s, size_t i) const {
  if (i >= s.size()) return Error("a number is missing at the end");
  if (!IsDigit(s[i])) return Error(fmt::format("expected a digit, found '{}'", s[i]));
  return s[i] - '0';
}

Status CronParser::CheckNext(size_t pos, std::string_view s, int value) {
  size_t i = pos;
  if (i >= s.size()) return AddToSet(value, -1, -1);
  const char c = s[i];
  if (c == 'L') {
    if (field_ != kDowField) return Error("'L' after a number is only valid in day-of-week");
    if (value < 1 || value > 7) return Error("day-of-week values must be between 1 and 7");
    e_->last_day_of_week_ = true;
    Set(field_).Insert(value);
    return Status::Ok();
  }
  if (c == 'W') {
    if (field_ != kDomField) return Error("'W' is only valid in day-of-month");
    if (value > 31) return Error("'W' needs a day of the month, at most 31");
    e_->nearest_weekday_ = true;
    Set(field_).Insert(value);
    return Status::Ok();
  }
  if (c == '#') {
    if (field_ != kDowField) return Error("'#' is only valid in day-of-week");
    std::optional<int> nth = JavaParseInt(s.substr(i + 1));
    if (!nth || *nth < 1 || *nth > 5) return Error("'#' must be followed by a number 1-5");
    e_->nth_day_of_week_ = *nth;
    Set(field_).Insert(value);
    return Status::Ok();
  }
  if (c == '-') {
    ++i;
    LTS_ASSIGN_OR_RETURN(int end, DigitAt(s, i));
    ++i;
    if (i >= s.size()) return AddToSet(value, end, 1);
    if (IsDigit(s[i])) {
      LTS_ASSIGN_OR_RETURN(ValuePos v, GetValue(end, s, i));
      end = v.value;
      i = v.pos;
    }
    if (i < s.size() && s[i] == '/') {
      ++i;
      LTS_ASSIGN_OR_RETURN(int step, DigitAt(s, i));
      ++i;
      if (i < s.size() && IsDigit(s[i])) {
        LTS_ASSIGN_OR_RETURN(ValuePos v, GetValue(step, s, i));
        step = v.value;
      }
      // Quartz does not range-check the step of `a-b/c`.
      return AddToSet(value, end, step);
    }
    return AddToSet(value, end, 1);
  }
  if (c == '/') {
    if (i + 1 >= s.size()) return Error("'/' must be followed by an integer");
    ++i;
    LTS_ASSIGN_OR_RETURN(int step, DigitAt(s, i));
    ++i;
    if (i < s.size()) {
      if (!IsDigit(s[i])) return Error(fmt::format("unexpected character '{}' after '/'", s[i]));
      LTS_ASSIGN_OR_RETURN(ValuePos v, GetValue(step, s, i));
      step = v.value;
    }
    LTS_RETURN_IF_ERROR(CheckIncrementRange(step));
    return AddToSet(value, -1, step);
  }
  // Anything else after a complete number is ignored, as in Quartz.
  return AddToSet(value, -1, 0);
}

Status CronParser::CheckIncrementRange(int incr) const {
  int limit = 0;
  switch (field_) {
    case kSecondField:
    case kMinuteField:
      limit = 59;
      break;
    case kHourField:
      limit = 23;
      break;
    case kDomField:
      limit = 31;
      break;
    case kDowField:
      limit = 7;
      break;
    case kMonthField:
      limit = 12;
      break;
    default:
      return Status::Ok();
  }
  if (incr > limit) return Error(fmt::format("step {} is larger than {}", incr, limit));
  return Status::Ok();
}

Status CronParser::AddToSet(int value, int end, int incr) {
  const bool all = value == kAllSpec;
  switch (field_) {
    case kSecondField:
    case kMinuteField:
      if ((value < 0 || value > 59 || end > 59) && !all) {
        return Error("values must be between 0 and 59");
      }
      break;
    case kHourField:
      if ((value < 0 || value > 23 || end > 23) && !all) {
        return Error("values must be between 0 and 23");
      }
      break;
    case kDomField:
      if ((value < 1 || value > 31 || end > 31) && !all && value != kNoSpec) {
        return Error("values must be between 1 and 31");
      }
      break;
    case kMonthField:
      if ((value < 1 || value > 12 || end > 12) && !all) {
        return Error("values must be between 1 and 12 (or JAN-DEC)");
      }
      break;
    case kDowField:
      if ((value == 0 || value > 7 || end > 7) && !all && value != kNoSpec) {
        return Error("values must be between 1 and 7 (or SUN-SAT)");
      }
      break;
    default:
      break;
  }
  CronValueSet& set = Set(field_);
  if ((incr == 0 || incr == -1) && !all) {
    set.Insert(value);
    return Status::Ok();
  }
  int start = value;
  int stop = end;
  if (all && incr <= 0) {
    incr = 1;
    set.Insert(kAllSpec);
  }
  int low = 0;
  int high = 0;
  int wrap = 0;
  switch (field_) {
    case kSecondField:
    case kMinuteField:
      low = 0, high = 59, wrap = 60;
      break;
    case kHourField:
      low = 0, high = 23, wrap = 24;
      break;
    case kDomField:
      low = 1, high = 31, wrap = 31;
      break;
    case kMonthField:
      low = 1, high = 12, wrap = 12;
      break;
    case kDowField:
      low = 1, high = 7, wrap = 7;
      break;
    default:
      low = 1970, high = e_->max_year_, wrap = 0;
      break;
  }
  if (stop == -1) stop = high;
  if (start == -1 || all) start = low;
  bool wrapping = false;
  if (stop < start) {
    if (field_ == kYearField) return Error("the start year must not be after the end year");
    stop += wrap;
    wrapping = true;
  }
  if (field_ == kYearField) stop = std::min(stop, kYearCeiling);
  const bool one_based = field_ == kMonthField || field_ == kDowField || field_ == kDomField;
  for (int64_t v = start; v <= stop; v += incr) {
    int x = static_cast<int>(v);
    if (wrapping) {
      x %= wrap;
      if (x == 0 && one_based) x = wrap;
    }
    set.Insert(x);
  }
  return Status::Ok();
}

StatusOr<CronExpression> CronExpression::Parse(std::string_view text,
                                               const CronParseOptions& options) {
  CronExpression expr;
  CronParser parser(&expr, options);
  LTS_RETURN_IF_ERROR(parser.Parse(text));
  return expr;
}

// ---------------------------------------------------------------------------------
// The search: Quartz's getTimeAfter, step by step, on an emulated lenient Calendar.
// Each step either accepts the current value of one field and moves to the next
// larger field, or moves the calendar forward and starts again from the seconds.

namespace {

using Cal = JavaCalendar;

void SetCalendarHour(Cal& cal, int hour) {
  cal.Set(Cal::kHourOfDay, hour);
  // A DST gap swallowed the hour: Quartz then asks for the hour after it.
  if (cal.Get(Cal::kHourOfDay) != hour && hour != 24) cal.Set(Cal::kHourOfDay, hour + 1);
}

// Midnight of `day` in 0-based `month0`; either may be out of range (the calendar is
// lenient: day 32 or month 12 roll over). Every "try a later day" step of the search.
void MoveToDay(Cal& cal, int day, int month0) {
  cal.Set(Cal::kSecond, 0);
  cal.Set(Cal::kMinute, 0);
  cal.Set(Cal::kHourOfDay, 0);
  cal.Set(Cal::kDayOfMonth, day);
  cal.Set(Cal::kMonth, month0);
}

// Quartz's nearest-weekday rule for `W`: a Saturday moves to Friday (or to Monday if
// it is the 1st), a Sunday to Monday (or to Friday if it is the last day).
int NearestWeekday(const TimeZone& zone, int64_t year, int month, int day) {
  Cal probe(&zone, 0);
  probe.Set(Cal::kSecond, 0);
  probe.Set(Cal::kMinute, 0);
  probe.Set(Cal::kHourOfDay, 0);
  probe.Set(Cal::kDayOfMonth, day);
  probe.Set(Cal::kMonth, month - 1);
  probe.Set(Cal::kYear, static_cast<int>(year));
  const int last = DaysInMonth(year, month);
  const int dow = probe.DayOfWeek();
  if (dow == 7 && day == 1) return day + 2;
  if (dow == 7) return day - 1;
  if (dow == 1 && day == last) return day - 2;
  if (dow == 1) return day + 1;
  return day;
}

// The instant of (year, month, day, hr:min:sec) local, as Quartz's helper calendar.
int64_t LocalInstant(const TimeZone& zone, int64_t year, int month, int day, int hr, int min,
                     int sec) {
  Cal probe(&zone, 0);
  probe.Set(Cal::kSecond, sec);
  probe.Set(Cal::kMinute, min);
  probe.Set(Cal::kHourOfDay, hr);
  probe.Set(Cal::kDayOfMonth, day);
  probe.Set(Cal::kMonth, month - 1);
  probe.Set(Cal::kYear, static_cast<int>(year));
  return probe.GetTime();
}

}  // namespace

std::optional<int64_t> CronExpression::NextFireAfter(int64_t after_seconds,
                                                     const TimeZone& zone) const {
  const int64_t after = after_seconds + 1;
  Cal cl(&zone, after);
  const bool dom_spec = !days_of_month_.Contains(kNoSpec);

  // Each pass moves the calendar forward; the year bounds end every search. The pass
  // limit only guards a node against a pathological loop: a real schedule needs a few
  // thousand passes at most (one per month from 1970 to max_year).
  for (int pass = 0; pass < kMaxSearchPasses; ++pass) {
    if (cl.Get(Cal::kYear) > 2999) return std::nullopt;

    // Second.
    int sec = cl.Get(Cal::kSecond);
    int min = cl.Get(Cal::kMinute);
    if (auto s = seconds_.LowerBound(sec)) {
      sec = *s;
    } else {
      sec = seconds_.First();
      ++min;
      cl.Set(Cal::kMinute, min);
    }
    cl.Set(Cal::kSecond, sec);

    // Minute.
    min = cl.Get(Cal::kMinute);
    int hr = cl.Get(Cal::kHourOfDay);
    int t = -1;
    if (auto m = minutes_.LowerBound(min)) {
      t = min;
      min = *m;
    } else {
      min = minutes_.First();
      ++hr;
    }
    if (min != t) {
      cl.Set(Cal::kSecond, 0);
      cl.Set(Cal::kMinute, min);
      SetCalendarHour(cl, hr);
      continue;
    }
    cl.Set(Cal::kMinute, min);

    // Hour.
    hr = cl.Get(Cal::kHourOfDay);
    int day = cl.Get(Cal::kDayOfMonth);
    t = -1;
    if (auto h = hours_.LowerBound(hr)) {
      t = hr;
      hr = *h;
    } else {
      hr = hours_.First();
      ++day;
    }
    if (hr != t) {
      cl.Set(Cal::kSecond, 0);
      cl.Set(Cal::kMinute, 0);
      cl.Set(Cal::kDayOfMonth, day);
      SetCalendarHour(cl, hr);
      continue;
    }
    cl.Set(Cal::kHourOfDay, hr);

    // Day.
    day = cl.Get(Cal::kDayOfMonth);
    int mon = cl.Get(Cal::kMonth) + 1;
    t = -1;
    int tmon = mon;
    if (dom_spec) {
      const int year = cl.Get(Cal::kYear);
      if (last_day_of_month_) {
        t = day;
        day = DaysInMonth(year, mon) - last_day_offset_;
        if (!nearest_weekday_) {
          if (t > day) {
            ++mon;
            if (mon > 12) {
              mon = 1;
              tmon = 3333;  // Forces the "moved" branch below, as in Quartz.
              cl.AddYears(1);
            }
            day = 1;
          }
        } else {
          day = NearestWeekday(zone, year, mon, day);
          if (LocalInstant(zone, year, mon, day, hr, min, sec) < after) {
            day = 1;
            ++mon;
          }
        }
      } else if (nearest_weekday_) {
        t = day;
        day = days_of_month_.First();
        day = NearestWeekday(zone, year, mon, day);
        if (LocalInstant(zone, year, mon, day, hr, min, sec) < after) {
          day = days_of_month_.First();
          ++mon;
        }
      } else if (auto d = days_of_month_.LowerBound(day)) {
        t = day;
        day = *d;
        if (day > DaysInMonth(year, mon)) {
          day = days_of_month_.First();
          ++mon;
        }
      } else {
        day = days_of_month_.First();
        ++mon;
      }
      if (day != t || mon != tmon) {
        MoveToDay(cl, day, mon - 1);
        continue;
      }
    } else if (last_day_of_week_) {
      // `nL`: the last given weekday of the month.
      const int dow = days_of_week_.First();
      const int cdow = cl.DayOfWeek();
      int add = 0;
      if (cdow < dow) add = dow - cdow;
      if (cdow > dow) add = dow + (7 - cdow);
      const int last = DaysInMonth(cl.Get(Cal::kYear), mon);
      if (day + add > last) {
        MoveToDay(cl, 1, mon);
        continue;
      }
      while (day + add + 7 <= last) add += 7;
      day += add;
      if (add > 0) {
        MoveToDay(cl, day, mon - 1);
        continue;
      }
    } else if (nth_day_of_week_ != 0) {
      // `n#m`: the m-th given weekday of the month.
      const int dow = days_of_week_.First();
      const int cdow = cl.DayOfWeek();
      int add = 0;
      if (cdow < dow) {
        add = dow - cdow;
      } else if (cdow > dow) {
        add = dow + (7 - cdow);
      }
      const bool shifted = add > 0;
      day += add;
      int week = day / 7;
      if (day % 7 > 0) ++week;
      add = (nth_day_of_week_ - week) * 7;
      day += add;
      if (add < 0 || day > DaysInMonth(cl.Get(Cal::kYear), mon)) {
        MoveToDay(cl, 1, mon);
        continue;
      }
      if (add > 0 || shifted) {
        MoveToDay(cl, day, mon - 1);
        continue;
      }
    } else {
      const int cdow = cl.DayOfWeek();
      int dow = days_of_week_.First();
      if (auto d = days_of_week_.LowerBound(cdow)) dow = *d;
      int add = 0;
      if (cdow < dow) add = dow - cdow;
      if (cdow > dow) add = dow + (7 - cdow);
      const int last = DaysInMonth(cl.Get(Cal::kYear), mon);
      if (day + add > last) {
        MoveToDay(cl, 1, mon);
        continue;
      }
      if (add > 0) {
        MoveToDay(cl, day + add, mon - 1);
        continue;
      }
    }
    cl.Set(Cal::kDayOfMonth, day);

    // Month.
    mon = cl.Get(Cal::kMonth) + 1;
    int year = cl.Get(Cal::kYear);
    t = -1;
    if (year > max_year_) return std::nullopt;
    if (auto m = months_.LowerBound(mon)) {
      t = mon;
      mon = *m;
    } else {
      mon = months_.First();
      ++year;
    }
    if (mon != t) {
      MoveToDay(cl, 1, mon - 1);
      cl.Set(Cal::kYear, year);
      continue;
    }
    cl.Set(Cal::kMonth, mon - 1);

    // Year.
    year = cl.Get(Cal::kYear);
    t = -1;
    if (auto y = years_.LowerBound(year)) {
      t = year;
      year = *y;
    } else {
      return std::nullopt;
    }
    if (year != t) {
      MoveToDay(cl, 1, 0);
      cl.Set(Cal::kYear, year);
      continue;
    }
    cl.Set(Cal::kYear, year);
    return cl.GetTime();
  }
  return std::nullopt;
}

}  // namespace lts::cron
