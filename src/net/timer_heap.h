// TimerHeap: the data structure behind an EventLoop's timers (internal to net/).
//
// A 4-ary min-heap of (expiry, sequence) entries over a slab of timer nodes. The
// sequence, taken from a counter at every insertion, breaks ties so timers with the
// same expiry fire in the order they were added. Each node records its position in the
// heap, so Cancel() removes the entry at once in O(log n) (no lazy tombstones that
// would pile up when most timers are cancelled, e.g. request deadlines). A 4-ary heap
// is shallower than a binary one and its children share a cache line: with a million
// pending timers a sift touches ~10 levels instead of ~20.
//
// Slots are reused through a free list; a TimerId carries the slot's generation, so ids
// of fired or cancelled timers never match a newer timer.
//
// Firing protocol: PopExpired() takes the earliest due timer out of the heap and hands
// its callback to the caller; the node is then "running". Cancel() of a running timer
// only marks it. Finish() returns the callback: a repeating timer that was not
// cancelled goes back into the heap at `next_expiry`; otherwise the slot is freed.
//
// Thread safety: none. TimerQueue guards it with its mutex.

#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "net/callbacks.h"
#include "net/timer_id.h"

namespace lts::net {

class TimerHeap {
 public:
  TimerHeap() = default;
  TimerHeap(const TimerHeap&) = delete;
  TimerHeap& operator=(const TimerHeap&) = delete;

  // Adds a timer due at `expiry` (any time unit, monotonic); `interval` > 0 makes it
  // repeat, 0 fires once.
  TimerId Add(int64_t expiry, int64_t interval, TimerCallback callback);

  // Removes a pending timer, or marks a running one so it does not repeat. Returns
  // false if `id` is invalid, already fired (one-shot) or already cancelled.
  bool Cancel(TimerId id);

  // Timers in the heap (running ones excluded).
  size_t size() const { return heap_.size(); }
  bool empty() const { return heap_.empty(); }
  // Expiry of the earliest pending timer. REQUIRES: !empty().
  int64_t earliest() const { return heap_.front().expiry; }

  struct Expired {
    TimerId id;
    int64_t expiry = 0;
    int64_t interval = 0;  // 0 for a one-shot timer.
    TimerCallback callback;
  };
  // If the earliest timer is due (expiry <= now), moves it out into `*out`, marks it
  // running and returns true; otherwise returns false.
  bool PopExpired(int64_t now, Expired* out);

  // Ends the run of a timer PopExpired() returned. A repeating timer that was not
  // cancelled meanwhile is re-added with `callback` at `next_expiry`.
  void Finish(TimerId id, TimerCallback callback, int64_t next_expiry);

 private:
  static constexpr uint32_t kRunning = UINT32_MAX;   // heap_index of a running node.
  static constexpr uint32_t kFree = UINT32_MAX - 1;  // heap_index of a free slot.

  struct Entry {
    int64_t expiry;
    uint64_t sequence;
    uint32_t slot;
  };
  struct Node {
    TimerCallback callback;  // Empty while running or free.
    int64_t interval = 0;
    uint32_t generation = 1;  // Bumped when the slot is freed; never 0.
    uint32_t heap_index = kFree;
    bool cancelled = false;  // Meaningful while running.
  };

  static bool Less(const Entry& a, const Entry& b) {
    return a.expiry < b.expiry || (a.expiry == b.expiry && a.sequence < b.sequence);
  }
  Node* Find(TimerId id);
  void Push(uint32_t slot, int64_t expiry);
  void RemoveAt(size_t index);
  void SiftUp(size_t index);
  void SiftDown(size_t index);
  void Place(size_t index, const Entry& entry);
  void FreeSlot(uint32_t slot);

  std::vector<Entry> heap_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> free_slots_;
  uint64_t next_sequence_ = 0;
};

}  // namespace lts::net
