// `lts nodes`: exit codes, messages, table and JSON output against the shared servers of
// scripts/test.sh (those tests skip when LTS_TEST_ZK / LTS_TEST_REDIS are unset).

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli.h"
#include "registry/registry.h"
#include "run_lts.h"
#include "testing/free_port.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace lts::cli {
namespace {

TEST(NodesCommandTest, EmbeddedRegistryIsAnErrorNotAnEmptyList) {
  Result r = RunLts({"nodes", "--registry", "embedded://", "--cluster", "c"});
  EXPECT_EQ(1, r.code);
  EXPECT_EQ("", r.out);
  EXPECT_NE(std::string::npos, r.err.find("cannot see it")) << r.err;
}

TEST(NodesCommandTest, BadAddressIsUsageErrorNamingTheAddress) {
  Result r = RunLts({"nodes", "--registry", "zk://h:1", "--cluster", "c"});
  EXPECT_EQ(2, r.code);
  EXPECT_NE(std::string::npos, r.err.find("\"zk://h:1\"")) << r.err;
  r = RunLts({"nodes", "--registry", "redis://h:99999", "--cluster", "c"});
  EXPECT_EQ(2, r.code);
  EXPECT_NE(std::string::npos, r.err.find("redis://h:99999")) << r.err;
  r = RunLts({"nodes", "--cluster", "c"});
  EXPECT_EQ(2, r.code);
  EXPECT_NE(std::string::npos, r.err.find("--registry")) << r.err;
  r = RunLts({"nodes", "--registry", "redis://127.0.0.1:1", "--cluster", "c", "--type", "BACKEND"});
  EXPECT_EQ(2, r.code);
  EXPECT_NE(std::string::npos, r.err.find("BACKEND")) << r.err;
}

TEST(NodesCommandTest, UnreachableRegistryExitsOne) {
  ASSERT_OK_AND_ASSIGN(uint16_t port, lts::testing::PickFreePort());  // Nothing listens there.
  const std::string host = "127.0.0.1:" + std::to_string(port);
  Result r = RunLts({"nodes", "--registry", "redis://" + host, "--cluster", "c"});
  EXPECT_EQ(1, r.code);
  EXPECT_NE(std::string::npos, r.err.find(host)) << r.err;
  r = RunLts(
      {"nodes", "--registry", "zookeeper://" + host, "--cluster", "c", "--timeout-ms", "300"});
  EXPECT_EQ(1, r.code);
  EXPECT_NE(std::string::npos, r.err.find(host)) << r.err;
}

class NodesCommandServerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "zookeeper") {
      std::optional<std::string> zk = lts::testing::ServiceAddress("LTS_TEST_ZK");
      if (!zk) GTEST_SKIP() << "LTS_TEST_ZK is unset (scripts/test.sh starts ZooKeeper)";
      address_ = "zookeeper://" + *zk;
    } else {
      std::optional<std::string> redis = lts::testing::ServiceAddress("LTS_TEST_REDIS");
      if (!redis) GTEST_SKIP() << "LTS_TEST_REDIS is unset (scripts/test.sh starts Redis)";
      address_ = *redis;
    }
    cluster_ = "cli_" + std::to_string(::getpid()) + "_" + GetParam();
  }
  std::string address_;
  std::string cluster_;
};

TEST_P(NodesCommandServerTest, ListsNodesAndMarksTheMaster) {
  registry::RegistryOptions options;
  options.address = address_;
  options.cluster = cluster_;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<registry::Registry> reg, registry::CreateRegistry(options));
  ASSERT_OK(reg->Start());
  registry::Node jt;
  jt.type = registry::NodeType::kJobTracker;
  jt.cluster = cluster_;
  jt.group = "lts";
  jt.identity = "jt-1";
  jt.ip = "10.0.0.5";
  jt.port = 35001;
  jt.threads = 64;
  registry::Node tt = jt;
  tt.type = registry::NodeType::kTaskTracker;
  tt.group = "workers";
  tt.identity = "tt-\xff";  // Not UTF-8: the JSON output must still be valid.
  tt.port = 0;
  tt.threads = 8;
  ASSERT_OK(reg->Register(jt));
  ASSERT_OK(reg->Register(tt));
  ASSERT_OK(reg->Campaign(registry::NodeType::kJobTracker, "lts", "jt-1",
                          [](const registry::MasterInfo&) {}));
  ASSERT_TRUE(lts::testing::WaitFor(
      [&] {
        auto master = reg->Master(registry::NodeType::kJobTracker, "lts");
        return master.ok() && master->has_value();
      },
      std::chrono::seconds(20)));

  Result r = RunLts({"nodes", "--registry", address_, "--cluster", cluster_});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_NE(std::string::npos, r.out.find("TYPE")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("10.0.0.5:35001")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("yes (epoch ")) << r.out;

  r = RunLts({"nodes", "--registry", address_, "--cluster", cluster_, "--json"});
  ASSERT_EQ(0, r.code) << r.err;
  const nlohmann::json doc = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(doc.is_discarded()) << r.out;
  ASSERT_EQ(2u, doc["nodes"].size()) << r.out;
  const nlohmann::json& first = doc["nodes"][0];
  EXPECT_EQ("JOB_TRACKER", first["type"]);
  EXPECT_EQ("jt-1", first["identity"]);
  EXPECT_EQ(true, first["master"]);
  EXPECT_GT(first["epoch"].get<int64_t>(), 0);
  EXPECT_EQ("TASK_TRACKER", doc["nodes"][1]["type"]);
  EXPECT_EQ(false, doc["nodes"][1]["master"]);
  EXPECT_EQ("10.0.0.5", doc["nodes"][1]["address"]);
  ASSERT_EQ(1u, doc["masters"].size());

  r = RunLts(
      {"nodes", "--registry", address_, "--cluster", cluster_, "--json", "--type", "MONITOR"});
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_TRUE(nlohmann::json::parse(r.out)["nodes"].empty());
  reg->Stop();
}

INSTANTIATE_TEST_SUITE_P(Servers, NodesCommandServerTest, ::testing::Values("zookeeper", "redis"));

}  // namespace
}  // namespace lts::cli
