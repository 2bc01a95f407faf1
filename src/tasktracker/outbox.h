// Outbox: messages a TaskTracker owes the JobTrackers (run results, business log lines),
// sent in batches from one thread of its own, and kept in a FailStore while no JobTracker
// takes them.
//
//   - Add() queues an item (a JSON text). The outbox thread sends what is queued at once
//     (linger 0) or after `linger` / `flush_count` items, as one batch.
//   - A batch that no JobTracker took (kUnavailable, kDeadlineExceeded, busy, internal
//     errors) goes to the FailStore; one refused for good (kInvalidArgument,
//     kNotSupported, kFailedPrecondition) is logged and dropped, since re-sending cannot
//     help.
//   - While the FailStore (or a dead sibling's store it adopted) holds entries, they are
//     re-sent oldest first (resend=true) every `retry_interval` while a JobTracker is
//     reachable, and deleted once delivered; new batches are stored behind them, so the
//     order of delivery is the order of Add().
//   - Flush() waits until everything added before it is delivered or stored.
//
// Thread safety: Add() and Flush() from any thread; Start()/Stop() from the owner.

#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "failstore/fail_store.h"
#include "lts/status.h"

namespace lts::tasktracker {

class Outbox {
 public:
  struct Options {
    std::string name = "outbox";  // For logs: "run results", "business log".
    size_t max_batch = 100;       // Items per send.
    // Bytes of items per send (at least one item is sent), well below the RPC body limit.
    size_t max_batch_bytes = 4 * 1024 * 1024;
    // How long the first queued item may wait for more; 0: send at once.
    std::chrono::milliseconds linger{0};
    // Send without lingering once this many items are queued.
    size_t flush_count = 100;
    std::chrono::milliseconds retry_interval{1000};
    std::chrono::milliseconds takeover_interval{60000};
  };
  // Delivers `items` (oldest first); `resend` when they come from a FailStore. OK once a
  // JobTracker took them. Blocks (a network round trip); runs on the outbox thread.
  using SendFn = std::function<Status(const std::vector<std::string>& items, bool resend)>;
  // FailStores of dead processes to drain (failstore::OpenDeadFailStores).
  using AdoptFn = std::function<std::vector<std::unique_ptr<failstore::FailStore>>()>;
  // A JobTracker is reachable now (worth a re-send).
  using ReadyFn = std::function<bool()>;

  // `store` may be null (then undeliverable batches are dropped with an error log).
  Outbox(Options options, std::unique_ptr<failstore::FailStore> store, SendFn send, ReadyFn ready,
         AdoptFn adopt);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  void Start();
  // Sends or stores what is queued, stops the thread, closes the FailStore. Idempotent.
  void Stop();

  void Add(std::string item) EXCLUDES(mu_);
  // Blocks until every item added before the call was delivered or stored.
  void Flush() EXCLUDES(mu_);

  // Entries waiting in FailStores (own and adopted), as last seen by the outbox thread.
  bool HasStoredForTest() const EXCLUDES(mu_);

 private:
  void Run(std::stop_token stop);
  // Re-sends stored entries in order; false when a send failed.
  bool DrainStores();
  bool DrainOne(failstore::FailStore* store, bool* empty);
  void StoreBatch(const std::vector<std::string>& batch);
  static bool Transient(const Status& status);

  const Options options_;
  std::unique_ptr<failstore::FailStore> store_;                 // Outbox thread only (after Start).
  std::vector<std::unique_ptr<failstore::FailStore>> adopted_;  // Outbox thread only.
  const SendFn send_;
  const ReadyFn ready_;
  const AdoptFn adopt_;

  mutable Mutex mu_;
  CondVar cv_;       // Items added, flush requested, stopping.
  CondVar done_cv_;  // done_seq_ advanced.
  std::deque<std::string> pending_ GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point first_pending_at_ GUARDED_BY(mu_);
  uint64_t added_seq_ GUARDED_BY(mu_) = 0;  // Items ever added.
  uint64_t done_seq_ GUARDED_BY(mu_) = 0;   // Items delivered, stored or dropped.
  uint64_t flush_seq_ GUARDED_BY(mu_) = 0;  // Flush() waits for done_seq_ >= this.
  bool stopping_ GUARDED_BY(mu_) = false;
  bool has_stored_ GUARDED_BY(mu_) = false;
  bool exited_ GUARDED_BY(mu_) = false;  // Run() returned.
  std::jthread thread_;
};

}  // namespace lts::tasktracker
