// ltsdb behaviour: the API, snapshots, durability modes, recovery, locking.

#include "kv/db.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <thread>

#include "kv/env.h"
#include "kv/fault_injection_env.h"
#include "kv/store_test_base.h"
#include "kv/txlog/record_format.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "testing/test_env.h"

namespace lts::kv {
namespace {

using testing::Key;

// Every behaviour holds for both index kinds.
class DbTest : public testing::StoreTest, public ::testing::WithParamInterface<IndexType> {
 protected:
  DbTest() { options_.index = GetParam(); }
};

TEST_P(DbTest, PutGetDeleteAndOverwrite) {
  Open();
  EXPECT_EQ("NOT_FOUND", Get("a"));
  ASSERT_OK(db_->Put("a", "1"));
  ASSERT_OK(db_->Put("b", "2"));
  ASSERT_OK(db_->Put("a", "3"));
  EXPECT_EQ("3", Get("a"));
  EXPECT_EQ("2", Get("b"));
  ASSERT_OK(db_->Delete("b"));
  EXPECT_EQ("NOT_FOUND", Get("b"));
  EXPECT_EQ(1u, db_->GetStats().live_keys);
  Reopen();
  EXPECT_EQ("3", Get("a"));
  EXPECT_EQ("NOT_FOUND", Get("b"));
}

TEST_P(DbTest, EmptyAndOversizedKeysAreRejected) {
  Open();
  EXPECT_EQ(StatusCode::kInvalidArgument, db_->Put("", "v").code());
  EXPECT_EQ(StatusCode::kInvalidArgument, db_->Put(std::string(70000, 'k'), "v").code());
  ASSERT_OK(db_->Put("k", ""));
  EXPECT_EQ("", Get("k"));
}

TEST_P(DbTest, BatchIsAppliedInOrderAndSurvivesReopen) {
  Open();
  WriteBatch b;
  b.Put("x", "1");
  b.Put("y", "2");
  b.Delete("x");
  b.Put("z", "3");
  b.Put("y", "4");
  ASSERT_OK(db_->Write(b));
  EXPECT_EQ("NOT_FOUND", Get("x"));
  EXPECT_EQ("4", Get("y"));
  Reopen();
  EXPECT_EQ((std::map<std::string, std::string>{{"y", "4"}, {"z", "3"}}), Contents());
}

TEST_P(DbTest, IteratorIsOrderedAndSeeks) {
  Open();
  for (int i = 9; i >= 0; --i) ASSERT_OK(db_->Put(Key(i * 2), std::to_string(i)));
  std::unique_ptr<Iterator> it = db_->NewIterator();
  it->Seek(Key(5));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(Key(6), it->key());
  int n = 0;
  for (; it->Valid(); it->Next()) ++n;
  EXPECT_EQ(7, n);
  it->Seek(Key(99));
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(Key(18), it->key());
  it->Next();
  EXPECT_FALSE(it->Valid());
}

TEST_P(DbTest, IteratorSeesTheSnapshotOfItsCreation) {
  Open();
  for (int i = 0; i < 300; ++i) ASSERT_OK(db_->Put(Key(i), "old" + std::to_string(i)));
  std::unique_ptr<Iterator> it = db_->NewIterator();
  for (int i = 0; i < 300; i += 2) ASSERT_OK(db_->Delete(Key(i)));
  for (int i = 1; i < 300; i += 2) ASSERT_OK(db_->Put(Key(i), "new"));
  ASSERT_OK(db_->Put(Key(1000), "later"));
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
    EXPECT_EQ(Key(n), it->key());
    ASSERT_OK_AND_ASSIGN(std::string v, it->value());
    EXPECT_EQ("old" + std::to_string(n), v);
  }
  EXPECT_EQ(300, n);
  it.reset();
  EXPECT_EQ(150u, Contents().size() - 1);
  EXPECT_EQ("new", Get(Key(1)));
}

TEST_P(DbTest, DeletedKeysLeaveNothingBehindOnceNoSnapshotNeedsThem) {
  Open();
  for (int round = 0; round < 20; ++round) {
    WriteBatch b;
    for (int i = 0; i < 100; ++i) b.Put(Key(round * 100 + i), "v");
    ASSERT_OK(db_->Write(b));
    std::unique_ptr<Iterator> it = db_->NewIterator();
    WriteBatch del;
    int n = 0;
    for (it->SeekToFirst(); it->Valid() && n < 50; it->Next(), ++n) del.Delete(it->key());
    it.reset();
    ASSERT_OK(db_->Write(del));
  }
  EXPECT_EQ(1000u, db_->GetStats().live_keys);
  EXPECT_EQ(1000u, db_->GetStats().index_slots);
}

TEST_P(DbTest, ModelBasedRandomOperationsMatchAStdMapAcrossReopens) {
  options_.segment_size = 8192;
  options_.sync_mode = SyncMode::kNone;
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::map<std::string, std::string> model;
  Open();
  for (int step = 0; step < 3000; ++step) {
    const std::string key = Key(static_cast<int>(rng() % 200));
    switch (rng() % 10) {
      case 0:
      case 1:
        ASSERT_OK(db_->Delete(key));
        model.erase(key);
        break;
      case 2: {
        WriteBatch b;
        for (int i = 0; i < 5; ++i) {
          std::string k = Key(static_cast<int>(rng() % 200));
          b.Put(k, "b" + std::to_string(step));
          model[k] = "b" + std::to_string(step);
        }
        ASSERT_OK(db_->Write(b));
        break;
      }
      default: {
        std::string v(rng() % 300, static_cast<char>('a' + step % 26));
        ASSERT_OK(db_->Put(key, v));
        model[key] = v;
      }
    }
    if (step % 500 == 499) {
      if (step % 1000 == 999) {
        ASSERT_OK(db_->Compact());
      }
      Reopen();
    }
  }
  EXPECT_EQ(model, Contents());
  ASSERT_OK(db_->Compact());
  Reopen();
  EXPECT_EQ(model, Contents());
}

TEST_P(DbTest, ConcurrentWritersShareSyncsAndAllCommitsLand) {
  options_.sync_mode = SyncMode::kSync;
  Open();
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 200; ++i) EXPECT_OK(db_->Put(Key(t * 1000 + i), std::to_string(i)));
    });
  }
  std::thread reader([this] {
    for (int i = 0; i < 200; ++i) Contents();
  });
  for (auto& th : threads) th.join();
  reader.join();
  EXPECT_EQ(1600u, db_->GetStats().live_keys);
  Reopen();
  EXPECT_EQ(1600u, Contents().size());
}

