#include "cron/time_zone.h"

#include <date/tz.h>

#include <chrono>
#include <exception>
#include <map>
#include <optional>

#include "base/mutex.h"
#include "cron/posix_tz.h"

namespace lts::cron {

struct TimeZone::Data {
  const date::time_zone* zone;  // Owned by the date library, lives forever.
  std::string name;
  // The TZif footer rule, when the zone still observes daylight saving time after its
  // last listed transition.
  std::optional<PosixTzRule> rule;
  int64_t rule_from_utc = INT64_MAX;    // The last listed transition.
  int64_t rule_from_local = INT64_MAX;  // Its wall time (offset after it).
};

namespace {

constexpr const char* kZoneInfoDir = "/usr/share/zoneinfo/";

}  // namespace

StatusOr<TimeZone> TimeZone::Find(std::string_view name) {
  if (name.empty() || name == "UTC" || name == "Etc/UTC" || name == "GMT" || name == "Etc/GMT" ||
      name == "Z") {
    return TimeZone();
  }
  if (name.size() > 64) return InvalidArgument("time zone name longer than 64 bytes");
  // Zones are looked up once each and kept for the life of the process.
  static Mutex cache_mu;
  static auto& cache =
      *new std::map<std::string, std::shared_ptr<const Data>, std::less<>>();  // Never freed.
  MutexLock lock(&cache_mu);
  if (auto it = cache.find(name); it != cache.end()) return TimeZone(it->second);

  auto data = std::make_shared<Data>();
  // The date library reports unknown zones and an unreadable tzdata by throwing;
  // this is the one place we let it, and we turn it into a Status.
  try {
    data->zone = date::locate_zone(name);
  } catch (const std::exception& e) {
    return InvalidArgument("unknown time zone '" + std::string(name) +
                           "' (expected an IANA name such as Europe/Berlin): " + e.what());
  }
  data->name = std::string(name);
  StatusOr<PosixTzRule> rule = PosixTzRule::FromTzifFile(kZoneInfoDir + data->zone->name());
  if (rule.ok() && rule->has_dst()) {
    // The sys_info in force long after the table ends starts at the last transition.
    const date::sys_seconds far{std::chrono::seconds(int64_t{4102444800})};  // 2100-01-01
    const date::sys_info last = data->zone->get_info(far);
    if (last.end > far) {
      data->rule = *std::move(rule);
      data->rule_from_utc = last.begin.time_since_epoch().count();
      data->rule_from_local = data->rule_from_utc + last.offset.count();
    }
  }
  cache.emplace(data->name, data);
  return TimeZone(std::move(data));
}

const std::string& TimeZone::name() const {
  static const std::string kUtc = "UTC";
  return data_ ? data_->name : kUtc;
}

int64_t TimeZone::OffsetAt(int64_t utc_seconds) const {
  if (data_ == nullptr) return 0;
  if (data_->rule && utc_seconds >= data_->rule_from_utc) return data_->rule->OffsetAt(utc_seconds);
  date::sys_seconds t{std::chrono::seconds(utc_seconds)};
  return data_->zone->get_info(t).offset.count();
}

int64_t TimeZone::LocalToUtc(int64_t local_seconds) const {
  if (data_ == nullptr) return local_seconds;
  if (data_->rule && local_seconds >= data_->rule_from_local) {
    // java.util.ZoneInfo past its table: read the wall time as standard time; if that
    // lands in daylight time but one DST amount earlier does not, the wall time is in
    // the spring-forward gap and standard time applies (it moves forward, as above).
    const PosixTzRule& rule = *data_->rule;
    const int64_t as_standard = local_seconds - rule.std_offset();
    int64_t offset = rule.OffsetAt(as_standard);
    const int64_t saving = offset - rule.std_offset();
    if (saving > 0 && rule.OffsetAt(as_standard - saving) == rule.std_offset()) {
      offset = rule.std_offset();
    }
    return local_seconds - offset;
  }
  date::local_seconds t{std::chrono::seconds(local_seconds)};
  date::local_info info = data_->zone->get_info(t);
  // Gap: the offset before it (Calendar moves the time forward). Overlap: the offset
  // after the transition (Calendar picks the later, standard-time instant).
  const date::sys_info& in_force =
      info.result == date::local_info::ambiguous ? info.second : info.first;
  return local_seconds - in_force.offset.count();
}

}  // namespace lts::cron
