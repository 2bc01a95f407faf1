// Outbox (tasktracker/outbox.h).

#include "tasktracker/outbox.h"

#include <utility>

#include "base/logging.h"

namespace lts::tasktracker {

Outbox::Outbox(Options options, std::unique_ptr<failstore::FailStore> store, SendFn send,
               ReadyFn ready, AdoptFn adopt)
    : options_(std::move(options)),
      store_(std::move(store)),
      send_(std::move(send)),
      ready_(std::move(ready)),
      adopt_(std::move(adopt)) {}

Outbox::~Outbox() { Stop(); }

void Outbox::Start() {
  if (store_ != nullptr) {
    StatusOr<std::vector<failstore::FailStoreEntry>> head = store_->Take(1);
    MutexLock lock(&mu_);
    has_stored_ = head.ok() && !head->empty();
  }
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

void Outbox::Stop() {
  if (!thread_.joinable()) return;
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  }
  thread_.request_stop();
  thread_.join();
  if (store_ != nullptr) {
    Status s = store_->Close();
    if (!s.ok()) LTS_LOG(WARN, "{}: closing the FailStore: {}", options_.name, s.ToString());
  }
  for (auto& adopted : adopted_) (void)adopted->Close();
  adopted_.clear();
}

void Outbox::Add(std::string item) {
  MutexLock lock(&mu_);
  if (pending_.empty()) first_pending_at_ = std::chrono::steady_clock::now();
  pending_.push_back(std::move(item));
  ++added_seq_;
  if (options_.linger.count() == 0 || pending_.size() >= options_.flush_count) cv_.Signal();
}

void Outbox::Flush() {
  MutexLock lock(&mu_);
  const uint64_t target = added_seq_;
  if (done_seq_ >= target) return;
  if (flush_seq_ < target) flush_seq_ = target;
  cv_.Signal();
  while (done_seq_ < target && !exited_) done_cv_.Wait(&mu_);
}

bool Outbox::HasStoredForTest() const {
  MutexLock lock(&mu_);
  return has_stored_;
}

bool Outbox::Transient(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotSupported:
    case StatusCode::kFailedPrecondition:
      return false;
    default:
      return true;
  }
}

void Outbox::StoreBatch(const std::vector<std::string>& batch) {
  if (store_ == nullptr) {
    LTS_LOG(ERROR, "{}: no JobTracker took {} items and there is no FailStore; dropped",
            options_.name, batch.size());
    return;
  }
  StatusOr<std::vector<std::string>> keys = store_->PutBatch(batch);
  if (!keys.ok()) {
    LTS_LOG(ERROR, "{}: cannot store {} undelivered items in the FailStore ({}); dropped",
            options_.name, batch.size(), keys.status().ToString());
    return;
  }
  MutexLock lock(&mu_);
  has_stored_ = true;
}

bool Outbox::DrainOne(failstore::FailStore* store, bool* empty) {
  *empty = false;
  while (true) {
    StatusOr<std::vector<failstore::FailStoreEntry>> entries = store->Take(options_.max_batch);
    if (!entries.ok()) {
      LTS_LOG(WARN, "{}: reading FailStore {}: {}", options_.name, store->dir(),
              entries.status().ToString());
      return false;
    }
    if (entries->empty()) {
      *empty = true;
      return true;
    }
    std::vector<std::string> items;
    std::vector<std::string> keys;
    items.reserve(entries->size());
    size_t bytes = 0;
    for (auto& entry : *entries) {
      if (!items.empty() && bytes + entry.value.size() > options_.max_batch_bytes) break;
      bytes += entry.value.size();
      keys.push_back(std::move(entry.key));
      items.push_back(std::move(entry.value));
    }
    Status s = send_(items, /*resend=*/true);
    if (!s.ok() && Transient(s)) return false;
    if (!s.ok()) {
      LTS_LOG(ERROR, "{}: a JobTracker refused {} stored items ({}); dropped", options_.name,
              items.size(), s.ToString());
    } else {
      LTS_LOG(INFO, "{}: re-sent {} stored items from {}", options_.name, items.size(),
              store->dir());
    }
    Status d = store->Delete(keys);
    if (!d.ok()) {
      LTS_LOG(WARN, "{}: deleting re-sent items: {}", options_.name, d.ToString());
      return false;
    }
  }
}

