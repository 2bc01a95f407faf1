// DBImpl: the implementation behind kv::DB (internal to src/kv).
//
// Concurrency invariants:
//  1. mu_ guards the writer queue, last_seq_, bg_error_ and the stop flag. The writer at
//     the queue's front is the leader: it alone encodes, appends, syncs and applies to
//     the index, so log order == seq order == index order.
//  2. index_mu_ (shared) guards index_, segments_, active_ and visible_seq_. Readers
//     take it shared; the leader takes it exclusive only to apply a group or roll.
//  3. A Segment is shared_ptr-owned: GC may retire a file while a reader or iterator
//     still reads it through its open descriptor.
//  4. GC moves go through the writer queue as a group of their own, so the leader's
//     compare-and-swap check at encode time sees every earlier write applied.

#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "kv/db.h"
#include "kv/env.h"
#include "kv/index/btree_index.h"
#include "kv/index/index.h"
#include "kv/index/index_snapshot.h"
#include "kv/index/mem_index.h"

namespace lts::kv {

struct Segment {
  uint32_t id = 0;
  std::unique_ptr<File> file;
  // Guarded by DBImpl::index_mu_.
  uint64_t total_bytes = 0;
  uint64_t live_bytes = 0;
  uint64_t tomb_bytes = 0;
};
using SegmentPtr = std::shared_ptr<Segment>;
using SegmentMap = std::map<uint32_t, SegmentPtr>;

// One record to move during GC: a live value or a still-needed deletion of a victim.
struct GcMove {
  txlog::RecordType type;
  uint8_t codec_flags;
  std::string key;
  std::string stored_value;
  uint64_t version;
  Location from;
};

class DBImpl final : public DB {
 public:
  DBImpl(const Options& options, std::string dir);
  ~DBImpl() override;

  Status Put(std::string_view key, std::string_view value) override;
  Status Delete(std::string_view key) override;
  Status Write(const WriteBatch& batch) override;
  StatusOr<std::string> Get(std::string_view key) override;
  std::unique_ptr<Iterator> NewIterator() override;
  Status Checkpoint() override;
  Status Compact() override;
  DbStats GetStats() override;
  StatusOr<CompressionStats> MeasureCompression() override;
  Status Close() override;

  Status Recover();
  void StartBackground();

  // Reads and checks the record at `loc` of `seg`; returns the user value.
  StatusOr<std::string> ReadValue(const Segment& seg, const Location& loc,
                                  std::string_view key) const;
  // For iterators.
  SegmentPtr FindSegment(uint32_t id);
  void ReleaseSnapshot(uint64_t seq);
  std::optional<std::pair<std::string, IndexEntry>> LastAt(uint64_t snapshot);
  void ScanAt(std::string_view after, bool inclusive, uint64_t snapshot, size_t n,
              std::vector<std::pair<std::string, IndexEntry>>* out);

 private:
  struct PreparedOp {
    txlog::RecordType type;
    uint8_t codec_flags;
    std::string_view key;
    std::string stored_value;
  };
  struct Writer {
    std::vector<PreparedOp>* ops = nullptr;  // A user batch, or
    std::vector<GcMove>* moves = nullptr;    // a GC group (always alone in its group).
    size_t bytes = 0;
    bool done = false;
    Status status;
    CondVar cv;
  };
  struct Applied {
    std::string_view key;
    IndexEntry entry;
    const GcMove* move;  // Non-null for a relocation.
  };

  // Recovery from `info` (a checkpoint, or empty): replays the segments `*ids` (a torn
  // tail is truncated, a segment with a torn header removed from `*ids`), drops entries
  // of retired segments, and counts live bytes. Sets `*max_seq`.
  Status ReplayLog(std::vector<uint32_t>* ids, const CheckpointInfo& info, uint64_t* max_seq);
  Status LoadMemCheckpoint(const std::vector<uint64_t>& ckpts, CheckpointInfo* info);
  Status CheckpointBTree();
  // The index's sticky error (B+tree I/O or damage) becomes the store's.
  Status IndexError();

  Status WriteInternal(Writer* w);
  // The leader's work for writers [first, last] of the queue. Without mu_.
  Status CommitGroup(const std::vector<Writer*>& group, uint64_t* seq);
  Status RollSegment();  // Leader only.
  Status NewSegmentFile(uint32_t id, SegmentPtr* out);
  std::string SegmentPath(uint32_t id) const;

  void BackgroundMain(std::stop_token stop);
  // GC (kv/data/compactor.cc).
  Status RunGcOnce(bool all);
  Status CollectMoves(const SegmentPtr& victim, bool victim_is_oldest, std::vector<GcMove>* out);
  // Whether a GC candidate must still be moved. REQUIRES: index_mu_ held (shared).
  bool StillNeeded(const GcMove& mv) const;
  Status RetireSegment(const SegmentPtr& seg);
  Status PruneBak();

  const Options options_;
  Env* const env_;
  const std::string dir_;
  std::unique_ptr<FileLock> lock_;

  Mutex mu_;
  std::deque<Writer*> writers_ GUARDED_BY(mu_);
  uint64_t last_seq_ GUARDED_BY(mu_) = 0;
  Status bg_error_ GUARDED_BY(mu_);
  bool closed_ GUARDED_BY(mu_) = false;

  mutable std::shared_mutex index_mu_;
  std::unique_ptr<Index> index_;
  BTreeIndex* btree_ = nullptr;  // index_, if it is a B+tree.
  SegmentMap segments_;
  SegmentPtr active_;
  uint64_t visible_seq_ = 0;
  uint64_t applied_end_ = 0;  // Offset in active_ after the last record applied to index_.

  Mutex ckpt_mu_;  // One checkpoint or GC pass at a time.
  std::atomic<uint64_t> checkpoint_seq_{0};
  std::atomic<uint64_t> bytes_since_checkpoint_{0};
  std::atomic<bool> unsynced_{false};
  std::atomic<bool> stopping_{false};  // Close() has begun: GC stops at the next group.
  std::atomic<uint64_t> gc_retired_{0};
  std::atomic<uint64_t> gc_moved_bytes_{0};
  std::atomic<uint64_t> checkpoints_written_{0};
  DbStats recovery_;

  Mutex bg_mu_;
  CondVar bg_cv_;
  std::jthread bg_thread_;
};

std::string SegmentFileName(uint32_t id);
// The id of a segment file name, or 0 if `name` is not one.
uint32_t ParseSegmentFileName(std::string_view name);

}  // namespace lts::kv
