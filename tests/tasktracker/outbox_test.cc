// Outbox: batches, the FailStore while sends fail, in-order re-sends, permanent refusals,
// Flush(), and the takeover of another store.

#include "tasktracker/outbox.h"

#include <gtest/gtest.h>

#include <atomic>

#include "base/mutex.h"
#include "testing/temp_dir.h"
#include "testing/test_env.h"

namespace lts::tasktracker {
namespace {

using namespace std::chrono_literals;
using lts::testing::WaitFor;

class OutboxTest : public ::testing::Test {
 protected:
  std::unique_ptr<Outbox> Make(const std::string& dir, Outbox::AdoptFn adopt = {}) {
    auto store = failstore::FailStore::Open("ltsdb", dir);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    Outbox::Options options;
    options.name = "test";
    options.retry_interval = 20ms;
    options.takeover_interval = 50ms;
    return std::make_unique<Outbox>(
        options, std::move(*store),
        [this](const std::vector<std::string>& items, bool resend) -> Status {
          MutexLock lock(&mu_);
          if (!up_) return Unavailable("down");
          if (refuse_) return InvalidArgument("no");
          ++batches_;
          for (const auto& item : items) delivered_.push_back(item + (resend ? "*" : ""));
          return Status::Ok();
        },
        [this] {
          MutexLock lock(&mu_);
          return up_;
        },
        std::move(adopt));
  }
  std::vector<std::string> Delivered() {
    MutexLock lock(&mu_);
    return delivered_;
  }
  void SetUp(bool up) {
    MutexLock lock(&mu_);
    up_ = up;
  }

  lts::testing::TempDir dir_;
  Mutex mu_;
  bool up_ GUARDED_BY(mu_) = true;
  bool refuse_ GUARDED_BY(mu_) = false;
  std::vector<std::string> delivered_ GUARDED_BY(mu_);
  int batches_ GUARDED_BY(mu_) = 0;
};

TEST_F(OutboxTest, DeliversInOrder) {
  auto outbox = Make(dir_.Join("own"));
  outbox->Start();
  outbox->Add("a");
  outbox->Add("b");
  outbox->Flush();
  EXPECT_EQ((std::vector<std::string>{"a", "b"}), Delivered());
  outbox->Stop();
}

TEST_F(OutboxTest, BatchesStayUnderTheByteLimit) {
  auto outbox = Make(dir_.Join("own"));
  SetUp(false);  // Let three big items queue up while the first send fails.
  outbox->Start();
  const std::string big(3 * 1024 * 1024, 'x');
  outbox->Add(big);
  outbox->Add(big);
  outbox->Add(big);
  outbox->Flush();
  {
    MutexLock lock(&mu_);
    batches_ = 0;
    up_ = true;
  }
  ASSERT_TRUE(WaitFor([&] { return Delivered().size() == 3; }, 10s));
  outbox->Stop();
  MutexLock lock(&mu_);
  EXPECT_EQ(3, batches_);  // 3 MiB each: never two in one 4 MiB batch.
}

TEST_F(OutboxTest, StoresWhileDownAndResendsInOrderWhenUp) {
  auto outbox = Make(dir_.Join("own"));
  outbox->Start();
  SetUp(false);
  outbox->Add("a");
  outbox->Flush();
  outbox->Add("b");
  outbox->Flush();
  EXPECT_TRUE(outbox->HasStoredForTest());
  SetUp(true);
  outbox->Add("c");
  ASSERT_TRUE(WaitFor([&] { return Delivered().size() == 3; }, 10s));
  // "c" may have been stored behind "a" and "b" (then it is re-sent too): order is kept.
  std::vector<std::string> got = Delivered();
  EXPECT_EQ("a*", got[0]);
  EXPECT_EQ("b*", got[1]);
  EXPECT_EQ("c", got[2].substr(0, 1));
  // Deleted from the FailStore once delivered (just after the send returned).
  EXPECT_TRUE(WaitFor([&] { return !outbox->HasStoredForTest(); }, 10s));
  outbox->Stop();
}

TEST_F(OutboxTest, StoredItemsSurviveARestart) {
  {
    auto outbox = Make(dir_.Join("own"));
    outbox->Start();
    SetUp(false);
    outbox->Add("kept");
    outbox->Stop();
  }
  SetUp(true);
  auto outbox = Make(dir_.Join("own"));
  outbox->Start();
  ASSERT_TRUE(WaitFor([&] { return Delivered().size() == 1; }, 10s));
  EXPECT_EQ("kept*", Delivered()[0]);
  outbox->Stop();
}

TEST_F(OutboxTest, APermanentRefusalIsDroppedNotRetried) {
  auto outbox = Make(dir_.Join("own"));
  outbox->Start();
  {
    MutexLock lock(&mu_);
    refuse_ = true;
  }
  outbox->Add("bad");
  outbox->Flush();
  EXPECT_FALSE(outbox->HasStoredForTest());
  outbox->Stop();
}

TEST_F(OutboxTest, AdoptedStoresAreDrainedAndDestroyed) {
  const std::string dead_dir = dir_.Join("dead");
  {
    auto dead = failstore::FailStore::Open("ltsdb", dead_dir);
    ASSERT_TRUE(dead.ok());
    ASSERT_TRUE((*dead)->Put("from-dead").ok());
    ASSERT_TRUE((*dead)->Close().ok());
  }
  std::atomic<bool> adopted{false};
  auto outbox = Make(dir_.Join("own"), [&]() {
    std::vector<std::unique_ptr<failstore::FailStore>> out;
    if (!adopted.exchange(true)) {
      auto store = failstore::FailStore::Open("ltsdb", dead_dir, /*create=*/false);
      if (store.ok()) out.push_back(std::move(*store));
    }
    return out;
  });
  outbox->Start();
  ASSERT_TRUE(WaitFor([&] { return Delivered().size() == 1; }, 10s));
  EXPECT_EQ("from-dead*", Delivered()[0]);
  outbox->Stop();
}

}  // namespace
}  // namespace lts::tasktracker
