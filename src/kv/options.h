// Options of an ltsdb store (kv::DB), one struct per store, leveldb style: every field
// has a comment and a default.

#pragma once

#include <cstddef>
#include <cstdint>

#include "kv/txlog/record_format.h"

namespace lts {
class Clock;
}  // namespace lts

namespace lts::kv {

class Env;

// When a commit is durable.
enum class SyncMode {
  kSync,      // Write() returns after fdatasync; concurrent writers share one (group commit).
  kInterval,  // A background thread fsyncs every sync_interval_ms; a crash loses at most that.
  kNone,      // Never fsync (the OS writes back); a process crash loses nothing, a power loss may.
};

enum class IndexType {
  kMemory,  // In-memory ordered map (kv/index/mem_index.h): ~150 B of memory per key.
  kBTree,   // On-disk paged B+tree (kv/index/btree_index.h) behind a bounded page cache;
            // keys up to BTreeIndex::kMaxKeySize (1 KiB).
};

struct Options {
  // File-system seam; nullptr means Env::Default(). Not owned; must outlive the DB.
  Env* env = nullptr;
  // Clock for the age limit of bak/; nullptr means the system clock. Not owned.
  const Clock* clock = nullptr;
  // Create the directory and an empty store if missing.
  bool create_if_missing = true;

  SyncMode sync_mode = SyncMode::kSync;
  int sync_interval_ms = 1000;  // For kInterval.
  IndexType index = IndexType::kMemory;
  // Page cache of the B+tree index (IndexType::kBTree), in bytes of decoded pages.
  size_t btree_cache_bytes = 32u << 20;

  // A segment (log file) is sealed and a new one started past this many bytes.
  uint64_t segment_size = 64u << 20;
  // A group commit merges queued batches up to about this many bytes.
  size_t max_group_bytes = 1u << 20;

  // Value compression per record; values under `compression_threshold` bytes stay raw.
  txlog::Codec compression = txlog::Codec::kNone;
  size_t compression_threshold = 256;
  int zstd_level = 3;

  // Garbage collection of sealed segments: a segment whose live bytes fall below
  // gc_live_ratio of its bytes has its live records moved and is retired; a fully dead
  // one is retired at once. Runs on the store's background thread every gc_interval_ms.
  bool background_gc = true;
  double gc_live_ratio = 0.5;
  int gc_interval_ms = 200;
  // Bytes moved per write group, so a GC step holds writers back for one small group.
  size_t gc_move_group_bytes = 64u << 10;

  // Index checkpoints: written after this many log bytes since the last one (0: never
  // in the background), and at Close() if checkpoint_on_close. The newest
  // checkpoints_to_keep are kept (fallback when the newest is damaged).
  uint64_t checkpoint_every_bytes = 64u << 20;
  bool checkpoint_on_close = true;
  int checkpoints_to_keep = 2;

  // Retention of retired (dead) segments: they are retired only while more than
  // retain_min_segments segments exist; then moved to bak/ if bak_max_files > 0 (else
  // deleted); bak/ keeps at most bak_max_files files, none older than bak_max_age_seconds.
  int retain_min_segments = 0;
  int bak_max_files = 0;
  int64_t bak_max_age_seconds = 7 * 24 * 3600;
};

}  // namespace lts::kv
