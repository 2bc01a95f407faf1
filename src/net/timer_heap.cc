#include "net/timer_heap.h"

#include <utility>

#include "base/check.h"

namespace lts::net {

TimerId TimerHeap::Add(int64_t expiry, int64_t interval, TimerCallback callback) {
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    LTS_CHECK(nodes_.size() < kFree) << "too many timers";
    slot = static_cast<uint32_t>(nodes_.size());
    nodes_.emplace_back();
  }
  Node& node = nodes_[slot];
  node.callback = std::move(callback);
  node.interval = interval;
  node.cancelled = false;
  Push(slot, expiry);
  return TimerId(slot, node.generation);
}

bool TimerHeap::Cancel(TimerId id) {
  Node* node = Find(id);
  if (node == nullptr) return false;
  if (node->heap_index == kRunning) {
    if (node->cancelled) return false;
    node->cancelled = true;
    return true;
  }
  RemoveAt(node->heap_index);
  FreeSlot(id.slot_);
  return true;
}

bool TimerHeap::PopExpired(int64_t now, Expired* out) {
  if (heap_.empty() || heap_.front().expiry > now) return false;
  const Entry top = heap_.front();
  RemoveAt(0);
  Node& node = nodes_[top.slot];
  node.heap_index = kRunning;
  node.cancelled = false;
  out->id = TimerId(top.slot, node.generation);
  out->expiry = top.expiry;
  out->interval = node.interval;
  out->callback = std::move(node.callback);
  node.callback = nullptr;
  return true;
}

void TimerHeap::Finish(TimerId id, TimerCallback callback, int64_t next_expiry) {
  Node* node = Find(id);
  LTS_CHECK(node != nullptr && node->heap_index == kRunning) << "Finish of a timer not running";
  if (node->interval > 0 && !node->cancelled) {
    node->callback = std::move(callback);
    Push(id.slot_, next_expiry);
  } else {
    FreeSlot(id.slot_);
  }
}

TimerHeap::Node* TimerHeap::Find(TimerId id) {
  if (!id.valid() || id.slot_ >= nodes_.size()) return nullptr;
  Node& node = nodes_[id.slot_];
  if (node.generation != id.generation_ || node.heap_index == kFree) return nullptr;
  return &node;
}

void TimerHeap::Push(uint32_t slot, int64_t expiry) {
  heap_.push_back(Entry{expiry, next_sequence_++, slot});
  nodes_[slot].heap_index = static_cast<uint32_t>(heap_.size() - 1);
  SiftUp(heap_.size() - 1);
}

void TimerHeap::RemoveAt(size_t index) {
  const size_t last = heap_.size() - 1;
  if (index != last) {
    const Entry moved = heap_[last];
    heap_.pop_back();
    Place(index, moved);
    // The moved entry may belong above or below its new position.
    if (index > 0 && Less(heap_[index], heap_[(index - 1) / 4])) {
      SiftUp(index);
    } else {
      SiftDown(index);
    }
  } else {
    heap_.pop_back();
  }
}

void TimerHeap::SiftUp(size_t index) {
  const Entry entry = heap_[index];
  while (index > 0) {
    const size_t parent = (index - 1) / 4;
    if (!Less(entry, heap_[parent])) break;
    Place(index, heap_[parent]);
    index = parent;
  }
  Place(index, entry);
}

void TimerHeap::SiftDown(size_t index) {
  const Entry entry = heap_[index];
  const size_t size = heap_.size();
  while (true) {
    const size_t first_child = 4 * index + 1;
    if (first_child >= size) break;
    size_t best = first_child;
    const size_t end = first_child + 4 < size ? first_child + 4 : size;
    for (size_t child = first_child + 1; child < end; ++child) {
      if (Less(heap_[child], heap_[best])) best = child;
    }
    if (!Less(heap_[best], entry)) break;
    Place(index, heap_[best]);
    index = best;
  }
  Place(index, entry);
}

void TimerHeap::Place(size_t index, const Entry& entry) {
  heap_[index] = entry;
  nodes_[entry.slot].heap_index = static_cast<uint32_t>(index);
}

void TimerHeap::FreeSlot(uint32_t slot) {
  Node& node = nodes_[slot];
  node.callback = nullptr;
  node.heap_index = kFree;
  node.cancelled = false;
  if (++node.generation == 0) node.generation = 1;
  free_slots_.push_back(slot);
}

}  // namespace lts::net
