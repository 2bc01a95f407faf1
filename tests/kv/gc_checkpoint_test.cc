// ltsdb's optimizations: segment GC, checkpoints, retention into bak/, compression,
// and crashes in the middle of GC and checkpoints.

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <thread>

#include "base/fake_clock.h"
#include "kv/db.h"
#include "kv/env.h"
#include "kv/fault_injection_env.h"
#include "kv/store_test_base.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "testing/test_env.h"

namespace lts::kv {
namespace {

using testing::Key;

class GcTestBase : public testing::StoreTest {
 protected:
  GcTestBase() {
    options_.background_gc = false;
    options_.segment_size = 16384;
    options_.checkpoint_every_bytes = 0;
    options_.sync_mode = SyncMode::kNone;  // Durability is tested with fault injection below.
  }
  static std::vector<std::string> Names(const std::string& dir) {
    StatusOr<std::vector<std::string>> names = Env::Default()->ListDir(dir);
    return names.ok() ? *names : std::vector<std::string>{};
  }
  size_t SegmentFiles(const std::string& dir) {
    StatusOr<std::vector<std::string>> names = Env::Default()->ListDir(dir);
    size_t n = 0;
    if (names.ok()) {
      for (const std::string& name : *names) n += name.rfind("seg-", 0) == 0;
    }
    return n;
  }
  std::map<std::string, std::string> FillAndDeleteMost(int n) {
    std::map<std::string, std::string> model;
    for (int i = 0; i < n; ++i) {
      std::string v(100, static_cast<char>('a' + i % 26));
      EXPECT_OK(db_->Put(Key(i), v));
      model[Key(i)] = v;
    }
    for (int i = 0; i < n; ++i) {
      if (i % 5 != 0) {
        EXPECT_OK(db_->Delete(Key(i)));
        model.erase(Key(i));
      }
    }
    return model;
  }
};

// The GC and checkpoint behaviours hold for both index kinds.
class GcTest : public GcTestBase, public ::testing::WithParamInterface<IndexType> {
 protected:
  GcTest() { options_.index = GetParam(); }
};

std::string IndexName(const ::testing::TestParamInfo<IndexType>& info) {
  return info.param == IndexType::kBTree ? "BTree" : "Memory";
}

TEST_P(GcTest, SparseSegmentsAreCompactedAndDataSurvives) {
  Open();
  std::map<std::string, std::string> model = FillAndDeleteMost(1000);
  const size_t before = SegmentFiles(dir_.path());
  ASSERT_OK(db_->Compact());
  const size_t after = SegmentFiles(dir_.path());
  EXPECT_LE(after, 5u) << before << " -> " << after;  // 2 of live values, 2 of deletions, active.
  DbStats st = db_->GetStats();
  EXPECT_GT(st.gc_segments_retired, 0u);
  EXPECT_GT(st.gc_bytes_moved, 0u);
  for (const SegmentStats& s : st.segments) {
    if (!s.active) {
      EXPECT_GE(static_cast<double>(s.live_bytes + s.tomb_bytes),
                0.5 * static_cast<double>(s.total_bytes))
          << s.id;
    }
  }
  EXPECT_EQ(model, Contents());
  Reopen();
  EXPECT_EQ(model, Contents());
  // A full replay (no checkpoint) must not resurrect deleted keys either.
  ASSERT_OK(db_->Close());
  db_.reset();
  for (const std::string& n : Names(dir_.path())) {
    if (n.rfind("ckpt-", 0) == 0) {
      ASSERT_OK(Env::Default()->RemoveFile(dir_.Join(n)));
    }
  }
  Open();
  EXPECT_EQ(model, Contents());
}

TEST_P(GcTest, IteratorKeepsReadingSegmentsThatGcRetires) {
  Open();
  for (int i = 0; i < 500; ++i) ASSERT_OK(db_->Put(Key(i), "old" + std::string(100, 'o')));
  std::unique_ptr<Iterator> it = db_->NewIterator();
  for (int i = 0; i < 500; ++i) ASSERT_OK(db_->Put(Key(i), "new"));
  ASSERT_OK(db_->Compact());
  EXPECT_GT(db_->GetStats().gc_segments_retired, 0u);
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
    ASSERT_OK_AND_ASSIGN(std::string v, it->value());
    EXPECT_EQ("old" + std::string(100, 'o'), v);
  }
  EXPECT_EQ(500, n);
  it.reset();
  EXPECT_EQ("new", Get(Key(7)));
}

TEST_P(GcTest, FullyDeadSegmentsAreDroppedWithoutCopying) {
  Open();
  for (int i = 0; i < 500; ++i) ASSERT_OK(db_->Put(Key(i), std::string(100, 'v')));
  for (int i = 0; i < 500; ++i) ASSERT_OK(db_->Delete(Key(i)));
  ASSERT_OK(db_->Compact());
  EXPECT_LE(SegmentFiles(dir_.path()), 3u);
  EXPECT_TRUE(Contents().empty());
  Reopen();
  EXPECT_TRUE(Contents().empty());
}

TEST_P(GcTest, BackgroundGcRunsWhileWritersAndReadersContinue) {
  options_.background_gc = true;
  options_.gc_interval_ms = 1;
  Open();
  std::map<std::string, std::string> model;
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop) {
      std::unique_ptr<Iterator> it = db_->NewIterator();
      for (it->SeekToFirst(); it->Valid(); it->Next()) EXPECT_OK(it->value().status());
    }
  });
  for (int i = 0; i < 4000; ++i) {
    std::string v = std::to_string(i) + std::string(100, 'x');
    ASSERT_OK(db_->Put(Key(i % 300), v));
    model[Key(i % 300)] = v;
  }
  stop = true;
  reader.join();
  EXPECT_TRUE(::lts::testing::WaitFor([&] { return db_->GetStats().gc_segments_retired > 0; },
                                      std::chrono::seconds(30)));
  EXPECT_EQ(model, Contents());
  Reopen();
  EXPECT_EQ(model, Contents());
}

