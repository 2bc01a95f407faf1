#include "cron/time_zone.h"

#include <date/tz.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <map>
#include <optional>
#include <vector>

#include "base/mutex.h"
#include "cron/posix_tz.h"

namespace lts::cron {

struct TimeZone::Data {
  std::string name;
  // The zone's transitions from the tzdata, flattened once at Find() so lookups are a
  // binary search without allocation (date's sys_info carries a std::string).
  // utc[i]: instant of transition i; wall[i]: its wall time (utc + offset after it);
  // offset[i]: offset in force from utc[i] on. Both key arrays ascend.
  std::vector<int64_t> utc;
  std::vector<int64_t> wall;
  std::vector<int64_t> offset;
  int64_t initial_offset = 0;  // Before the first transition.
  // The TZif footer rule, when the zone still observes daylight saving time after its
  // last listed transition; it governs from that transition on.
  std::optional<PosixTzRule> rule;
  int64_t rule_from_utc = INT64_MAX;
  int64_t rule_from_local = INT64_MAX;
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
  const date::time_zone* zone = nullptr;
  // The date library reports unknown zones and an unreadable tzdata by throwing;
  // this is the one place we let it, and we turn it into a Status.
  try {
    zone = date::locate_zone(name);
  } catch (const std::exception& e) {
    return InvalidArgument("unknown time zone '" + std::string(name) +
                           "' (expected an IANA name such as Europe/Berlin): " + e.what());
  }
  data->name = std::string(name);
  // Walk the table from 1900 to its end (the sys_info that never ends).
  const date::sys_seconds far{std::chrono::seconds(int64_t{4102444800})};  // 2100-01-01
  date::sys_seconds t{std::chrono::seconds(int64_t{-2208988800})};         // 1900-01-01
  date::sys_info info = zone->get_info(t);
  data->initial_offset = info.offset.count();
  while (info.end <= far) {
    t = info.end;
    info = zone->get_info(t);
    const int64_t at = t.time_since_epoch().count();
    data->utc.push_back(at);
    data->wall.push_back(at + info.offset.count());
    data->offset.push_back(info.offset.count());
  }
  StatusOr<PosixTzRule> rule = PosixTzRule::FromTzifFile(kZoneInfoDir + zone->name());
  if (rule.ok() && rule->has_dst() && !data->utc.empty()) {
    data->rule = *std::move(rule);
    data->rule_from_utc = data->utc.back();
    data->rule_from_local = data->wall.back();
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
  const Data& d = *data_;
  if (d.rule && utc_seconds >= d.rule_from_utc) return d.rule->OffsetAt(utc_seconds);
  const auto it = std::upper_bound(d.utc.begin(), d.utc.end(), utc_seconds);
  return it == d.utc.begin() ? d.initial_offset : d.offset[it - d.utc.begin() - 1];
}

int64_t TimeZone::LocalToUtc(int64_t local_seconds) const {
  if (data_ == nullptr) return local_seconds;
  const Data& d = *data_;
  if (d.rule && local_seconds >= d.rule_from_local) {
    // java.util.ZoneInfo past its table: read the wall time as standard time; if that
    // lands in daylight time but one DST amount earlier does not, the wall time is in
    // the spring-forward gap and standard time applies (it moves forward, as below).
    const PosixTzRule& rule = *d.rule;
    const int64_t as_standard = local_seconds - rule.std_offset();
    int64_t offset = rule.OffsetAt(as_standard);
    const int64_t saving = offset - rule.std_offset();
    if (saving > 0 && rule.OffsetAt(as_standard - saving) == rule.std_offset()) {
      offset = rule.std_offset();
    }
    return local_seconds - offset;
  }
  // java.util.ZoneInfo's table rule: the offset after the last transition whose own
  // wall time is not after `local_seconds`. A wall time in a gap therefore takes the
  // offset from before the gap (it moves forward); one in an overlap takes the offset
  // after the transition (the later, standard-time instant).
  const auto it = std::upper_bound(d.wall.begin(), d.wall.end(), local_seconds);
  const int64_t offset =
      it == d.wall.begin() ? d.initial_offset : d.offset[it - d.wall.begin() - 1];
  return local_seconds - offset;
}

}  // namespace lts::cron
