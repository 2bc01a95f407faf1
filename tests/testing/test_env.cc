#include "testing/test_env.h"

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace lts::testing {

std::optional<std::string> ServiceAddress(const char* env_var) {
  const char* value = std::getenv(env_var);
  if (value == nullptr || value[0] == '\0') return std::nullopt;
  return std::string(value);
}

bool WaitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::microseconds interval(100);
  while (true) {
    if (predicate()) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    // Polling between checks; the wait ends as soon as the condition holds.
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(interval, deadline - now));
    interval = std::min<std::chrono::microseconds>(interval * 2, std::chrono::milliseconds(10));
  }
}

}  // namespace lts::testing
