// The behaviour every Registry backend must have, as a value-parameterized suite. The unit
// binary instantiates it for embedded://, the integration binary for zookeeper:// and redis://
// (skipped when LTS_TEST_ZK / LTS_TEST_REDIS are unset).

#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "registry/registry.h"

namespace lts::registry::testing {

struct BackendParam {
  std::string name;
  // The address to use, or nullopt to skip (with `skip_reason`).
  std::function<std::optional<std::string>()> address;
  std::string skip_reason;
};

inline void PrintTo(const BackendParam& param, std::ostream* os) { *os << param.name; }

inline std::string BackendName(const ::testing::TestParamInfo<BackendParam>& info) {
  return info.param.name;
}

// The shared servers of scripts/test.sh.
BackendParam ZooKeeperBackend();
BackendParam RedisBackend();

// A started registry per call on the backend of the parameter, with a cluster of its own.
// (registry_backend_fixture.cc)
class RegistryBackendTest : public ::testing::TestWithParam<BackendParam> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A started registry on the backend, for `cluster_`.
  std::unique_ptr<Registry> NewRegistry();

  std::string address_;
  std::string cluster_;
  std::vector<std::unique_ptr<Registry>> registries_;  // Stopped in TearDown.
};

// The contract suite (registry_contract.cc).
class RegistryContractTest : public RegistryBackendTest {};

}  // namespace lts::registry::testing