TEST_P(GcTest, CheckpointBoundsTheReplay) {
  options_.checkpoint_on_close = false;
  Open();
  for (int i = 0; i < 500; ++i) ASSERT_OK(db_->Put(Key(i), "v"));
  ASSERT_OK(db_->Checkpoint());
  for (int i = 500; i < 510; ++i) ASSERT_OK(db_->Put(Key(i), "v"));
  db_.reset();
  Open();
  DbStats st = db_->GetStats();
  EXPECT_TRUE(st.recovery_used_checkpoint);
  EXPECT_EQ(10u, st.recovery_records_replayed);
  EXPECT_EQ(510u, Contents().size());
}

TEST_F(GcTestBase, DamagedCheckpointFallsBackToTheOlderOneThenToAFullReplay) {
  options_.checkpoints_to_keep = 2;
  Open();
  for (int i = 0; i < 100; ++i) ASSERT_OK(db_->Put(Key(i), "a"));
  ASSERT_OK(db_->Checkpoint());
  for (int i = 100; i < 200; ++i) ASSERT_OK(db_->Put(Key(i), "b"));
  for (int i = 0; i < 50; ++i) ASSERT_OK(db_->Delete(Key(i)));
  ASSERT_OK(db_->Checkpoint());
  ASSERT_OK(db_->Compact());
  const std::map<std::string, std::string> model = Contents();
  options_.checkpoint_on_close = false;
  db_.reset();
  std::vector<std::string> ckpts;
  for (const std::string& n : Names(dir_.path())) {
    if (n.rfind("ckpt-", 0) == 0) ckpts.push_back(n);
  }
  std::sort(ckpts.begin(), ckpts.end());
  ASSERT_EQ(2u, ckpts.size());
  auto damage = [&](const std::string& name) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> f, Env::Default()->OpenFile(dir_.Join(name), false));
    std::string data;
    ASSERT_OK(f->Read(0, f->Size(), &data));
    data[data.size() / 2] ^= 1;
    ASSERT_OK(f->Truncate(0));
    ASSERT_OK(f->Append(data));
  };
  damage(ckpts[1]);
  Open();
  EXPECT_TRUE(db_->GetStats().recovery_used_checkpoint);
  EXPECT_EQ(model, Contents());
  db_.reset();
  damage(ckpts[0]);
  Open();
  EXPECT_FALSE(db_->GetStats().recovery_used_checkpoint);
  EXPECT_EQ(model, Contents());
}

