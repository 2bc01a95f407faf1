#include "net/event_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <thread>
#include <vector>

#include "net/event_loop_thread.h"
#include "testing/test_env.h"

namespace lts::net {
namespace {

using ::lts::testing::WaitFor;
using std::chrono::seconds;

TEST(EventLoopTest, RunInLoopFromOtherThreadsRunsEveryFunctorOnTheLoopThread) {
  EventLoopThread thread("loop");
  EventLoop* loop = thread.StartLoop();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  int counter = 0;  // Touched only on the loop thread: no lock needed.
  std::atomic<int> wrong_thread{0};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kPerThread; ++i) {
          loop->RunInLoop([&] {
            if (!loop->IsInLoopThread()) wrong_thread.fetch_add(1);
            ++counter;
          });
        }
      });
    }
  }
  int seen = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        loop->RunInLoopAndWait([&] { seen = counter; });
        return seen == kThreads * kPerThread;
      },
      seconds(20)));
  EXPECT_EQ(0, wrong_thread.load());
}

TEST(EventLoopTest, RunInLoopOnTheLoopThreadRunsImmediately) {
  EventLoop loop;
  bool ran = false;
  loop.RunInLoop([&] { ran = true; });
  EXPECT_TRUE(ran);
  EXPECT_TRUE(loop.IsInLoopThread());
  EXPECT_EQ(&loop, EventLoop::GetEventLoopOfCurrentThread());
}

TEST(EventLoopTest, QueuedFunctorsRunInOrderAfterTheCurrentOne) {
  EventLoop loop;
  std::vector<int> order;
  loop.QueueInLoop([&] {
    order.push_back(1);
    loop.QueueInLoop([&] { order.push_back(4); });
    loop.RunInLoop([&] { order.push_back(2); });  // On the loop thread: immediate.
    loop.QueueInLoop([&] {
      order.push_back(5);
      loop.Quit();
    });
    order.push_back(3);
  });
  loop.Loop();
  EXPECT_EQ((std::vector<int>{1, 2, 3, 4, 5}), order);
}

TEST(EventLoopTest, QueueInLoopFromAnotherThreadKeepsOrder) {
  EventLoopThread thread("loop");
  EventLoop* loop = thread.StartLoop();
  std::vector<int> order;
  std::jthread producer([&] {
    for (int i = 0; i < 10000; ++i) loop->QueueInLoop([&order, i] { order.push_back(i); });
  });
  producer.join();
  loop->RunInLoopAndWait([] {});
  ASSERT_EQ(10000u, order.size());
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(i, order[static_cast<size_t>(i)]);
}

TEST(EventLoopTest, QuitFromAnotherThreadEndsLoop) {
  EventLoop loop;
  std::jthread quitter([&] {
    WaitFor([&] { return loop.looping(); }, seconds(10));
    loop.Quit();
  });
  loop.Loop();  // Returns only because of the other thread's Quit().
  EXPECT_FALSE(loop.looping());
}

TEST(EventLoopTest, QuitBeforeLoopMakesLoopReturnAtOnce) {
  EventLoop loop;
  loop.Quit();
  loop.Loop();
  SUCCEED();
}

TEST(EventLoopTest, DestructorRunsFunctorsQueuedAfterTheLastIteration) {
  int ran = 0;
  {
    EventLoop loop;
    loop.QueueInLoop([&] {
      loop.QueueInLoop([&] { ++ran; });
      ++ran;
    });
  }
  EXPECT_EQ(2, ran);
}

TEST(EventLoopTest, RunInLoopAndWaitBlocksUntilTheFunctorRan) {
  EventLoopThread thread("loop");
  EventLoop* loop = thread.StartLoop();
  bool ran = false;
  loop->RunInLoopAndWait([&] { ran = loop->IsInLoopThread(); });
  EXPECT_TRUE(ran);
}

TEST(EventLoopTest, ConstructingALoopIgnoresSigPipe) {
  EventLoop loop;
  struct sigaction action {};
  ASSERT_EQ(0, sigaction(SIGPIPE, nullptr, &action));
  EXPECT_EQ(SIG_IGN, action.sa_handler);
}

TEST(EventLoopDeathTest, SecondLoopOnOneThreadAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        EventLoop first;
        EventLoop second;
      },
      "second EventLoop");
}

TEST(EventLoopDeathTest, AssertInLoopThreadAbortsOnAnotherThread) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        EventLoop loop;
        std::thread([&] { loop.AssertInLoopThread(); }).join();
      },
      "outside its thread");
}

}  // namespace
}  // namespace lts::net
