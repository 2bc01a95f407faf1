// Reads a log segment from its start and hands complete WriteBatches to a callback.
//
// A batch is delivered only when its kFlagBatchEnd record has been read, so a batch
// cut by a crash is never applied. The scan stops at the first record that is short,
// fails its checksum or is impossible; `valid_end` is then the end of the last complete
// batch, where recovery truncates a torn tail.
//
// Thread safety: a function; reads through File::Read, which is thread-safe.

#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "kv/env.h"
#include "kv/txlog/record_format.h"

namespace lts::kv::txlog {

struct RecordAt {
  Record record;
  uint64_t offset;  // Of the record's first byte in the segment file.
  uint32_t size;    // Encoded bytes.
};

struct ScanResult {
  uint64_t valid_end = 0;  // Bytes of header plus complete batches.
  uint64_t file_size = 0;
  bool header_ok = false;
  std::string stop_reason;  // Empty when the file ended exactly after a batch.
};

// Calls `on_batch` for every complete batch of segment `segment_id` in `file`, in file
// order. The records' views are valid only during the call.
// Records before `start` (a record boundary; 0 = the first record) are skipped unread.
StatusOr<ScanResult> ScanSegment(const File& file, uint32_t segment_id,
                                 const std::function<void(std::span<const RecordAt>)>& on_batch,
                                 uint64_t start = 0);

}  // namespace lts::kv::txlog
