#include "kv/txlog/record_format.h"

#include <cstring>

#include "base/coding.h"
#include "base/crc32c.h"

namespace lts::kv::txlog {

void EncodeRecord(const Record& r, std::string* dst) {
  const size_t start = dst->size();
  dst->resize(start + kRecordHeaderSize);
  char* h = dst->data() + start;
  h[4] = static_cast<char>(r.type);
  h[5] = static_cast<char>(r.flags);
  h[6] = static_cast<char>(r.key.size() & 0xff);
  h[7] = static_cast<char>(r.key.size() >> 8);
  EncodeFixed32(h + 8, static_cast<uint32_t>(r.value.size()));
  EncodeFixed64(h + 12, r.seq);
  EncodeFixed64(h + 20, r.version);
  dst->append(r.key);
  dst->append(r.value);
  const char* body = dst->data() + start + 4;
  uint32_t crc = crc32c::Value(body, dst->size() - start - 4);
  EncodeFixed32(dst->data() + start, crc32c::Mask(crc));
}

DecodeResult DecodeRecord(std::string_view input, Record* r, size_t* size) {
  if (input.size() < kRecordHeaderSize) return DecodeResult::kIncomplete;
  const char* h = input.data();
  const uint8_t type = static_cast<uint8_t>(h[4]);
  const uint8_t flags = static_cast<uint8_t>(h[5]);
  const size_t klen =
      static_cast<uint8_t>(h[6]) | (static_cast<size_t>(static_cast<uint8_t>(h[7])) << 8);
  const uint32_t vlen = DecodeFixed32(h + 8);
  if ((type != 1 && type != 2) || vlen > kMaxValueSize + 8 || (flags & 0xcc) != 0 ||
      ((flags & kCodecMask) >> kCodecShift) > 2) {
    return DecodeResult::kBad;
  }
  const size_t total = kRecordHeaderSize + klen + vlen;
  if (input.size() < total) return DecodeResult::kIncomplete;
  uint32_t crc = crc32c::Value(h + 4, total - 4);
  if (crc32c::Unmask(DecodeFixed32(h)) != crc) return DecodeResult::kBad;
  r->type = static_cast<RecordType>(type);
  r->flags = flags;
  r->seq = DecodeFixed64(h + 12);
  r->version = DecodeFixed64(h + 20);
  r->key = input.substr(kRecordHeaderSize, klen);
  r->value = input.substr(kRecordHeaderSize + klen, vlen);
  *size = total;
  return DecodeResult::kOk;
}

std::string EncodeSegmentHeader(uint32_t segment_id) {
  std::string h(kSegmentMagic, sizeof(kSegmentMagic));
  PutFixed32(&h, kFormatVersion);
  PutFixed32(&h, segment_id);
  return h;
}

bool CheckSegmentHeader(std::string_view header, uint32_t segment_id) {
  return header.size() >= kSegmentHeaderSize &&
         std::memcmp(header.data(), kSegmentMagic, sizeof(kSegmentMagic)) == 0 &&
         DecodeFixed32(header.data() + 8) == kFormatVersion &&
         DecodeFixed32(header.data() + 12) == segment_id;
}

}  // namespace lts::kv::txlog