TEST_P(DbTest, IntervalModeSyncsInTheBackground) {
  options_.sync_mode = SyncMode::kInterval;
  options_.sync_interval_ms = 5;
  Open();
  ASSERT_OK(db_->Put("a", "1"));
  Reopen();
  EXPECT_EQ("1", Get("a"));
}

TEST_P(DbTest, SecondOpenFailsNamingTheHoldersPid) {
  Open();
  StatusOr<std::unique_ptr<DB>> second = DB::Open(options_, dir_.path());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(StatusCode::kUnavailable, second.status().code());
  EXPECT_NE(std::string::npos, second.status().message().find("pid " + std::to_string(getpid())))
      << second.status().ToString();
  ASSERT_OK(db_->Close());
  ASSERT_OK(DB::Open(options_, dir_.path()).status());
}

TEST_P(DbTest, KeysBeyondTheBTreeLimitAreRejectedOnlyWithTheBTree) {
  Open();
  const std::string key(2000, 'k');
  if (GetParam() == IndexType::kBTree) {
    EXPECT_EQ(StatusCode::kInvalidArgument, db_->Put(key, "v").code());
  } else {
    ASSERT_OK(db_->Put(key, "v"));
  }
  ASSERT_OK(db_->Put(std::string(1024, 'k'), "v"));
  EXPECT_EQ("v", Get(std::string(1024, 'k')));
}

