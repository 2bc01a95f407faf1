// EventLoop timers: RunAt / RunAfter / RunEvery / Cancel, on a real loop.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <memory>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "net/event_loop.h"
#include "net/event_loop_thread.h"
#include "testing/test_env.h"

namespace lts::net {
namespace {

using ::lts::testing::WaitFor;
using std::chrono::milliseconds;

// CPU time of the calling thread, to tell work from waiting.
int64_t ThreadCpuMicros() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

TEST(TimerTest, TimersFireInExpiryOrderAndTiesInInsertionOrder) {
  EventLoop loop;
  std::vector<int> order;
  const std::vector<std::pair<int, int>> plan = {{30, 0}, {10, 1}, {20, 2}, {10, 3},
                                                 {5, 4},  {20, 5}, {10, 6}};
  const int64_t base = MonotonicMicros() + 5000;
  for (const auto& [offset_ms, tag] : plan) {
    loop.RunAt(base + offset_ms * 1000, [&, tag = tag] {
      order.push_back(tag);
      if (order.size() == plan.size()) loop.Quit();
    });
  }
  loop.Loop();
  EXPECT_EQ((std::vector<int>{4, 1, 3, 6, 2, 5, 0}), order);
}

TEST(TimerTest, TimerInThePastFiresOnTheNextIteration) {
  EventLoop loop;
  bool fired = false;
  loop.RunAt(0, [&] {
    fired = true;
    loop.Quit();
  });
  loop.Loop();
  EXPECT_TRUE(fired);
}

TEST(TimerTest, TimerDoesNotFireBeforeItsTime) {
  EventLoop loop;
  const int64_t start = MonotonicMicros();
  int64_t fired_at = 0;
  loop.RunAfter(milliseconds(20), [&] {
    fired_at = MonotonicMicros();
    loop.Quit();
  });
  loop.Loop();
  EXPECT_GE(fired_at - start, 20000);
}

TEST(TimerTest, CancelledTimerNeverFires) {
  EventLoop loop;
  bool cancelled_fired = false;
  const TimerId id = loop.RunAfter(milliseconds(2), [&] { cancelled_fired = true; });
  loop.RunAfter(milliseconds(10), [&] { loop.Quit(); });
  loop.Cancel(id);
  EXPECT_EQ(1u, loop.timer_count());
  loop.Loop();
  EXPECT_FALSE(cancelled_fired);
  loop.Cancel(id);         // A second cancel is harmless,
  loop.Cancel(TimerId());  // and so is an invalid id.
}

TEST(TimerTest, CallbackCanCancelALaterTimer) {
  EventLoop loop;
  bool later_fired = false;
  const TimerId later = loop.RunAfter(milliseconds(10), [&] { later_fired = true; });
  loop.RunAfter(milliseconds(2), [&] { loop.Cancel(later); });
  loop.RunAfter(milliseconds(20), [&] { loop.Quit(); });
  loop.Loop();
  EXPECT_FALSE(later_fired);
}

TEST(TimerTest, CancelAfterFiringDoesNotHitANewerTimer) {
  EventLoop loop;
  TimerId first;
  int newer_runs = 0;
  first = loop.RunAfter(milliseconds(1), [&] {
    // The fired timer's slot may be reused by this one; the old id must not match it.
    loop.RunAfter(milliseconds(5), [&] {
      ++newer_runs;
      loop.Quit();
    });
    loop.Cancel(first);
  });
  loop.Loop();
  EXPECT_EQ(1, newer_runs);
}

TEST(TimerTest, RunEveryRepeatsAtItsRateUntilItCancelsItself) {
  EventLoop loop;
  constexpr int64_t kIntervalUs = 5000;
  std::vector<int64_t> fire_times;
  TimerId id;
  const int64_t start = MonotonicMicros();
  id = loop.RunEvery(std::chrono::microseconds(kIntervalUs), [&] {
    fire_times.push_back(MonotonicMicros());
    if (fire_times.size() == 5) {
      loop.Cancel(id);
      loop.QueueInLoop([&] { loop.Quit(); });
    }
  });
  loop.Loop();
  ASSERT_EQ(5u, fire_times.size());
  for (size_t k = 0; k < fire_times.size(); ++k) {
    // Fixed rate: run k happens no earlier than (k + 1) intervals after the start.
    EXPECT_GE(fire_times[k] - start, static_cast<int64_t>(k + 1) * kIntervalUs) << "run " << k;
  }
  EXPECT_EQ(0u, loop.timer_count());  // Not re-added after cancelling itself.
}

TEST(TimerTest, TimersAddedAndCancelledFromOtherThreadsBehave) {
  EventLoopThread thread("timers");
  EventLoop* loop = thread.StartLoop();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 1000;
  std::vector<std::atomic<int>> runs(kThreads * kPerThread);
  std::atomic<int> fired{0};
  std::atomic<bool> off_loop{false};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937 rng(static_cast<uint32_t>(t));
        for (int i = 0; i < kPerThread; ++i) {
          const int index = t * kPerThread + i;
          const TimerId id = loop->RunAfter(std::chrono::microseconds(rng() % 20000), [&, index] {
            if (!loop->IsInLoopThread()) off_loop = true;
            runs[static_cast<size_t>(index)].fetch_add(1);
            fired.fetch_add(1);
          });
          if (i % 2 == 1) loop->Cancel(id);
        }
      });
    }
  }
  // Odd timers may have fired before their Cancel; even ones must all fire, once.
  ASSERT_TRUE(WaitFor([&] { return loop->timer_count() == 0; }, std::chrono::seconds(20)));
  loop->RunInLoopAndWait([] {});  // A run in progress has finished.
  EXPECT_FALSE(off_loop.load());
  for (int index = 0; index < kThreads * kPerThread; ++index) {
    const int count = runs[static_cast<size_t>(index)].load();
    if (index % kPerThread % 2 == 0) {
      EXPECT_EQ(1, count) << index;
    } else {
      EXPECT_LE(count, 1) << index;
    }
  }
}

