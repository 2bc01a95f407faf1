// The test environment: addresses of optional external services, and waiting on a
// condition with a deadline (tests never sleep a fixed time to wait for something).
//
//   std::optional<std::string> zk = ServiceAddress("LTS_TEST_ZK");
//   if (!zk) GTEST_SKIP() << "set LTS_TEST_ZK=host:port to run against ZooKeeper";
//
//   ASSERT_TRUE(WaitFor([&] { return tracker.connected(); }, std::chrono::seconds(10)));
//
// Variables in use: LTS_TEST_ZK, LTS_TEST_REDIS, LTS_TEST_PG, LTS_TEST_SMTP.
//
// Thread safety: both functions may be called from any thread (the environment must
// not be modified concurrently, as for std::getenv).

#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace lts::testing {

// The value of `env_var`, or nullopt if it is unset or empty.
std::optional<std::string> ServiceAddress(const char* env_var);

// Calls `predicate` until it returns true or `timeout` (real, monotonic time) has
// passed; checks once more at the deadline. Returns the predicate's last result.
// Blocks the calling thread, polling with a short, growing interval (up to 10 ms).
bool WaitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout);

}  // namespace lts::testing
