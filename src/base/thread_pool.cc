#include "base/thread_pool.h"

#include <pthread.h>

#include <exception>
#include <system_error>
#include <utility>

#include "base/check.h"

namespace lts {
namespace {

// The pool whose worker is running on this thread, if any.
thread_local const ThreadPool* current_pool = nullptr;

void SetCurrentThreadName(const std::string& pool_name, int index) {
  // Linux limits thread names to 15 bytes; keep the index, cut the pool name.
  const std::string suffix = "-" + std::to_string(index);
  const size_t room = suffix.size() < 15 ? 15 - suffix.size() : 0;
  const std::string name = pool_name.substr(0, room) + suffix;
  pthread_setname_np(pthread_self(), name.c_str());
}

}  // namespace

ThreadPool::ThreadPool(std::string name, int num_threads, size_t max_queue_size)
    : name_(std::move(name)), num_threads_(num_threads), max_queue_size_(max_queue_size) {
  LTS_CHECK(num_threads >= 1) << "thread pool '" << name_ << "': num_threads " << num_threads;
  LTS_CHECK(max_queue_size >= 1) << "thread pool '" << name_ << "': max_queue_size 0";
  MutexLock lock(&join_mu_);
  workers_.reserve(static_cast<size_t>(num_threads));
  for (int i = 0; i < num_threads; ++i) {
    // std::jthread reports a thread it cannot create by throwing; that is resource
    // exhaustion we cannot recover from.
    try {
      workers_.emplace_back([this, i] { WorkerLoop(i); });
    } catch (const std::system_error& e) {
      LTS_FATAL() << "thread pool '" << name_ << "': cannot start thread " << i << ": " << e.what();
    }
  }
}

ThreadPool::~ThreadPool() { Shutdown(); }

Status ThreadPool::Submit(std::function<void()> task) {
  if (!task) return InvalidArgument("thread pool '" + name_ + "': empty task");
  {
    MutexLock lock(&mu_);
    if (shutting_down_) {
      return FailedPrecondition("thread pool '" + name_ + "': shut down");
    }
    if (queue_.size() >= max_queue_size_) {
      return ResourceExhausted("thread pool '" + name_ + "': queue full (" +
                               std::to_string(queue_.size()) + " tasks waiting)");
    }
    queue_.push_back(std::move(task));
  }
  work_available_.Signal();
  return Status::Ok();
}

void ThreadPool::Shutdown() {
  LTS_CHECK(current_pool != this) << "thread pool '" << name_
                                  << "': Shutdown() called from one of its own tasks";
  {
    MutexLock lock(&mu_);
    shutting_down_ = true;
  }
  work_available_.SignalAll();
  MutexLock lock(&join_mu_);
  for (std::jthread& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
}

size_t ThreadPool::queue_size() const {
  MutexLock lock(&mu_);
  return queue_.size();
}

int ThreadPool::active() const {
  MutexLock lock(&mu_);
  return active_;
}

void ThreadPool::WorkerLoop(int index) {
  current_pool = this;
  SetCurrentThreadName(name_, index);
  while (true) {
    std::function<void()> task;
    {
      MutexLock lock(&mu_);
      while (queue_.empty() && !shutting_down_) work_available_.Wait(&mu_);
      if (queue_.empty()) return;  // Shutting down, and nothing left to run.
      task = std::move(queue_.front());
      queue_.pop_front();
      ++active_;
    }
    RunTask(task);
    task = nullptr;  // Release what the task captured before it stops counting as active.
    MutexLock lock(&mu_);
    --active_;
  }
}

void ThreadPool::RunTask(const std::function<void()>& task) const {
  // The thread entry boundary: nothing may unwind out of a worker (std::terminate
  // would lose the message), so log what was thrown and abort.
  try {
    task();
  } catch (const std::exception& e) {
    LTS_FATAL() << "thread pool '" << name_ << "': a task threw an exception: " << e.what();
  } catch (...) {
    LTS_FATAL() << "thread pool '" << name_ << "': a task threw a non-std::exception";
  }
}

}  // namespace lts
