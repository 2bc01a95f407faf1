// The on-disk B+tree index alone (against a std::map model), and a B+tree store whose
// index file is damaged.

#include "kv/index/btree_index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "kv/db.h"
#include "kv/env.h"
#include "kv/store_test_base.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace lts::kv {
namespace {

using testing::Key;

IndexEntry Put(uint64_t v) { return IndexEntry{v, Location{1, 10, v * 10}, false}; }
IndexEntry Del(uint64_t v) { return IndexEntry{v, Location{1, 10, v * 10}, true}; }

class BTreeIndexTest : public ::testing::Test {
 protected:
  // Opens the tree in dir_ with a small cache (so that pages come and go); `*loaded`
  // says whether a committed tree was found.
  std::unique_ptr<BTreeIndex> OpenTree(bool* loaded, CheckpointInfo* info = nullptr,
                                       size_t cache = 256 << 10) {
    CheckpointInfo scratch;
    std::string why;
    StatusOr<std::unique_ptr<BTreeIndex>> tree =
        BTreeIndex::Open(Env::Default(), path_, cache, info ? info : &scratch, loaded, &why);
    EXPECT_OK(tree.status());
    return tree.ok() ? std::move(*tree) : nullptr;
  }
  static std::map<std::string, uint64_t> Contents(BTreeIndex* tree) {
    std::map<std::string, uint64_t> out;
    tree->ForEach([&](const std::string& k, const IndexEntry& e) { out[k] = e.version; });
    return out;
  }
  // Keys of varied lengths, so that internal pages hold few separators and the tree
  // grows several levels within the test.
  static std::string RandomKey(std::mt19937_64& rng) {
    std::string k = "key" + std::to_string(rng() % 60000);
    k.append(rng() % 200, static_cast<char>('a' + k.size() % 26));
    return k;
  }

