// EventLoopThread: a thread (std::jthread) that runs one EventLoop.
//
//   EventLoopThread thread("io-0");
//   EventLoop* loop = thread.StartLoop();  // The loop runs on the new thread.
//   loop->RunInLoop(...);
//   thread.Stop();                        // Quit() + join; the destructor does it too.
//
// The loop is created on the new thread (so it belongs to it) and destroyed there after
// Loop() returns; its destructor runs the functors still queued, so clean-up posted
// just before Stop() happens on that thread.
//
// Thread contract: StartLoop() and Stop() are called by the owner, from one thread at a
// time, never from the loop's own thread (Stop() would join itself: checked).
// Ownership: owns the thread and, through it, the loop. The EventLoop* from StartLoop()
// is valid until Stop() returns.

#pragma once

#include <functional>
#include <string>
#include <thread>

#include "base/mutex.h"

namespace lts::net {

class EventLoop;

class EventLoopThread {
 public:
  // Runs on the new thread with its loop before the loop starts (thread-local setup).
  using ThreadInitCallback = std::function<void(EventLoop*)>;

  // `name` labels logs and, cut to 15 bytes, the thread's OS name.
  explicit EventLoopThread(std::string name, ThreadInitCallback init = {});
  EventLoopThread(const EventLoopThread&) = delete;
  EventLoopThread& operator=(const EventLoopThread&) = delete;
  ~EventLoopThread();

  // Starts the thread and blocks until its loop exists. REQUIRES: not started yet.
  EventLoop* StartLoop() EXCLUDES(mu_);

  // Quits the loop and joins the thread. Idempotent.
  void Stop() EXCLUDES(mu_);

  // Asks the loop to quit without waiting (Stop() still joins). Thread-safe.
  void RequestQuit() EXCLUDES(mu_);

  const std::string& name() const { return name_; }

 private:
  void ThreadMain() EXCLUDES(mu_);

  const std::string name_;
  const ThreadInitCallback init_;
  Mutex mu_;
  CondVar loop_ready_;
  EventLoop* loop_ GUARDED_BY(mu_) = nullptr;  // Null before start and once Loop() returned.
  bool started_ = false;
  std::jthread thread_;
};

}  // namespace lts::net
