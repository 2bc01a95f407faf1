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

#include "kv/index/index.h"

namespace lts::kv {

class MemIndex final : public Index {
 public:
  MemIndex() = default;
  MemIndex(const MemIndex&) = delete;
  MemIndex& operator=(const MemIndex&) = delete;
  MemIndex(MemIndex&&) = default;
  MemIndex& operator=(MemIndex&&) = default;

  // Index (kv/index/index.h).
  std::optional<IndexEntry> Apply(std::string_view key, const IndexEntry& e) override;
  bool Relocate(std::string_view key, uint64_t version, const Location& from,
                const Location& to) override;
  std::optional<IndexEntry> FindNewest(std::string_view key) override;
  std::optional<IndexEntry> FindAt(std::string_view key, uint64_t snapshot) override;
  void ScanAt(std::string_view after, bool inclusive, uint64_t snapshot, size_t n,
              std::vector<std::pair<std::string, IndexEntry>>* out) override;
  std::optional<std::pair<std::string, IndexEntry>> LastAt(uint64_t snapshot) override;
  void AddSnapshot(uint64_t seq) override;
  void RemoveSnapshot(uint64_t seq) override;
  void set_keep_tombstones(bool keep) override { keep_tombstones_ = keep; }
  void DropTombstones() override;
  size_t EraseIf(const std::function<bool(const IndexEntry&)>& pred) override;
  void ForEach(const std::function<void(const std::string&, const IndexEntry&)>& fn) override;
  size_t live_keys() const override { return live_keys_; }
  size_t slots() const override { return map_.size(); }
  Status status() const override { return Status::Ok(); }

  // Bulk load: adds a live entry whose key sorts after every key present (checkpoint
  // load). REQUIRES: no snapshot, keys strictly increasing.
  void AppendSorted(std::string key, const IndexEntry& e);

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
