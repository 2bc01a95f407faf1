#include "kv/index/index_snapshot.h"

#include <cstring>

#include "base/coding.h"
#include "base/crc32c.h"
#include "kv/file_names.h"

namespace lts::kv {

std::string CheckpointFileName(uint64_t seq) { return NumberedFileName("ckpt-", seq, 20, ".idx"); }

uint64_t ParseCheckpointFileName(std::string_view name) {
  return ParseNumberedFileName(name, "ckpt-", 20, ".idx");
}

std::string EncodeCheckpoint(const CheckpointInfo& info,
                             const std::vector<std::pair<std::string, IndexEntry>>& entries) {
  std::string out(kCheckpointMagic, sizeof(kCheckpointMagic));
  PutFixed32(&out, kCheckpointVersion);
  PutFixed64(&out, info.seq);
  PutFixed32(&out, info.replay_from);
  PutFixed64(&out, info.replay_offset);
  PutFixed64(&out, entries.size());
  PutFixed32(&out, static_cast<uint32_t>(info.segments.size()));
  for (const SegmentMeta& m : info.segments) {
    PutFixed32(&out, m.id);
    PutFixed64(&out, m.total_bytes);
    PutFixed64(&out, m.tomb_bytes);
  }
  for (const auto& [key, e] : entries) {
    PutLengthPrefixedSlice(&out, key);
    PutVarint64(&out, e.version);
    PutVarint32(&out, e.loc.segment);
    PutVarint64(&out, e.loc.offset);
    PutVarint32(&out, e.loc.size);
  }
  PutFixed32(&out, crc32c::Mask(crc32c::Value(out)));
  return out;
}

Status DecodeCheckpoint(std::string_view name, std::string_view data, CheckpointInfo* info,
                        MemIndex* index) {
  auto bad = [&](std::string_view why) {
    return Status(StatusCode::kCorruption,
                  "checkpoint " + std::string(name) + ": " + std::string(why));
  };
  constexpr size_t kHeader = 8 + 4 + 8 + 4 + 8 + 8 + 4;
  if (data.size() < kHeader + 4) return bad("too short");
  if (std::memcmp(data.data(), kCheckpointMagic, 8) != 0) return bad("bad magic");
  const uint32_t stored = crc32c::Unmask(DecodeFixed32(data.data() + data.size() - 4));
  if (crc32c::Value(data.data(), data.size() - 4) != stored) return bad("checksum mismatch");
  std::string_view in = data.substr(8, data.size() - 12);
  uint32_t version = 0, nseg = 0;
  uint64_t count = 0;
  GetFixed32(&in, &version);
  if (version != kCheckpointVersion) return bad("unknown version " + std::to_string(version));
  GetFixed64(&in, &info->seq);
  GetFixed32(&in, &info->replay_from);
  GetFixed64(&in, &info->replay_offset);
  GetFixed64(&in, &count);
  GetFixed32(&in, &nseg);
  if (nseg > in.size() / 20) return bad("segment count beyond the file");
  info->segments.resize(nseg);
  for (SegmentMeta& m : info->segments) {
    GetFixed32(&in, &m.id);
    GetFixed64(&in, &m.total_bytes);
    GetFixed64(&in, &m.tomb_bytes);
  }
  if (count > in.size() / 5) return bad("entry count beyond the file");
  std::string_view prev;
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view key;
    IndexEntry e;
    if (!GetLengthPrefixedSlice(&in, &key) || !GetVarint64(&in, &e.version) ||
        !GetVarint32(&in, &e.loc.segment) || !GetVarint64(&in, &e.loc.offset) ||
        !GetVarint32(&in, &e.loc.size) || (i > 0 && key <= prev)) {
      *index = MemIndex();
      return bad("bad entry " + std::to_string(i));
    }
    index->AppendSorted(std::string(key), e);
    prev = key;
  }
  if (!in.empty()) {
    *index = MemIndex();
    return bad("trailing bytes");
  }
  return Status::Ok();
}

}  // namespace lts::kv
