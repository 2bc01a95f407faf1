// The on-disk record of ltsdb's log segments. The log is also the data: the index
// points at records in these files (docs/kv_format.md has the exact layout).
//
//   segment file  = header (16 bytes) | record*
//   header        = magic "LTSKVSG1" | u32 format version | u32 segment id
//   record        = u32 masked crc32c of bytes [4, end) | u8 type | u8 flags
//                   | u16 key length | u32 stored value length | u64 seq | u64 version
//                   | key | stored value
//
// Integers are little-endian (base/coding.h). Every record carries its own CRC, so a
// Get() verifies exactly the bytes it reads. The last record of every WriteBatch has
// kFlagBatchEnd: recovery applies a batch only when it has seen its end.

#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lts::kv::txlog {

inline constexpr char kSegmentMagic[8] = {'L', 'T', 'S', 'K', 'V', 'S', 'G', '1'};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kSegmentHeaderSize = 16;
inline constexpr size_t kRecordHeaderSize = 28;
inline constexpr size_t kMaxKeySize = 65535;
inline constexpr size_t kMaxValueSize = 64u << 20;

enum class RecordType : uint8_t { kPut = 1, kDelete = 2 };

inline constexpr uint8_t kFlagBatchEnd = 0x01;  // Last record of a WriteBatch.
inline constexpr uint8_t kFlagMoved = 0x02;     // Copied by GC; `version` is the original seq.
inline constexpr uint8_t kCodecShift = 4;       // Bits 4-5: the value's codec.
inline constexpr uint8_t kCodecMask = 0x30;

// How a stored value is encoded. A compressed value is u32 raw length | codec output.
enum class Codec : uint8_t { kNone = 0, kLz4 = 1, kZstd = 2 };

struct Record {
  RecordType type = RecordType::kPut;
  uint8_t flags = 0;
  uint64_t seq = 0;      // Position in the log: strictly increasing per record written.
  uint64_t version = 0;  // The seq that created this value (== seq unless kFlagMoved).
  std::string_view key;
  std::string_view value;  // As stored (possibly compressed).

  Codec codec() const { return static_cast<Codec>((flags & kCodecMask) >> kCodecShift); }
  bool batch_end() const { return (flags & kFlagBatchEnd) != 0; }
};

// Appends the encoding of `r` to `*dst`. REQUIRES: key and value within the limits.
void EncodeRecord(const Record& r, std::string* dst);
inline size_t EncodedSize(size_t key_size, size_t value_size) {
  return kRecordHeaderSize + key_size + value_size;
}

enum class DecodeResult {
  kOk,          // `*r` and `*size` are set; views point into `input`.
  kIncomplete,  // `input` ends inside the record (more bytes needed, or a torn tail).
  kBad,         // Checksum mismatch or impossible field: corruption or a torn tail.
};

// Decodes the record at the start of `input`.
DecodeResult DecodeRecord(std::string_view input, Record* r, size_t* size);

std::string EncodeSegmentHeader(uint32_t segment_id);
// True if `header` is a valid header of segment `segment_id`.
bool CheckSegmentHeader(std::string_view header, uint32_t segment_id);

}  // namespace lts::kv::txlog
