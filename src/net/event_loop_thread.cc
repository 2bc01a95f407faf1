#include "net/event_loop_thread.h"

#include <pthread.h>

#include <exception>
#include <system_error>
#include <utility>

#include "base/check.h"
#include "base/logging.h"
#include "net/event_loop.h"

namespace lts::net {

EventLoopThread::EventLoopThread(std::string name, ThreadInitCallback init)
    : name_(std::move(name)), init_(std::move(init)) {}

EventLoopThread::~EventLoopThread() { Stop(); }

EventLoop* EventLoopThread::StartLoop() {
  LTS_CHECK(!started_) << "EventLoopThread '" << name_ << "' started twice";
  started_ = true;
  // std::jthread reports a thread it cannot create by throwing; that is resource
  // exhaustion we cannot recover from.
  try {
    thread_ = std::jthread([this] { ThreadMain(); });
  } catch (const std::system_error& e) {
    LTS_FATAL() << "EventLoopThread '" << name_ << "': cannot start thread: " << e.what();
  }
  MutexLock lock(&mu_);
  while (loop_ == nullptr) loop_ready_.Wait(&mu_);
  return loop_;
}

void EventLoopThread::Stop() {
  if (!thread_.joinable()) return;
  LTS_CHECK(thread_.get_id() != std::this_thread::get_id())
      << "EventLoopThread '" << name_ << "' stopped from its own loop";
  RequestQuit();
  thread_.join();
}

void EventLoopThread::RequestQuit() {
  // Under the lock: the thread clears loop_ under it before destroying the loop, so the
  // pointer cannot dangle here.
  MutexLock lock(&mu_);
  if (loop_ != nullptr) loop_->Quit();
}

void EventLoopThread::ThreadMain() {
  const std::string os_name = name_.substr(0, 15);
  pthread_setname_np(pthread_self(), os_name.c_str());
  // A thread entry point (style.md section 4): an exception here is a bug.
  try {
    EventLoop loop;
    if (init_) init_(&loop);
    {
      MutexLock lock(&mu_);
      loop_ = &loop;
      loop_ready_.SignalAll();
    }
    loop.Loop();
    MutexLock lock(&mu_);
    loop_ = nullptr;
  } catch (const std::exception& e) {
    LTS_FATAL() << "event loop thread '" << name_ << "': uncaught exception: " << e.what();
  } catch (...) {
    LTS_FATAL() << "event loop thread '" << name_ << "': uncaught non-standard exception";
  }
}

}  // namespace lts::net
