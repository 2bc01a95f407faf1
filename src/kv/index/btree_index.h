// BTreeIndex: ltsdb's on-disk paged B+tree index (Options::index = IndexType::kBTree),
// for stores whose keys do not fit in memory: 10 million keys with the process's
// resident memory under 256 MiB (docs/kv.md has the measurements).
//
// Design (the exact file format is in docs/kv_format.md):
//  - One file, `index.btree`, of fixed 4 KiB pages, each with a CRC32C and the
//    generation that wrote it. Leaves hold key -> IndexEntry (the newest version of the
//    key); internal pages hold separators and child page numbers. No sibling links:
//    scans keep a path stack.
//  - Copy-on-write per checkpoint generation: a page that belongs to the last
//    committed tree is never written over; modifying it writes the page (and its path
//    to the root) to free page numbers. Commit() (kv::DB's checkpoint) writes the dirty
//    pages, fsyncs, then writes a header page naming the new root and the checkpoint
//    info (two header slots, alternating, the newest that verifies wins), and fsyncs.
//    The pages the new tree no longer uses become free only then. So the file always
//    holds the tree of the last checkpoint intact, and recovery replays the log after
//    it into the tree, exactly like a memory-index checkpoint.
//  - The tree is derived data (the log is the data): any damaged page (checksum, type,
//    a generation newer than the header's) makes Open or a later lookup report
//    kCorruption, and kv::DB then rebuilds the tree from a full replay of the log.
//  - A bounded page cache (LRU over decoded pages, charged by their heap size) holds
//    the pages in use; dirty pages evicted from it are written to their (new) page
//    numbers, which no committed tree references.
//  - Underfull pages are not merged; an empty leaf is unlinked from its parent (and an
//    empty internal page in turn), and a root with one child is collapsed. A FIFO drain
//    thus leaves no empty pages behind.
//  - Versions older than the newest, kept for live snapshots, and the snapshot set live
//    in memory only (they are needed only while an iterator lives).
//
// Keys are limited to kMaxKeySize bytes (so that a page always holds at least three);
// kv::DB rejects longer keys in a B+tree store.
//
// Thread safety: every public method takes the index's own mutex.

#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "kv/env.h"
#include "kv/index/index.h"
#include "kv/index/index_snapshot.h"

namespace lts::kv {

inline constexpr char kBTreeFileName[] = "index.btree";

struct BTreeStats {
  uint64_t pages = 0;  // Pages in the file (incl. the two header pages and free ones).
  uint64_t free_pages = 0;
  uint32_t height = 0;  // 1: the root is a leaf.
  uint64_t cache_bytes = 0;
  uint64_t cache_capacity = 0;
  uint64_t cache_pages = 0;
  uint64_t cache_hits = 0;
  uint64_t cache_misses = 0;
  uint64_t pages_written = 0;
  uint64_t commits = 0;
};

class BTreeIndex final : public Index {
 public:
  static constexpr size_t kPageSize = 4096;
  static constexpr size_t kMaxKeySize = 1024;

  // Opens the B+tree file `path` (creating it if missing) with a page cache of about
  // `cache_bytes`. If the file holds a committed tree that verifies, `*info` gets its
  // checkpoint info and `*loaded` is true; otherwise the tree starts empty (the reason
  // is in `*why`, empty for a new file) and the caller replays the whole log.
  static StatusOr<std::unique_ptr<BTreeIndex>> Open(Env* env, const std::string& path,
                                                    size_t cache_bytes, CheckpointInfo* info,
                                                    bool* loaded, std::string* why);
  ~BTreeIndex() override;

  // Makes the current tree durable as the checkpoint `info`. Blocks (writes the dirty
  // pages, two fsyncs).
  Status Commit(const CheckpointInfo& info);
  // Discards the tree (and the committed one on disk): an empty tree, nothing committed.
  Status Reset();
  BTreeStats GetStats() const;

