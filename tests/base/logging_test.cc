#include "base/logging.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace lts {
namespace {

using ::lts::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// Records what reaches the sink; thread-safe, as a sink must be.
class CapturedLogs {
 public:
  LogSink Sink() {
    return [this](LogLevel level, std::string_view message) {
      MutexLock lock(&mu_);
      messages_.emplace_back(level, std::string(message));
    };
  }

  std::vector<std::pair<LogLevel, std::string>> messages() const {
    MutexLock lock(&mu_);
    return messages_;
  }

 private:
  mutable Mutex mu_;
  std::vector<std::pair<LogLevel, std::string>> messages_ GUARDED_BY(mu_);
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Logging is process-wide: every test starts from, and restores, the defaults.
class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override { ResetLogging(); }
  void TearDown() override { ResetLogging(); }

  static void ResetLogging() {
    SetLogSink(nullptr);
    ASSERT_OK(InitLogging(LogOptions{}));
  }

  CapturedLogs captured_;
};

TEST_F(LoggingTest, SinkReceivesFormattedMessagesWithTheirLevel) {
  SetLogSink(captured_.Sink());
  LTS_LOG(INFO, "job {} -> {}", 42, "node-1");
  LTS_LOG(ERROR, "disk {:.1f}% full", 99.5);
  EXPECT_THAT(captured_.messages(), ElementsAre(Pair(LogLevel::kInfo, "job 42 -> node-1"),
                                                Pair(LogLevel::kError, "disk 99.5% full")));
}

TEST_F(LoggingTest, MessagesBelowTheLevelAreDroppedWithoutEvaluatingArguments) {
  SetLogSink(captured_.Sink());
  SetLogLevel(LogLevel::kWarn);
  int evaluations = 0;
  auto expensive = [&evaluations] { return ++evaluations; };
  LTS_LOG(INFO, "dropped {}", expensive());
  LTS_LOG(DEBUG, "dropped {}", expensive());
  LTS_LOG(WARN, "kept {}", expensive());
  EXPECT_EQ(1, evaluations);
  EXPECT_THAT(captured_.messages(), ElementsAre(Pair(LogLevel::kWarn, "kept 1")));
  EXPECT_EQ(LogLevel::kWarn, GetLogLevel());
}

TEST_F(LoggingTest, TraceIsDeliveredWhenEnabled) {
  SetLogSink(captured_.Sink());
  SetLogLevel(LogLevel::kTrace);
  LTS_LOG(TRACE, "frame {}", 7);
  EXPECT_THAT(captured_.messages(), ElementsAre(Pair(LogLevel::kTrace, "frame 7")));
}

TEST_F(LoggingTest, ClearingTheSinkStopsCapture) {
  SetLogSink(captured_.Sink());
  LTS_LOG(INFO, "captured");
  SetLogSink(nullptr);
  LTS_LOG(INFO, "to stderr");
  EXPECT_EQ(1u, captured_.messages().size());
}

TEST_F(LoggingTest, SinkIsCalledFromEveryLoggingThread) {
  SetLogSink(captured_.Sink());
  constexpr int kThreads = 4;
  constexpr int kMessagesPerThread = 100;
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([t] {
        for (int i = 0; i < kMessagesPerThread; ++i) LTS_LOG(INFO, "thread {} message {}", t, i);
      });
    }
  }
  EXPECT_EQ(static_cast<size_t>(kThreads * kMessagesPerThread), captured_.messages().size());
}

TEST_F(LoggingTest, SinkThatThrowsDoesNotUnwindIntoTheCaller) {
  SetLogSink([](LogLevel, std::string_view) { throw std::runtime_error("sink broke"); });
  LTS_LOG(ERROR, "survives");
  SUCCEED();
}

TEST_F(LoggingTest, InitLoggingWritesTimeLevelThreadAndSourceToTheFile) {
  testing::TempDir dir;
  LogOptions options;
  options.file_path = dir.Join("lts.log");
  options.level = LogLevel::kDebug;
  ASSERT_OK(InitLogging(options));
  LTS_LOG(DEBUG, "scheduled job {}", "j-1");
  LTS_LOG(TRACE, "not written");
  FlushLogs();
  const std::string contents = ReadFile(options.file_path);
  EXPECT_THAT(contents, HasSubstr("scheduled job j-1"));
  EXPECT_THAT(contents, HasSubstr("logging_test.cc:"));
  EXPECT_THAT(contents,
              ::testing::ContainsRegex(
                  "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ D [0-9]+ logging_test.cc:[0-9]+\\] "
                  "scheduled job j-1\n$"));
  EXPECT_THAT(contents, ::testing::Not(HasSubstr("not written")));
}

TEST_F(LoggingTest, InitLoggingReportsAFileItCannotOpen) {
  testing::TempDir dir;
  LogOptions options;
  options.file_path = dir.Join("missing-dir/sub/lts.log");
  // spdlog creates missing parent directories; a regular file in the way still fails.
  { std::ofstream blocker(dir.Join("missing-dir")); }
  EXPECT_THAT(InitLogging(options), StatusIs(StatusCode::kIOError, HasSubstr("lts.log")));
}

TEST_F(LoggingTest, FatalCheckMessageIsCopiedToTheSink) {
  SetLogSink(captured_.Sink());
  internal::LogFatalMessage("F x.cc:1] Check failed: a");
  EXPECT_THAT(captured_.messages(),
              ElementsAre(Pair(LogLevel::kError, "F x.cc:1] Check failed: a")));
}

TEST(ParseLogLevelTest, AcceptsEveryLevelNameInAnyCase) {
  EXPECT_EQ(LogLevel::kTrace, ParseLogLevel("trace").value());
  EXPECT_EQ(LogLevel::kDebug, ParseLogLevel("DEBUG").value());
  EXPECT_EQ(LogLevel::kInfo, ParseLogLevel("Info").value());
  EXPECT_EQ(LogLevel::kWarn, ParseLogLevel("warn").value());
  EXPECT_EQ(LogLevel::kWarn, ParseLogLevel("WARNING").value());
  EXPECT_EQ(LogLevel::kError, ParseLogLevel("error").value());
}

TEST(ParseLogLevelTest, ErrorNamesTheBadValueAndListsTheValidOnes) {
  EXPECT_THAT(ParseLogLevel("verbose"),
              StatusIs(StatusCode::kInvalidArgument,
                       "unknown log level \"verbose\"; expected one of trace, debug, info, "
                       "warn, error"));
  EXPECT_THAT(ParseLogLevel(""), StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"\"")));
}

TEST(LogLevelNameTest, RoundTripsThroughParseLogLevel) {
  for (LogLevel level :
       {LogLevel::kTrace, LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    EXPECT_EQ(level, ParseLogLevel(LogLevelName(level)).value());
  }
}

}  // namespace
}  // namespace lts
