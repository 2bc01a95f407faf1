#include "registry_contract.h"
#include "registry_test_util.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace lts::registry::testing {

BackendParam ZooKeeperBackend() {
  return {"ZooKeeper",
          []() -> std::optional<std::string> {
            std::optional<std::string> zk = lts::testing::ServiceAddress("LTS_TEST_ZK");
            if (!zk) return std::nullopt;
            return "zookeeper://" + *zk;
          },
          "LTS_TEST_ZK is unset (scripts/test.sh starts ZooKeeper)"};
}

BackendParam RedisBackend() {
  return {"Redis", [] { return lts::testing::ServiceAddress("LTS_TEST_REDIS"); },
          "LTS_TEST_REDIS is unset (scripts/test.sh starts Redis)"};
}

void RegistryBackendTest::SetUp() {
  std::optional<std::string> address = GetParam().address();
  if (!address) GTEST_SKIP() << GetParam().skip_reason;
  address_ = *address;
  cluster_ = UniqueCluster(::testing::UnitTest::GetInstance()->current_test_info()->name());
}

void RegistryBackendTest::TearDown() {
  for (auto& registry : registries_) registry->Stop();
}

std::unique_ptr<Registry> RegistryBackendTest::NewRegistry() {
  RegistryOptions options;
  options.address = address_;
  options.cluster = cluster_;
  options.session_timeout_ms = 2000;
  options.reconcile_interval_ms = 200;
  StatusOr<std::unique_ptr<Registry>> registry = CreateRegistry(options);
  EXPECT_OK(registry);
  if (!registry.ok()) return nullptr;
  EXPECT_OK((*registry)->Start());
  return std::move(*registry);
}

}  // namespace lts::registry::testing