TEST_P(GcTest, RetiredSegmentsGoToBakPrunedByCountAndAge) {
  options_.bak_max_files = 3;
  FakeClock clock;
  clock.SetNowMicros(int64_t{4000000000} * 1000000);  // Far after every file's mtime.
  options_.clock = &clock;
  options_.bak_max_age_seconds = int64_t{1} << 40;
  Open();
  FillAndDeleteMost(1000);
  ASSERT_OK(db_->Compact());
  EXPECT_EQ(3u, SegmentFiles(dir_.Join("bak")));
  ASSERT_OK(db_->Close());
  options_.bak_max_age_seconds = 60;
  Open();
  for (int i = 0; i < 500; ++i) ASSERT_OK(db_->Put(Key(i), std::string(100, 'v')));
  for (int i = 0; i < 500; ++i) ASSERT_OK(db_->Delete(Key(i)));
  ASSERT_OK(db_->Compact());
  EXPECT_EQ(0u, SegmentFiles(dir_.Join("bak")));
}

TEST_P(GcTest, RetainMinSegmentsKeepsDeadSegments) {
  options_.retain_min_segments = 1000;
  Open();
  FillAndDeleteMost(1000);
  const size_t before = SegmentFiles(dir_.path());
  ASSERT_OK(db_->Compact());
  EXPECT_EQ(before, SegmentFiles(dir_.path()));
}

class CompressionTest : public GcTestBase, public ::testing::WithParamInterface<txlog::Codec> {};

TEST_P(CompressionTest, CompressibleValuesShrinkAndRoundTrip) {
  options_.compression = GetParam();
  options_.compression_threshold = 64;
  Open();
  std::string json = R"({"taskId":"t","nodeGroup":"g","priority":100,"extParams":{}})";
  std::string big;
  while (big.size() < 2000) big += json;
  ASSERT_OK(db_->Put("big", big));
  ASSERT_OK(db_->Put("small", "tiny value"));
  ASSERT_OK(db_->Put("random", std::string("\x01\x7f\x33\x90\xee\x11\x42\x08", 8)));
  Reopen();
  EXPECT_EQ(big, *db_->Get("big"));
  EXPECT_EQ("tiny value", *db_->Get("small"));
  ASSERT_OK_AND_ASSIGN(CompressionStats cs, db_->MeasureCompression());
  EXPECT_EQ(1u, cs.compressed_values);
  EXPECT_LT(cs.stored_value_bytes * 4, cs.raw_value_bytes);
  std::string report;
  ASSERT_OK(db_->Compact());
  EXPECT_EQ(big, *db_->Get("big"));
}

INSTANTIATE_TEST_SUITE_P(Codecs, CompressionTest,
                         ::testing::Values(txlog::Codec::kLz4, txlog::Codec::kZstd));

// --- Crashes during GC and checkpoints ---------------------------------------------

class GcCrashTest : public GcTestBase,
                    public ::testing::WithParamInterface<std::tuple<IndexType, int>> {
 protected:
  GcCrashTest() {
    options_.index = std::get<0>(GetParam());
    options_.env = &env_;
    options_.sync_mode = SyncMode::kSync;
  }
  ~GcCrashTest() override { db_.reset(); }  // Before env_ goes.
  testing::FaultInjectionEnv env_;
};

// Every mutation of GC and checkpointing (appends, syncs, renames, removals) is a
// possible crash point: the n-th one after the start of Compact() is the last to reach
// the disk. The store must come back with exactly the committed contents.
TEST_P(GcCrashTest, CrashAtAnyPointOfCompactionLosesNothing) {
  const int sync_point = std::get<1>(GetParam());
  options_.bak_max_files = sync_point % 2;
  Open();
  std::map<std::string, std::string> model = FillAndDeleteMost(600);
  ASSERT_OK(db_->Checkpoint());
  for (int i = 600; i < 650; ++i) {
    ASSERT_OK(db_->Put(Key(i), "late"));
    model[Key(i)] = "late";
  }
  env_.FailNthSync(sync_point);  // The failing sync is where the "power" goes.
  Status s = db_->Compact();
  env_.SetActive(false);
  db_.reset();
  ASSERT_OK(env_.DropUnsyncedData());
  env_.SetActive(true);
  env_.FailNthSync(0);
  Open();
  EXPECT_EQ(model, Contents()) << "crash at sync " << sync_point << ", compact: " << s.ToString();
  ASSERT_OK(db_->Compact());
  Reopen();
  EXPECT_EQ(model, Contents());
}

INSTANTIATE_TEST_SUITE_P(Index, GcTest, ::testing::Values(IndexType::kMemory, IndexType::kBTree),
                         IndexName);
INSTANTIATE_TEST_SUITE_P(SyncPoints, GcCrashTest,
                         ::testing::Combine(::testing::Values(IndexType::kMemory,
                                                              IndexType::kBTree),
                                            ::testing::Range(1, 40, 3)));

}  // namespace
}  // namespace lts::kv