  // Checks every page of the tree of the newest valid header in `path` (for `lts kv
  // verify`); `*keys` gets the number of entries.
  static Status Verify(Env* env, const std::string& path, uint64_t* keys);

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
  void set_keep_tombstones(bool keep) override;
  void DropTombstones() override;
  size_t EraseIf(const std::function<bool(const IndexEntry&)>& pred) override;
  void ForEach(const std::function<void(const std::string&, const IndexEntry&)>& fn) override;
  size_t live_keys() const override;
  size_t slots() const override;
  Status status() const override;

  struct Node;  // A decoded page (btree_index.cc).

 private:
  BTreeIndex(Env* env, std::string path, std::unique_ptr<File> file, size_t cache_bytes);

  // A path from the root: page numbers and the child index taken in each internal page.
  struct PathStep {
    uint32_t page;
    size_t child;
  };
  using Path = std::vector<PathStep>;

  // The whole tree, under mu_.
  Status Load(CheckpointInfo* info);
  void StartEmpty();
  Node* Fetch(uint32_t page);  // nullptr after an error (status_ says which).
  void Fail(Status s);
  void Touch(Node* n);
  void Recharge(Node* n);
  void MaybeEvict();
  Status WritePage(Node* n);
  bool IsFresh(uint32_t page) const { return page < fresh_.size() && fresh_[page]; }
  uint32_t Allocate();
  void FreePage(uint32_t page);
  // Descends to the leaf that holds `key`, filling `*path` (leaf last, child unused).
  Node* Descend(std::string_view key, Path* path);
  // The leaf holding `key` (at `*pos`), or nullptr if the key is absent.
  Node* FindInLeaf(std::string_view key, Path* path, size_t* pos);
  // Makes every page of `path` writable (copy-on-write of committed pages).
  Node* MakeWritable(Path* path);
  void InsertInLeaf(Path* path, Node* leaf, size_t pos, std::string_view key, const IndexEntry& e);
  void SplitUp(Path* path);
  void EraseFromLeaf(Path* path, Node* leaf, size_t pos);
  bool EraseKey(std::string_view key);
  std::optional<IndexEntry> FindLocked(std::string_view key);
  void PutLocked(std::string_view key, const IndexEntry& e);
  // Cursor moves over a path: to the next/previous leaf; false at the end.
  Node* NextLeaf(Path* path);
  Node* PrevLeaf(Path* path);
  Node* DescendEdge(Path* path, uint32_t page, bool leftmost);
  // Versions for snapshots.
  std::optional<IndexEntry> VisibleAt(std::string_view key, const IndexEntry& cur,
                                      uint64_t snapshot) const;
  bool Prune(std::string_view key, const IndexEntry& cur);
  // Walks the committed tree's internal pages (marking used pages); false on damage.
  bool MarkUsed(uint32_t page, uint32_t depth, std::vector<bool>* used);

  Env* const env_;
  const std::string path_;
  const std::unique_ptr<File> file_;
  const size_t cache_capacity_;

  mutable std::mutex mu_;
  Status status_;
  uint32_t root_ = 0;
  uint32_t height_ = 1;
  uint32_t page_count_ = 2;             // Pages 0 and 1 are the header slots.
  uint64_t committed_gen_ = 0;          // Generation of the header on disk (0: none).
  std::vector<uint32_t> meta_pages_;    // The committed checkpoint info's pages.
  std::vector<uint32_t> free_;          // Reusable now.
  std::vector<uint32_t> pending_free_;  // Committed pages dropped since; free after Commit.
  std::vector<bool> fresh_;  // Page written since the last commit (not in the committed tree).
  uint64_t live_keys_ = 0;
  uint64_t entries_ = 0;

  std::unordered_map<uint32_t, std::unique_ptr<Node>> cache_;
  std::list<uint32_t> lru_;  // Most recent first.
  size_t cache_bytes_ = 0;
  uint64_t hits_ = 0, misses_ = 0, pages_written_ = 0, commits_ = 0;

  std::multiset<uint64_t> snapshots_;
  std::map<std::string, std::vector<IndexEntry>, std::less<>> older_;  // Newest first.
  std::vector<std::string> pending_;     // Keys that may become prunable.
  std::vector<std::string> tombstones_;  // Deleted keys kept in recovery mode.
  bool keep_tombstones_ = false;
};

}  // namespace lts::kv
