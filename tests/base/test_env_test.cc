// Tests for tests/testing/test_env.h.
#include "testing/test_env.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

namespace lts::testing {
namespace {

TEST(ServiceAddressTest, ReturnsTheVariableWhenSet) {
  ASSERT_EQ(0, setenv("LTS_TEST_ENV_SELFTEST", "127.0.0.1:2181", 1));
  EXPECT_EQ("127.0.0.1:2181", ServiceAddress("LTS_TEST_ENV_SELFTEST").value_or(""));
  unsetenv("LTS_TEST_ENV_SELFTEST");
}

TEST(ServiceAddressTest, UnsetOrEmptyMeansNoService) {
  unsetenv("LTS_TEST_ENV_SELFTEST");
  EXPECT_FALSE(ServiceAddress("LTS_TEST_ENV_SELFTEST").has_value());
  ASSERT_EQ(0, setenv("LTS_TEST_ENV_SELFTEST", "", 1));
  EXPECT_FALSE(ServiceAddress("LTS_TEST_ENV_SELFTEST").has_value());
  unsetenv("LTS_TEST_ENV_SELFTEST");
}

TEST(WaitForTest, ReturnsAtOnceWhenTheConditionAlreadyHolds) {
  int calls = 0;
  EXPECT_TRUE(WaitFor(
      [&calls] {
        ++calls;
        return true;
      },
      std::chrono::seconds(30)));
  EXPECT_EQ(1, calls);
}

TEST(WaitForTest, ReturnsTrueOnceAnotherThreadMakesTheConditionTrue) {
  std::atomic<bool> flag{false};
  std::jthread setter([&flag] { flag.store(true); });
  EXPECT_TRUE(WaitFor([&flag] { return flag.load(); }, std::chrono::seconds(30)));
}

TEST(WaitForTest, ReturnsFalseAtTheDeadline) {
  int calls = 0;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(WaitFor(
      [&calls] {
        ++calls;
        return false;
      },
      std::chrono::milliseconds(20)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(20));
  EXPECT_GE(calls, 2);  // Polled, and checked once more at the deadline.
}

}  // namespace
}  // namespace lts::testing
