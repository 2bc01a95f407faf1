// MemIndex: ltsdb's in-memory ordered index, key -> location of its newest record,
// with multi-version entries only while snapshots need them.
//
// Invariants:
//  1. A slot's `cur` is the newest version of its key; `older` holds, newest first,
//     the versions that some live snapshot may still read, and nothing else.
//  2. With no live snapshot, a deleted key has no slot (unless keep_tombstones, used
//     only during recovery): the FIFO drain of a FailStore leaves nothing behind to
//     skip, unlike an LSM's tombstones.
//  3. live_keys() counts slots whose `cur` is not a deletion.
//
// Thread safety: none. kv::DB guards it with its index mutex (readers shared).

#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace lts::kv {

// Where a record lives: segment file, byte offset, encoded size.
struct Location {
  uint32_t segment = 0;
  uint32_t size = 0;
  uint64_t offset = 0;
  friend bool operator==(const Location&, const Location&) = default;
};

struct IndexEntry {
  uint64_t version = 0;  // Seq of the write that produced this value (or deletion).
  Location loc;
  bool deleted = false;
};

class MemIndex {
 public:
  MemIndex() = default;
  MemIndex(const MemIndex&) = delete;
  MemIndex& operator=(const MemIndex&) = delete;
  MemIndex(MemIndex&&) = default;
  MemIndex& operator=(MemIndex&&) = default;

  // Makes `e` the newest version of `key`. Returns the previous newest version if it
  // was a live value (for the per-segment live-bytes accounting).
  std::optional<IndexEntry> Apply(std::string_view key, const IndexEntry& e);

  // Moves the newest version of `key` from `from` to `to` if it is still `version` at
  // `from` (GC relocation; a concurrent overwrite wins). Returns whether it moved.
  bool Relocate(std::string_view key, uint64_t version, const Location& from, const Location& to);

  // The newest version of `key`, deleted ones included (nullptr if no slot).
  const IndexEntry* FindNewest(std::string_view key) const;
  // The live value of `key` visible at `snapshot` (a seq), if any.
  std::optional<IndexEntry> FindAt(std::string_view key, uint64_t snapshot) const;

  // Appends to `*out` up to `n` live entries visible at `snapshot` with key > `after`
  // (or >= when `inclusive`), in key order.
  void ScanAt(std::string_view after, bool inclusive, uint64_t snapshot, size_t n,
              std::vector<std::pair<std::string, IndexEntry>>* out) const;

  // The last live entry visible at `snapshot`, if any.
  std::optional<std::pair<std::string, IndexEntry>> LastAt(uint64_t snapshot) const;

  void AddSnapshot(uint64_t seq);
  void RemoveSnapshot(uint64_t seq);

  // Recovery mode: deletions keep a slot so that version comparisons see them.
  void set_keep_tombstones(bool keep) { keep_tombstones_ = keep; }
  // Drops every deleted slot (the end of recovery).
  void DropTombstones();
  // Removes the live entries for which `pred` holds (entries of vanished segments).
  size_t EraseIf(const std::function<bool(const IndexEntry&)>& pred);

  // Bulk load: adds a live entry whose key sorts after every key present (checkpoint
  // load). REQUIRES: no snapshot, keys strictly increasing.
  void AppendSorted(std::string key, const IndexEntry& e);

  // Calls `fn` for every live newest entry in key order.
  void ForEach(const std::function<void(const std::string&, const IndexEntry&)>& fn) const;

  size_t live_keys() const { return live_keys_; }
  size_t slots() const { return map_.size(); }

 private:
  struct Slot {
    IndexEntry cur;
    std::unique_ptr<std::vector<IndexEntry>> older;
  };
  using Map = std::map<std::string, Slot, std::less<>>;

  const IndexEntry* VisibleAt(const Slot& slot, uint64_t snapshot) const;
  // Drops older versions no snapshot can read; returns true if the slot can go.
  bool Prune(Slot* slot) const;

  Map map_;
  std::multiset<uint64_t> snapshots_;
  std::vector<std::string> pending_;  // Keys whose slot may be prunable later.
  size_t live_keys_ = 0;
  bool keep_tombstones_ = false;
};

}  // namespace lts::kv
