// ResourceMonitor (tasktracker/resource_monitor.h).

#include "tasktracker/resource_monitor.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "base/logging.h"
#include "base/string_util.h"

namespace lts::tasktracker {
namespace {

// Files read here are small; more than this is not a /proc or cgroup file we understand.
constexpr size_t kMaxFileBytes = 1 << 20;

StatusOr<uint64_t> ParseU64(std::string_view text, std::string_view what) {
  StatusOr<int64_t> value = ParseInt64(Trim(text));
  if (!value.ok() || *value < 0) {
    return InvalidArgument(
        fmt::format("{}: expected a non-negative integer, got '{}'", what, Quote(Trim(text), 40)));
  }
  return static_cast<uint64_t>(*value);
}

// Splits on runs of spaces and tabs.
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

}  // namespace

StatusOr<std::string> ParseCgroupV2Path(std::string_view proc_self_cgroup) {
  for (std::string_view line : Split(proc_self_cgroup, '\n')) {
    if (line.substr(0, 3) == "0::") {
      std::string_view path = Trim(line.substr(3));
      if (path.empty() || path[0] != '/' || path.find("..") != std::string_view::npos) {
        return InvalidArgument(fmt::format("/proc/self/cgroup: bad path '{}'", Quote(path, 60)));
      }
      return std::string(path);
    }
  }
  return NotFound("/proc/self/cgroup: no cgroup v2 entry");
}

StatusOr<double> ParseMemInfoUsedPercent(std::string_view meminfo) {
  std::optional<uint64_t> total;
  std::optional<uint64_t> available;
  for (std::string_view line : Split(meminfo, '\n')) {
    std::vector<std::string_view> fields = Fields(line);
    if (fields.size() < 2) continue;
    if (fields[0] == "MemTotal:") {
      LTS_ASSIGN_OR_RETURN(total, ParseU64(fields[1], "/proc/meminfo MemTotal"));
    } else if (fields[0] == "MemAvailable:") {
      LTS_ASSIGN_OR_RETURN(available, ParseU64(fields[1], "/proc/meminfo MemAvailable"));
    }
  }
  if (!total || !available) return InvalidArgument("/proc/meminfo: no MemTotal or MemAvailable");
  if (*total == 0) return InvalidArgument("/proc/meminfo: MemTotal is 0");
  if (*available > *total) return 0.0;
  return 100.0 * static_cast<double>(*total - *available) / static_cast<double>(*total);
}

StatusOr<std::optional<double>> ParseCgroupMemoryPercent(std::string_view current,
                                                         std::string_view max) {
  if (Trim(max) == "max") return std::optional<double>();
  LTS_ASSIGN_OR_RETURN(uint64_t limit, ParseU64(max, "memory.max"));
  LTS_ASSIGN_OR_RETURN(uint64_t used, ParseU64(current, "memory.current"));
  if (limit == 0) return InvalidArgument("memory.max: 0");
  return std::optional<double>(100.0 * static_cast<double>(used) / static_cast<double>(limit));
}

StatusOr<CpuTimes> ParseProcStat(std::string_view proc_stat) {
  for (std::string_view line : Split(proc_stat, '\n')) {
    std::vector<std::string_view> fields = Fields(line);
    if (fields.empty() || fields[0] != "cpu") continue;
    // user nice system idle iowait irq softirq steal [guest guest_nice]; guest time is
    // already counted in user and nice.
    if (fields.size() < 5) return InvalidArgument("/proc/stat: short cpu line");
    CpuTimes times;
    const size_t n = std::min<size_t>(fields.size(), 9);
    for (size_t i = 1; i < n; ++i) {
      LTS_ASSIGN_OR_RETURN(uint64_t v, ParseU64(fields[i], "/proc/stat cpu"));
      times.total += v;
      if (i == 4 || i == 5) times.idle += v;
    }
    return times;
  }
  return InvalidArgument("/proc/stat: no cpu line");
}

StatusOr<uint64_t> ParseCgroupCpuUsageUsec(std::string_view cpu_stat) {
  for (std::string_view line : Split(cpu_stat, '\n')) {
    std::vector<std::string_view> fields = Fields(line);
    if (fields.size() == 2 && fields[0] == "usage_usec") {
      return ParseU64(fields[1], "cpu.stat usage_usec");
    }
  }
  return InvalidArgument("cpu.stat: no usage_usec");
}

StatusOr<std::optional<double>> ParseCgroupCpuMax(std::string_view cpu_max) {
  std::vector<std::string_view> fields = Fields(Trim(cpu_max));
  if (fields.empty() || fields.size() > 2)
    return InvalidArgument("cpu.max: expected '<quota> <period>'");
  if (fields[0] == "max") return std::optional<double>();
  LTS_ASSIGN_OR_RETURN(uint64_t quota, ParseU64(fields[0], "cpu.max quota"));
  uint64_t period = 100000;
  if (fields.size() == 2) {
    LTS_ASSIGN_OR_RETURN(period, ParseU64(fields[1], "cpu.max period"));
  }
  if (quota == 0 || period == 0) return InvalidArgument("cpu.max: zero quota or period");
  return std::optional<double>(static_cast<double>(quota) / static_cast<double>(period));
}

double CpuPercentFromProcStat(const CpuTimes& before, const CpuTimes& after) {
  if (after.total <= before.total) return 0;
  const double total = static_cast<double>(after.total - before.total);
  const uint64_t idle = after.idle >= before.idle ? after.idle - before.idle : 0;
  const double busy = total - static_cast<double>(idle);
  return busy <= 0 ? 0 : 100.0 * busy / total;
}

double CpuPercentFromCgroup(uint64_t usage_before_usec, uint64_t usage_after_usec,
                            int64_t elapsed_usec, double cpus) {
  if (elapsed_usec <= 0 || cpus <= 0 || usage_after_usec <= usage_before_usec) return 0;
  return 100.0 * static_cast<double>(usage_after_usec - usage_before_usec) /
         (static_cast<double>(elapsed_usec) * cpus);
}

ResourceMonitor::ResourceMonitor(ResourceCheckOptions options) : options_(std::move(options)) {
  std::optional<std::string> cgroup = ReadFile("/proc/self/cgroup");
  if (cgroup) {
    StatusOr<std::string> path = ParseCgroupV2Path(*cgroup);
    if (path.ok()) {
      cgroup_dir_ = options_.root + "/sys/fs/cgroup" + (*path == "/" ? "" : *path);
    }
  }
}

std::optional<std::string> ResourceMonitor::ReadFile(const std::string& path) const {
  std::ifstream in(options_.root + path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(kMaxFileBytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

void ResourceMonitor::WarnOnce(bool* warned, std::string_view what, const Status& status) {
  if (*warned) return;
  *warned = true;
  LTS_LOG(WARN, "resource check: cannot read {} use ({}); that check is skipped", what,
          status.message());
}

std::optional<double> ResourceMonitor::SampleMemory() {
  if (!cgroup_dir_.empty()) {
    const std::string rel = cgroup_dir_.substr(options_.root.size());
    std::optional<std::string> max = ReadFile(rel + "/memory.max");
    std::optional<std::string> current = ReadFile(rel + "/memory.current");
    if (max && current) {
      StatusOr<std::optional<double>> percent = ParseCgroupMemoryPercent(*current, *max);
      if (!percent.ok()) {
        WarnOnce(&warned_memory_, "cgroup memory", percent.status());
      } else if (percent->has_value()) {
        return **percent;
      }
    }
  }
  std::optional<std::string> meminfo = ReadFile("/proc/meminfo");
  if (!meminfo) {
    WarnOnce(&warned_memory_, "memory", NotFound("/proc/meminfo is missing"));
    return std::nullopt;
  }
  StatusOr<double> percent = ParseMemInfoUsedPercent(*meminfo);
  if (!percent.ok()) {
    WarnOnce(&warned_memory_, "memory", percent.status());
    return std::nullopt;
  }
  return *percent;
}

std::optional<double> ResourceMonitor::SampleCpu(int64_t now_us) {
  // A cgroup quota, when there is one, is what limits this process.
  std::optional<double> cpus;
  std::optional<uint64_t> usage;
  if (!cgroup_dir_.empty()) {
    const std::string rel = cgroup_dir_.substr(options_.root.size());
    std::optional<std::string> max = ReadFile(rel + "/cpu.max");
    std::optional<std::string> stat = ReadFile(rel + "/cpu.stat");
    if (max && stat) {
      StatusOr<std::optional<double>> quota = ParseCgroupCpuMax(*max);
      StatusOr<uint64_t> used = ParseCgroupCpuUsageUsec(*stat);
      if (!quota.ok() || !used.ok()) {
        WarnOnce(&warned_cpu_, "cgroup CPU", !quota.ok() ? quota.status() : used.status());
      } else if (quota->has_value()) {
        cpus = **quota;
        usage = *used;
      }
    }
  }
  std::optional<double> result;
  if (cpus) {
    if (have_cpu_sample_ && cpu_from_cgroup_) {
      result = CpuPercentFromCgroup(last_usage_usec_, *usage, now_us - last_sample_us_, *cpus);
    }
    have_cpu_sample_ = true;
    cpu_from_cgroup_ = true;
    last_usage_usec_ = *usage;
    last_sample_us_ = now_us;
    return result;
  }
  std::optional<std::string> stat = ReadFile("/proc/stat");
  if (!stat) {
    WarnOnce(&warned_cpu_, "CPU", NotFound("/proc/stat is missing"));
    return std::nullopt;
  }
  StatusOr<CpuTimes> times = ParseProcStat(*stat);
  if (!times.ok()) {
    WarnOnce(&warned_cpu_, "CPU", times.status());
    have_cpu_sample_ = false;
    return std::nullopt;
  }
  if (have_cpu_sample_ && !cpu_from_cgroup_) result = CpuPercentFromProcStat(last_proc_, *times);
  have_cpu_sample_ = true;
  cpu_from_cgroup_ = false;
  last_proc_ = *times;
  last_sample_us_ = now_us;
  return result;
}

ResourceState ResourceMonitor::Sample(int64_t now_us) {
  ResourceState state;
  state.memory_percent = SampleMemory();
  state.cpu_percent = SampleCpu(now_us);
  if (state.memory_percent && *state.memory_percent > options_.max_memory_percent) {
    state.overloaded = true;
    state.reason =
        fmt::format("memory {:.1f}% > {:.0f}%", *state.memory_percent, options_.max_memory_percent);
  } else if (state.cpu_percent && *state.cpu_percent > options_.max_cpu_percent) {
    state.overloaded = true;
    state.reason =
        fmt::format("CPU {:.1f}% > {:.0f}%", *state.cpu_percent, options_.max_cpu_percent);
  }
  return state;
}

}  // namespace lts::tasktracker
