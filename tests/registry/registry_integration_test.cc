// The registry contract against the real servers of scripts/test.sh (LTS_TEST_ZK,
// LTS_TEST_REDIS); skipped when they are unset.

#include <gtest/gtest.h>

#include "registry_contract.h"
#include "testing/test_env.h"

namespace lts::registry::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Servers, RegistryContractTest,
                         ::testing::Values(ZooKeeperBackend(), RedisBackend()), BackendName);

}  // namespace
}  // namespace lts::registry::testing
