#include "kv/index/mem_index.h"

namespace lts::kv {

std::optional<IndexEntry> MemIndex::Apply(std::string_view key, const IndexEntry& e) {
  auto it = map_.find(key);
  if (it == map_.end()) {
    if (e.deleted && !keep_tombstones_) return std::nullopt;
    Slot slot;
    slot.cur = e;
    map_.emplace(std::string(key), std::move(slot));
    if (!e.deleted) ++live_keys_;
    return std::nullopt;
  }
  Slot& slot = it->second;
  std::optional<IndexEntry> prev;
  if (!slot.cur.deleted) {
    prev = slot.cur;
    --live_keys_;
  }
  if (!e.deleted) ++live_keys_;
  if (!snapshots_.empty()) {
    if (!slot.older) slot.older = std::make_unique<std::vector<IndexEntry>>();
    slot.older->insert(slot.older->begin(), slot.cur);
  }
  slot.cur = e;
  if (Prune(&slot)) {
    if (!keep_tombstones_) map_.erase(it);
  } else if (slot.cur.deleted || slot.older) {
    pending_.emplace_back(key);
  }
  return prev;
}

bool MemIndex::Prune(Slot* slot) const {
  if (snapshots_.empty() || slot->cur.version <= *snapshots_.begin()) {
    slot->older.reset();
  } else if (slot->older) {
    const uint64_t oldest = *snapshots_.begin();
    std::vector<IndexEntry>& v = *slot->older;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i].version <= oldest) {
        v.resize(i + 1);
        break;
      }
    }
  }
  return slot->cur.deleted && !slot->older;
}

bool MemIndex::Relocate(std::string_view key, uint64_t version, const Location& from,
                        const Location& to) {
  auto it = map_.find(key);
  if (it == map_.end()) return false;
  IndexEntry& cur = it->second.cur;
  if (cur.deleted || cur.version != version || !(cur.loc == from)) return false;
  cur.loc = to;
  return true;
}

std::optional<IndexEntry> MemIndex::FindNewest(std::string_view key) {
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  return it->second.cur;
}

const IndexEntry* MemIndex::VisibleAt(const Slot& slot, uint64_t snapshot) const {
  const IndexEntry* e = nullptr;
  if (slot.cur.version <= snapshot) {
    e = &slot.cur;
  } else if (slot.older) {
    for (const IndexEntry& o : *slot.older) {
      if (o.version <= snapshot) {
        e = &o;
        break;
      }
    }
  }
  return (e == nullptr || e->deleted) ? nullptr : e;
}

std::optional<IndexEntry> MemIndex::FindAt(std::string_view key, uint64_t snapshot) {
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  const IndexEntry* e = VisibleAt(it->second, snapshot);
  if (e == nullptr) return std::nullopt;
  return *e;
}

void MemIndex::ScanAt(std::string_view after, bool inclusive, uint64_t snapshot, size_t n,
                      std::vector<std::pair<std::string, IndexEntry>>* out) {
  auto it = inclusive ? map_.lower_bound(after) : map_.upper_bound(after);
  for (; it != map_.end() && n > 0; ++it) {
    const IndexEntry* e = VisibleAt(it->second, snapshot);
    if (e == nullptr) continue;
    out->emplace_back(it->first, *e);
    --n;
  }
}

std::optional<std::pair<std::string, IndexEntry>> MemIndex::LastAt(uint64_t snapshot) {
  for (auto it = map_.rbegin(); it != map_.rend(); ++it) {
    if (const IndexEntry* e = VisibleAt(it->second, snapshot)) return std::make_pair(it->first, *e);
  }
  return std::nullopt;
}

void MemIndex::AddSnapshot(uint64_t seq) { snapshots_.insert(seq); }

void MemIndex::RemoveSnapshot(uint64_t seq) {
  auto it = snapshots_.find(seq);
  if (it != snapshots_.end()) snapshots_.erase(it);
  if (!snapshots_.empty() && *snapshots_.begin() <= seq) return;  // The horizon did not move.
  std::vector<std::string> keep;
  for (std::string& key : pending_) {
    auto slot = map_.find(key);
    if (slot == map_.end()) continue;
    if (Prune(&slot->second)) {
      if (!keep_tombstones_) map_.erase(slot);
    } else if (slot->second.older) {
      keep.push_back(std::move(key));
    }
  }
  pending_ = std::move(keep);
}

void MemIndex::DropTombstones() {
  for (auto it = map_.begin(); it != map_.end();) {
    it = it->second.cur.deleted ? map_.erase(it) : std::next(it);
  }
  pending_.clear();
}

size_t MemIndex::EraseIf(const std::function<bool(const IndexEntry&)>& pred) {
  size_t n = 0;
  for (auto it = map_.begin(); it != map_.end();) {
    if (!it->second.cur.deleted && pred(it->second.cur)) {
      it = map_.erase(it);
      --live_keys_;
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

void MemIndex::AppendSorted(std::string key, const IndexEntry& e) {
  Slot slot;
  slot.cur = e;
  map_.emplace_hint(map_.end(), std::move(key), std::move(slot));
  ++live_keys_;
}

void MemIndex::ForEach(const std::function<void(const std::string&, const IndexEntry&)>& fn) {
  for (const auto& [key, slot] : map_) {
    if (!slot.cur.deleted) fn(key, slot.cur);
  }
}

}  // namespace lts::kv