TEST_P(DbTest, TornTailAtEveryByteKeepsAPrefixOfBatches) {
  options_.checkpoint_on_close = false;
  Open();
  for (int i = 0; i < 5; ++i) {
    WriteBatch b;
    b.Put(Key(i) + "a", std::string(20, 'x'));
    b.Put(Key(i) + "b", std::string(20, 'y'));
    ASSERT_OK(db_->Write(b));
  }
  ASSERT_OK(db_->Close());
  db_.reset();
  const std::string seg = dir_.Join("seg-0000000001.log");
  ASSERT_OK_AND_ASSIGN(std::string full, Env::Default()->ReadFile(seg));
  for (size_t cut = 0; cut <= full.size(); ++cut) {
    // A cut inside the header makes recovery drop the file and start segment 2.
    if (Env::Default()->FileExists(dir_.Join("seg-0000000002.log"))) {
      ASSERT_OK(Env::Default()->RemoveFile(dir_.Join("seg-0000000002.log")));
    }
    {
      ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> f, Env::Default()->OpenFile(seg, true));
      ASSERT_OK(f->Truncate(0));
      ASSERT_OK(f->Append(std::string_view(full).substr(0, cut)));
    }
    Open();
    std::map<std::string, std::string> got = Contents();
    ASSERT_EQ(0u, got.size() % 2) << "cut " << cut << ": half a batch";
    for (size_t i = 0; i < got.size() / 2; ++i) {
      EXPECT_EQ(std::string(20, 'x'), got[Key(static_cast<int>(i)) + "a"]) << cut;
    }
    db_.reset();
  }
}

TEST_P(DbTest, FlippedByteInTheTailIsTruncatedNeverInvented) {
  options_.checkpoint_on_close = false;
  Open();
  for (int i = 0; i < 10; ++i) ASSERT_OK(db_->Put(Key(i), std::string(50, 'v')));
  ASSERT_OK(db_->Close());
  db_.reset();
  const std::string seg = dir_.Join("seg-0000000001.log");
  ASSERT_OK_AND_ASSIGN(std::string full, Env::Default()->ReadFile(seg));
  for (size_t pos = txlog::kSegmentHeaderSize; pos < full.size(); pos += 7) {
    std::string damaged = full;
    damaged[pos] = static_cast<char>(damaged[pos] ^ 0x40);
    {
      ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> f, Env::Default()->OpenFile(seg, true));
      ASSERT_OK(f->Truncate(0));
      ASSERT_OK(f->Append(damaged));
    }
    Open();
    std::map<std::string, std::string> got = Contents();
    const size_t record = txlog::EncodedSize(10, 50);
    EXPECT_EQ((pos - txlog::kSegmentHeaderSize) / record, got.size()) << pos;
    for (const auto& [k, v] : got) EXPECT_EQ(std::string(50, 'v'), v);
    db_.reset();
  }
}

TEST_P(DbTest, DamagedSealedSegmentIsReportedAsCorruption) {
  options_.segment_size = 4096;
  options_.checkpoint_on_close = false;
  Open();
  for (int i = 0; i < 200; ++i) ASSERT_OK(db_->Put(Key(i), std::string(100, 'v')));
  ASSERT_OK(db_->Close());
  db_.reset();
  const std::string seg = dir_.Join("seg-0000000001.log");
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> f, Env::Default()->OpenFile(seg, false));
    ASSERT_OK(f->Truncate(f->Size() - 3));
  }
  StatusOr<std::unique_ptr<DB>> db = DB::Open(options_, dir_.path());
  EXPECT_EQ(StatusCode::kCorruption, db.status().code());
  EXPECT_NE(std::string::npos, db.status().message().find("seg-0000000001.log"));
}

TEST_P(DbTest, VerifyChecksEveryRecordAndNamesTheDamagedFile) {
  options_.segment_size = 4096;
  Open();
  for (int i = 0; i < 100; ++i) ASSERT_OK(db_->Put(Key(i), std::string(100, 'v')));
  ASSERT_OK(db_->Close());
  db_.reset();
  std::string report;
  ASSERT_OK(VerifyStore(options_, dir_.path(), &report));
  EXPECT_NE(std::string::npos, report.find("seg-0000000001.log: ")) << report;
  EXPECT_NE(std::string::npos,
            report.find(GetParam() == IndexType::kBTree ? "index.btree: 100 entries: ok" : "ckpt-"))
      << report;
  const std::string seg = dir_.Join("seg-0000000002.log");
  ASSERT_OK_AND_ASSIGN(std::string data, Env::Default()->ReadFile(seg));
  data[100] = static_cast<char>(data[100] ^ 1);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> f, Env::Default()->OpenFile(seg, false));
  ASSERT_OK(f->Truncate(0));
  ASSERT_OK(f->Append(data));
  report.clear();
  Status s = VerifyStore(options_, dir_.path(), &report);
  EXPECT_EQ(StatusCode::kCorruption, s.code());
  EXPECT_NE(std::string::npos, s.message().find("seg-0000000002.log")) << s.ToString();
}

