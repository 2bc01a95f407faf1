// PosixTzRule: the POSIX TZ rule string ("EST5EDT,M3.2.0,M11.1.0") that ends every
// TZif file (RFC 8536 section 3.3) and says how a zone behaves after its last listed
// transition. The date library reads the transitions but not this footer, so without
// it every zone would stop observing daylight saving after 2037.
//
// Thread safety: immutable after Parse(); share freely.

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lts/statusor.h"

namespace lts::cron {

class PosixTzRule {
 public:
  // Parses a footer such as "CET-1CEST,M3.5.0,M10.5.0/3" or "<+1030>-10:30<+11>-11,M10.1.0,
  // M4.1.0". Returns kInvalidArgument naming the position of the first error.
  static StatusOr<PosixTzRule> Parse(std::string_view spec);

  // Reads the footer of a TZif file. kNotFound if the file has none (TZif version 1).
  static StatusOr<PosixTzRule> FromTzifFile(const std::string& path);

  bool has_dst() const { return has_dst_; }
  // Offsets from UTC, in seconds east of Greenwich.
  int64_t std_offset() const { return std_offset_; }
  int64_t dst_offset() const { return dst_offset_; }

  // The offset in force at `utc_seconds` under this rule.
  int64_t OffsetAt(int64_t utc_seconds) const;

 private:
  struct Date {
    enum Kind { kJulianNoLeap, kZeroBasedDay, kMonthWeekDay } kind = kMonthWeekDay;
    int day = 0;          // Jn: 1-365; n: 0-365; Mm.w.d: d, 0 = Sunday.
    int month = 0;        // Mm.w.d only, 1-12.
    int week = 0;         // Mm.w.d only, 1-5 (5 = last).
    int64_t time = 7200;  // Seconds after local midnight; may be negative or > 24h.
  };

  // Local (wall) seconds of `date` in `year`, before applying the time of day.
  static int64_t DayStart(const Date& date, int64_t year);

  std::string spec_;
  int64_t std_offset_ = 0;
  int64_t dst_offset_ = 0;
  bool has_dst_ = false;
  Date start_;  // Standard -> daylight, in standard wall time.
  Date end_;    // Daylight -> standard, in daylight wall time.
};

}  // namespace lts::cron
