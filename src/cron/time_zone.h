// TimeZone: an IANA time zone from the system tzdata (howardhinnant date, USE_OS_TZDB),
// with the two conversions the cron engine needs.
//
// Local-to-UTC follows java.util.GregorianCalendar, because Quartz computes fire
// times on a lenient Calendar and we match Quartz (docs/scheduling.md):
//   - a wall time inside a DST gap uses the offset from before the gap, so 02:30 on
//     a spring-forward night in America/New_York becomes 03:30 EDT;
//   - a wall time inside a DST overlap uses the offset from after the transition
//     (the later instant), so 01:30 on a fall-back night is 01:30 EST.
//
// After a zone's last listed transition (2037 in Debian's tzdata) the TZif file's
// POSIX rule footer applies (PosixTzRule; date 3.0.1 ignores it). There, as
// java.util.ZoneInfo does with its "last rule", a wall time is resolved by reading it
// as standard time, so a time inside a gap moves back by the DST amount.
//
// Thread safety: immutable after Find(); copy freely and use from any thread.

#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "lts/statusor.h"

namespace date {
class time_zone;
}  // namespace date

namespace lts::cron {

class PosixTzRule;

class TimeZone {
 public:
  // UTC.
  TimeZone() = default;

  // Looks up an IANA name ("Europe/Berlin", "UTC"). Returns kInvalidArgument naming
  // the zone if the system tzdata does not know it. Blocks on first use while the
  // zone database is loaded (a few milliseconds).
  static StatusOr<TimeZone> Find(std::string_view name);

  static TimeZone Utc() { return TimeZone(); }

  const std::string& name() const;
  bool is_utc() const { return data_ == nullptr; }

  // Offset from UTC, in seconds, in force at `utc_seconds`.
  int64_t OffsetAt(int64_t utc_seconds) const;

  // UTC seconds for local wall-clock seconds, resolved as java.util.Calendar does.
  int64_t LocalToUtc(int64_t local_seconds) const;

  int64_t UtcToLocal(int64_t utc_seconds) const { return utc_seconds + OffsetAt(utc_seconds); }

 private:
  struct Data;
  explicit TimeZone(std::shared_ptr<const Data> data) : data_(std::move(data)) {}

  std::shared_ptr<const Data> data_;  // Null for UTC. Shared by every copy, immutable.
};

}  // namespace lts::cron
