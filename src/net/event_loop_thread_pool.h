// EventLoopThreadPool: the IO loops of a TcpServer (or of anyone who wants N loops),
// each on its own EventLoopThread, handed out round-robin.
//
//   EventLoopThreadPool pool(base_loop, "rpc-io");
//   pool.Start(2);
//   EventLoop* io = pool.GetNextLoop();
//   ...
//   pool.Stop();  // Quits and joins every IO loop; the destructor does it too.
//
// With 0 threads every GetNextLoop() returns the base loop, so a small process can run
// everything on one thread.
//
// Thread contract: Start() and Stop() are called by the owner from one thread at a time
// (not from an IO loop of this pool: checked). GetNextLoop(), GetLoopForHash() and
// GetAllLoops() are thread-safe between Start() and Stop().
// Ownership: owns the threads; `base_loop` is not owned and must outlive the pool.
// Loops returned are valid until Stop() returns (except the base loop).

#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "net/event_loop_thread.h"

namespace lts::net {

class EventLoop;

class EventLoopThreadPool {
 public:
  EventLoopThreadPool(EventLoop* base_loop, std::string name);
  EventLoopThreadPool(const EventLoopThreadPool&) = delete;
  EventLoopThreadPool& operator=(const EventLoopThreadPool&) = delete;
  ~EventLoopThreadPool();

  // Starts `num_threads` IO loops ("<name>-<i>") and blocks until they run.
  // `init` runs on each new thread with its loop before the loop starts (not at all
  // with 0 threads).
  // REQUIRES: num_threads >= 0; not started yet.
  void Start(int num_threads, const EventLoopThread::ThreadInitCallback& init = {});

  // Quits and joins every IO loop. Each loop runs its queued functors before it is
  // destroyed. Idempotent.
  void Stop();

  // Round-robin over the IO loops; the base loop when there are none.
  EventLoop* GetNextLoop();
  // The same loop for the same hash (affinity); the base loop when there are none.
  EventLoop* GetLoopForHash(size_t hash) const;
  // The IO loops, or just the base loop when there are none.
  std::vector<EventLoop*> GetAllLoops() const;

  bool started() const { return started_; }
  int num_threads() const { return static_cast<int>(loops_.size()); }
  const std::string& name() const { return name_; }
  EventLoop* base_loop() const { return base_loop_; }

 private:
  EventLoop* const base_loop_;
  const std::string name_;
  bool started_ = false;
  std::vector<std::unique_ptr<EventLoopThread>> threads_;
  std::vector<EventLoop*> loops_;  // Written by Start() only.
  std::atomic<size_t> next_{0};
};

}  // namespace lts::net
