#include "net/event_loop_thread_pool.h"

#include <utility>

#include "base/check.h"
#include "net/event_loop.h"

namespace lts::net {

EventLoopThreadPool::EventLoopThreadPool(EventLoop* base_loop, std::string name)
    : base_loop_(base_loop), name_(std::move(name)) {}

EventLoopThreadPool::~EventLoopThreadPool() { Stop(); }

void EventLoopThreadPool::Start(int num_threads, const EventLoopThread::ThreadInitCallback& init) {
  LTS_CHECK(!started_) << "EventLoopThreadPool '" << name_ << "' started twice";
  LTS_CHECK(num_threads >= 0) << "EventLoopThreadPool '" << name_ << "': " << num_threads;
  started_ = true;
  for (int i = 0; i < num_threads; ++i) {
    auto thread = std::make_unique<EventLoopThread>(name_ + "-" + std::to_string(i), init);
    loops_.push_back(thread->StartLoop());
    threads_.push_back(std::move(thread));
  }
}

void EventLoopThreadPool::Stop() {
  for (EventLoop* loop : loops_) {
    LTS_CHECK(!loop->IsInLoopThread())
        << "EventLoopThreadPool '" << name_ << "' stopped from one of its IO loops";
  }
  // Quit all first so the loops wind down in parallel, then join.
  for (auto& thread : threads_) thread->RequestQuit();
  for (auto& thread : threads_) thread->Stop();
  threads_.clear();
  loops_.clear();
}

EventLoop* EventLoopThreadPool::GetNextLoop() {
  if (loops_.empty()) return base_loop_;
  return loops_[next_.fetch_add(1, std::memory_order_relaxed) % loops_.size()];
}

EventLoop* EventLoopThreadPool::GetLoopForHash(size_t hash) const {
  if (loops_.empty()) return base_loop_;
  return loops_[hash % loops_.size()];
}

std::vector<EventLoop*> EventLoopThreadPool::GetAllLoops() const {
  if (loops_.empty()) return {base_loop_};
  return loops_;
}

}  // namespace lts::net
