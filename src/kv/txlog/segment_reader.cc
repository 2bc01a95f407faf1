#include "kv/txlog/segment_reader.h"

#include <algorithm>
#include <vector>

namespace lts::kv::txlog {

StatusOr<ScanResult> ScanSegment(const File& file, uint32_t segment_id,
                                 const std::function<void(std::span<const RecordAt>)>& on_batch,
                                 uint64_t start) {
  ScanResult result;
  std::string header;
  LTS_RETURN_IF_ERROR(file.Read(0, kSegmentHeaderSize, &header));
  result.file_size = file.Size();
  if (!CheckSegmentHeader(header, segment_id)) {
    result.stop_reason =
        header.size() < kSegmentHeaderSize ? "short segment header" : "bad segment header";
    return result;
  }
  result.header_ok = true;
  start = std::max<uint64_t>(start, kSegmentHeaderSize);
  if (start > result.file_size) {
    // Damage from outside (the checkpoint's cut was synced): keep every byte there is.
    result.valid_end = result.file_size;
    result.stop_reason = "segment shorter than its checkpointed size";
    return result;
  }
  // `data` holds the file from `start`; positions below are file offsets.
  std::string data;
  LTS_RETURN_IF_ERROR(file.Read(start, result.file_size - start, &data));
  result.file_size = start + data.size();
  result.valid_end = start;
  std::vector<RecordAt> batch;
  uint64_t pos = start;
  while (pos < result.file_size) {
    RecordAt at;
    size_t size = 0;
    DecodeResult d = DecodeRecord(std::string_view(data).substr(pos - start), &at.record, &size);
    if (d != DecodeResult::kOk) {
      result.stop_reason = (d == DecodeResult::kIncomplete ? "truncated record at offset "
                                                           : "bad record at offset ") +
                           std::to_string(pos);
      break;
    }
    at.offset = pos;
    at.size = static_cast<uint32_t>(size);
    batch.push_back(at);
    pos += size;
    if (at.record.batch_end()) {
      on_batch(batch);
      batch.clear();
      result.valid_end = pos;
    }
  }
  if (result.stop_reason.empty() && !batch.empty()) {
    result.stop_reason =
        "batch without its end record at offset " + std::to_string(result.valid_end);
  }
  return result;
}

}  // namespace lts::kv::txlog
