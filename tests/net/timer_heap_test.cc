#include "net/timer_heap.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <tuple>
#include <utility>
#include <vector>

namespace lts::net {
namespace {

// Runs every timer due at `now`, as TimerQueue does.
void PopAll(TimerHeap& heap, int64_t now) {
  TimerHeap::Expired expired;
  while (heap.PopExpired(now, &expired)) {
    expired.callback();
    heap.Finish(expired.id, std::move(expired.callback), expired.expiry + expired.interval);
  }
}

TEST(TimerHeapTest, PopsInExpiryOrderAndTiesInInsertionOrder) {
  TimerHeap heap;
  std::vector<int> order;
  const std::vector<std::pair<int64_t, int>> timers = {{30, 0}, {10, 1}, {20, 2}, {10, 3},
                                                       {5, 4},  {20, 5}, {10, 6}};
  for (const auto& [expiry, tag] : timers) {
    heap.Add(expiry, 0, [&order, tag = tag] { order.push_back(tag); });
  }
  EXPECT_EQ(7u, heap.size());
  EXPECT_EQ(5, heap.earliest());
  PopAll(heap, 15);
  EXPECT_EQ((std::vector<int>{4, 1, 3, 6}), order);
  PopAll(heap, 100);
  EXPECT_EQ((std::vector<int>{4, 1, 3, 6, 2, 5, 0}), order);
  EXPECT_TRUE(heap.empty());
}

TEST(TimerHeapTest, CancelRemovesAPendingTimerAtOnce) {
  TimerHeap heap;
  int fired = 0;
  const TimerId a = heap.Add(10, 0, [&] { ++fired; });
  heap.Add(20, 0, [&] { fired += 10; });
  EXPECT_TRUE(heap.Cancel(a));
  EXPECT_EQ(1u, heap.size());
  EXPECT_FALSE(heap.Cancel(a));  // Already gone.
  EXPECT_FALSE(heap.Cancel(TimerId()));
  PopAll(heap, 100);
  EXPECT_EQ(10, fired);
}

TEST(TimerHeapTest, StaleIdDoesNotCancelATimerThatReusedItsSlot) {
  TimerHeap heap;
  const TimerId old_id = heap.Add(10, 0, [] {});
  ASSERT_TRUE(heap.Cancel(old_id));
  int fired = 0;
  const TimerId new_id = heap.Add(10, 0, [&] { ++fired; });  // Reuses the slot.
  EXPECT_NE(old_id, new_id);
  EXPECT_FALSE(heap.Cancel(old_id));
  PopAll(heap, 10);
  EXPECT_EQ(1, fired);
}

TEST(TimerHeapTest, RepeatingTimerIsReaddedUnlessCancelledWhileRunning) {
  TimerHeap heap;
  int runs = 0;
  const TimerId id = heap.Add(10, 5, [&] { ++runs; });
  TimerHeap::Expired expired;
  ASSERT_TRUE(heap.PopExpired(10, &expired));
  expired.callback();
  heap.Finish(expired.id, std::move(expired.callback), 15);
  EXPECT_EQ(1u, heap.size());
  EXPECT_EQ(15, heap.earliest());

  ASSERT_TRUE(heap.PopExpired(15, &expired));
  EXPECT_TRUE(heap.Cancel(id));   // Cancelled while "running".
  EXPECT_FALSE(heap.Cancel(id));  // Only once.
  heap.Finish(expired.id, std::move(expired.callback), 20);
  EXPECT_TRUE(heap.empty());
  EXPECT_EQ(1, runs);
}

// Random adds, cancels and pops against a std::map model keyed like the heap.
TEST(TimerHeapTest, MatchesAnOrderedMapModelUnderRandomOperations) {
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  TimerHeap heap;
  std::map<std::pair<int64_t, int>, TimerId> model;  // (expiry, insertion #) -> id.
  std::vector<std::pair<int64_t, int>> fired;
  int64_t now = 0;
  int next_tag = 0;
  for (int step = 0; step < 20000; ++step) {
    const int op = static_cast<int>(rng() % 10);
    if (op < 5) {
      const int64_t expiry = now + static_cast<int64_t>(rng() % 1000);
      const int tag = next_tag++;
      const TimerId id =
          heap.Add(expiry, 0, [&fired, expiry, tag] { fired.emplace_back(expiry, tag); });
      model.emplace(std::make_pair(expiry, tag), id);
    } else if (op < 8 && !model.empty()) {
      auto it = model.begin();
      std::advance(it, static_cast<long>(rng() % model.size()));
      ASSERT_TRUE(heap.Cancel(it->second));
      model.erase(it);
    } else {
      now += static_cast<int64_t>(rng() % 300);
      fired.clear();
      TimerHeap::Expired expired;
      while (heap.PopExpired(now, &expired)) {
        expired.callback();
        heap.Finish(expired.id, std::move(expired.callback), 0);
      }
      std::vector<std::pair<int64_t, int>> expected;
      while (!model.empty() && model.begin()->first.first <= now) {
        expected.push_back(model.begin()->first);
        model.erase(model.begin());
      }
      ASSERT_EQ(expected, fired);
    }
    ASSERT_EQ(model.size(), heap.size());
    if (!model.empty()) {
      ASSERT_EQ(model.begin()->first.first, heap.earliest());
    }
  }
}

}  // namespace
}  // namespace lts::net