bool Outbox::DrainStores() {
  while (!adopted_.empty()) {
    bool empty = false;
    if (!DrainOne(adopted_.front().get(), &empty)) return false;
    if (empty) {
      LTS_LOG(INFO, "{}: drained the FailStore of a dead TaskTracker ({})", options_.name,
              adopted_.front()->dir());
      Status s = adopted_.front()->Destroy();
      if (!s.ok())
        LTS_LOG(WARN, "{}: removing {}: {}", options_.name, adopted_.front()->dir(), s.ToString());
      adopted_.erase(adopted_.begin());
    }
  }
  if (store_ != nullptr) {
    bool empty = false;
    if (!DrainOne(store_.get(), &empty)) return false;
  }
  MutexLock lock(&mu_);
  has_stored_ = false;
  return true;
}

void Outbox::Run(std::stop_token stop) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point next_retry = Clock::now();
  Clock::time_point next_takeover = Clock::now();
  while (true) {
    std::vector<std::string> batch;
    uint64_t batch_end = 0;
    bool stopping = false;
    bool stored = false;
    {
      MutexLock lock(&mu_);
      while (true) {
        stopping = stopping_ || stop.stop_requested();
        const Clock::time_point now = Clock::now();
        const bool flush = flush_seq_ > done_seq_;
        const bool due = !pending_.empty() &&
                         (options_.linger.count() == 0 || pending_.size() >= options_.flush_count ||
                          now - first_pending_at_ >= options_.linger);
        if (stopping || flush || due) break;
        if ((has_stored_ || !adopted_.empty()) && now >= next_retry) break;
        if (adopt_ && now >= next_takeover) break;
        Clock::time_point wake = next_takeover;
        if (has_stored_ || !adopted_.empty()) wake = std::min(wake, next_retry);
        if (!pending_.empty()) wake = std::min(wake, first_pending_at_ + options_.linger);
        cv_.WaitUntil(&mu_, wake);
      }
      size_t bytes = 0;
      while (!pending_.empty() && batch.size() < options_.max_batch) {
        if (!batch.empty() && bytes + pending_.front().size() > options_.max_batch_bytes) break;
        bytes += pending_.front().size();
        batch.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
      const size_t n = batch.size();
      if (!pending_.empty()) first_pending_at_ = Clock::now();
      batch_end = done_seq_ + n;
      stored = has_stored_;
    }
    const Clock::time_point now = Clock::now();
    if (adopt_ && now >= next_takeover) {
      next_takeover = now + options_.takeover_interval;
      for (auto& store : adopt_()) {
        LTS_LOG(INFO, "{}: taking over the FailStore of a dead TaskTracker: {}", options_.name,
                store->dir());
        adopted_.push_back(std::move(store));
      }
    }
    if ((stored || !adopted_.empty()) && now >= next_retry) {
      if (ready_() && DrainStores()) {
        stored = false;
      } else {
        next_retry = Clock::now() + options_.retry_interval;
      }
    }
    if (!batch.empty()) {
      if (stored) {
        StoreBatch(batch);  // Behind the stored ones, to keep the order.
      } else {
        Status s = send_(batch, /*resend=*/false);
        if (!s.ok() && Transient(s)) {
          LTS_LOG(WARN, "{}: no JobTracker took {} items ({}); keeping them in the FailStore",
                  options_.name, batch.size(), s.message());
          StoreBatch(batch);
          next_retry = Clock::now() + options_.retry_interval;
        } else if (!s.ok()) {
          LTS_LOG(ERROR, "{}: a JobTracker refused {} items ({}); dropped", options_.name,
                  batch.size(), s.ToString());
        }
      }
    }
    MutexLock lock(&mu_);
    done_seq_ = batch_end;
    done_cv_.SignalAll();
    if (stopping && pending_.empty()) {
      exited_ = true;
      done_cv_.SignalAll();
      return;
    }
  }
}

}  // namespace lts::tasktracker
