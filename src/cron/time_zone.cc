#include "cron/time_zone.h"

#include <date/tz.h>

#include <chrono>
#include <exception>

namespace lts::cron {

StatusOr<TimeZone> TimeZone::Find(std::string_view name) {
  if (name.empty() || name == "UTC" || name == "Etc/UTC" || name == "GMT" || name == "Etc/GMT" ||
      name == "Z") {
    return TimeZone();
  }
  if (name.size() > 64) return InvalidArgument("time zone name longer than 64 bytes");
  // The date library reports unknown zones and an unreadable tzdata by throwing;
  // this is the one place we let it, and we turn it into a Status.
  try {
    const date::time_zone* zone = date::locate_zone(name);
    return TimeZone(zone, std::string(name));
  } catch (const std::exception& e) {
    return InvalidArgument("unknown time zone '" + std::string(name) +
                           "' (expected an IANA name such as Europe/Berlin): " + e.what());
  }
}

int64_t TimeZone::OffsetAt(int64_t utc_seconds) const {
  if (zone_ == nullptr) return 0;
  date::sys_seconds t{std::chrono::seconds(utc_seconds)};
  return zone_->get_info(t).offset.count();
}

int64_t TimeZone::LocalToUtc(int64_t local_seconds) const {
  if (zone_ == nullptr) return local_seconds;
  date::local_seconds t{std::chrono::seconds(local_seconds)};
  date::local_info info = zone_->get_info(t);
  // Gap: the offset before it (Calendar moves the time forward). Overlap: the offset
  // after the transition (Calendar picks the later, standard-time instant).
  const date::sys_info& in_force =
      info.result == date::local_info::ambiguous ? info.second : info.first;
  return local_seconds - in_force.offset.count();
}

}  // namespace lts::cron
