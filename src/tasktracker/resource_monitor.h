// ResourceMonitor: is this machine (or this process's cgroup) too busy to take new jobs?
// Resource-aware pulling, roadmap item 10, with the Java bug 10 fixed (the Java compared a
// 0..1 memory ratio with a percent threshold, and took CPU load from an MXBean).
//
// Memory use, in percent:
//   cgroup v2: memory.current / memory.max of the process's cgroup when memory.max is a
//   number (the cgroup is found through /proc/self/cgroup, line "0::<path>", under
//   /sys/fs/cgroup); otherwise /proc/meminfo: (MemTotal - MemAvailable) / MemTotal.
// CPU use, in percent of the CPUs available to the process, over one sampling interval:
//   cgroup v2 with a quota (cpu.max "<quota> <period>"): delta of cpu.stat usage_usec
//   over (elapsed wall time * quota / period); otherwise the delta of the "cpu" line of
//   /proc/stat: (busy jiffies) / (all jiffies).
//
// The parsing functions take the file contents as strings (tests feed sample texts).
// Malformed or missing files make a check skip, with one warning, never a crash.
//
// Thread safety: the parse functions are pure; ResourceMonitor is used by one thread.

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lts/statusor.h"
#include "lts/task_tracker.h"

namespace lts::tasktracker {

// The cgroup v2 path of the process ("/system.slice/x.service") from /proc/self/cgroup.
// kNotFound when there is no "0::" line (cgroup v1 only).
StatusOr<std::string> ParseCgroupV2Path(std::string_view proc_self_cgroup);

// Used percent from /proc/meminfo. Errors: kInvalidArgument when MemTotal or
// MemAvailable is missing or malformed, or MemTotal is 0.
StatusOr<double> ParseMemInfoUsedPercent(std::string_view meminfo);

// Used percent from cgroup memory.current and memory.max; nullopt when memory.max is
// "max" (no limit). Errors: kInvalidArgument for malformed numbers or a zero limit.
StatusOr<std::optional<double>> ParseCgroupMemoryPercent(std::string_view current,
                                                         std::string_view max);

// The aggregate "cpu" line of /proc/stat, in jiffies.
struct CpuTimes {
  uint64_t total = 0;
  uint64_t idle = 0;  // idle + iowait.
};
StatusOr<CpuTimes> ParseProcStat(std::string_view proc_stat);

// usage_usec from cgroup cpu.stat.
StatusOr<uint64_t> ParseCgroupCpuUsageUsec(std::string_view cpu_stat);

// The CPUs a cgroup may use from cpu.max ("<quota> <period>"), nullopt for "max ...".
StatusOr<std::optional<double>> ParseCgroupCpuMax(std::string_view cpu_max);

// Busy percent between two /proc/stat samples (0 when no time passed).
double CpuPercentFromProcStat(const CpuTimes& before, const CpuTimes& after);
// Busy percent of a cgroup quota: usage delta over elapsed time * cpus.
double CpuPercentFromCgroup(uint64_t usage_before_usec, uint64_t usage_after_usec,
                            int64_t elapsed_usec, double cpus);

struct ResourceState {
  bool overloaded = false;
  std::optional<double> cpu_percent;     // nullopt until two samples exist, or unreadable.
  std::optional<double> memory_percent;  // nullopt when unreadable.
  std::string reason;                    // "memory 93.1% > 90%" when overloaded.
};

class ResourceMonitor {
 public:
  explicit ResourceMonitor(ResourceCheckOptions options);

  // Takes one sample (reads the files) at `now_us` (monotonic) and judges it.
  ResourceState Sample(int64_t now_us);

 private:
  std::optional<std::string> ReadFile(const std::string& path) const;
  std::optional<double> SampleMemory();
  std::optional<double> SampleCpu(int64_t now_us);
  void WarnOnce(bool* warned, std::string_view what, const Status& status);

  const ResourceCheckOptions options_;
  std::string cgroup_dir_;  // "<root>/sys/fs/cgroup/<path>", empty without cgroup v2.
  // CPU sampler state of the previous sample (this monitor's own).
  bool have_cpu_sample_ = false;
  bool cpu_from_cgroup_ = false;
  CpuTimes last_proc_;
  uint64_t last_usage_usec_ = 0;
  int64_t last_sample_us_ = 0;
  bool warned_memory_ = false;
  bool warned_cpu_ = false;
};

}  // namespace lts::tasktracker
