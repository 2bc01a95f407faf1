// Index: the interface of ltsdb's key -> location index, with multi-version entries
// while snapshots need them. Two implementations, chosen per store by Options::index:
// MemIndex (an in-memory ordered map) and BTreeIndex (an on-disk paged B+tree behind a
// bounded page cache). kv::DB sees only this interface.
//
// Invariants every implementation keeps:
//  1. A key's newest version is what FindNewest returns; older versions are kept only
//     while some live snapshot (AddSnapshot) may still read them.
//  2. With no live snapshot, a deleted key leaves nothing behind (unless
//     keep_tombstones, used only during recovery).
//  3. live_keys() counts keys whose newest version is not a deletion.
//
// Thread safety: kv::DB guards the index with its index mutex (readers shared). MemIndex
// allows concurrent readers as such; BTreeIndex serialises every call internally, since
// even a lookup changes its page cache.

#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lts/status.h"

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

class Index {
 public:
  virtual ~Index() = default;

  // Makes `e` the newest version of `key`. Returns the previous newest version if it
  // was a live value (for the per-segment live-bytes accounting).
  virtual std::optional<IndexEntry> Apply(std::string_view key, const IndexEntry& e) = 0;

  // Moves the newest version of `key` from `from` to `to` if it is still `version` at
  // `from` (GC relocation; a concurrent overwrite wins). Returns whether it moved.
  virtual bool Relocate(std::string_view key, uint64_t version, const Location& from,
                        const Location& to) = 0;

  // The newest version of `key`, deleted ones included.
  virtual std::optional<IndexEntry> FindNewest(std::string_view key) = 0;
  // The live value of `key` visible at `snapshot` (a seq), if any.
  virtual std::optional<IndexEntry> FindAt(std::string_view key, uint64_t snapshot) = 0;

  // Appends to `*out` up to `n` live entries visible at `snapshot` with key > `after`
  // (or >= when `inclusive`), in key order.
  virtual void ScanAt(std::string_view after, bool inclusive, uint64_t snapshot, size_t n,
                      std::vector<std::pair<std::string, IndexEntry>>* out) = 0;
  // The last live entry visible at `snapshot`, if any.
  virtual std::optional<std::pair<std::string, IndexEntry>> LastAt(uint64_t snapshot) = 0;

  virtual void AddSnapshot(uint64_t seq) = 0;
  virtual void RemoveSnapshot(uint64_t seq) = 0;

  // Recovery mode: deletions keep their entry so that version comparisons see them.
  virtual void set_keep_tombstones(bool keep) = 0;
  // Drops every deleted entry (the end of recovery).
  virtual void DropTombstones() = 0;
  // Removes the live entries for which `pred` holds (entries of vanished segments).
  // REQUIRES: no snapshot.
  virtual size_t EraseIf(const std::function<bool(const IndexEntry&)>& pred) = 0;

  // Calls `fn` for every live newest entry in key order.
  virtual void ForEach(const std::function<void(const std::string&, const IndexEntry&)>& fn) = 0;

  virtual size_t live_keys() const = 0;
  // Entries incl. versions kept for snapshots.
  virtual size_t slots() const = 0;

  // The first I/O error or damaged page met (sticky; always OK for MemIndex). After an
  // error, lookups may miss: kv::DB fails the call and a reopen rebuilds the index.
  virtual Status status() const = 0;
};

}  // namespace lts::kv