TEST(TimerTest, CancelFromAnotherThreadStopsAFarTimer) {
  EventLoopThread thread("timers");
  EventLoop* loop = thread.StartLoop();
  std::atomic<bool> fired{false};
  const TimerId id = loop->RunAfter(std::chrono::hours(1), [&] { fired = true; });
  EXPECT_EQ(1u, loop->timer_count());
  std::jthread([&] { loop->Cancel(id); }).join();
  EXPECT_EQ(0u, loop->timer_count());
  EXPECT_FALSE(fired.load());
}

// A million pending timers: inserting, cancelling half and firing the rest must stay
// fast (O(log n) each) and keep the order. Asserts correctness; prints the time taken.
TEST(TimerTest, MillionTimersFireInOrderWithHalfCancelled) {
  constexpr int kTimers = 1000000;
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);

  struct State {
    EventLoop* loop;
    std::vector<int> fired;
    size_t expected;
  };
  EventLoop loop;
  State state{&loop, {}, 0};
  state.fired.reserve(kTimers);
  std::vector<int64_t> expiry(kTimers);
  std::vector<TimerId> ids(kTimers);
  std::vector<bool> cancelled(kTimers);

  const auto t0 = std::chrono::steady_clock::now();
  // Expiries spread over the next 100 ms: inserting takes about that long, so most are
  // due when the loop starts (the fire phase then measures work, not waiting), and
  // they must still come out in (expiry, insertion) order.
  const int64_t base = MonotonicMicros();
  for (int i = 0; i < kTimers; ++i) {
    expiry[static_cast<size_t>(i)] = base + static_cast<int64_t>(rng() % 100000);
    State* s = &state;
    ids[static_cast<size_t>(i)] = loop.RunAt(expiry[static_cast<size_t>(i)], [s, i] {
      s->fired.push_back(i);
      if (s->fired.size() == s->expected) s->loop->Quit();
    });
  }
  EXPECT_EQ(static_cast<size_t>(kTimers), loop.timer_count());
  const auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < kTimers; ++i) {
    if (rng() % 2 == 0) {
      loop.Cancel(ids[static_cast<size_t>(i)]);
      cancelled[static_cast<size_t>(i)] = true;
    }
  }
  const auto t2 = std::chrono::steady_clock::now();
  state.expected = loop.timer_count();
  ASSERT_EQ(static_cast<size_t>(std::count(cancelled.begin(), cancelled.end(), false)),
            state.expected);
  const int64_t cpu_before = ThreadCpuMicros();
  loop.Loop();
  const auto t3 = std::chrono::steady_clock::now();
  const int64_t fire_cpu_us = ThreadCpuMicros() - cpu_before;

  ASSERT_EQ(state.expected, state.fired.size());
  for (size_t k = 0; k < state.fired.size(); ++k) {
    const size_t i = static_cast<size_t>(state.fired[k]);
    ASSERT_FALSE(cancelled[i]) << "cancelled timer " << i << " fired";
    if (k > 0) {
      const size_t prev = static_cast<size_t>(state.fired[k - 1]);
      ASSERT_TRUE(expiry[prev] < expiry[i] || (expiry[prev] == expiry[i] && prev < i))
          << "timer " << i << " fired after " << prev;
    }
  }
  const auto ms = [](auto d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  std::printf(
      "[   INFO   ] 1M timers: insert %lld ms, cancel %zu in %lld ms, fire %zu in %lld ms "
      "(%lld ms CPU)\n",
      static_cast<long long>(ms(t1 - t0)), static_cast<size_t>(kTimers) - state.expected,
      static_cast<long long>(ms(t2 - t1)), state.expected, static_cast<long long>(ms(t3 - t2)),
      static_cast<long long>(fire_cpu_us / 1000));
}

}  // namespace
}  // namespace lts::net
