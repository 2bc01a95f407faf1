#include "base/signals.h"

#include <csignal>
#include <mutex>

namespace lts {

void IgnoreSigPipe() {
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

}  // namespace lts
