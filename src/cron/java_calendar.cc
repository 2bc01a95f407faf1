#include "cron/java_calendar.h"

namespace lts::cron {
namespace {

constexpr int64_t kSecondsPerDay = 86400;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

struct Civil {
  int64_t year;
  int month;  // 1-12
  int day;    // 1-31
};

// Inverse of DaysFromCivil (era-based, valid for the whole int64 day range we use).
Civil CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = FloorDiv(days, 146097);
  const int64_t doe = days - era * 146097;                                    // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return Civil{yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

}  // namespace

int64_t DaysFromCivil(int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = FloorDiv(year, 400);
  const int64_t yoe = year - era * 400;                                               // [0, 399]
  const int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                          // [0, 146096]
  return era * 146097 + doe - 719468;
}

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2) {
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[month - 1];
}

JavaCalendar::JavaCalendar(const TimeZone* zone, int64_t utc_seconds) : zone_(zone) {
  SetFromUtc(utc_seconds);
}

void JavaCalendar::SetFromUtc(int64_t utc_seconds) {
  utc_ = utc_seconds;
  const int64_t local = zone_->UtcToLocal(utc_seconds);
  const int64_t days = FloorDiv(local, kSecondsPerDay);
  const int64_t secs = local - days * kSecondsPerDay;
  const Civil c = CivilFromDays(days);
  year_ = c.year;
  month0_ = c.month - 1;
  day_ = c.day;
  hour_ = secs / 3600;
  minute_ = secs / 60 % 60;
  second_ = secs % 60;
  day_of_week_ = static_cast<int>(FloorMod(days + 4, 7)) + 1;  // 1970-01-01 was a Thursday.
  dirty_ = false;
}

void JavaCalendar::Complete() {
  if (!dirty_) return;
  // GregorianCalendar.computeTime: month overflow carries into the year, then the day
  // of month, then the time of day, all as linear offsets.
  const int64_t year = year_ + FloorDiv(month0_, 12);
  const int month = static_cast<int>(FloorMod(month0_, 12)) + 1;
  const int64_t days = DaysFromCivil(year, month, 1) + day_ - 1;
  const int64_t local = days * kSecondsPerDay + hour_ * 3600 + minute_ * 60 + second_;
  SetFromUtc(zone_->LocalToUtc(local));
}

int JavaCalendar::Get(Field field) {
  Complete();
  switch (field) {
    case kSecond:
      return static_cast<int>(second_);
    case kMinute:
      return static_cast<int>(minute_);
    case kHourOfDay:
      return static_cast<int>(hour_);
    case kDayOfMonth:
      return static_cast<int>(day_);
    case kMonth:
      return static_cast<int>(month0_);
    case kYear:
      return static_cast<int>(year_);
  }
  return 0;
}

int JavaCalendar::DayOfWeek() {
  Complete();
  return day_of_week_;
}

void JavaCalendar::Set(Field field, int value) {
  switch (field) {
    case kSecond:
      second_ = value;
      break;
    case kMinute:
      minute_ = value;
      break;
    case kHourOfDay:
      hour_ = value;
      break;
    case kDayOfMonth:
      day_ = value;
      break;
    case kMonth:
      month0_ = value;
      break;
    case kYear:
      year_ = value;
      break;
  }
  dirty_ = true;
}

void JavaCalendar::AddYears(int years) {
  Complete();
  year_ += years;
  const int last = DaysInMonth(year_, static_cast<int>(month0_) + 1);
  if (day_ > last) day_ = last;
  dirty_ = true;
}

int64_t JavaCalendar::GetTime() {
  Complete();
  return utc_;
}

}  // namespace lts::cron
