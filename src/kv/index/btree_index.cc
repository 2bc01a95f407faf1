#include "kv/index/btree_index.h"

#include <algorithm>
#include <cstring>

#include "base/coding.h"
#include "base/crc32c.h"

namespace lts::kv {
namespace {

// Page layout (docs/kv_format.md): a 24-byte header, then the payload.
//   0 u32 masked CRC32C of bytes [4, kPageSize)   4 u8 type   5 u8[3] zero
//   8 u64 generation   16 u32 count   20 u32 next (meta pages; else 0)
constexpr size_t kPageHeader = 24;
constexpr size_t kPayload = BTreeIndex::kPageSize - kPageHeader;
constexpr uint8_t kHeaderPage = 1;
constexpr uint8_t kLeafPage = 2;
constexpr uint8_t kInternalPage = 3;
constexpr uint8_t kMetaPage = 4;
constexpr char kMagic[8] = {'L', 'T', 'S', 'K', 'V', 'B', 'T', '1'};
constexpr uint32_t kFormatVersion = 1;
constexpr uint32_t kMaxHeight = 32;

struct Header {
  uint64_t gen = 0;
  uint32_t root = 0;
  uint32_t height = 0;
  uint32_t page_count = 0;
  uint64_t live_keys = 0;
  uint64_t entries = 0;
  uint32_t meta_first = 0;
  uint32_t meta_bytes = 0;
};

size_t LeafEntryBytes(std::string_view key, const IndexEntry& e) {
  return VarintLength(key.size()) + key.size() + VarintLength(e.version << 1 | 1) +
         VarintLength(e.loc.segment) + VarintLength(e.loc.offset) + VarintLength(e.loc.size);
}

size_t InternalEntryBytes(std::string_view key) {
  return VarintLength(key.size()) + key.size() + 4;
}

// Fills the common page header and the CRC of a page whose payload is in place.
void SealPage(std::string* page, uint8_t type, uint64_t gen, uint32_t count, uint32_t next) {
  page->resize(BTreeIndex::kPageSize, '\0');
  char* p = page->data();
  p[4] = static_cast<char>(type);
  p[5] = p[6] = p[7] = 0;
  EncodeFixed64(p + 8, gen);
  EncodeFixed32(p + 16, count);
  EncodeFixed32(p + 20, next);
  EncodeFixed32(p, crc32c::Mask(crc32c::Value(p + 4, BTreeIndex::kPageSize - 4)));
}

// Checks a page's CRC and type; returns its generation, count and next.
Status CheckPage(std::string_view page, uint32_t id, uint8_t type, uint64_t* gen, uint32_t* count,
                 uint32_t* next) {
  const std::string where = "index.btree page " + std::to_string(id);
  if (page.size() != BTreeIndex::kPageSize) {
    return Status(StatusCode::kCorruption, where + ": beyond the end of the file");
  }
  const uint32_t stored = crc32c::Unmask(DecodeFixed32(page.data()));
  if (crc32c::Value(page.data() + 4, page.size() - 4) != stored) {
    return Status(StatusCode::kCorruption, where + ": checksum mismatch");
  }
  if (static_cast<uint8_t>(page[4]) != type && (type != kLeafPage || page[4] != kInternalPage)) {
    return Status(StatusCode::kCorruption,
                  where + ": unexpected page type " + std::to_string(page[4]));
  }
  *gen = DecodeFixed64(page.data() + 8);
  *count = DecodeFixed32(page.data() + 16);
  *next = DecodeFixed32(page.data() + 20);
  return Status::Ok();
}

std::string EncodeHeader(const Header& h) {
  std::string page(kPageHeader, '\0');
  page.append(kMagic, sizeof(kMagic));
  PutFixed32(&page, kFormatVersion);
  PutFixed32(&page, static_cast<uint32_t>(BTreeIndex::kPageSize));
  PutFixed32(&page, h.root);
  PutFixed32(&page, h.height);
  PutFixed32(&page, h.page_count);
  PutFixed64(&page, h.live_keys);
  PutFixed64(&page, h.entries);
  PutFixed32(&page, h.meta_first);
  PutFixed32(&page, h.meta_bytes);
  SealPage(&page, kHeaderPage, h.gen, 0, 0);
  return page;
}

Status DecodeHeader(std::string_view page, uint32_t slot, uint64_t file_pages, Header* h) {
  uint32_t count = 0, next = 0;
  LTS_RETURN_IF_ERROR(CheckPage(page, slot, kHeaderPage, &h->gen, &count, &next));
  std::string_view in = page.substr(kPageHeader);
  const std::string where = "index.btree header " + std::to_string(slot);
  if (in.substr(0, 8) != std::string_view(kMagic, 8)) {
    return Status(StatusCode::kCorruption, where + ": bad magic");
  }
  in.remove_prefix(8);
  uint32_t version = 0, page_size = 0;
  GetFixed32(&in, &version);
  GetFixed32(&in, &page_size);
  if (version != kFormatVersion || page_size != BTreeIndex::kPageSize) {
    return Status(StatusCode::kCorruption, where + ": unknown version or page size");
  }
  GetFixed32(&in, &h->root);
  GetFixed32(&in, &h->height);
  GetFixed32(&in, &h->page_count);
  GetFixed64(&in, &h->live_keys);
  GetFixed64(&in, &h->entries);
  GetFixed32(&in, &h->meta_first);
  GetFixed32(&in, &h->meta_bytes);
  if (h->page_count < 3 || h->page_count > file_pages || h->root < 2 || h->root >= h->page_count ||
      h->height < 1 || h->height > kMaxHeight || h->meta_first >= h->page_count ||
      h->meta_bytes > (64u << 20) || h->gen == 0) {
    return Status(StatusCode::kCorruption, where + ": fields out of range");
  }
  return Status::Ok();
}

}  // namespace

struct BTreeIndex::Node {
  uint32_t page = 0;
  bool leaf = true;
  bool dirty = false;
  std::vector<std::string> keys;
  std::vector<IndexEntry> entries;  // Leaf: one per key.
  std::vector<uint32_t> children;   // Internal: keys.size() + 1; child i holds [key i-1, key i).
  size_t bytes = 0;                 // Encoded payload bytes.
  size_t charge = 0;                // Heap bytes, for the cache bound.
  std::list<uint32_t>::iterator lru;

