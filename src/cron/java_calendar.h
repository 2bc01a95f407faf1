// JavaCalendar: the subset of java.util.GregorianCalendar that Quartz's fire-time
// search relies on, so that our cron engine reproduces Quartz 2.3.2 to the second,
// daylight-saving changes included.
//
// Like a lenient Calendar it holds local wall-clock fields that Set() may push out
// of range (minute 60, day 32, month 12); the next Get() or GetTime() normalizes them:
// the fields are turned into a linear local time, resolved to an instant in the zone
// (TimeZone::LocalToUtc, Calendar's gap/overlap rule), and read back as local fields.
// So setting 02:30 on a spring-forward night reads back as 03:30.
//
// Thread safety: none; a JavaCalendar is a short-lived value on one thread.

#pragma once

#include <cstdint>

#include "cron/time_zone.h"

namespace lts::cron {

// Days since 1970-01-01 of a proleptic Gregorian date; month 1-12, day 1-31.
int64_t DaysFromCivil(int64_t year, int month, int day);

// The 1-based days of `month` (1-12) in `year`.
int DaysInMonth(int64_t year, int month);

class JavaCalendar {
 public:
  enum Field { kSecond, kMinute, kHourOfDay, kDayOfMonth, kMonth, kYear };

  // `zone` must outlive the calendar.
  JavaCalendar(const TimeZone* zone, int64_t utc_seconds);

  // Calendar.get(): normalizes pending changes first. kMonth is 0-based (January = 0)
  // as in Java.
  int Get(Field field);
  // Calendar.get(DAY_OF_WEEK): 1 = Sunday ... 7 = Saturday.
  int DayOfWeek();
  // Calendar.set(): lenient; takes effect at the next Get()/GetTime().
  void Set(Field field, int value);
  // Calendar.add(YEAR, n): normalizes, moves the year, and pins the day of month to
  // the new month's length (29 February + 1 year = 28 February).
  void AddYears(int years);
  // Calendar.getTime(), in epoch seconds.
  int64_t GetTime();

 private:
  void Complete();
  void SetFromUtc(int64_t utc_seconds);

  const TimeZone* zone_;
  int64_t utc_;  // Valid when !dirty_.
  // Local fields; out of range only while dirty_.
  int64_t year_ = 1970;
  int64_t month0_ = 0;
  int64_t day_ = 1;
  int64_t hour_ = 0;
  int64_t minute_ = 0;
  int64_t second_ = 0;
  int day_of_week_ = 5;  // 1 = Sunday; valid when !dirty_.
  bool dirty_ = false;
};

}  // namespace lts::cron
