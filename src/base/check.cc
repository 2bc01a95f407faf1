#include "base/check.h"

#include <cstdio>
#include <cstdlib>

#include "base/logging.h"

namespace lts::internal {
namespace {

std::string_view Basename(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

CheckFailure::CheckFailure(const char* file, int line, std::string_view what) {
  stream_ << "F " << Basename(file) << ':' << line << "] " << what << ' ';
}

CheckFailure::CheckFailure(const char* file, int line, std::string_view what,
                           std::string_view status)
    : CheckFailure(file, line, what) {
  stream_ << status << ' ';
}

CheckFailure::~CheckFailure() {
  const std::string message = stream_.str();
  // stderr first and unbuffered: it is the one destination that cannot be
  // misconfigured, and the process is about to die.
  std::fprintf(stderr, "%s\n", message.c_str());
  std::fflush(stderr);
  LogFatalMessage(message);
  std::abort();
}

}  // namespace lts::internal
