#include "kv/index/mem_index.h"

#include <gtest/gtest.h>

namespace lts::kv {
namespace {

IndexEntry Put(uint64_t v) { return IndexEntry{v, Location{1, 10, v * 10}, false}; }
IndexEntry Del(uint64_t v) { return IndexEntry{v, Location{1, 10, v * 10}, true}; }

TEST(MemIndexTest, SnapshotSeesOldVersionsUntilReleased) {
  MemIndex index;
  index.Apply("a", Put(1));
  index.AddSnapshot(1);
  index.Apply("a", Put(2));
  index.Apply("b", Put(3));
  index.Apply("a", Del(4));
  EXPECT_EQ(1u, index.FindAt("a", 1)->version);
  EXPECT_FALSE(index.FindAt("b", 1).has_value());
  EXPECT_FALSE(index.FindAt("a", 4).has_value());
  EXPECT_EQ(2u, index.FindAt("a", 2)->version);
  EXPECT_EQ(2u, index.slots());
  index.RemoveSnapshot(1);
  EXPECT_EQ(1u, index.slots());
  EXPECT_EQ(1u, index.live_keys());
}

TEST(MemIndexTest, ScanSkipsInvisibleAndDeletedKeys) {
  MemIndex index;
  index.Apply("a", Put(1));
  index.Apply("b", Put(2));
  index.AddSnapshot(2);
  index.Apply("c", Put(3));
  index.Apply("a", Del(4));
  std::vector<std::pair<std::string, IndexEntry>> out;
  index.ScanAt("", true, 2, 10, &out);
  ASSERT_EQ(2u, out.size());
  EXPECT_EQ("a", out[0].first);
  out.clear();
  index.ScanAt("a", false, 10, 10, &out);
  ASSERT_EQ(2u, out.size());
  EXPECT_EQ("b", out[0].first);
  EXPECT_EQ("c", out[1].first);
}

TEST(MemIndexTest, RelocateOnlyMovesTheExpectedVersion) {
  MemIndex index;
  index.Apply("a", Put(1));
  Location to{2, 10, 99};
  EXPECT_FALSE(index.Relocate("a", 2, Put(1).loc, to));
  EXPECT_TRUE(index.Relocate("a", 1, Put(1).loc, to));
  EXPECT_EQ(2u, index.FindNewest("a")->loc.segment);
}

}  // namespace
}  // namespace lts::kv
