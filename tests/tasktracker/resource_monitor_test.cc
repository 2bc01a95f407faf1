// Parsing of /proc and cgroup v2 texts for resource-aware pulling, and the monitor over
// a fake root directory.

#include "tasktracker/resource_monitor.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "testing/temp_dir.h"

namespace lts::tasktracker {
namespace {

constexpr const char* kMemInfo =
    "MemTotal:       16000000 kB\n"
    "MemFree:         1000000 kB\n"
    "MemAvailable:    4000000 kB\n"
    "Buffers:          200000 kB\n";

TEST(ResourceParseTest, MemInfoUsedPercentIsTotalMinusAvailable) {
  StatusOr<double> percent = ParseMemInfoUsedPercent(kMemInfo);
  ASSERT_TRUE(percent.ok()) << percent.status().ToString();
  EXPECT_DOUBLE_EQ(75.0, *percent);  // A percent, not a 0..1 ratio (Java bug 10).
}

TEST(ResourceParseTest, MalformedMemInfoIsAnErrorNotACrash) {
  EXPECT_FALSE(ParseMemInfoUsedPercent("").ok());
  EXPECT_FALSE(ParseMemInfoUsedPercent("MemTotal: 0 kB\nMemAvailable: 0 kB\n").ok());
  EXPECT_FALSE(ParseMemInfoUsedPercent("MemTotal: lots kB\nMemAvailable: 1 kB\n").ok());
  EXPECT_FALSE(ParseMemInfoUsedPercent("MemTotal: 100 kB\n").ok());
  EXPECT_FALSE(ParseMemInfoUsedPercent(std::string(5000, '\xff')).ok());
}

TEST(ResourceParseTest, CgroupPathComesFromTheV2Line) {
  StatusOr<std::string> path = ParseCgroupV2Path("0::/system.slice/lts.service\n");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ("/system.slice/lts.service", *path);
  EXPECT_EQ(StatusCode::kNotFound, ParseCgroupV2Path("12:memory:/docker/abc\n").status().code());
  EXPECT_FALSE(ParseCgroupV2Path("0::../../etc\n").ok());
}

TEST(ResourceParseTest, CgroupMemoryUsesTheLimitUnlessItIsMax) {
  StatusOr<std::optional<double>> limited = ParseCgroupMemoryPercent("536870912\n", "1073741824\n");
  ASSERT_TRUE(limited.ok());
  ASSERT_TRUE(limited->has_value());
  EXPECT_DOUBLE_EQ(50.0, **limited);
  StatusOr<std::optional<double>> unlimited = ParseCgroupMemoryPercent("123\n", "max\n");
  ASSERT_TRUE(unlimited.ok());
  EXPECT_FALSE(unlimited->has_value());
  EXPECT_FALSE(ParseCgroupMemoryPercent("x", "100").ok());
  EXPECT_FALSE(ParseCgroupMemoryPercent("1", "0").ok());
}

TEST(ResourceParseTest, ProcStatCpuLineAndBusyPercent) {
  StatusOr<CpuTimes> a = ParseProcStat(
      "cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 50 0 50 350 50 0 0 0 0 0\nintr 1 2 3\n");
  StatusOr<CpuTimes> b = ParseProcStat("cpu  250 0 150 900 100 0 0 0 0 0\n");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(1000u, a->total);
  EXPECT_EQ(800u, a->idle);
  // Delta: 400 jiffies, of which 200 idle.
  EXPECT_DOUBLE_EQ(50.0, CpuPercentFromProcStat(*a, *b));
  EXPECT_DOUBLE_EQ(0.0, CpuPercentFromProcStat(*b, *b));
  EXPECT_FALSE(ParseProcStat("cpu 1 2\n").ok());
  EXPECT_FALSE(ParseProcStat("intr 1\n").ok());
  EXPECT_FALSE(ParseProcStat("cpu a b c d e\n").ok());
}

TEST(ResourceParseTest, CgroupCpuQuotaAndUsage) {
  StatusOr<std::optional<double>> quota = ParseCgroupCpuMax("150000 100000\n");
  ASSERT_TRUE(quota.ok() && quota->has_value());
  EXPECT_DOUBLE_EQ(1.5, **quota);
  StatusOr<std::optional<double>> none = ParseCgroupCpuMax("max 100000\n");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_FALSE(ParseCgroupCpuMax("").ok());
  EXPECT_FALSE(ParseCgroupCpuMax("0 100000").ok());
  StatusOr<uint64_t> usage = ParseCgroupCpuUsageUsec("usage_usec 123456\nuser_usec 100000\n");
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(123456u, *usage);
  EXPECT_FALSE(ParseCgroupCpuUsageUsec("user_usec 1\n").ok());
  // 0.75 s of CPU in 1 s on a 1.5-CPU quota: 50%.
  EXPECT_DOUBLE_EQ(50.0, CpuPercentFromCgroup(0, 750000, 1000000, 1.5));
}

class ResourceMonitorTest : public ::testing::Test {
 protected:
  void Write(const std::string& rel, const std::string& text) {
    const std::filesystem::path path = dir_.path() + rel;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  ResourceCheckOptions Options() {
    ResourceCheckOptions options;
    options.enabled = true;
    options.root = dir_.path();
    return options;
  }
  lts::testing::TempDir dir_;
};

TEST_F(ResourceMonitorTest, CgroupMemoryLimitDecides) {
  Write("/proc/self/cgroup", "0::/lts\n");
  Write("/sys/fs/cgroup/lts/memory.max", "1000\n");
  Write("/sys/fs/cgroup/lts/memory.current", "950\n");
  Write("/proc/meminfo", kMemInfo);  // 75%: would pass.
  Write("/proc/stat", "cpu 1 0 1 100 0 0 0 0\n");
  ResourceMonitor monitor(Options());
  ResourceState state = monitor.Sample(0);
  EXPECT_TRUE(state.overloaded);
  ASSERT_TRUE(state.memory_percent.has_value());
  EXPECT_DOUBLE_EQ(95.0, *state.memory_percent);
  EXPECT_NE(std::string::npos, state.reason.find("memory"));
}

TEST_F(ResourceMonitorTest, MemInfoWhenTheCgroupHasNoLimit) {
  Write("/proc/self/cgroup", "0::/\n");
  Write("/sys/fs/cgroup/memory.max", "max\n");
  Write("/sys/fs/cgroup/memory.current", "950\n");
  Write("/proc/meminfo", kMemInfo);
  Write("/proc/stat", "cpu 1 0 1 100 0 0 0 0\n");
  ResourceMonitor monitor(Options());
  ResourceState state = monitor.Sample(0);
  EXPECT_FALSE(state.overloaded);
  ASSERT_TRUE(state.memory_percent.has_value());
  EXPECT_DOUBLE_EQ(75.0, *state.memory_percent);
}

TEST_F(ResourceMonitorTest, CpuOverTwoSamplesOfProcStat) {
  Write("/proc/meminfo", kMemInfo);
  Write("/proc/stat", "cpu 0 0 0 100 0 0 0 0\n");
  ResourceMonitor monitor(Options());
  EXPECT_FALSE(monitor.Sample(0).cpu_percent.has_value());  // One sample: no rate yet.
  Write("/proc/stat", "cpu 95 0 0 105 0 0 0 0\n");          // 95 busy of 100.
  ResourceState state = monitor.Sample(1000000);
  ASSERT_TRUE(state.cpu_percent.has_value());
  EXPECT_DOUBLE_EQ(95.0, *state.cpu_percent);
  EXPECT_TRUE(state.overloaded);
  EXPECT_NE(std::string::npos, state.reason.find("CPU"));
}

TEST_F(ResourceMonitorTest, CpuAgainstTheCgroupQuota) {
  Write("/proc/self/cgroup", "0::/q\n");
  Write("/sys/fs/cgroup/q/cpu.max", "50000 100000\n");  // Half a CPU.
  Write("/sys/fs/cgroup/q/cpu.stat", "usage_usec 0\n");
  Write("/proc/meminfo", kMemInfo);
  ResourceMonitor monitor(Options());
  (void)monitor.Sample(0);
  Write("/sys/fs/cgroup/q/cpu.stat", "usage_usec 200000\n");  // 0.2 s in 1 s of 0.5 CPU.
  ResourceState state = monitor.Sample(1000000);
  ASSERT_TRUE(state.cpu_percent.has_value());
  EXPECT_DOUBLE_EQ(40.0, *state.cpu_percent);
  EXPECT_FALSE(state.overloaded);
}

TEST_F(ResourceMonitorTest, UnreadableFilesSkipTheCheck) {
  Write("/proc/meminfo", "garbage\n");
  Write("/proc/stat", "nonsense\n");
  ResourceMonitor monitor(Options());
  for (int i = 0; i < 3; ++i) {
    ResourceState state = monitor.Sample(i * 1000000);
    EXPECT_FALSE(state.overloaded);
    EXPECT_FALSE(state.memory_percent.has_value());
    EXPECT_FALSE(state.cpu_percent.has_value());
  }
}

TEST(ResourceMonitorRealTest, ReadsThisMachine) {
  ResourceCheckOptions options;
  options.enabled = true;
  ResourceMonitor monitor(options);
  (void)monitor.Sample(0);
  ResourceState state = monitor.Sample(1000000);
  ASSERT_TRUE(state.memory_percent.has_value());
  EXPECT_GE(*state.memory_percent, 0.0);
  EXPECT_LE(*state.memory_percent, 100.0);
}

}  // namespace
}  // namespace lts::tasktracker