  ::lts::testing::TempDir dir_;
  const std::string path_ = dir_.Join(kBTreeFileName);
};

TEST_F(BTreeIndexTest, RandomOperationsMatchAStdMapThroughCommitsAndReopens) {
  bool loaded = true;
  std::unique_ptr<BTreeIndex> tree = OpenTree(&loaded);
  EXPECT_FALSE(loaded);
  std::mt19937_64 rng(42);
  std::map<std::string, uint64_t> model;
  std::map<std::string, uint64_t> committed;
  uint32_t max_height = 0;
  for (uint64_t op = 1; op <= 200'000; ++op) {
    const std::string key = RandomKey(rng);
    const int what = static_cast<int>(rng() % 10);
    if (what < 6) {
      tree->Apply(key, Put(op));
      model[key] = op;
    } else if (what < 9) {
      tree->Apply(key, Del(op));
      model.erase(key);
    } else {
      std::optional<IndexEntry> e = tree->FindNewest(key);
      auto it = model.find(key);
      ASSERT_EQ(it != model.end(), e.has_value()) << key;
      if (e) {
        EXPECT_EQ(it->second, e->version);
      }
    }
    if (op % 50'000 == 0) {
      ASSERT_OK(tree->status());
      EXPECT_EQ(model.size(), tree->live_keys());
      EXPECT_EQ(model, Contents(tree.get()));
      // A scan from the middle, in chunks, as the DB iterator does.
      std::vector<std::pair<std::string, IndexEntry>> out;
      tree->ScanAt(key, true, UINT64_MAX, 1000, &out);
      auto it = model.lower_bound(key);
      for (const auto& [k, e] : out) {
        ASSERT_NE(model.end(), it);
        EXPECT_EQ(it->first, k);
        ++it;
      }
      max_height = std::max(max_height, tree->GetStats().height);
      if (op % 100'000 == 0) {
        ASSERT_OK(tree->Commit(CheckpointInfo{op, 1, 0, {}}));
        committed = model;
      }
    }
    // Uncommitted changes vanish at a reopen; the committed tree comes back.
    if (op == 150'000) {
      tree.reset();
      CheckpointInfo info;
      tree = OpenTree(&loaded, &info);
      ASSERT_TRUE(loaded);
      EXPECT_EQ(100'000u, info.seq);
      EXPECT_EQ(committed, Contents(tree.get()));
      model = committed;
    }
  }
  EXPECT_GE(max_height, 3u) << "the test should split pages at every level";
  tree.reset();
  tree = OpenTree(&loaded);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(committed, Contents(tree.get()));
  uint64_t keys = 0;
  ASSERT_OK(BTreeIndex::Verify(Env::Default(), path_, &keys));
  EXPECT_EQ(committed.size(), keys);
}

TEST_F(BTreeIndexTest, SequentialFillPacksPagesAndDeletingAllShrinksTheTree) {
  bool loaded = false;
  std::unique_ptr<BTreeIndex> tree = OpenTree(&loaded);
  for (int i = 0; i < 50'000; ++i) tree->Apply(Key(i), Put(i + 1));
  BTreeStats st = tree->GetStats();
  // ~27 bytes an entry: a page holds ~150 of them when the fill packs it.
  EXPECT_LT(st.pages, 50'000u / 120);
  EXPECT_GE(st.height, 2u);
  for (int i = 0; i < 50'000; ++i) tree->Apply(Key(i), Del(100'000 + i));
  ASSERT_OK(tree->status());
  EXPECT_EQ(0u, tree->live_keys());
  EXPECT_EQ(0u, tree->slots());
  EXPECT_EQ(1u, tree->GetStats().height);
  EXPECT_TRUE(Contents(tree.get()).empty());
  ASSERT_OK(tree->Commit(CheckpointInfo{1, 1, 0, {}}));
  for (int i = 0; i < 50'000; ++i) tree->Apply(Key(i), Put(200'000 + i));
  // The pages freed by the deletions are used again: the file does not grow.
  EXPECT_LE(tree->GetStats().pages, st.pages * 11 / 10);
}

TEST_F(BTreeIndexTest, SnapshotSeesOldVersionsUntilReleased) {
  bool loaded = false;
  std::unique_ptr<BTreeIndex> tree = OpenTree(&loaded);
  tree->Apply("a", Put(1));
  tree->AddSnapshot(1);
  tree->Apply("a", Put(2));
  tree->Apply("b", Put(3));
  tree->Apply("a", Del(4));
  EXPECT_EQ(1u, tree->FindAt("a", 1)->version);
  EXPECT_FALSE(tree->FindAt("b", 1).has_value());
  EXPECT_FALSE(tree->FindAt("a", 4).has_value());
  EXPECT_EQ(2u, tree->FindAt("a", 2)->version);
  std::vector<std::pair<std::string, IndexEntry>> out;
  tree->ScanAt("", true, 1, 10, &out);
  ASSERT_EQ(1u, out.size());
  EXPECT_EQ("a", out[0].first);
  EXPECT_EQ("a", tree->LastAt(1)->first);
  EXPECT_EQ("b", tree->LastAt(4)->first);
  tree->RemoveSnapshot(1);
  EXPECT_EQ(1u, tree->slots());
  EXPECT_EQ(1u, tree->live_keys());
  EXPECT_FALSE(tree->FindNewest("a").has_value());
}

TEST_F(BTreeIndexTest, RelocateOnlyMovesTheExpectedVersion) {
  bool loaded = false;
  std::unique_ptr<BTreeIndex> tree = OpenTree(&loaded);
  tree->Apply("a", Put(1));
  Location to{2, 10, 99};
  EXPECT_FALSE(tree->Relocate("a", 2, Put(1).loc, to));
  EXPECT_TRUE(tree->Relocate("a", 1, Put(1).loc, to));
  EXPECT_EQ(2u, tree->FindNewest("a")->loc.segment);
}

// --- A B+tree store whose index file is damaged --------------------------------

class BTreeStoreTest : public testing::StoreTest {
 protected:
  BTreeStoreTest() {
    options_.index = IndexType::kBTree;
    options_.btree_cache_bytes = 256 << 10;
    options_.sync_mode = SyncMode::kNone;  // Damage, not durability, is tested here.
  }
  void FlipByteOfPage(uint64_t page, size_t at) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> f,
                         Env::Default()->OpenFile(dir_.Join(kBTreeFileName), false));
    std::string data;
    ASSERT_OK(f->Read(page * BTreeIndex::kPageSize + at, 1, &data));
    ASSERT_EQ(1u, data.size());
    data[0] ^= 0x40;
    ASSERT_OK(f->WriteAt(page * BTreeIndex::kPageSize + at, data));
  }
};

