// Mutex, MutexLock and CondVar: the only locking primitives our code uses, plus the
// clang thread-safety annotations (GUARDED_BY, REQUIRES, ...) that let a clang
// `-Wthread-safety` build prove that guarded members are only touched under their lock.
//
//   class Counter {
//    public:
//     void Add(int n) EXCLUDES(mu_) {
//       MutexLock lock(&mu_);
//       value_ += n;
//       changed_.SignalAll();
//     }
//     void WaitFor(int target) EXCLUDES(mu_) {
//       MutexLock lock(&mu_);
//       while (value_ < target) changed_.Wait(&mu_);
//     }
//    private:
//     Mutex mu_;
//     CondVar changed_;
//     int value_ GUARDED_BY(mu_) = 0;
//   };
//
// On GCC every annotation macro expands to nothing; the clang CI job checks them.
//
// Thread safety: Mutex and CondVar are, by purpose, safe to use from any thread.
// Neither is copyable or movable. A Mutex is not recursive.

#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

// Annotation macros (clang's names, as in abseil's thread_annotations.h).
#if defined(__clang__)
#define LTS_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define LTS_THREAD_ANNOTATION_(x)
#endif

// A class that is a lock (Mutex).
#define CAPABILITY(x) LTS_THREAD_ANNOTATION_(capability(x))
// An RAII class that holds a lock for its lifetime (MutexLock).
#define SCOPED_CAPABILITY LTS_THREAD_ANNOTATION_(scoped_lockable)
// A member that may only be read or written with `x` held.
#define GUARDED_BY(x) LTS_THREAD_ANNOTATION_(guarded_by(x))
// A pointer member whose pointee may only be accessed with `x` held.
#define PT_GUARDED_BY(x) LTS_THREAD_ANNOTATION_(pt_guarded_by(x))
// The function must be called with the given locks held.
#define REQUIRES(...) LTS_THREAD_ANNOTATION_(requires_capability(__VA_ARGS__))
// The function must be called without the given locks held (it takes them itself).
#define EXCLUDES(...) LTS_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))
// The function acquires / releases the given locks (or `this`, when none is named).
#define ACQUIRE(...) LTS_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#define RELEASE(...) LTS_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))
// The function acquires the lock when it returns `x` (TryLock).
#define TRY_ACQUIRE(...) LTS_THREAD_ANNOTATION_(try_acquire_capability(__VA_ARGS__))
// Tells the analysis that the lock is held (AssertHeld), without checking at run time.
#define ASSERT_CAPABILITY(x) LTS_THREAD_ANNOTATION_(assert_capability(x))
// Turns the analysis off for one function; say why in a comment next to it.
#define NO_THREAD_SAFETY_ANALYSIS LTS_THREAD_ANNOTATION_(no_thread_safety_analysis)

namespace lts {

class CondVar;

// A non-recursive exclusive lock over std::mutex. Prefer MutexLock to Lock/Unlock.
class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  ~Mutex() = default;

  // Blocks until the lock is held. REQUIRES: the calling thread does not hold it.
  void Lock() ACQUIRE() { mu_.lock(); }
  // REQUIRES: the calling thread holds the lock.
  void Unlock() RELEASE() { mu_.unlock(); }
  // Takes the lock if it is free and returns true; returns false at once otherwise.
  bool TryLock() TRY_ACQUIRE(true) { return mu_.try_lock(); }

  // Documents (and tells clang's analysis) that the caller holds the lock. It is not
  // checked at run time: std::mutex cannot tell who owns it.
  void AssertHeld() const ASSERT_CAPABILITY(this) {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds `*mu` from construction to destruction. `mu` must outlive the MutexLock.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;
  ~MutexLock() RELEASE() { mu_->Unlock(); }

 private:
  Mutex* const mu_;
};

// A condition variable used together with a Mutex. Waits may wake spuriously, so
// always wait in a loop that re-checks the condition:
//   while (!ready_) cv_.Wait(&mu_);
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;
  ~CondVar() = default;

  // Atomically releases `*mu` and blocks until signalled (or a spurious wake-up),
  // then re-acquires `*mu` before returning. REQUIRES: `*mu` held by the caller.
  void Wait(Mutex* mu) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // The caller still owns the mutex.
  }

  // Like Wait(), but also returns once `deadline` (steady clock) has passed.
  // Returns false if it returned because of the deadline, true otherwise.
  bool WaitUntil(Mutex* mu, std::chrono::steady_clock::time_point deadline) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    const std::cv_status result = cv_.wait_until(lock, deadline);
    lock.release();
    return result == std::cv_status::no_timeout;
  }

  // Like WaitUntil() with a deadline `timeout` from now.
  bool WaitFor(Mutex* mu, std::chrono::microseconds timeout) REQUIRES(mu) {
    return WaitUntil(mu, std::chrono::steady_clock::now() + timeout);
  }

  // Wakes one waiter / all waiters. The caller may or may not hold the mutex.
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace lts
