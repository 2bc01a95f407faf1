#include "kv/txlog/record_format.h"

#include <gtest/gtest.h>

#include "kv/index/index_snapshot.h"
#include "testing/status_matchers.h"

namespace lts::kv::txlog {
namespace {

std::string Encode(std::string_view key, std::string_view value, uint8_t flags = kFlagBatchEnd) {
  Record r;
  r.type = RecordType::kPut;
  r.flags = flags;
  r.seq = 7;
  r.version = 5;
  r.key = key;
  r.value = value;
  std::string out;
  EncodeRecord(r, &out);
  return out;
}

TEST(RecordFormatTest, RoundTrips) {
  std::string data = Encode("key", "value");
  ASSERT_EQ(EncodedSize(3, 5), data.size());
  Record r;
  size_t size = 0;
  ASSERT_EQ(DecodeResult::kOk, DecodeRecord(data, &r, &size));
  EXPECT_EQ(data.size(), size);
  EXPECT_EQ("key", r.key);
  EXPECT_EQ("value", r.value);
  EXPECT_EQ(7u, r.seq);
  EXPECT_EQ(5u, r.version);
  EXPECT_TRUE(r.batch_end());
}

TEST(RecordFormatTest, EveryTruncationIsIncompleteOrBadNeverOk) {
  std::string data = Encode("key", std::string(100, 'v'));
  for (size_t n = 0; n < data.size(); ++n) {
    Record r;
    size_t size = 0;
    EXPECT_NE(DecodeResult::kOk, DecodeRecord(std::string_view(data).substr(0, n), &r, &size)) << n;
  }
}

TEST(RecordFormatTest, EveryBitFlipIsDetected) {
  const std::string data = Encode("key", "some value");
  for (size_t i = 0; i < data.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string d = data;
      d[i] = static_cast<char>(d[i] ^ (1 << bit));
      Record r;
      size_t size = 0;
      EXPECT_NE(DecodeResult::kOk, DecodeRecord(d, &r, &size)) << i << ":" << bit;
    }
  }
}

TEST(RecordFormatTest, SegmentHeaderNamesItsSegment) {
  std::string h = EncodeSegmentHeader(42);
  EXPECT_EQ(kSegmentHeaderSize, h.size());
  EXPECT_TRUE(CheckSegmentHeader(h, 42));
  EXPECT_FALSE(CheckSegmentHeader(h, 43));
  EXPECT_FALSE(CheckSegmentHeader(h.substr(0, 10), 42));
}

TEST(IndexSnapshotTest, RoundTripsAndRejectsDamage) {
  CheckpointInfo info;
  info.seq = 99;
  info.replay_from = 3;
  info.segments = {{1, 100, 10}, {3, 50, 0}};
  std::vector<std::pair<std::string, IndexEntry>> entries = {{"a", {5, {1, 30, 16}, false}},
                                                             {"b", {9, {3, 40, 16}, false}}};
  const std::string data = EncodeCheckpoint(info, entries);
  CheckpointInfo got;
  MemIndex index;
  ASSERT_OK(DecodeCheckpoint("x", data, &got, &index));
  EXPECT_EQ(99u, got.seq);
  EXPECT_EQ(3u, got.replay_from);
  ASSERT_EQ(2u, got.segments.size());
  EXPECT_EQ(10u, got.segments[0].tomb_bytes);
  EXPECT_EQ(2u, index.live_keys());
  EXPECT_EQ(40u, index.FindNewest("b")->loc.size);
  for (size_t i = 0; i < data.size(); ++i) {
    std::string d = data;
    d[i] = static_cast<char>(d[i] ^ 0x10);
    MemIndex scratch;
    EXPECT_EQ(StatusCode::kCorruption, DecodeCheckpoint("x", d, &got, &scratch).code()) << i;
  }
  MemIndex scratch;
  EXPECT_EQ(StatusCode::kCorruption,
            DecodeCheckpoint("x", data.substr(0, data.size() - 1), &got, &scratch).code());
  EXPECT_EQ(kCheckpointVersion, 1u);
  EXPECT_EQ(99u, ParseCheckpointFileName(CheckpointFileName(99)));
  EXPECT_EQ(0u, ParseCheckpointFileName("ckpt-x.idx"));
}

}  // namespace
}  // namespace lts::kv::txlog