  void Recount() {
    bytes = leaf ? 0 : 4;
    for (size_t i = 0; i < keys.size(); ++i) {
      bytes += leaf ? LeafEntryBytes(keys[i], entries[i]) : InternalEntryBytes(keys[i]);
    }
  }

  std::string Encode(uint64_t gen) const {
    std::string out(kPageHeader, '\0');
    out.reserve(kPageSize);
    if (leaf) {
      for (size_t i = 0; i < keys.size(); ++i) {
        const IndexEntry& e = entries[i];
        PutLengthPrefixedSlice(&out, keys[i]);
        PutVarint64(&out, e.version << 1 | (e.deleted ? 1 : 0));
        PutVarint32(&out, e.loc.segment);
        PutVarint64(&out, e.loc.offset);
        PutVarint32(&out, e.loc.size);
      }
    } else {
      PutFixed32(&out, children[0]);
      for (size_t i = 0; i < keys.size(); ++i) {
        PutLengthPrefixedSlice(&out, keys[i]);
        PutFixed32(&out, children[i + 1]);
      }
    }
    SealPage(&out, leaf ? kLeafPage : kInternalPage, gen, static_cast<uint32_t>(keys.size()), 0);
    return out;
  }

  // Parses a checked page; every count and length is bounded by the page.
  Status Decode(std::string_view data, uint32_t count, uint32_t page_count) {
    const std::string where = "index.btree page " + std::to_string(page);
    auto bad = [&](const char* why) { return Status(StatusCode::kCorruption, where + ": " + why); };
    leaf = data[4] == kLeafPage;
    std::string_view in = data.substr(kPageHeader);
    if (count > kPayload / 2) return bad("entry count beyond the page");
    keys.reserve(count);
    if (leaf) {
      entries.reserve(count);
    } else {
      uint32_t child = 0;
      if (!GetFixed32(&in, &child) || child < 2 || child >= page_count) return bad("bad child");
      children.reserve(count + 1);
      children.push_back(child);
    }
    for (uint32_t i = 0; i < count; ++i) {
      std::string_view key;
      if (!GetLengthPrefixedSlice(&in, &key) || key.size() > kMaxKeySize ||
          (i > 0 && key <= keys.back())) {
        return bad("bad key");
      }
      keys.emplace_back(key);
      if (leaf) {
        IndexEntry e;
        uint64_t v = 0;
        if (!GetVarint64(&in, &v) || !GetVarint32(&in, &e.loc.segment) ||
            !GetVarint64(&in, &e.loc.offset) || !GetVarint32(&in, &e.loc.size)) {
          return bad("bad entry");
        }
        e.version = v >> 1;
        e.deleted = (v & 1) != 0;
        entries.push_back(e);
      } else {
        uint32_t child = 0;
        if (!GetFixed32(&in, &child) || child < 2 || child >= page_count) return bad("bad child");
        children.push_back(child);
      }
    }
    Recount();
    return Status::Ok();
  }
};

BTreeIndex::BTreeIndex(Env* env, std::string path, std::unique_ptr<File> file, size_t cache_bytes)
    : env_(env),
      path_(std::move(path)),
      file_(std::move(file)),
      cache_capacity_(std::max<size_t>(cache_bytes, 64 * kPageSize)) {}

BTreeIndex::~BTreeIndex() = default;

StatusOr<std::unique_ptr<BTreeIndex>> BTreeIndex::Open(Env* env, const std::string& path,
                                                       size_t cache_bytes, CheckpointInfo* info,
                                                       bool* loaded, std::string* why) {
  LTS_ASSIGN_OR_RETURN(std::unique_ptr<File> file, env->OpenFile(path, /*create=*/true));
  const bool empty = file->Size() == 0;
  std::unique_ptr<BTreeIndex> index(new BTreeIndex(env, path, std::move(file), cache_bytes));
  *loaded = false;
  why->clear();
  if (!empty) {
    Status s;
    {
      std::lock_guard l(index->mu_);
      s = index->Load(info);
      // Pages written after the commit belong to no committed tree.
      if (s.ok()) s = index->file_->Truncate(uint64_t{index->page_count_} * kPageSize);
    }
    if (s.ok()) {
      *loaded = true;
      return index;
    }
    *why = s.message();
    *info = CheckpointInfo();
  }
  LTS_RETURN_IF_ERROR(index->Reset());
  return index;
}

Status BTreeIndex::Load(CheckpointInfo* info) {
  const uint64_t file_pages = file_->Size() / kPageSize;
  Header best;
  Status first;
  for (uint32_t slot = 0; slot < 2; ++slot) {
    std::string page;
    LTS_RETURN_IF_ERROR(file_->Read(slot * kPageSize, kPageSize, &page));
    Header h;
    Status s = DecodeHeader(page, slot, file_pages, &h);
    if (s.ok() && h.gen > best.gen) best = h;
    if (!s.ok() && first.ok()) first = s;
  }
  if (best.gen == 0) {
    return first.ok() ? Status(StatusCode::kCorruption, "index.btree: no valid header") : first;
  }
  committed_gen_ = best.gen;
  root_ = best.root;
  height_ = best.height;
  page_count_ = best.page_count;
  live_keys_ = best.live_keys;
  entries_ = best.entries;
  fresh_.assign(page_count_, false);
  // The checkpoint info, in a chain of meta pages.
  std::string blob;
  std::vector<bool> used(page_count_, false);
  uint32_t page = best.meta_first;
  while (blob.size() < best.meta_bytes) {
    if (page < 2 || page >= page_count_ || used[page]) {
      return Status(StatusCode::kCorruption, "index.btree: bad meta page chain");
    }
    used[page] = true;
    meta_pages_.push_back(page);
    std::string buf;
    LTS_RETURN_IF_ERROR(file_->Read(uint64_t{page} * kPageSize, kPageSize, &buf));
    uint64_t gen = 0;
    uint32_t count = 0, next = 0;
    LTS_RETURN_IF_ERROR(CheckPage(buf, page, kMetaPage, &gen, &count, &next));
    if (gen > committed_gen_ || count > kPayload || count == 0) {
      return Status(StatusCode::kCorruption, "index.btree: bad meta page " + std::to_string(page));
    }
    blob.append(buf, kPageHeader, count);
    page = next;
  }
  MemIndex scratch;
  LTS_RETURN_IF_ERROR(DecodeCheckpoint("in index.btree", blob, info, &scratch));
  if (!MarkUsed(root_, 1, &used)) return status_;
  free_.clear();
  for (uint32_t p = page_count_; p-- > 2;) {
    if (!used[p]) free_.push_back(p);
  }
  return Status::Ok();
}

bool BTreeIndex::MarkUsed(uint32_t page, uint32_t depth, std::vector<bool>* used) {
  if ((*used)[page]) {
    Fail(Status(StatusCode::kCorruption,
                "index.btree page " + std::to_string(page) + ": referenced twice"));
    return false;
  }
  (*used)[page] = true;
  if (depth == height_) return true;  // A leaf: read later, when needed.
  Node* n = Fetch(page);
  if (n == nullptr) return false;
  if (n->leaf) {
    Fail(Status(StatusCode::kCorruption,
                "index.btree page " + std::to_string(page) + ": a leaf above the leaf level"));
    return false;
  }
  const std::vector<uint32_t> children = n->children;
  for (uint32_t c : children) {
    if (!MarkUsed(c, depth + 1, used)) return false;
  }
  MaybeEvict();
  return true;
}

void BTreeIndex::StartEmpty() {
  root_ = Allocate();
  height_ = 1;
  auto node = std::make_unique<Node>();
  node->page = root_;
  node->leaf = true;
  node->dirty = true;
  node->Recount();
  Node* n = node.get();
  lru_.push_front(root_);
  n->lru = lru_.begin();
  cache_[root_] = std::move(node);
  Recharge(n);
}

Status BTreeIndex::Reset() {
  std::lock_guard l(mu_);
  cache_.clear();
  lru_.clear();
  cache_bytes_ = 0;
  free_.clear();
  pending_free_.clear();
  meta_pages_.clear();
  fresh_.clear();
  page_count_ = 2;
  live_keys_ = entries_ = 0;
  older_.clear();
  pending_.clear();
  tombstones_.clear();
  status_ = Status::Ok();
  // No header may name pages that are about to be reused.
  LTS_RETURN_IF_ERROR(file_->Truncate(0));
  LTS_RETURN_IF_ERROR(file_->Sync());
  StartEmpty();
  return Status::Ok();
}

void BTreeIndex::Fail(Status s) {
  if (status_.ok()) status_ = std::move(s);
}

BTreeIndex::Node* BTreeIndex::Fetch(uint32_t page) {
  if (!status_.ok()) return nullptr;
  auto it = cache_.find(page);
  if (it != cache_.end()) {
    ++hits_;
    Touch(it->second.get());
    return it->second.get();
  }
  ++misses_;
  if (page < 2 || page >= page_count_) {
    Fail(Status(StatusCode::kCorruption,
                "index.btree: page " + std::to_string(page) + " is beyond the tree"));
    return nullptr;
  }
  std::string buf;
  Status s = file_->Read(uint64_t{page} * kPageSize, kPageSize, &buf);
  uint64_t gen = 0;
  uint32_t count = 0, next = 0;
  if (s.ok()) s = CheckPage(buf, page, kLeafPage, &gen, &count, &next);
  // A committed tree never names a page written after it; fresh pages are ours.
  const bool fresh = IsFresh(page);
  if (s.ok() && (fresh ? gen != committed_gen_ + 1 : gen > committed_gen_)) {
    s = Status(StatusCode::kCorruption, "index.btree page " + std::to_string(page) +
                                            ": generation " + std::to_string(gen) +
                                            " is newer than the tree");
  }
  auto node = std::make_unique<Node>();
  node->page = page;
  if (s.ok()) s = node->Decode(buf, count, page_count_);
  if (!s.ok()) {
    Fail(std::move(s));
    return nullptr;
  }
  Node* n = node.get();
  lru_.push_front(page);
  n->lru = lru_.begin();
  cache_[page] = std::move(node);
  Recharge(n);
  return n;
}

void BTreeIndex::Touch(Node* n) {
  if (n->lru != lru_.begin()) lru_.splice(lru_.begin(), lru_, n->lru);
}

void BTreeIndex::Recharge(Node* n) {
  size_t c = sizeof(Node) + 64 + n->keys.capacity() * sizeof(std::string) +
             n->entries.capacity() * sizeof(IndexEntry) + n->children.capacity() * 4;
  for (const std::string& k : n->keys) {
    if (k.capacity() > 15) c += k.capacity() + 1;
  }
  cache_bytes_ = cache_bytes_ - n->charge + c;
  n->charge = c;
}

Status BTreeIndex::WritePage(Node* n) {
  if (!IsFresh(n->page)) {
    return Status(StatusCode::kInternal, "index.btree: page " + std::to_string(n->page) +
                                             " of the committed tree would be overwritten");
  }
  LTS_RETURN_IF_ERROR(file_->WriteAt(uint64_t{n->page} * kPageSize, n->Encode(committed_gen_ + 1)));
  ++pages_written_;
  n->dirty = false;
  return Status::Ok();
}

void BTreeIndex::MaybeEvict() {
  while (cache_bytes_ > cache_capacity_ && lru_.size() > 1) {
    const uint32_t page = lru_.back();
    auto it = cache_.find(page);
    Node* n = it->second.get();
    if (n->dirty) {
      Status s = WritePage(n);
      if (!s.ok()) {
        Fail(std::move(s));
        return;
      }
    }
    cache_bytes_ -= n->charge;
    lru_.pop_back();
    cache_.erase(it);
  }
}

uint32_t BTreeIndex::Allocate() {
  uint32_t page;
  if (!free_.empty()) {
    page = free_.back();
    free_.pop_back();
  } else {
    page = page_count_++;
  }
  if (fresh_.size() <= page) fresh_.resize(std::max<size_t>(page + 1, fresh_.size() * 2), false);
  fresh_[page] = true;
  return page;
}

void BTreeIndex::FreePage(uint32_t page) {
  if (IsFresh(page)) {
    fresh_[page] = false;
    free_.push_back(page);
  } else {
    pending_free_.push_back(page);
  }
}

BTreeIndex::Node* BTreeIndex::Descend(std::string_view key, Path* path) {
  path->clear();
  uint32_t page = root_;
  while (true) {
    Node* n = Fetch(page);
    if (n == nullptr) return nullptr;
    if (n->leaf) {
      if (path->size() + 1 != height_) {
        Fail(Status(StatusCode::kCorruption,
                    "index.btree page " + std::to_string(page) + ": a leaf at the wrong depth"));
        return nullptr;
      }
      path->push_back({page, 0});
      return n;
    }
    if (path->size() + 1 >= height_) {
      Fail(Status(StatusCode::kCorruption, "index.btree page " + std::to_string(page) +
                                               ": an internal page at the leaf level"));
      return nullptr;
    }
    const size_t c = std::upper_bound(n->keys.begin(), n->keys.end(), key) - n->keys.begin();
    path->push_back({page, c});
    page = n->children[c];
  }
}

BTreeIndex::Node* BTreeIndex::DescendEdge(Path* path, uint32_t page, bool leftmost) {
  while (true) {
    Node* n = Fetch(page);
    if (n == nullptr) return nullptr;
    if (n->leaf) {
      path->push_back({page, 0});
      return n;
    }
    const size_t c = leftmost ? 0 : n->children.size() - 1;
    path->push_back({page, c});
    page = n->children[c];
  }
}

BTreeIndex::Node* BTreeIndex::NextLeaf(Path* path) {
  MaybeEvict();  // Only page numbers are held here.
  path->pop_back();
  while (!path->empty()) {
    Node* p = Fetch(path->back().page);
    if (p == nullptr) return nullptr;
    if (path->back().child + 1 < p->children.size()) {
      ++path->back().child;
      return DescendEdge(path, p->children[path->back().child], true);
    }
    path->pop_back();
  }
  return nullptr;
}

BTreeIndex::Node* BTreeIndex::PrevLeaf(Path* path) {
  MaybeEvict();
  path->pop_back();
  while (!path->empty()) {
    Node* p = Fetch(path->back().page);
    if (p == nullptr) return nullptr;
    if (path->back().child > 0) {
      --path->back().child;
      return DescendEdge(path, p->children[path->back().child], false);
    }
    path->pop_back();
  }
  return nullptr;
}

BTreeIndex::Node* BTreeIndex::MakeWritable(Path* path) {
  Node* parent = nullptr;
  Node* n = nullptr;
  for (size_t i = 0; i < path->size(); ++i) {
    n = cache_.at((*path)[i].page).get();
    if (!IsFresh(n->page)) {
      const uint32_t old = n->page;
      const uint32_t page = Allocate();
      auto handle = cache_.extract(old);
      handle.key() = page;
      cache_.insert(std::move(handle));
      *n->lru = page;
      n->page = page;
      (*path)[i].page = page;
      FreePage(old);
      if (parent == nullptr) {
        root_ = page;
      } else {
        parent->children[(*path)[i - 1].child] = page;
      }
    }
    n->dirty = true;
    parent = n;
  }
  return n;
}

void BTreeIndex::SplitUp(Path* path) {
  for (size_t i = path->size(); i-- > 0;) {
    Node* n = cache_.at((*path)[i].page).get();
    if (n->bytes <= kPayload) return;
    auto right = std::make_unique<Node>();
    right->leaf = n->leaf;
    right->dirty = true;
    right->page = Allocate();
    const size_t k = n->keys.size();
    std::string separator;
    // A key appended at the end (a growing key sequence) splits off alone, so that
    // sequential inserts fill their pages.
    const bool at_end = n->leaf ? (*path)[i].child == k - 1 : (*path)[i].child + 1 == k;
    if (n->leaf) {
      size_t m = k - 1;
      if (!at_end) {
        size_t acc = 0;
        for (m = 0; m + 1 < k && acc < n->bytes / 2; ++m) {
          acc += LeafEntryBytes(n->keys[m], n->entries[m]);
        }
        m = std::clamp<size_t>(m, 1, k - 1);
      }
      right->keys.assign(std::make_move_iterator(n->keys.begin() + m),
                         std::make_move_iterator(n->keys.end()));
      right->entries.assign(n->entries.begin() + m, n->entries.end());
      n->keys.resize(m);
      n->entries.resize(m);
      separator = right->keys.front();
    } else {
      size_t mid = k - 1;
      if (!at_end) {
        size_t acc = 4;
        for (mid = 0; mid + 1 < k && acc < n->bytes / 2; ++mid) {
          acc += InternalEntryBytes(n->keys[mid]);
        }
      }
      separator = std::move(n->keys[mid]);
      right->keys.assign(std::make_move_iterator(n->keys.begin() + mid + 1),
                         std::make_move_iterator(n->keys.end()));
      right->children.assign(n->children.begin() + mid + 1, n->children.end());
      n->keys.resize(mid);
      n->children.resize(mid + 1);
    }
    n->Recount();
    right->Recount();
    Recharge(n);
    const uint32_t right_page = right->page;
    Node* r = right.get();
    lru_.push_front(right_page);
    r->lru = lru_.begin();
    cache_[right_page] = std::move(right);
    Recharge(r);
    if (i == 0) {
      auto root = std::make_unique<Node>();
      root->leaf = false;
      root->dirty = true;
      root->page = Allocate();
      root->children = {n->page, right_page};
      root->keys.push_back(std::move(separator));
      root->Recount();
      root_ = root->page;
      ++height_;
      Node* rn = root.get();
      lru_.push_front(root_);
      rn->lru = lru_.begin();
      cache_[root_] = std::move(root);
      Recharge(rn);
      return;
    }
    Node* parent = cache_.at((*path)[i - 1].page).get();
    const size_t c = (*path)[i - 1].child;
    parent->bytes += InternalEntryBytes(separator);
    parent->keys.insert(parent->keys.begin() + c, std::move(separator));
    parent->children.insert(parent->children.begin() + c + 1, right_page);
    Recharge(parent);
  }
}

void BTreeIndex::PutLocked(std::string_view key, const IndexEntry& e) {
  Path path;
  Node* leaf = Descend(key, &path);
  if (leaf == nullptr) return;
  const size_t pos =
      std::lower_bound(leaf->keys.begin(), leaf->keys.end(), key) - leaf->keys.begin();
  const bool exists = pos < leaf->keys.size() && leaf->keys[pos] == key;
  leaf = MakeWritable(&path);
  path.back().child = pos;
  if (exists) {
    leaf->bytes += LeafEntryBytes(key, e) - LeafEntryBytes(key, leaf->entries[pos]);
    leaf->entries[pos] = e;
  } else {
    leaf->keys.insert(leaf->keys.begin() + pos, std::string(key));
    leaf->entries.insert(leaf->entries.begin() + pos, e);
    leaf->bytes += LeafEntryBytes(key, e);
    ++entries_;
  }
  Recharge(leaf);
  SplitUp(&path);
}

BTreeIndex::Node* BTreeIndex::FindInLeaf(std::string_view key, Path* path, size_t* pos) {
  Node* leaf = Descend(key, path);
  if (leaf == nullptr) return nullptr;
  *pos = std::lower_bound(leaf->keys.begin(), leaf->keys.end(), key) - leaf->keys.begin();
  if (*pos == leaf->keys.size() || leaf->keys[*pos] != key) return nullptr;
  return leaf;
}

bool BTreeIndex::EraseKey(std::string_view key) {
  Path path;
  size_t pos = 0;
  Node* leaf = FindInLeaf(key, &path, &pos);
  if (leaf == nullptr) return false;
  leaf = MakeWritable(&path);
  EraseFromLeaf(&path, leaf, pos);
  --entries_;
  return true;
}

void BTreeIndex::EraseFromLeaf(Path* path, Node* leaf, size_t pos) {
  leaf->bytes -= LeafEntryBytes(leaf->keys[pos], leaf->entries[pos]);
  leaf->keys.erase(leaf->keys.begin() + pos);
  leaf->entries.erase(leaf->entries.begin() + pos);
  Recharge(leaf);
  auto drop = [&](Node* n) {
    const uint32_t page = n->page;
    cache_bytes_ -= n->charge;
    lru_.erase(n->lru);
    cache_.erase(page);
    FreePage(page);
  };
  // Unlink empty pages bottom-up (no merging of underfull ones).
  for (size_t i = path->size() - 1; i > 0; --i) {
    Node* n = cache_.at((*path)[i].page).get();
    if (n->leaf ? !n->keys.empty() : !n->children.empty()) break;
    drop(n);
    Node* parent = cache_.at((*path)[i - 1].page).get();
    const size_t c = (*path)[i - 1].child;
    parent->children.erase(parent->children.begin() + c);
    if (!parent->keys.empty()) parent->keys.erase(parent->keys.begin() + (c > 0 ? c - 1 : 0));
    parent->Recount();
    Recharge(parent);
  }
  // A root with one child hands the root over; an emptied root becomes an empty leaf.
  while (true) {
    Node* root = cache_.at(root_).get();
    if (root->leaf) break;
    if (root->children.empty()) {
      root->leaf = true;
      root->keys.clear();
      root->Recount();
      height_ = 1;
      break;
    }
    if (root->children.size() > 1) break;
    const uint32_t child = root->children[0];
    drop(root);
    root_ = child;
    --height_;
    // The new root must be in the cache for the next round (it is on the path).
    if (Fetch(root_) == nullptr) break;
  }
}

std::optional<IndexEntry> BTreeIndex::FindLocked(std::string_view key) {
  Path path;
  size_t pos = 0;
  Node* leaf = FindInLeaf(key, &path, &pos);
  if (leaf == nullptr) return std::nullopt;
  return leaf->entries[pos];
}

std::optional<IndexEntry> BTreeIndex::VisibleAt(std::string_view key, const IndexEntry& cur,
                                                uint64_t snapshot) const {
  const IndexEntry* e = nullptr;
  if (cur.version <= snapshot) {
    e = &cur;
  } else if (auto it = older_.find(key); it != older_.end()) {
    for (const IndexEntry& o : it->second) {
      if (o.version <= snapshot) {
        e = &o;
        break;
      }
    }
  }
  if (e == nullptr || e->deleted) return std::nullopt;
  return *e;
}

bool BTreeIndex::Prune(std::string_view key, const IndexEntry& cur) {
  auto it = older_.find(key);
  if (it != older_.end()) {
    if (snapshots_.empty() || cur.version <= *snapshots_.begin()) {
      older_.erase(it);
      it = older_.end();
    } else {
      const uint64_t oldest = *snapshots_.begin();
      std::vector<IndexEntry>& v = it->second;
      for (size_t i = 0; i < v.size(); ++i) {
        if (v[i].version <= oldest) {
          v.resize(i + 1);
          break;
        }
      }
    }
  }
  return cur.deleted && it == older_.end();
}

std::optional<IndexEntry> BTreeIndex::Apply(std::string_view key, const IndexEntry& e) {
  std::lock_guard l(mu_);
  std::optional<IndexEntry> cur = FindLocked(key);
  if (!status_.ok()) return std::nullopt;
  if (e.deleted && keep_tombstones_) tombstones_.emplace_back(key);
  std::optional<IndexEntry> prev;
  if (!cur) {
    if (e.deleted && !keep_tombstones_) return std::nullopt;
    PutLocked(key, e);
    if (!e.deleted) ++live_keys_;
    MaybeEvict();
    return std::nullopt;
  }
  if (!cur->deleted) {
    prev = *cur;
    --live_keys_;
  }
  if (!e.deleted) ++live_keys_;
  if (!snapshots_.empty()) {
    std::vector<IndexEntry>& v = older_.try_emplace(std::string(key)).first->second;
    v.insert(v.begin(), *cur);
  }
  if (Prune(key, e)) {
    if (keep_tombstones_) {
      PutLocked(key, e);
    } else {
      EraseKey(key);
    }
  } else {
    PutLocked(key, e);
    if (e.deleted || older_.count(key) > 0) pending_.emplace_back(key);
  }
  MaybeEvict();
  return prev;
}

bool BTreeIndex::Relocate(std::string_view key, uint64_t version, const Location& from,
                          const Location& to) {
  std::lock_guard l(mu_);
  Path path;
  size_t pos = 0;
  Node* leaf = FindInLeaf(key, &path, &pos);
  if (leaf == nullptr) return false;
  const IndexEntry& cur = leaf->entries[pos];
  if (cur.deleted || cur.version != version || !(cur.loc == from)) return false;
  IndexEntry moved = cur;
  moved.loc = to;
  leaf = MakeWritable(&path);
  path.back().child = pos;
  leaf->bytes += LeafEntryBytes(key, moved) - LeafEntryBytes(key, leaf->entries[pos]);
  leaf->entries[pos] = moved;
  SplitUp(&path);
  MaybeEvict();
  return true;
}

std::optional<IndexEntry> BTreeIndex::FindNewest(std::string_view key) {
  std::lock_guard l(mu_);
  std::optional<IndexEntry> e = FindLocked(key);
  MaybeEvict();
  return e;
}

std::optional<IndexEntry> BTreeIndex::FindAt(std::string_view key, uint64_t snapshot) {
  std::lock_guard l(mu_);
  std::optional<IndexEntry> cur = FindLocked(key);
  MaybeEvict();
  if (!cur) return std::nullopt;
  return VisibleAt(key, *cur, snapshot);
}

void BTreeIndex::ScanAt(std::string_view after, bool inclusive, uint64_t snapshot, size_t n,
                        std::vector<std::pair<std::string, IndexEntry>>* out) {
  std::lock_guard l(mu_);
  Path path;
  Node* leaf = Descend(after, &path);
  if (leaf == nullptr) return;
  size_t i = (inclusive ? std::lower_bound(leaf->keys.begin(), leaf->keys.end(), after)
                        : std::upper_bound(leaf->keys.begin(), leaf->keys.end(), after)) -
             leaf->keys.begin();
  while (n > 0) {
    for (; i < leaf->keys.size() && n > 0; ++i) {
      if (auto e = VisibleAt(leaf->keys[i], leaf->entries[i], snapshot)) {
        out->emplace_back(leaf->keys[i], *e);
        --n;
      }
    }
    if (n == 0 || (leaf = NextLeaf(&path)) == nullptr) break;
    i = 0;
  }
  MaybeEvict();
}

std::optional<std::pair<std::string, IndexEntry>> BTreeIndex::LastAt(uint64_t snapshot) {
  std::lock_guard l(mu_);
  Path path;
  Node* leaf = status_.ok() ? DescendEdge(&path, root_, /*leftmost=*/false) : nullptr;
  std::optional<std::pair<std::string, IndexEntry>> found;
  while (leaf != nullptr && !found) {
    for (size_t i = leaf->keys.size(); i-- > 0;) {
      if (auto e = VisibleAt(leaf->keys[i], leaf->entries[i], snapshot)) {
        found.emplace(leaf->keys[i], *e);
        break;
      }
    }
    if (!found) leaf = PrevLeaf(&path);
  }
  MaybeEvict();
  return found;
}

void BTreeIndex::AddSnapshot(uint64_t seq) {
  std::lock_guard l(mu_);
  snapshots_.insert(seq);
}

void BTreeIndex::RemoveSnapshot(uint64_t seq) {
  std::lock_guard l(mu_);
  auto it = snapshots_.find(seq);
  if (it != snapshots_.end()) snapshots_.erase(it);
  if (!snapshots_.empty() && *snapshots_.begin() <= seq) return;  // The horizon did not move.
  std::vector<std::string> keep;
  for (std::string& key : pending_) {
    std::optional<IndexEntry> cur = FindLocked(key);
    if (!cur) continue;
    if (Prune(key, *cur)) {
      if (!keep_tombstones_) EraseKey(key);
    } else if (older_.count(key) > 0) {
      keep.push_back(std::move(key));
    }
    MaybeEvict();
  }
  pending_ = std::move(keep);
}

void BTreeIndex::set_keep_tombstones(bool keep) {
  std::lock_guard l(mu_);
  keep_tombstones_ = keep;
}

void BTreeIndex::DropTombstones() {
  std::lock_guard l(mu_);
  for (const std::string& key : tombstones_) {
    std::optional<IndexEntry> cur = FindLocked(key);
    if (cur && cur->deleted) EraseKey(key);
    MaybeEvict();
  }
  tombstones_.clear();
  pending_.clear();
}

size_t BTreeIndex::EraseIf(const std::function<bool(const IndexEntry&)>& pred) {
  std::lock_guard l(mu_);
  std::vector<std::pair<std::string, bool>> doomed;  // Key, live.
  Path path;
  Node* leaf = status_.ok() ? DescendEdge(&path, root_, /*leftmost=*/true) : nullptr;
  for (; leaf != nullptr; leaf = NextLeaf(&path)) {
    for (size_t i = 0; i < leaf->keys.size(); ++i) {
      // Deleted entries committed while a snapshot needed them go too: none is left.
      const IndexEntry& e = leaf->entries[i];
      if (e.deleted || pred(e)) doomed.emplace_back(leaf->keys[i], !e.deleted);
    }
  }
  size_t n = 0;
  for (const auto& [key, live] : doomed) {
    if (EraseKey(key) && live) {
      --live_keys_;
      ++n;
    }
    MaybeEvict();
  }
  return n;
}

void BTreeIndex::ForEach(const std::function<void(const std::string&, const IndexEntry&)>& fn) {
  std::lock_guard l(mu_);
  Path path;
  Node* leaf = status_.ok() ? DescendEdge(&path, root_, /*leftmost=*/true) : nullptr;
  for (; leaf != nullptr; leaf = NextLeaf(&path)) {
    for (size_t i = 0; i < leaf->keys.size(); ++i) {
      if (!leaf->entries[i].deleted) fn(leaf->keys[i], leaf->entries[i]);
    }
  }
  MaybeEvict();
}

size_t BTreeIndex::live_keys() const {
  std::lock_guard l(mu_);
  return live_keys_;
}

size_t BTreeIndex::slots() const {
  std::lock_guard l(mu_);
  size_t versions = 0;
  for (const auto& [key, v] : older_) versions += v.size();
  return entries_ + versions;
}

Status BTreeIndex::status() const {
  std::lock_guard l(mu_);
  return status_;
}

Status BTreeIndex::Commit(const CheckpointInfo& info) {
  std::lock_guard l(mu_);
  if (!status_.ok()) return status_;
  auto fail = [&](Status s) {
    Fail(s);
    return s;
  };
  const uint64_t gen = committed_gen_ + 1;
  // The checkpoint info goes to new meta pages; the old ones are freed with the commit.
  const std::string blob = EncodeCheckpoint(info, {});
  for (uint32_t p : meta_pages_) FreePage(p);
  std::vector<uint32_t> meta;
  for (size_t off = 0; off < blob.size(); off += kPayload) meta.push_back(Allocate());
  for (size_t i = 0; i < meta.size(); ++i) {
    const size_t off = i * kPayload;
    const size_t len = std::min(kPayload, blob.size() - off);
    std::string page(kPageHeader, '\0');
    page.append(blob, off, len);
    SealPage(&page, kMetaPage, gen, static_cast<uint32_t>(len),
             i + 1 < meta.size() ? meta[i + 1] : 0);
    Status s = file_->WriteAt(uint64_t{meta[i]} * kPageSize, page);
    if (!s.ok()) return fail(s);
  }
  for (auto& [page, node] : cache_) {
    if (!node->dirty) continue;
    Status s = WritePage(node.get());
    if (!s.ok()) return fail(s);
  }
  // Pages allocated but never written still count: the file covers them all.
  Status s;
  if (file_->Size() < uint64_t{page_count_} * kPageSize) {
    s = file_->Truncate(uint64_t{page_count_} * kPageSize);
  }
  if (s.ok()) s = file_->Sync();
  if (!s.ok()) return fail(s);
  Header h;
  h.gen = gen;
  h.root = root_;
  h.height = height_;
  h.page_count = page_count_;
  h.live_keys = live_keys_;
  h.entries = entries_;
  h.meta_first = meta.front();
  h.meta_bytes = static_cast<uint32_t>(blob.size());
  s = file_->WriteAt((gen % 2) * kPageSize, EncodeHeader(h));
  if (s.ok()) s = file_->Sync();
  if (!s.ok()) return fail(s);
  committed_gen_ = gen;
  meta_pages_ = std::move(meta);
  free_.insert(free_.end(), pending_free_.begin(), pending_free_.end());
  pending_free_.clear();
  std::fill(fresh_.begin(), fresh_.end(), false);
  ++commits_;
  return Status::Ok();
}

BTreeStats BTreeIndex::GetStats() const {
  std::lock_guard l(mu_);
  BTreeStats st;
  st.pages = page_count_;
  st.free_pages = free_.size() + pending_free_.size();
  st.height = height_;
  st.cache_bytes = cache_bytes_;
  st.cache_capacity = cache_capacity_;
  st.cache_pages = cache_.size();
  st.cache_hits = hits_;
  st.cache_misses = misses_;
  st.pages_written = pages_written_;
  st.commits = commits_;
  return st;
}

Status BTreeIndex::Verify(Env* env, const std::string& path, uint64_t* keys) {
  LTS_ASSIGN_OR_RETURN(std::unique_ptr<File> file, env->OpenFile(path, /*create=*/false));
  BTreeIndex index(env, path, std::move(file), 4u << 20);
  std::lock_guard l(index.mu_);
  CheckpointInfo info;
  LTS_RETURN_IF_ERROR(index.Load(&info));
  *keys = 0;
  Path p;
  for (Node* leaf = index.DescendEdge(&p, index.root_, true); leaf != nullptr;
       leaf = index.NextLeaf(&p)) {
    if (p.size() != index.height_) {
      return Status(StatusCode::kCorruption, "index.btree: a leaf at the wrong depth");
    }
    *keys += leaf->keys.size();
  }
  LTS_RETURN_IF_ERROR(index.status_);
  if (*keys != index.entries_) {
    return Status(StatusCode::kCorruption, "index.btree: " + std::to_string(*keys) +
                                               " entries where the header says " +
                                               std::to_string(index.entries_));
  }
  return Status::Ok();
}

}  // namespace lts::kv
