#include "net/event_loop_thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "net/event_loop.h"
#include "net/event_loop_thread.h"

namespace lts::net {
namespace {

TEST(EventLoopThreadPoolTest, ZeroThreadsHandsOutTheBaseLoop) {
  EventLoop base;
  EventLoopThreadPool pool(&base, "pool");
  pool.Start(0);
  EXPECT_EQ(&base, pool.GetNextLoop());
  EXPECT_EQ(&base, pool.GetNextLoop());
  EXPECT_EQ(&base, pool.GetLoopForHash(42));
  EXPECT_EQ(std::vector<EventLoop*>{&base}, pool.GetAllLoops());
}

TEST(EventLoopThreadPoolTest, HandsOutIoLoopsRoundRobinEachOnItsOwnThread) {
  EventLoop base;
  std::atomic<int> inits{0};
  EventLoopThreadPool pool(&base, "pool");
  pool.Start(3, [&](EventLoop* loop) {
    if (loop->IsInLoopThread()) inits.fetch_add(1);
  });
  EXPECT_EQ(3, inits.load());
  const std::vector<EventLoop*> loops = pool.GetAllLoops();
  ASSERT_EQ(3u, loops.size());
  for (int round = 0; round < 2; ++round) {
    for (EventLoop* expected : loops) EXPECT_EQ(expected, pool.GetNextLoop());
  }
  std::set<std::thread::id> threads;
  for (EventLoop* loop : loops) {
    EXPECT_NE(&base, loop);
    loop->RunInLoopAndWait([&threads] { threads.insert(std::this_thread::get_id()); });
  }
  EXPECT_EQ(3u, threads.size());
  EXPECT_EQ(0u, threads.count(std::this_thread::get_id()));
  EXPECT_EQ(pool.GetLoopForHash(7), pool.GetLoopForHash(7));
}

TEST(EventLoopThreadPoolTest, StopRunsQueuedWorkAndJoinsEveryThread) {
  EventLoop base;
  EventLoopThreadPool pool(&base, "pool");
  pool.Start(2);
  std::atomic<int> ran{0};
  for (EventLoop* loop : pool.GetAllLoops()) {
    for (int i = 0; i < 100; ++i) loop->QueueInLoop([&] { ran.fetch_add(1); });
  }
  pool.Stop();
  EXPECT_EQ(200, ran.load());  // Joined: nothing can still be running.
  EXPECT_EQ(&base, pool.GetNextLoop());
  pool.Stop();  // Idempotent.
}

TEST(EventLoopThreadTest, StopWithoutStartIsANoOp) {
  EventLoopThread thread("idle");
  thread.Stop();
  SUCCEED();
}

}  // namespace
}  // namespace lts::net
