// The shell runner's contract (docs/tasktracker.md), run through JobRunnerTester.

#include "tasktracker/shell_runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "lts/job_runner_tester.h"
#include "tasktracker/runner_call.h"
#include "testing/temp_dir.h"
#include "testing/test_env.h"

namespace lts::tasktracker {
namespace {

using namespace std::chrono_literals;

Job ShellJob(const std::string& command) {
  Job job;
  job.task_id = "shell-task";
  job.task_tracker_node_group = "shell";
  job.ext_params["command"] = command;
  return job;
}

std::vector<std::string> Lines(const JobRunnerTester& tester, BizLogLevel level) {
  std::vector<std::string> out;
  for (const BizLogRecord& r : tester.biz_logs()) {
    if (r.level == level) out.push_back(r.message);
  }
  return out;
}

// Alive and not a zombie.
bool ProcessRuns(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] != 'Z';
}

pid_t ReadPid(const std::string& path) {
  std::ifstream in(path);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

class NullBizLogger : public BizLogger {
 public:
  void Log(BizLogLevel, std::string_view) override {}
};

class ShellRunnerTest : public ::testing::Test {
 protected:
  JobRunResult Run(const Job& job, ShellRunnerOptions options = {}) {
    ShellRunner runner(options);
    return tester_.Run(runner, job);
  }

  // Runs `job` on another thread and interrupts it (as terminate does) once the job has
  // written `ready_file`, however slow the machine is.
  JobRunResult RunAndInterruptWhenReady(const Job& job, const std::string& ready_file,
                                        ShellRunnerOptions options = {}) {
    ShellRunner runner(options);
    NullBizLogger logger;
    JobContext::Params params;
    params.job = job;
    params.job_id = "J1";
    JobContext ctx(std::move(params), &logger);
    JobRunResult result;
    std::thread run([&] { result = CallRunner(&runner, ctx); });
    EXPECT_TRUE(lts::testing::WaitFor([&] { return ReadPid(ready_file) > 0; }, 60s));
    InterruptRunner(&runner, ctx);
    run.join();
    return result;
  }
  void TearDown() override {
    // Every child was reaped: no zombie of ours is left.
    int status;
    EXPECT_EQ(-1, ::waitpid(-1, &status, WNOHANG));
    EXPECT_EQ(ECHILD, errno);
  }
  JobRunnerTester tester_;
  lts::testing::TempDir dir_;
};

TEST_F(ShellRunnerTest, ExitZeroIsSuccessAndStdoutLinesAreInfo) {
  JobRunResult r = Run(ShellJob("echo one; echo two"));
  EXPECT_EQ(JobAction::kExecuteSuccess, r.action);
  EXPECT_EQ((std::vector<std::string>{"one", "two"}), Lines(tester_, BizLogLevel::kInfo));
}

TEST_F(ShellRunnerTest, StderrLinesAreWarnings) {
  JobRunResult r = Run(ShellJob("echo oops >&2; printf 'no newline' >&2"));
  EXPECT_EQ(JobAction::kExecuteSuccess, r.action);
  EXPECT_EQ((std::vector<std::string>{"oops", "no newline"}), Lines(tester_, BizLogLevel::kWarn));
}

TEST_F(ShellRunnerTest, NonZeroExitIsFailed) {
  JobRunResult r = Run(ShellJob("exit 3"));
  EXPECT_EQ(JobAction::kExecuteFailed, r.action);
  EXPECT_EQ("exit code 3", r.message);
}

TEST_F(ShellRunnerTest, ListedExitCodeIsLater) {
  Job job = ShellJob("exit 75");
  job.ext_params["laterExitCodes"] = "75, 76";
  JobRunResult r = Run(job);
  EXPECT_EQ(JobAction::kExecuteLater, r.action);
  job.ext_params["command"] = "exit 77";
  EXPECT_EQ(JobAction::kExecuteFailed, Run(job).action);
}

TEST_F(ShellRunnerTest, BadLaterExitCodesAreIgnoredWithAWarning) {
  Job job = ShellJob("exit 75");
  job.ext_params["laterExitCodes"] = "75,banana";
  EXPECT_EQ(JobAction::kExecuteFailed, Run(job).action);
  ASSERT_EQ(1u, Lines(tester_, BizLogLevel::kWarn).size());
  EXPECT_NE(std::string::npos, Lines(tester_, BizLogLevel::kWarn)[0].find("banana"));
}

TEST_F(ShellRunnerTest, MissingCommandIsFailed) {
  Job job = ShellJob("");
  job.ext_params.erase("command");
  JobRunResult r = Run(job);
  EXPECT_EQ(JobAction::kExecuteFailed, r.action);
  EXPECT_EQ("no command param", r.message);
}

TEST_F(ShellRunnerTest, KilledBySignalIsExceptionNamingTheSignal) {
  JobRunResult r = Run(ShellJob("kill -KILL $$"));
  EXPECT_EQ(JobAction::kExecuteException, r.action);
  EXPECT_NE(std::string::npos, r.message.find("SIGKILL")) << r.message;
}

TEST_F(ShellRunnerTest, ParamsAndJobFactsAreEnvironmentVariables) {
  Job job = ShellJob("echo \"$GREETING|$LTS_JOB_ID|$LTS_TASK_ID|$LTS_ATTEMPT|$LTS_NODE_GROUP\"");
  job.ext_params["GREETING"] = "hi there";
  job.ext_params["bad-name"] = "x";
  job.ext_params["1st"] = "x";
  JobContext::Params params;
  params.job = job;
  params.job_id = "J42";
  params.retry_times = 2;
  ShellRunner runner;
  JobRunResult r = tester_.Run(runner, params);
  EXPECT_EQ(JobAction::kExecuteSuccess, r.action);
  EXPECT_EQ((std::vector<std::string>{"hi there|J42|shell-task|3|shell"}),
            Lines(tester_, BizLogLevel::kInfo));
  EXPECT_EQ(2u, Lines(tester_, BizLogLevel::kWarn).size());  // bad-name, 1st.
}

TEST_F(ShellRunnerTest, InvalidUtf8IsReplacedAndLongLinesAreCut) {
  JobRunResult r = Run(
      ShellJob("printf 'a\\377b\\n'; head -c 70000 /dev/zero | tr '\\000' x; echo; echo after"));
  EXPECT_EQ(JobAction::kExecuteSuccess, r.action);
  std::vector<std::string> lines = Lines(tester_, BizLogLevel::kInfo);
  ASSERT_EQ(3u, lines.size());
  EXPECT_EQ(
      "a\xEF\xBF\xBD"
      "b",
      lines[0]);
  EXPECT_EQ(64u * 1024, lines[1].size());
  EXPECT_EQ("after", lines[2]);
}

TEST_F(ShellRunnerTest, NoDescriptorOfTheTaskTrackerLeaksIntoTheJob) {
  const int leaky = ::open("/dev/null", O_RDONLY);  // Deliberately without O_CLOEXEC.
  ASSERT_GE(leaky, 3);
  JobRunResult r = Run(ShellJob("ls /proc/$$/fd"));
  ::close(leaky);
  EXPECT_EQ(JobAction::kExecuteSuccess, r.action);
  std::vector<std::string> fds = Lines(tester_, BizLogLevel::kInfo);
  EXPECT_EQ((std::vector<std::string>{"0", "1", "2"}), fds);
}

TEST_F(ShellRunnerTest, InterruptTerminatesTheWholeProcessGroup) {
  const std::string pidfile = dir_.Join("grandchild.pid");
  JobRunResult r =
      RunAndInterruptWhenReady(ShellJob("sleep 300 & echo $! > " + pidfile + "; wait"), pidfile);
  EXPECT_EQ(JobAction::kExecuteFailed, r.action);
  EXPECT_EQ("terminated", r.message);
  const pid_t grandchild = ReadPid(pidfile);
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(lts::testing::WaitFor([&] { return !ProcessRuns(grandchild); }, 10s));
}

TEST_F(ShellRunnerTest, ProcessesIgnoringTermAreKilledAfterTheGrace) {
  const std::string pidfile = dir_.Join("stubborn.pid");
  ShellRunnerOptions options;
  options.kill_grace = 200ms;
  JobRunResult r =
      RunAndInterruptWhenReady(ShellJob("trap '' TERM; sh -c 'trap \"\" TERM; echo $$ > " +
                                        pidfile + "; exec sleep 300' & wait; wait"),
                               pidfile, options);
  EXPECT_EQ(JobAction::kExecuteFailed, r.action);
  const pid_t stubborn = ReadPid(pidfile);
  ASSERT_GT(stubborn, 0);
  EXPECT_TRUE(lts::testing::WaitFor([&] { return !ProcessRuns(stubborn); }, 10s));
}

TEST_F(ShellRunnerTest, BackgroundProcessHoldingStdoutDoesNotHangTheRun) {
  const std::string pidfile = dir_.Join("bg.pid");
  const auto start = std::chrono::steady_clock::now();
  JobRunResult r = Run(ShellJob("sleep 30 & echo $! > " + pidfile + "; echo done"));
  EXPECT_EQ(JobAction::kExecuteSuccess, r.action);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
  const pid_t bg = ReadPid(pidfile);
  if (bg > 0) ::kill(bg, SIGKILL);
}

TEST(ShellRunnerParseTest, EnvNames) {
  EXPECT_TRUE(IsValidEnvName("PATH"));
  EXPECT_TRUE(IsValidEnvName("_x1"));
  EXPECT_FALSE(IsValidEnvName("1x"));
  EXPECT_FALSE(IsValidEnvName("a-b"));
  EXPECT_FALSE(IsValidEnvName(""));
  EXPECT_FALSE(IsValidEnvName("a=b"));
}

TEST(ShellRunnerParseTest, ExitCodes) {
  StatusOr<std::set<int>> codes = ParseExitCodes(" 75,76 ,");
  ASSERT_TRUE(codes.ok());
  EXPECT_EQ((std::set<int>{75, 76}), *codes);
  EXPECT_FALSE(ParseExitCodes("0").ok());
  EXPECT_FALSE(ParseExitCodes("256").ok());
  EXPECT_FALSE(ParseExitCodes("x").ok());
}

}  // namespace
}  // namespace lts::tasktracker
