// bench_cron: next-fire computations per second for a mix of Quartz expressions, in UTC
// and in a DST zone, against the peer we are compatible with: Quartz 2.3.2 itself
// (CronExpression.getTimeAfter on OpenJDK, same mix, same start instants), run in the
// same invocation when java, javac and Debian's quartz2.jar are present. The last
// lines print the ratio lts/quartz per zone.
//
// Usage: bench_cron [--quick] [google-benchmark flags]

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cron/cron_expression.h"

#ifndef LTS_SOURCE_DIR
#define LTS_SOURCE_DIR "."
#endif

namespace {

constexpr int64_t kStart = 1704067200;  // 2024-01-01T00:00:00Z
constexpr int64_t kStep = 3607;         // Start instants move by just over an hour,
constexpr int64_t kSpan = 315569520;    // and wrap after ten years (2024-2033).

const std::vector<std::string>& Mix() {
  static const std::vector<std::string> kMix = {
      "0 0/5 * * * ?", "0 0 12 * * ?",           "0 15 10 ? * MON-FRI",   "0 0 0 L * ?",
      "0 0 2 ? * 6L",  "0 0 12 ? * 2#3",         "*/10 * 9-17 * * ?",     "0 30 2 * * ?",
      "0 0 0 15W * ?", "0 0 8-18/2 ? JAN-JUN *", "0 0 0 1 1 ? 2030-2040", "0 11 11 11 11 ?"};
  return kMix;
}

std::vector<lts::cron::CronExpression> ParsedMix() {
  std::vector<lts::cron::CronExpression> exprs;
  for (const std::string& e : Mix()) exprs.push_back(*lts::cron::CronExpression::Parse(e));
  return exprs;
}

void BM_NextFireAfter(benchmark::State& state, const char* zone_name) {
  const std::vector<lts::cron::CronExpression> exprs = ParsedMix();
  const lts::cron::TimeZone zone = *lts::cron::TimeZone::Find(zone_name);
  int64_t t = kStart;
  size_t i = 0;
  for (auto _ : state) {
    std::optional<int64_t> next = exprs[i++ % exprs.size()].NextFireAfter(t, zone);
    benchmark::DoNotOptimize(next);
    t = t + kStep < kStart + kSpan ? t + kStep : kStart;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_NextFireAfter, utc, "UTC");
BENCHMARK_CAPTURE(BM_NextFireAfter, new_york, "America/New_York");

void BM_Parse(benchmark::State& state) {
  size_t i = 0;
  for (auto _ : state) {
    auto e = lts::cron::CronExpression::Parse(Mix()[i++ % Mix().size()]);
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Parse);

// The same loop as QuartzBench.java, timed the same way, so the two rates compare.
double LtsRate(const char* zone_name, double seconds) {
  const std::vector<lts::cron::CronExpression> exprs = ParsedMix();
  const lts::cron::TimeZone zone = *lts::cron::TimeZone::Find(zone_name);
  int64_t t = kStart;
  size_t i = 0;
  int64_t n = 0;
  int64_t sink = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  auto now = start;
  do {
    for (int k = 0; k < 256; ++k) {
      std::optional<int64_t> next = exprs[i++ % exprs.size()].NextFireAfter(t, zone);
      sink += next.value_or(0);
      t = t + kStep < kStart + kSpan ? t + kStep : kStart;
    }
    n += 256;
    now = std::chrono::steady_clock::now();
  } while (now < end);
  benchmark::DoNotOptimize(sink);
  return static_cast<double>(n) / std::chrono::duration<double>(now - start).count();
}

// Runs QuartzBench for `zone_name`; returns its rate, or a negative value if the peer
// is unavailable.
double QuartzRate(const std::string& classes, const char* zone_name, double seconds) {
  std::string cmd = "java -cp /usr/share/java/quartz2.jar:" + classes + " QuartzBench " +
                    zone_name + " " + std::to_string(seconds);
  for (const std::string& e : Mix()) cmd += " '" + e + "'";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return -1;
  char line[256] = {0};
  double rate = -1;
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    if (std::sscanf(line, "quartz_next_fire_per_sec %lf", &rate) == 1) break;
  }
  pclose(pipe);
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  std::string min_time = "--benchmark_min_time=0.1";
  if (quick) args.push_back(min_time.data());
  int bench_argc = static_cast<int>(args.size());
  benchmark::Initialize(&bench_argc, args.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  const double seconds = quick ? 1.0 : 3.0;
  const std::string classes = "/tmp/lts-bench-cron-classes";
  const std::string compile = "mkdir -p " + classes +
                              " && javac -nowarn -cp /usr/share/java/quartz2.jar -d " + classes +
                              " " LTS_SOURCE_DIR "/bench/cron/QuartzBench.java 2>/dev/null";
  const bool peer = std::system(compile.c_str()) == 0;
  if (!peer) {
    std::printf("peer: Quartz unavailable (needs java, javac, /usr/share/java/quartz2.jar)\n");
  }
  for (const char* zone : {"UTC", "America/New_York"}) {
    const double ours = LtsRate(zone, seconds);
    const double theirs = peer ? QuartzRate(classes, zone, seconds) : -1;
    if (theirs > 0) {
      std::printf("next-fire/s %-16s lts %.0f  quartz %.0f  ratio lts/quartz = %.2f\n", zone, ours,
                  theirs, ours / theirs);
    } else {
      std::printf("next-fire/s %-16s lts %.0f  quartz n/a\n", zone, ours);
    }
  }
  return 0;
}
