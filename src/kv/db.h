// ltsdb: LTS's embedded ordered key-value store (the FailStore's default engine).
//
// Design (docs/kv_format.md has the exact format): a log-structured store where the log
// is also the data, Bitcask-like. Every write appends CRC32C-checked records to the
// active segment file; an ordered index (in memory, or an on-disk paged B+tree chosen by
// Options::index) maps each key to its newest record.
// Old segments are garbage-collected when their live bytes fall below a ratio, index
// checkpoints bound the replay at open, and retired segments go to bak/ or away.
//
// Durability per store (Options::sync_mode): kSync acknowledges after fdatasync, with
// concurrent writers sharing one (group commit: the first queued writer leads, leveldb
// style); kInterval and kNone as documented in options.h. After a crash the store holds
// a prefix of the committed batches; a torn tail is truncated and logged.
//
// Threads: callers (any number; all methods are thread-safe), and one background thread
// per store for interval syncs, GC, checkpoints and bak/ pruning, joined by Close().
// Ownership: the DB owns its files and its directory lock (`LOCK`, fcntl, naming the
// holder's pid to a second opener).

#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kv/options.h"
#include "kv/write_batch.h"
#include "lts/status.h"
#include "lts/statusor.h"

namespace lts::kv {

// An ordered iterator over a consistent snapshot of the store, taken when it was
// created: later writes are invisible to it. Not thread-safe; one thread uses it. It
// must be destroyed before its DB.
class Iterator {
 public:
  virtual ~Iterator() = default;
  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  // Positions at the last key (Next() then ends the iteration).
  virtual void SeekToLast() = 0;
  // Positions at the first key >= `target`.
  virtual void Seek(std::string_view target) = 0;
  // REQUIRES: Valid().
  virtual void Next() = 0;
  virtual std::string_view key() const = 0;
  // Reads the value (a pread of one record, checksum verified). REQUIRES: Valid().
  virtual StatusOr<std::string> value() = 0;
  // The first error met while moving, if any (then Valid() is false).
  virtual Status status() const = 0;
};

struct SegmentStats {
  uint32_t id = 0;
  uint64_t total_bytes = 0;  // Record bytes (header excluded).
  uint64_t live_bytes = 0;   // Bytes of records the index points at.
  uint64_t tomb_bytes = 0;   // Bytes of deletion records.
  bool active = false;       // The segment being appended to.
};

struct DbStats {
  IndexType index = IndexType::kMemory;
  uint64_t live_keys = 0;
  uint64_t index_slots = 0;  // Index entries incl. versions kept for snapshots.
  uint64_t last_seq = 0;
  uint64_t checkpoint_seq = 0;  // Seq of the newest checkpoint written or loaded (0: none).
  std::vector<SegmentStats> segments;
  uint64_t gc_segments_retired = 0;
  uint64_t gc_bytes_moved = 0;
  uint64_t checkpoints_written = 0;
  // How the last Open() recovered: records replayed, bytes cut off a torn tail.
  uint64_t recovery_records_replayed = 0;
  uint64_t recovery_truncated_bytes = 0;
  bool recovery_used_checkpoint = false;
  // B+tree index only (zero otherwise): its file and page cache.
  uint64_t btree_pages = 0;
  uint64_t btree_free_pages = 0;
  uint32_t btree_height = 0;
  uint64_t btree_cache_bytes = 0;
  uint64_t btree_cache_capacity = 0;
  uint64_t btree_cache_hits = 0;
  uint64_t btree_cache_misses = 0;
  uint64_t btree_pages_written = 0;
};

struct CompressionStats {
  uint64_t raw_value_bytes = 0;     // Live values as the user wrote them.
  uint64_t stored_value_bytes = 0;  // Live values as stored on disk.
  uint64_t compressed_values = 0;   // Live values stored compressed.
};

class DB {
 public:
  // Opens (creating if Options::create_if_missing) the store in `dir`. Errors:
  // kUnavailable if another process (or handle) holds the store's lock, naming its
  // pid; kCorruption if a sealed segment is damaged; kIOError. A damaged B+tree index
  // file is not an error: the index is rebuilt from the log (and a warning logged).
  static StatusOr<std::unique_ptr<DB>> Open(const Options& options, const std::string& dir);

  virtual ~DB() = default;

  // Writes; each returns when the write is durable per Options::sync_mode. After an I/O
  // error every write fails with that error (the log tail is unknown): reopen.
  virtual Status Put(std::string_view key, std::string_view value) = 0;
  virtual Status Delete(std::string_view key) = 0;
  virtual Status Write(const WriteBatch& batch) = 0;

  // kNotFound if absent; kCorruption if the record fails its checksum.
  virtual StatusOr<std::string> Get(std::string_view key) = 0;

  virtual std::unique_ptr<Iterator> NewIterator() = 0;

  // Writes an index checkpoint now (blocks; writers wait only while the index is copied).
  virtual Status Checkpoint() = 0;
  // Runs GC over every segment below the live ratio (and retires dead ones) now, then
  // writes a checkpoint. Blocks.
  virtual Status Compact() = 0;
  virtual DbStats GetStats() = 0;
  // Reads every live record (slow: a tool, not a hot path).
  virtual StatusOr<CompressionStats> MeasureCompression() = 0;

  // Stops the background thread (joined), syncs, writes a checkpoint if configured, and
  // releases the lock. REQUIRES: no other call in progress or later, iterators gone.
  virtual Status Close() = 0;
};

// Checks every checksum of the store in `dir` (every record of every segment, every
// checkpoint) without opening it; takes the store's lock for the duration. `*report`
// gets one line per file. A torn tail of the newest segment is reported but is not an
// error (Open truncates it); anything else damaged is kCorruption naming the file.
Status VerifyStore(const Options& options, const std::string& dir, std::string* report);

}  // namespace lts::kv
