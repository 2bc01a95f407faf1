#include "base/mutex.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace lts {
namespace {

// A counter whose every access is annotated, as production classes are.
class GuardedCounter {
 public:
  void Increment() EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    ++value_;
    changed_.SignalAll();
  }

  int value() const EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return value_;
  }

  void WaitUntilAtLeast(int target) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    while (value_ < target) changed_.Wait(&mu_);
  }

 private:
  mutable Mutex mu_;
  CondVar changed_;
  int value_ GUARDED_BY(mu_) = 0;
};

// Takes and returns the lock if it is free; false if someone holds it.
bool LockIsFree(Mutex* mu) {
  if (!mu->TryLock()) return false;
  mu->Unlock();
  return true;
}

// LockIsFree(), asked from another thread (the caller may hold the lock itself).
bool LockIsFreeForAnotherThread(Mutex* mu) {
  bool is_free = false;
  std::jthread other([&] { is_free = LockIsFree(mu); });
  other.join();
  return is_free;
}

TEST(MutexTest, MutexLockMakesConcurrentIncrementsExact) {
  GuardedCounter counter;
  constexpr int kThreads = 4;
  constexpr int kIncrementsPerThread = 10000;
  std::vector<std::jthread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&counter] {
      for (int i = 0; i < kIncrementsPerThread; ++i) counter.Increment();
    });
  }
  threads.clear();  // Joins.
  EXPECT_EQ(kThreads * kIncrementsPerThread, counter.value());
}

TEST(MutexTest, TryLockFailsWhileAnotherThreadHoldsTheLock) {
  Mutex mu;
  mu.Lock();
  EXPECT_FALSE(LockIsFreeForAnotherThread(&mu));
  mu.Unlock();
  EXPECT_TRUE(LockIsFreeForAnotherThread(&mu));
}

TEST(MutexTest, MutexLockReleasesAtEndOfScope) {
  Mutex mu;
  { MutexLock lock(&mu); }
  EXPECT_TRUE(LockIsFree(&mu));
}

TEST(CondVarTest, WaitReturnsOnceAnotherThreadMakesTheConditionTrue) {
  GuardedCounter counter;
  std::jthread producer([&counter] {
    for (int i = 0; i < 5; ++i) counter.Increment();
  });
  counter.WaitUntilAtLeast(5);
  EXPECT_GE(counter.value(), 5);
}

TEST(CondVarTest, WaitForReturnsFalseWhenNobodySignals) {
  Mutex mu;
  CondVar cv;
  MutexLock lock(&mu);
  bool signalled = true;
  // Spurious wake-ups may return true early; a timeout must eventually return false.
  for (int attempt = 0; attempt < 100 && signalled; ++attempt) {
    signalled = cv.WaitFor(&mu, std::chrono::milliseconds(1));
  }
  EXPECT_FALSE(signalled);
}

TEST(CondVarTest, WaitUntilReturnsTrueWhenSignalledBeforeTheDeadline) {
  Mutex mu;
  CondVar cv;
  bool ready = false;
  std::jthread signaller([&] {
    MutexLock lock(&mu);
    ready = true;
    cv.SignalAll();
  });
  MutexLock lock(&mu);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!ready) ASSERT_TRUE(cv.WaitUntil(&mu, deadline));
  EXPECT_TRUE(ready);
}

TEST(CondVarTest, WaitReacquiresTheMutexBeforeReturning) {
  Mutex mu;
  CondVar cv;
  bool ready = false;
  std::jthread signaller([&] {
    MutexLock lock(&mu);
    ready = true;
    cv.Signal();
  });
  mu.Lock();
  while (!ready) cv.Wait(&mu);
  // Still held: another thread cannot take it.
  EXPECT_FALSE(LockIsFreeForAnotherThread(&mu));
  mu.Unlock();
}

}  // namespace
}  // namespace lts
