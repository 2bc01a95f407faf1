// The logging facade: LTS_LOG(level, format, args...) over spdlog 1.10 / fmt 9.
//
//   LTS_LOG(INFO, "job {} -> {}", job_id, node);
//   LTS_LOG(WARN, "registry session lost after {} ms", elapsed_ms);
//
// The format string is checked against the arguments at compile time (fmt's
// consteval format_string); a mismatch is a compile error. Arguments are only
// evaluated when the level is enabled.
//
// Levels (style.md section 6): ERROR an operator must act; WARN degraded but handled;
// INFO lifecycle; DEBUG per job; TRACE per frame.
//
// Nothing is configured globally unless the application calls InitLogging(): until
// then messages at INFO and above go to stderr through a private spdlog logger (we
// never touch spdlog's default logger or registry). The SDK never calls InitLogging();
// an embedding application captures our messages with SetLogSink() instead.
//
// Thread safety: every function and LTS_LOG may be called from any thread.
// InitLogging(), SetLogLevel() and SetLogSink() take effect for messages logged after
// they return.

#pragma once

#include <fmt/core.h>
#include <fmt/format.h>

#include <atomic>
#include <functional>
#include <iterator>
#include <string>
#include <string_view>

#include "lts/status.h"
#include "lts/statusor.h"

namespace lts {

enum class LogLevel : int {
  kTrace = 0,
  kDebug = 1,
  kInfo = 2,
  kWarn = 3,
  kError = 4,
};

// "%Y-%m-%d %H:%M:%S.%f" local time, level, thread id, file:line, message.
inline constexpr std::string_view kDefaultLogPattern = "%Y-%m-%d %H:%M:%S.%f %L %t %s:%#] %v";

struct LogOptions {
  // Messages below this level are dropped.
  LogLevel level = LogLevel::kInfo;
  // Append messages to this file; empty means stderr. The directory must exist.
  std::string file_path;
  // With a file_path, also copy every message to stderr.
  bool also_log_to_stderr = false;
  // spdlog pattern (https://github.com/gabime/spdlog/wiki/3.-Custom-formatting):
  // %L level letter, %t thread id, %s source file basename, %# line, %v the message.
  std::string pattern = std::string(kDefaultLogPattern);
};

// Replaces the output of the process-wide logger with the one `options` describe.
// Meant to be called once by main() (apps/), before other threads log; later calls
// are allowed and replace the previous configuration. A sink set by SetLogSink() keeps
// taking precedence. Errors: kIOError if the log file cannot be opened (the previous
// configuration then stays in place).
Status InitLogging(const LogOptions& options);

// Drops messages below `level` from now on.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

// Parses "trace", "debug", "info", "warn" (or "warning"), "error", in any case.
// Errors: kInvalidArgument naming the bad value and listing the valid ones.
StatusOr<LogLevel> ParseLogLevel(std::string_view name);

// "TRACE", "DEBUG", "INFO", "WARN", "ERROR".
std::string_view LogLevelName(LogLevel level);

// Receives each enabled message (the formatted text, without time, level or source
// prefix). Called on the thread that logs, possibly on several threads at once, so it
// must be thread-safe; it should not block. Exceptions it throws are swallowed.
using LogSink = std::function<void(LogLevel level, std::string_view message)>;

// Routes every enabled message to `sink` instead of the spdlog output; an empty
// function restores the spdlog output. For SDK users who capture logs in their own
// logging system, and for tests.
void SetLogSink(LogSink sink);

// Flushes buffered output (the log file). Messages at INFO and above are flushed as
// they are written; DEBUG and TRACE may sit in a buffer until the next flush.
void FlushLogs();

namespace internal {

// The minimum enabled level as an int, read on every LTS_LOG.
inline std::atomic<int> min_log_level{static_cast<int>(LogLevel::kInfo)};

inline bool ShouldLog(LogLevel level) {
  return static_cast<int>(level) >= min_log_level.load(std::memory_order_relaxed);
}

// Writes one formatted message (`file` is __FILE__).
void LogMessage(LogLevel level, const char* file, int line, std::string_view message);

// For check.cc: copies a fatal check message to the log file or sink, if either is
// configured (it has already gone to stderr), and flushes.
void LogFatalMessage(std::string_view message);

template <typename... Args>
void Log(LogLevel level, const char* file, int line, fmt::format_string<Args...> format,
         Args&&... args) {
  fmt::memory_buffer buffer;
  fmt::vformat_to(std::back_inserter(buffer), format, fmt::make_format_args(args...));
  LogMessage(level, file, line, std::string_view(buffer.data(), buffer.size()));
}

// The LTS_LOG level names.
inline constexpr LogLevel kLogLevelTRACE = LogLevel::kTrace;
inline constexpr LogLevel kLogLevelDEBUG = LogLevel::kDebug;
inline constexpr LogLevel kLogLevelINFO = LogLevel::kInfo;
inline constexpr LogLevel kLogLevelWARN = LogLevel::kWarn;
inline constexpr LogLevel kLogLevelERROR = LogLevel::kError;

}  // namespace internal
}  // namespace lts

// LTS_LOG(INFO, "format {}", args...): `level` is TRACE, DEBUG, INFO, WARN or ERROR.
#define LTS_LOG(level, ...)                                                                     \
  do {                                                                                          \
    if (::lts::internal::ShouldLog(::lts::internal::kLogLevel##level)) {                        \
      ::lts::internal::Log(::lts::internal::kLogLevel##level, __FILE__, __LINE__, __VA_ARGS__); \
    }                                                                                           \
  } while (false)