// --- Fault injection -----------------------------------------------------------

class DbFaultTest : public DbTest {
 protected:
  DbFaultTest() { options_.env = &env_; }
  ~DbFaultTest() override { db_.reset(); }  // Before env_ goes.

  // The process "dies": nothing more reaches the disk, unsynced bytes are lost.
  void Crash() {
    env_.SetActive(false);
    db_.reset();
    ASSERT_OK(env_.DropUnsyncedData());
    env_.SetActive(true);
  }

  // Writes keys 0..299 (value: the number) in `mode`, crashes, reopens; the contents.
  std::map<std::string, std::string> WriteThenCrash(SyncMode mode) {
    options_.sync_mode = mode;
    options_.segment_size = 8192;
    Open();
    for (int i = 0; i < 300; ++i) EXPECT_OK(db_->Put(Key(i), std::to_string(i)));
    Crash();
    Open();
    return Contents();
  }

  testing::FaultInjectionEnv env_;
};

TEST_P(DbFaultTest, SyncModeKeepsEveryAcknowledgedWrite) {
  std::map<std::string, std::string> got = WriteThenCrash(SyncMode::kSync);
  ASSERT_EQ(300u, got.size());
  for (int i = 0; i < 300; ++i) EXPECT_EQ(std::to_string(i), got[Key(i)]);
}

TEST_P(DbFaultTest, NoneModeLosesOnlyASuffixOnPowerLoss) {
  std::map<std::string, std::string> got = WriteThenCrash(SyncMode::kNone);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(std::to_string(i), got[Key(static_cast<int>(i))]) << "not a prefix";
  }
}

TEST_P(DbFaultTest, IntervalModeMakesWritesDurableWithoutACommitSync) {
  options_.sync_mode = SyncMode::kInterval;
  options_.sync_interval_ms = 5;
  Open();
  ASSERT_OK(db_->Put("a", "1"));
  const std::string seg = dir_.Join("seg-0000000001.log");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<File> f, Env::Default()->OpenFile(seg, false));
  const uint64_t size = f->Size();
  EXPECT_TRUE(::lts::testing::WaitFor([&] { return env_.SyncedBytes(seg) == size; },
                                      std::chrono::seconds(30)));
  Crash();
  Open();
  EXPECT_EQ("1", Get("a"));
}

TEST_P(DbFaultTest, FailedWriteIsStickyAndRecoveryKeepsThePrefix) {
  Open();
  for (int i = 0; i < 10; ++i) ASSERT_OK(db_->Put(Key(i), "v"));
  env_.FailNthAppend(1);
  EXPECT_EQ(StatusCode::kIOError, db_->Put(Key(10), "v").code());
  EXPECT_EQ(StatusCode::kIOError, db_->Put(Key(11), "v").code());
  Crash();
  Open();
  EXPECT_EQ(10u, Contents().size());
  ASSERT_OK(db_->Put(Key(12), "v"));
  Reopen();
  EXPECT_EQ(11u, Contents().size());
}

TEST_P(DbFaultTest, FailedSyncFailsTheCommit) {
  Open();
  ASSERT_OK(db_->Put("a", "1"));
  env_.FailNthSync(1);
  EXPECT_EQ(StatusCode::kIOError, db_->Put("b", "2").code());
  Crash();
  Open();
  EXPECT_EQ("1", Get("a"));
}

std::string IndexName(const ::testing::TestParamInfo<IndexType>& info) {
  return info.param == IndexType::kBTree ? "BTree" : "Memory";
}

INSTANTIATE_TEST_SUITE_P(Index, DbTest, ::testing::Values(IndexType::kMemory, IndexType::kBTree),
                         IndexName);
INSTANTIATE_TEST_SUITE_P(Index, DbFaultTest,
                         ::testing::Values(IndexType::kMemory, IndexType::kBTree), IndexName);

}  // namespace
}  // namespace lts::kv
