// Failover across processes: registry members in helper processes (registry_node_helper) join,
// leave gracefully, and die by SIGKILL; an observer in the test process measures how long the
// master of the group takes to change. Uses the shared servers (it only kills its own
// helpers); skipped when LTS_TEST_ZK / LTS_TEST_REDIS are unset.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "registry_contract.h"
#include "registry_test_util.h"
#include "testing/server_process.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "testing/test_env.h"

namespace lts::registry::testing {
namespace {

using Kind = NodeEvent::Kind;
constexpr int kSessionTimeoutMs = 2000;

std::string HelperPath() {
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "registry_node_helper")
      .string();
}

// One registry_node_helper child, killed with SIGKILL when destroyed.
class Helper {
 public:
  Helper(const std::string& address, const std::string& cluster, const std::string& identity,
         const std::string& log) {
    std::vector<std::string> args = {HelperPath(),
                                     "--registry",
                                     address,
                                     "--cluster",
                                     cluster,
                                     "--identity",
                                     identity,
                                     "--group",
                                     "lts",
                                     "--campaign",
                                     "--session-timeout-ms",
                                     std::to_string(kSessionTimeoutMs)};
    StatusOr<pid_t> pid = lts::testing::SpawnChild(std::move(args), log);
    EXPECT_OK(pid);
    if (pid.ok()) pid_ = *pid;
  }
  Helper(const Helper&) = delete;
  Helper& operator=(const Helper&) = delete;
  ~Helper() { Signal(SIGKILL); }

  // Sends `signal` and reaps the process; returns its wait status.
  int Signal(int signal) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
};

class FailoverTest : public RegistryBackendTest {
 protected:
  std::optional<MasterInfo> MasterNow(Registry* registry) {
    StatusOr<std::optional<MasterInfo>> master = registry->Master(NodeType::kJobTracker, "lts");
    return master.ok() ? *master : std::nullopt;
  }
  bool MasterIs(Registry* registry, const std::string& identity) {
    std::optional<MasterInfo> master = MasterNow(registry);
    return master.has_value() && master->identity == identity;
  }
  lts::testing::TempDir logs_;
};

TEST_P(FailoverTest, MasterMovesWithinSessionTimeoutPlusOneSecondAfterSigkill) {
  Recorder seen;
  auto observer = NewRegistry();
  ASSERT_TRUE(observer);
  ASSERT_OK(observer->Subscribe(NodeType::kJobTracker, seen.NodeCallback()));

  Helper a(address_, cluster_, "jt-a", logs_.Join("a.log"));
  ASSERT_TRUE(Eventually([&] { return MasterIs(observer.get(), "jt-a"); }))
      << "helper a never became master; see its log";
  const int64_t epoch_a = MasterNow(observer.get())->epoch;
  Helper b(address_, cluster_, "jt-b", logs_.Join("b.log"));
  ASSERT_TRUE(Eventually([&] { return seen.Present("jt-a") && seen.Present("jt-b"); }));
  EXPECT_TRUE(MasterIs(observer.get(), "jt-a"));

  const auto killed = std::chrono::steady_clock::now();
  a.Signal(SIGKILL);
  ASSERT_TRUE(lts::testing::WaitFor([&] { return MasterIs(observer.get(), "jt-b"); },
                                    std::chrono::milliseconds(kSessionTimeoutMs + 15000)));
  const auto failover = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - killed);
  ASSERT_TRUE(Eventually([&] { return seen.Count(Kind::kRemove, "jt-a") == 1; }));
  const auto removed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - killed);
  std::printf(
      "[ MEASURED ] %s: master jt-a SIGKILLed -> jt-b master after %lld ms, jt-a REMOVE "
      "seen by %lld ms (session timeout %d ms)\n",
      GetParam().name.c_str(), static_cast<long long>(failover.count()),
      static_cast<long long>(removed.count()), kSessionTimeoutMs);
  EXPECT_LE(failover.count(), kSessionTimeoutMs + 1000);
  EXPECT_GT(MasterNow(observer.get())->epoch, epoch_a);

  // A graceful leave is seen at once (no TTL or session timeout involved) and ends the term.
  EXPECT_EQ(0, b.Signal(SIGTERM));
  ASSERT_TRUE(Eventually([&] { return seen.Count(Kind::kRemove, "jt-b") == 1; }));
  ASSERT_TRUE(Eventually([&] { return !MasterNow(observer.get()).has_value(); }));
}

INSTANTIATE_TEST_SUITE_P(Servers, FailoverTest,
                         ::testing::Values(ZooKeeperBackend(), RedisBackend()), BackendName);

}  // namespace
}  // namespace lts::registry::testing
