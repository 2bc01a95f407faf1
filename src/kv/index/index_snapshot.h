// Index snapshots (checkpoints): the whole index at one seq, so that recovery replays
// only the log records written after it.
//
// A checkpoint is written atomically (temporary file, fsync, rename, fsync of the
// directory: Env::WriteFileAtomic) as `ckpt-<seq>.idx`, and ends with a CRC32C of all
// its bytes. Recovery loads the newest one that verifies and falls back to older ones,
// then to a full replay. Format: docs/kv_format.md.
//
// Thread safety: functions; the caller owns the data passed in.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kv/env.h"
#include "kv/index/mem_index.h"

namespace lts::kv {

inline constexpr char kCheckpointMagic[8] = {'L', 'T', 'S', 'K', 'V', 'C', 'K', '1'};
inline constexpr uint32_t kCheckpointVersion = 1;

// Per-segment counters that cannot be rebuilt from the index alone.
struct SegmentMeta {
  uint32_t id = 0;
  uint64_t total_bytes = 0;  // Record bytes in the file (header excluded).
  uint64_t tomb_bytes = 0;   // Bytes of deletion records.
};

struct CheckpointInfo {
  uint64_t seq = 0;            // Every record with seq <= this is reflected.
  uint32_t replay_from = 0;    // First segment that may hold records with seq > `seq`;
  uint64_t replay_offset = 0;  // and the offset in it where such records begin.
  std::vector<SegmentMeta> segments;
};

std::string CheckpointFileName(uint64_t seq);
// The seq of a checkpoint file name, or 0 if `name` is not one.
uint64_t ParseCheckpointFileName(std::string_view name);

// Serialises `info` and the `entries` (sorted by key) into the checkpoint format.
std::string EncodeCheckpoint(const CheckpointInfo& info,
                             const std::vector<std::pair<std::string, IndexEntry>>& entries);

// Verifies and loads a checkpoint into `*index`, which must be empty. kCorruption
// (naming `name`) if any check fails; `*index` is then cleared.
Status DecodeCheckpoint(std::string_view name, std::string_view data, CheckpointInfo* info,
                        MemIndex* index);

}  // namespace lts::kv