TEST_F(BTreeStoreTest, DamagedPagesAreDetectedAndTheIndexIsRebuiltFromTheLog) {
  Open();
  std::map<std::string, std::string> model;
  for (int i = 0; i < 20'000; ++i) {
    ASSERT_OK(db_->Put(Key(i), std::to_string(i)));
    model[Key(i)] = std::to_string(i);
  }
  for (int i = 0; i < 20'000; i += 3) {
    ASSERT_OK(db_->Delete(Key(i)));
    model.erase(Key(i));
  }
  Reopen();
  EXPECT_TRUE(db_->GetStats().recovery_used_checkpoint);
  EXPECT_EQ(model, Contents());
  const uint64_t pages = db_->GetStats().btree_pages;
  ASSERT_GT(pages, 20u);
  ASSERT_OK(db_->Close());
  db_.reset();
  std::string report;
  ASSERT_OK(VerifyStore(options_, dir_.path(), &report));
  EXPECT_NE(std::string::npos, report.find("index.btree: ")) << report;
  // Every page in turn (headers, internal pages, leaves, meta, free ones): nothing is
  // ever lost or invented.
  for (uint64_t page = 0; page < pages; page += 7) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> f,
                         Env::Default()->OpenFile(dir_.Join(kBTreeFileName), false));
    if (page >= f->Size() / BTreeIndex::kPageSize) break;  // A rebuilt tree is smaller.
    FlipByteOfPage(page, 100 + page % 3000);
    Open();
    EXPECT_EQ(model, Contents()) << "page " << page;
    EXPECT_EQ(model.size(), db_->GetStats().live_keys);
    ASSERT_OK(db_->Put("extra", "x"));
    ASSERT_OK(db_->Delete("extra"));
    ASSERT_OK(db_->Close());
    db_.reset();
  }
  // Both headers at once: a full replay.
  FlipByteOfPage(0, 50);
  FlipByteOfPage(1, 50);
  Open();
  EXPECT_FALSE(db_->GetStats().recovery_used_checkpoint);
  EXPECT_EQ(model, Contents());
}

// A checkpoint while an iterator holds a snapshot commits deleted entries that the
// snapshot still needed; a reopen drops them.
TEST_F(BTreeStoreTest, CheckpointDuringASnapshotKeepsBothViewsRight) {
  Open();
  for (int i = 0; i < 3000; ++i) ASSERT_OK(db_->Put(Key(i), "old"));
  std::unique_ptr<Iterator> it = db_->NewIterator();
  std::map<std::string, std::string> model;
  for (int i = 0; i < 3000; ++i) {
    if (i % 2 == 0) {
      ASSERT_OK(db_->Delete(Key(i)));
    } else {
      ASSERT_OK(db_->Put(Key(i), "new"));
      model[Key(i)] = "new";
    }
  }
  ASSERT_OK(db_->Checkpoint());
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
    ASSERT_OK_AND_ASSIGN(std::string v, it->value());
    EXPECT_EQ("old", v);
  }
  EXPECT_EQ(3000, n);
  it.reset();
  EXPECT_EQ(model, Contents());
  db_.reset();  // No checkpoint at close: the one taken during the snapshot is loaded.
  options_.checkpoint_on_close = false;
  Open();
  EXPECT_TRUE(db_->GetStats().recovery_used_checkpoint);
  EXPECT_EQ(0u, db_->GetStats().recovery_records_replayed);
  EXPECT_EQ(model.size(), db_->GetStats().live_keys);
  EXPECT_EQ(model.size(), db_->GetStats().index_slots);
  EXPECT_EQ(model, Contents());
}

TEST_F(BTreeStoreTest, StatsNameTheIndexAndItsCache) {
  Open();
  for (int i = 0; i < 1000; ++i) ASSERT_OK(db_->Put(Key(i), "v"));
  EXPECT_EQ("v", Get(Key(500)));
  DbStats st = db_->GetStats();
  EXPECT_EQ(IndexType::kBTree, st.index);
  EXPECT_EQ(1000u, st.live_keys);
  EXPECT_GT(st.btree_cache_hits, 0u);
  EXPECT_EQ(256u << 10, st.btree_cache_capacity);
  EXPECT_LE(st.btree_cache_bytes, st.btree_cache_capacity);
}

}  // namespace
}  // namespace lts::kv
