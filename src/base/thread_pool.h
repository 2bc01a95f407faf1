// ThreadPool: a fixed set of worker threads (std::jthread) running tasks from a bounded
// FIFO queue. For blocking work that must stay off event loops: user JobRunner code on
// a TaskTracker, fsync and compaction in the store.
//
//   ThreadPool pool("runner", /*num_threads=*/4, /*max_queue_size=*/64);
//   if (Status s = pool.Submit([job] { Run(job); }); !s.ok()) Reject(job, s);
//   ...
//   pool.Shutdown();  // Runs what is queued, then joins; the destructor does this too.
//
// A full queue is reported to the submitter (kResourceExhausted) rather than blocking
// it, so that callers on an event loop can push back.
//
// Tasks must not throw. A task that does is a bug at a thread entry point (style.md
// section 4): the pool logs the exception's what() and aborts the process. Code that
// runs user callbacks catches their exceptions itself, before they reach the pool.
//
// Thread safety: Submit(), Shutdown() and the statistics may be called from any thread,
// including from tasks (except Shutdown(), which would wait for itself).
// Ownership: the pool owns its threads and the queued tasks; it must outlive every
// thread that may call Submit().

#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "lts/status.h"

namespace lts {

class ThreadPool {
 public:
  // Starts `num_threads` workers that take tasks from a queue of at most
  // `max_queue_size` tasks waiting to run (running tasks do not count). `name` labels
  // log messages and, cut to 15 bytes with the worker index, the threads' OS names.
  // REQUIRES: num_threads >= 1, max_queue_size >= 1.
  ThreadPool(std::string name, int num_threads, size_t max_queue_size);

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Calls Shutdown().
  ~ThreadPool();

  // Queues `task` to run on a worker; never blocks on the queue.
  // Errors: kInvalidArgument for an empty function, kResourceExhausted when the queue
  // is full, kFailedPrecondition once Shutdown() has started.
  Status Submit(std::function<void()> task) EXCLUDES(mu_);

  // Stops accepting tasks, waits until every queued and running task has finished,
  // then joins the workers. Blocks. Idempotent; concurrent calls all wait for the end.
  // REQUIRES: not called from one of this pool's tasks.
  void Shutdown() EXCLUDES(mu_);

  // Tasks waiting in the queue.
  size_t queue_size() const EXCLUDES(mu_);
  // Tasks running right now.
  int active() const EXCLUDES(mu_);

  int num_threads() const { return num_threads_; }
  size_t max_queue_size() const { return max_queue_size_; }
  const std::string& name() const { return name_; }

 private:
  void WorkerLoop(int index) EXCLUDES(mu_);
  void RunTask(const std::function<void()>& task) const;

  const std::string name_;
  const int num_threads_;
  const size_t max_queue_size_;

  mutable Mutex mu_;
  CondVar work_available_;  // Signalled on Submit() and when shutting down.
  std::deque<std::function<void()>> queue_ GUARDED_BY(mu_);
  int active_ GUARDED_BY(mu_) = 0;  // Tasks taken from the queue and not finished.
  bool shutting_down_ GUARDED_BY(mu_) = false;

  // Serializes Shutdown() callers, so the workers are joined exactly once and a
  // second caller returns only after the first has finished joining.
  Mutex join_mu_;
  std::vector<std::jthread> workers_ GUARDED_BY(join_mu_);  // Filled by the constructor.
};

}  // namespace lts
