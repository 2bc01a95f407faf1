#include "failstore/fail_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace lts::failstore {
namespace {

using ::lts::testing::TempDir;

// When this binary is re-executed as the "dying process" of the takeover test, it puts
// two values and exits without Close(), still holding its lock until the exit. (A
// re-exec rather than a bare fork: the child starts threads, which forking a
// multi-threaded parent does not allow under ThreadSanitizer.)
// It runs from a gtest environment's SetUp, after every library's static initialisation.
class DyingChild : public ::testing::Environment {
 public:
  void SetUp() override {
    const char* dir = std::getenv("LTS_FAILSTORE_DYING_DIR");
    const char* engine = std::getenv("LTS_FAILSTORE_DYING_ENGINE");
    if (dir == nullptr || engine == nullptr) return;
    StatusOr<std::unique_ptr<FailStore>> s = FailStore::Open(engine, dir);
    if (!s.ok()) _exit(1);
    std::vector<std::string> values = {"one", "two"};
    _exit((*s)->PutBatch(values).ok() ? 0 : 2);
  }
};
[[maybe_unused]] const bool kDyingChildRegistered = [] {
  ::testing::AddGlobalTestEnvironment(new DyingChild);  // gtest owns environments.
  return false;
}();

class FailStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<FailStore> Open(const std::string& dir) {
    StatusOr<std::unique_ptr<FailStore>> s = FailStore::Open(GetParam(), dir);
    EXPECT_OK(s.status());
    return s.ok() ? std::move(*s) : nullptr;
  }
  static std::vector<std::string> Values(const std::vector<FailStoreEntry>& entries) {
    std::vector<std::string> out;
    for (const FailStoreEntry& e : entries) out.push_back(e.value);
    return out;
  }

  TempDir tmp_;
};

TEST_P(FailStoreTest, TakesInInsertionOrderAndDeletesDelivered) {
  std::unique_ptr<FailStore> store = Open(tmp_.Join("s"));
  ASSERT_NE(nullptr, store);
  // Values whose byte order is the reverse of their insertion order.
  for (const char* v : {"z", "y", "x", "w"}) ASSERT_OK(store->Put(v).status());
  ASSERT_OK_AND_ASSIGN(std::vector<FailStoreEntry> batch, store->Take(3));
  EXPECT_EQ((std::vector<std::string>{"z", "y", "x"}), Values(batch));
  std::vector<std::string> keys = {batch[0].key, batch[1].key};
  ASSERT_OK(store->Delete(keys));
  ASSERT_OK_AND_ASSIGN(batch, store->Take(10));
  EXPECT_EQ((std::vector<std::string>{"x", "w"}), Values(batch));
}

TEST_P(FailStoreTest, ReopenKeepsEntriesAndContinuesTheOrder) {
  const std::string dir = tmp_.Join("s");
  {
    std::unique_ptr<FailStore> store = Open(dir);
    std::vector<std::string> values = {"a", "b", "c"};
    ASSERT_OK(store->PutBatch(values).status());
    ASSERT_OK_AND_ASSIGN(std::vector<FailStoreEntry> batch, store->Take(1));
    std::vector<std::string> keys = {batch[0].key};
    ASSERT_OK(store->Delete(keys));
    ASSERT_OK(store->Close());
  }
  std::unique_ptr<FailStore> store = Open(dir);
  ASSERT_OK(store->Put("d").status());
  ASSERT_OK_AND_ASSIGN(std::vector<FailStoreEntry> batch, store->Take(10));
  EXPECT_EQ((std::vector<std::string>{"b", "c", "d"}), Values(batch));
}

TEST_P(FailStoreTest, DrainInBatchesSeesEveryEntryOnce) {
  std::unique_ptr<FailStore> store = Open(tmp_.Join("s"));
  std::vector<std::string> values;
  for (int i = 0; i < 1000; ++i) values.push_back("v" + std::to_string(i));
  ASSERT_OK(store->PutBatch(values).status());
  int next = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(std::vector<FailStoreEntry> batch, store->Take(100));
    if (batch.empty()) break;
    std::vector<std::string> keys;
    for (const FailStoreEntry& e : batch) {
      EXPECT_EQ("v" + std::to_string(next++), e.value);
      keys.push_back(e.key);
    }
    ASSERT_OK(store->Delete(keys));
  }
  EXPECT_EQ(1000, next);
}

