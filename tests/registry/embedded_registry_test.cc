#include "registry/embedded_registry.h"

#include <gtest/gtest.h>

#include "registry_contract.h"
#include "registry_test_util.h"
#include "testing/status_matchers.h"

namespace lts::registry::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Embedded, RegistryContractTest,
                         ::testing::Values(BackendParam{
                             "Embedded",
                             [] { return std::optional<std::string>("embedded://contract"); }, ""}),
                         BackendName);

std::unique_ptr<Registry> Started(const std::string& address, const std::string& cluster) {
  RegistryOptions options;
  options.address = address;
  options.cluster = cluster;
  StatusOr<std::unique_ptr<Registry>> registry = CreateRegistry(options);
  EXPECT_OK(registry);
  EXPECT_OK((*registry)->Start());
  return std::move(*registry);
}

TEST(EmbeddedRegistryTest, DomainsAndClustersAreSeparate) {
  auto a = Started("embedded://one", "c1");
  auto same = Started("embedded://one", "c1");
  auto other_domain = Started("embedded://two", "c1");
  auto other_cluster = Started("embedded://one", "c2");
  ASSERT_OK(a->Register(MakeNode("c1", NodeType::kTaskTracker, "tt")));
  ASSERT_OK_AND_ASSIGN(std::vector<Node> nodes, same->List(NodeType::kTaskTracker));
  EXPECT_EQ(1u, nodes.size());
  ASSERT_OK_AND_ASSIGN(nodes, other_domain->List(NodeType::kTaskTracker));
  EXPECT_TRUE(nodes.empty());
  ASSERT_OK_AND_ASSIGN(nodes, other_cluster->List(NodeType::kTaskTracker));
  EXPECT_TRUE(nodes.empty());
}

TEST(EmbeddedRegistryTest, IdentityOwnedByAnotherRegistryIsAlreadyExists) {
  auto a = Started("embedded://ids", "c");
  auto b = Started("embedded://ids", "c");
  ASSERT_OK(a->Register(MakeNode("c", NodeType::kTaskTracker, "tt")));
  EXPECT_THAT(b->Register(MakeNode("c", NodeType::kTaskTracker, "tt")),
              ::lts::testing::StatusIs(StatusCode::kAlreadyExists, ::testing::HasSubstr("tt")));
}

TEST(EmbeddedRegistryTest, ListenersRunOneAtATimeAndMayCallTheRegistry) {
  std::atomic<int> running{0};
  std::atomic<int> max_running{0};
  std::atomic<size_t> listed{0};
  auto a = Started("embedded://reentrant", "c");  // Stopped before the atomics go.
  Registry* registry = a.get();
  ASSERT_OK(a->Subscribe(NodeType::kJobClient, [&](const NodeEvent&) {
    const int now = ++running;
    max_running = std::max(max_running.load(), now);
    StatusOr<std::vector<Node>> nodes = registry->List(NodeType::kJobClient);
    if (nodes.ok()) listed = nodes->size();
    --running;
  }));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        EXPECT_OK(registry->Register(
            MakeNode("c", NodeType::kJobClient, "jc-" + std::to_string(t * 100 + i))));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(Eventually([&] { return listed.load() == 100; }));
  EXPECT_EQ(1, max_running.load());
}

TEST(EmbeddedRegistryTest, EpochGrowsWithEveryTerm) {
  auto observer = Started("embedded://terms", "c");
  int64_t last_epoch = 0;
  for (int term = 0; term < 5; ++term) {
    Recorder seen;
    auto candidate = Started("embedded://terms", "c");
    ASSERT_OK(candidate->Campaign(NodeType::kJobTracker, "lts", "jt", seen.MasterCallback()));
    ASSERT_TRUE(Eventually([&] { return seen.LastMaster().is_self; }));
    EXPECT_GT(seen.LastMaster().epoch, last_epoch);
    last_epoch = seen.LastMaster().epoch;
    candidate->Stop();
    ASSERT_OK_AND_ASSIGN(std::optional<MasterInfo> master,
                         observer->Master(NodeType::kJobTracker, "lts"));
    EXPECT_FALSE(master.has_value());
  }
}

TEST(EmbeddedRegistryTest, CallsBeforeStartFail) {
  EmbeddedRegistry registry("", "c");
  EXPECT_THAT(registry.Register(MakeNode("c", NodeType::kJobClient, "x")),
              ::lts::testing::StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
  EXPECT_THAT(registry.List(NodeType::kJobClient),
              ::lts::testing::StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
}

}  // namespace
}  // namespace lts::registry::testing
