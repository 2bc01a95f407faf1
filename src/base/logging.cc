#include "base/logging.h"

#include <spdlog/logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <array>
#include <cstdio>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "base/no_destructor.h"
#include "base/string_util.h"

namespace lts {
namespace {

struct LoggingState {
  Mutex mu;
  // Created on first use (stderr) or by InitLogging().
  std::shared_ptr<spdlog::logger> logger GUARDED_BY(mu);
  // Writes to the log file alone (shares its sink with `logger`); null without a file.
  std::shared_ptr<spdlog::logger> file_logger GUARDED_BY(mu);
  // Set by SetLogSink(); takes precedence over `logger`.
  std::shared_ptr<const LogSink> sink GUARDED_BY(mu);
};

// Never destroyed, so threads that log during static destruction (a pool torn down by
// another static, say) never see a dead logger.
LoggingState& State() {
  static NoDestructor<LoggingState> state;
  return *state;
}

spdlog::level::level_enum ToSpdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::err;
}

std::shared_ptr<spdlog::logger> MakeLogger(std::vector<spdlog::sink_ptr> sinks,
                                           const std::string& pattern) {
  auto logger = std::make_shared<spdlog::logger>("lts", sinks.begin(), sinks.end());
  // Filtering happens in ShouldLog(); the spdlog logger passes everything it gets.
  logger->set_level(spdlog::level::trace);
  logger->set_pattern(pattern);
  logger->flush_on(spdlog::level::info);
  return logger;
}

std::shared_ptr<spdlog::logger> DefaultLogger() {
  return MakeLogger({std::make_shared<spdlog::sinks::stderr_sink_mt>()},
                    std::string(kDefaultLogPattern));
}

void CallSink(const LogSink& sink, LogLevel level, std::string_view message) {
  // The sink is user code; an exception must not unwind into the code that logged.
  try {
    sink(level, message);
  } catch (...) {
    std::fputs("lts: the log sink threw an exception; message dropped\n", stderr);
  }
}

}  // namespace

Status InitLogging(const LogOptions& options) {
  std::vector<spdlog::sink_ptr> sinks;
  std::shared_ptr<spdlog::logger> file_logger;
  if (!options.file_path.empty()) {
    spdlog::sink_ptr file_sink;
    // spdlog reports a file it cannot open by throwing spdlog_ex.
    try {
      file_sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file_path, false);
    } catch (const std::exception& e) {
      return IOError(fmt::format("log file {}: {}", options.file_path, e.what()));
    }
    sinks.push_back(file_sink);
    file_logger = MakeLogger({file_sink}, options.pattern);
  }
  if (options.file_path.empty() || options.also_log_to_stderr) {
    sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  }
  std::shared_ptr<spdlog::logger> logger = MakeLogger(std::move(sinks), options.pattern);
  std::shared_ptr<spdlog::logger> old;
  {
    LoggingState& state = State();
    MutexLock lock(&state.mu);
    old = std::exchange(state.logger, std::move(logger));
    state.file_logger = std::move(file_logger);
  }
  if (old != nullptr) old->flush();
  SetLogLevel(options.level);
  return Status::Ok();
}

void SetLogLevel(LogLevel level) {
  internal::min_log_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

LogLevel GetLogLevel() {
  return static_cast<LogLevel>(internal::min_log_level.load(std::memory_order_relaxed));
}

StatusOr<LogLevel> ParseLogLevel(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, LogLevel>, 6> kNames = {{
      {"trace", LogLevel::kTrace},
      {"debug", LogLevel::kDebug},
      {"info", LogLevel::kInfo},
      {"warn", LogLevel::kWarn},
      {"warning", LogLevel::kWarn},
      {"error", LogLevel::kError},
  }};
  for (const auto& [candidate, level] : kNames) {
    if (EqualsIgnoreCase(name, candidate)) return level;
  }
  return InvalidArgument(fmt::format(
      "unknown log level {}; expected one of trace, debug, info, warn, error", Quote(name)));
}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "TRACE";
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "UNKNOWN";
}

void SetLogSink(LogSink sink) {
  std::shared_ptr<const LogSink> shared;
  if (sink) shared = std::make_shared<const LogSink>(std::move(sink));
  LoggingState& state = State();
  MutexLock lock(&state.mu);
  state.sink = std::move(shared);
}

void FlushLogs() {
  std::shared_ptr<spdlog::logger> logger;
  {
    LoggingState& state = State();
    MutexLock lock(&state.mu);
    logger = state.logger;
  }
  if (logger != nullptr) logger->flush();
}

namespace internal {

void LogMessage(LogLevel level, const char* file, int line, std::string_view message) {
  // Copy the destinations out so that no lock is held while writing: a slow sink must
  // not serialize unrelated threads more than spdlog already does, and a sink that
  // logs must not deadlock.
  std::shared_ptr<const LogSink> sink;
  std::shared_ptr<spdlog::logger> logger;
  {
    LoggingState& state = State();
    MutexLock lock(&state.mu);
    sink = state.sink;
    if (sink == nullptr) {
      if (state.logger == nullptr) state.logger = DefaultLogger();
      logger = state.logger;
    }
  }
  if (sink != nullptr) {
    CallSink(*sink, level, message);
    return;
  }
  logger->log(spdlog::source_loc{file, line, ""}, ToSpdlog(level),
              spdlog::string_view_t(message.data(), message.size()));
}

void LogFatalMessage(std::string_view message) {
  std::shared_ptr<const LogSink> sink;
  std::shared_ptr<spdlog::logger> logger;
  {
    LoggingState& state = State();
    MutexLock lock(&state.mu);
    sink = state.sink;
    logger = state.file_logger;
  }
  if (sink != nullptr) {
    CallSink(*sink, LogLevel::kError, message);
  } else if (logger != nullptr) {
    logger->log(spdlog::level::critical, spdlog::string_view_t(message.data(), message.size()));
    logger->flush();
  }
}

}  // namespace internal
}  // namespace lts