TEST_P(FailStoreTest, SecondOpenerIsRefusedNamingThePid) {
  const std::string dir = tmp_.Join("s");
  std::unique_ptr<FailStore> store = Open(dir);
  StatusOr<std::unique_ptr<FailStore>> second = FailStore::Open(GetParam(), dir);
  EXPECT_EQ(StatusCode::kUnavailable, second.status().code());
  EXPECT_NE(std::string::npos, second.status().message().find(std::to_string(getpid())));
}

TEST_P(FailStoreTest, DeadProcessStoreIsTakenOverOnceAndDrained) {
  const std::string engine_dir = tmp_.Join("engine");
  const std::string own = engine_dir + "/me";
  const std::string dead_dir = engine_dir + "/dead";
  const std::string alive_dir = engine_dir + "/alive";
  pid_t pid = fork();
  if (pid == 0) {
    setenv("LTS_FAILSTORE_DYING_DIR", dead_dir.c_str(), 1);
    setenv("LTS_FAILSTORE_DYING_ENGINE", GetParam().c_str(), 1);
    char self[] = "/proc/self/exe";
    char* argv[] = {self, nullptr};
    execv(self, argv);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::unique_ptr<FailStore> mine = Open(own);
  std::unique_ptr<FailStore> alive = Open(alive_dir);  // A live store: never taken.

  ASSERT_OK_AND_ASSIGN(auto dead, OpenDeadFailStores(GetParam(), engine_dir, own));
  ASSERT_EQ(1u, dead.size());
  EXPECT_EQ(dead_dir, dead[0]->dir());
  // While the taker drains, nobody else can take the same store.
  ASSERT_OK_AND_ASSIGN(auto again, OpenDeadFailStores(GetParam(), engine_dir, own));
  EXPECT_TRUE(again.empty());
  ASSERT_OK_AND_ASSIGN(std::vector<FailStoreEntry> batch, dead[0]->Take(10));
  EXPECT_EQ((std::vector<std::string>{"one", "two"}), Values(batch));
  ASSERT_OK(dead[0]->Destroy());
  EXPECT_FALSE(std::filesystem::exists(dead_dir));
  ASSERT_OK_AND_ASSIGN(again, OpenDeadFailStores(GetParam(), engine_dir, own));
  EXPECT_TRUE(again.empty());
}

TEST_P(FailStoreTest, ConcurrentPutsKeepOneOrderPerThread) {
  std::unique_ptr<FailStore> store = Open(tmp_.Join("s"));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        EXPECT_OK(store->Put(std::to_string(t) + ":" + std::to_string(i)).status());
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_OK_AND_ASSIGN(std::vector<FailStoreEntry> all, store->Take(1000));
  ASSERT_EQ(200u, all.size());
  int last[4] = {-1, -1, -1, -1};
  for (const FailStoreEntry& e : all) {
    int t = e.value[0] - '0';
    int i = std::stoi(e.value.substr(2));
    EXPECT_GT(i, last[t]);
    last[t] = i;
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, FailStoreTest, ::testing::Values("ltsdb", "leveldb", "rocksdb"));

TEST(FailStoreConfigTest, EngineComesFromJobFailStore) {
  ASSERT_OK_AND_ASSIGN(Config none, Config::LoadString("{}", "test"));
  EXPECT_EQ("ltsdb", *FailStoreEngineFromConfig(none));
  ASSERT_OK_AND_ASSIGN(Config rocks, Config::LoadString("job: {fail: {store: rocksdb}}", "test"));
  EXPECT_EQ("rocksdb", *FailStoreEngineFromConfig(rocks));
  ASSERT_OK_AND_ASSIGN(Config bdb, Config::LoadString("job: {fail: {store: berkeleydb}}", "test"));
  EXPECT_EQ(StatusCode::kNotSupported, FailStoreEngineFromConfig(bdb).status().code());
  ASSERT_OK_AND_ASSIGN(Config bad, Config::LoadString("job: {fail: {store: redis}}", "test"));
  EXPECT_EQ(StatusCode::kInvalidArgument, FailStoreEngineFromConfig(bad).status().code());
}

TEST(FailStorePathTest, FollowsTheJavaLayout) {
  EXPECT_EQ("/d/.lts/TASK_TRACKER/g1/bizlog_failstore/ltsdb/TT_1",
            FailStorePath("/d", "TASK_TRACKER", "g1", "bizlog", "ltsdb", "TT_1"));
}

}  // namespace
}  // namespace lts::failstore
