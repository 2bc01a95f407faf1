#include "base/thread_pool.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace lts {
namespace {

using ::lts::testing::StatusIs;
using ::lts::testing::WaitFor;
using ::testing::HasSubstr;

constexpr std::chrono::seconds kTimeout(30);

// Holds pool workers inside a task until Open() is called.
class Gate {
 public:
  // A task that reports it has started, then waits for the gate.
  std::function<void()> Task() {
    return [this] {
      started_.count_down();
      open_.wait();
    };
  }
  void WaitStarted() { started_.wait(); }
  void Open() { open_.count_down(); }

 private:
  std::latch started_{1};
  std::latch open_{1};
};

TEST(ThreadPoolTest, RunsEverySubmittedTask) {
  std::atomic<int> runs{0};
  {
    ThreadPool pool("test", 4, 1000);
    for (int i = 0; i < 500; ++i) {
      ASSERT_OK(pool.Submit([&runs] { runs.fetch_add(1); }));
    }
  }  // The destructor drains the queue.
  EXPECT_EQ(500, runs.load());
}

TEST(ThreadPoolTest, TasksRunOnWorkerThreadsNotTheSubmitter) {
  ThreadPool pool("test", 2, 10);
  std::promise<std::thread::id> ran_on;
  ASSERT_OK(pool.Submit([&ran_on] { ran_on.set_value(std::this_thread::get_id()); }));
  EXPECT_NE(std::this_thread::get_id(), ran_on.get_future().get());
}

TEST(ThreadPoolTest, SubmitToAFullQueueIsResourceExhausted) {
  ThreadPool pool("busy", 1, 2);
  Gate gate;
  ASSERT_OK(pool.Submit(gate.Task()));
  gate.WaitStarted();  // The only worker is now blocked; the queue is empty.
  ASSERT_OK(pool.Submit([] {}));
  ASSERT_OK(pool.Submit([] {}));
  EXPECT_THAT(pool.Submit([] {}),
              StatusIs(StatusCode::kResourceExhausted, HasSubstr("'busy': queue full")));
  EXPECT_EQ(2u, pool.queue_size());
  EXPECT_EQ(1, pool.active());
  gate.Open();
}

TEST(ThreadPoolTest, StatisticsReturnToZeroWhenIdle) {
  ThreadPool pool("stats", 2, 10);
  Gate gate;
  ASSERT_OK(pool.Submit(gate.Task()));
  gate.WaitStarted();
  EXPECT_EQ(1, pool.active());
  gate.Open();
  EXPECT_TRUE(WaitFor([&pool] { return pool.active() == 0 && pool.queue_size() == 0; }, kTimeout));
  EXPECT_EQ(2, pool.num_threads());
  EXPECT_EQ(10u, pool.max_queue_size());
}

TEST(ThreadPoolTest, SubmitAfterShutdownIsFailedPrecondition) {
  ThreadPool pool("done", 2, 10);
  pool.Shutdown();
  EXPECT_THAT(pool.Submit([] {}), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("'done'")));
}

TEST(ThreadPoolTest, EmptyTaskIsInvalidArgument) {
  ThreadPool pool("test", 1, 10);
  EXPECT_THAT(pool.Submit(nullptr), StatusIs(StatusCode::kInvalidArgument, HasSubstr("empty")));
}

TEST(ThreadPoolTest, ShutdownRunsTasksQueuedBeforeIt) {
  ThreadPool pool("drain", 1, 10);
  Gate gate;
  std::atomic<int> runs{0};
  ASSERT_OK(pool.Submit(gate.Task()));
  gate.WaitStarted();
  for (int i = 0; i < 5; ++i) ASSERT_OK(pool.Submit([&runs] { runs.fetch_add(1); }));

  std::jthread shutdown([&pool] { pool.Shutdown(); });
  // Shutdown has begun once submissions are refused; the five tasks are still queued.
  ASSERT_TRUE(WaitFor(
      [&pool] { return pool.Submit([] {}).code() == StatusCode::kFailedPrecondition; }, kTimeout));
  EXPECT_EQ(0, runs.load());
  gate.Open();
  shutdown.join();
  EXPECT_EQ(5, runs.load());
  EXPECT_EQ(0u, pool.queue_size());
}

TEST(ThreadPoolTest, ShutdownIsIdempotentAndSafeFromSeveralThreads) {
  ThreadPool pool("twice", 2, 10);
  std::atomic<int> runs{0};
  ASSERT_OK(pool.Submit([&runs] { runs.fetch_add(1); }));
  {
    std::vector<std::jthread> callers;
    for (int i = 0; i < 3; ++i) callers.emplace_back([&pool] { pool.Shutdown(); });
  }
  pool.Shutdown();
  EXPECT_EQ(1, runs.load());
}

TEST(ThreadPoolTest, TasksMaySubmitMoreTasks) {
  std::atomic<int> runs{0};
  std::latch done(2);
  ThreadPool pool("chain", 2, 10);
  ASSERT_OK(pool.Submit([&] {
    runs.fetch_add(1);
    EXPECT_OK(pool.Submit([&] {
      runs.fetch_add(1);
      done.count_down();
    }));
    done.count_down();
  }));
  done.wait();
  EXPECT_EQ(2, runs.load());
}

TEST(ThreadPoolTest, CapturedStateIsReleasedAfterTheTaskRuns) {
  auto resource = std::make_shared<int>(7);
  std::weak_ptr<int> watcher = resource;
  ThreadPool pool("release", 1, 10);
  ASSERT_OK(pool.Submit([resource = std::move(resource)] { EXPECT_EQ(7, *resource); }));
  EXPECT_TRUE(WaitFor([&watcher] { return watcher.expired(); }, kTimeout));
}

TEST(ThreadPoolDeathTest, TaskThatThrowsIsLoggedWithWhatAndAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        ThreadPool pool("thrower", 1, 4);
        pool.Submit([] { throw std::runtime_error("boom 42"); }).IgnoreError();
        pool.Shutdown();
      },
      "thread pool 'thrower': a task threw an exception: boom 42");
}

TEST(ThreadPoolDeathTest, TaskThatThrowsANonStandardExceptionAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        ThreadPool pool("thrower", 1, 4);
        pool.Submit([] { throw 42; }).IgnoreError();
        pool.Shutdown();
      },
      "a task threw a non-std::exception");
}

TEST(ThreadPoolDeathTest, ShutdownFromItsOwnTaskIsABug) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        ThreadPool pool("self", 1, 4);
        pool.Submit([&pool] { pool.Shutdown(); }).IgnoreError();
        pool.Shutdown();
      },
      "Shutdown\\(\\) called from one of its own tasks");
}

}  // namespace
}  // namespace lts
