// The TaskTracker node against a TestJobTracker: capacity reports, pushes, results with
// piggy-backed jobs, JOB_ASK, TERMINATE_JOB, timeouts, FailStores while the JobTracker
// is down, a restarted TaskTracker, a dead sibling's FailStore, business log order.

#include "lts/task_tracker.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <thread>

#include "base/fake_clock.h"
#include "registry/registry.h"
#include "test_jobtracker.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"
#include "testing/test_env.h"

namespace lts {
namespace {

using namespace std::chrono_literals;
using lts::testing::WaitFor;
using tasktracker::testing::MakeJobMeta;
using tasktracker::testing::TestJobTracker;

constexpr auto kWait = 20s;

// A runner whose behaviour the test gives as a function.
class FnRunner : public JobRunner {
 public:
  using Fn = std::function<JobRunResult(JobContext&)>;
  explicit FnRunner(Fn fn, std::atomic<int>* interrupts)
      : fn_(std::move(fn)), interrupts_(interrupts) {}
  JobRunResult Run(JobContext& ctx) override { return fn_(ctx); }
  void Interrupt() override { ++*interrupts_; }

 private:
  Fn fn_;
  std::atomic<int>* interrupts_;
};

class TaskTrackerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(jt_.Start().ok()); }
  void TearDown() override {
    release_ = true;
    if (tracker_) tracker_->Stop();
  }

  TaskTracker::Options MakeOptions(int threads = 2) {
    TaskTracker::Options options;
    options.jobtrackers = {jt_.address()};
    options.node_group = "test_group";
    options.identity = "tt-1";
    options.work_threads = threads;
    options.data_dir = dir_.path();
    options.heartbeat_interval_ms = 100;
    options.fail_store_retry_ms = 100;
    options.stop_grace_ms = 5000;
    return options;
  }

  // Jobs run `fn`; by default they succeed at once.
  std::unique_ptr<TaskTracker> MakeTracker(TaskTracker::Options options) {
    return std::make_unique<TaskTracker>(options, [this](const Job&) {
      return std::make_unique<FnRunner>(
          [this](JobContext& ctx) {
            std::function<JobRunResult(JobContext&)> fn;
            {
              std::lock_guard lock(fn_mu_);
              fn = fn_;
            }
            return fn ? fn(ctx) : JobRunResult{JobAction::kExecuteSuccess, "ok"};
          },
          &interrupts_);
    });
  }

  void StartTracker(TaskTracker::Options options) {
    tracker_ = MakeTracker(options);
    ASSERT_TRUE(tracker_->Start().ok());
    ASSERT_TRUE(WaitFor([&] { return tracker_->connected() && jt_.connections() > 0; }, kWait));
  }

  void SetRunner(std::function<JobRunResult(JobContext&)> fn) {
    std::lock_guard lock(fn_mu_);
    fn_ = std::move(fn);
  }

  // A runner that waits until the test releases it (or it is interrupted).
  void BlockRuns() {
    SetRunner([this](JobContext& ctx) {
      ++started_;
      while (!release_ && !ctx.interrupted()) std::this_thread::sleep_for(1ms);
      return ctx.interrupted() ? JobRunResult{JobAction::kExecuteLater, "interrupted"}
                               : JobRunResult{JobAction::kExecuteSuccess, "released"};
    });
  }

  std::optional<protocol::RunResult> ResultOf(const std::string& job_id) {
    for (auto& r : jt_.Results()) {
      if (r.job_id == job_id) return r;
    }
    return std::nullopt;
  }
  bool HasResult(const std::string& job_id) { return ResultOf(job_id).has_value(); }

  // Starts the TaskTracker, runs `job_id` on it, and lets the run end while the
  // JobTracker is down (so its result can only go to the FailStore).
  void FinishWhileTheJobTrackerIsDown(const std::string& job_id) {
    BlockRuns();
    StartTracker(MakeOptions(2));
    ASSERT_TRUE(jt_.Push({MakeJobMeta(job_id, "test_group")}).ok());
    ASSERT_TRUE(WaitFor([&] { return started_ == 1; }, kWait));
    jt_.Stop();
    ASSERT_TRUE(WaitFor([&] { return !tracker_->connected(); }, kWait));
    release_ = true;
    ASSERT_TRUE(WaitFor([&] { return tracker_->running_jobs().empty(); }, kWait));
  }

  lts::testing::TempDir dir_;
  TestJobTracker jt_;
  FakeClock fake_clock_;  // Outlives tracker_ (declared before it).
  std::atomic<bool> release_a_{false};
  std::unique_ptr<TaskTracker> tracker_;
  std::mutex fn_mu_;
  std::function<JobRunResult(JobContext&)> fn_;
  std::atomic<bool> release_{false};
  std::atomic<int> started_{0};
  std::atomic<int> interrupts_{0};
};

TEST_F(TaskTrackerTest, ReportsItsFreeThreadsWhenItConnects) {
  StartTracker(MakeOptions(3));
  ASSERT_TRUE(WaitFor([&] { return !jt_.Pulls().empty(); }, kWait));
  protocol::PullRequest pull = jt_.Pulls().front();
  EXPECT_EQ("tt-1", pull.identity);
  EXPECT_EQ("test_group", pull.node_group);
  EXPECT_EQ(3, pull.free_threads);
  EXPECT_GT(pull.seq, 0);
}

TEST_F(TaskTrackerTest, HeartbeatsListRunningJobsAndSeqIncreases) {
  BlockRuns();
  StartTracker(MakeOptions(2));
  ASSERT_TRUE(jt_.Push({MakeJobMeta("J1", "test_group")}).ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        for (auto& beat : jt_.Heartbeats()) {
          if (beat.running == std::vector<std::string>{"J1"} && beat.free_threads == 1) {
            return true;
          }
        }
        return false;
      },
      kWait));
  std::vector<protocol::HeartbeatRequest> beats = jt_.Heartbeats();
  EXPECT_EQ("TASK_TRACKER", beats.back().node_type);
  for (size_t i = 1; i < beats.size(); ++i) EXPECT_LT(beats[i - 1].seq, beats[i].seq);
}

TEST_F(TaskTrackerTest, PushesBeyondTheFreeThreadsAreRejected) {
  BlockRuns();
  StartTracker(MakeOptions(2));
  StatusOr<protocol::PushResponse> push =
      jt_.Push({MakeJobMeta("A", "test_group"), MakeJobMeta("B", "test_group"),
                MakeJobMeta("C", "test_group"), MakeJobMeta("D", "test_group")});
  ASSERT_TRUE(push.ok()) << push.status().ToString();
  EXPECT_EQ((std::vector<std::string>{"C", "D"}), push->rejected);
  ASSERT_TRUE(WaitFor([&] { return started_ == 2; }, kWait));
  EXPECT_EQ(0, tracker_->free_threads());
  release_ = true;
  ASSERT_TRUE(WaitFor([&] { return HasResult("A") && HasResult("B"); }, kWait));
  EXPECT_FALSE(HasResult("C"));
  protocol::RunResult a = *ResultOf("A");
  EXPECT_EQ(JobAction::kExecuteSuccess, a.action);
  EXPECT_EQ("released", a.message);
  EXPECT_EQ(7, a.epoch);
  EXPECT_FALSE(a.resend);
  EXPECT_GT(jt_.Completions().back().free_threads, 0);
}

TEST_F(TaskTrackerTest, JobsThatComeWithTheCompletionResponseRunToo) {
  StartTracker(MakeOptions(2));
  jt_.PiggyBackOnNextCompletion({MakeJobMeta("P1", "test_group")});
  ASSERT_TRUE(jt_.Push({MakeJobMeta("J1", "test_group")}).ok());
  ASSERT_TRUE(WaitFor([&] { return HasResult("J1") && HasResult("P1"); }, kWait));
  EXPECT_EQ(JobAction::kExecuteSuccess, ResultOf("P1")->action);
}

TEST_F(TaskTrackerTest, AskAnswersWhichJobsAreNotRunning) {
  BlockRuns();
  StartTracker(MakeOptions(2));
  ASSERT_TRUE(jt_.Push({MakeJobMeta("R1", "test_group")}).ok());
  StatusOr<protocol::AskResponse> ask = jt_.Ask({"R1", "X9"});
  ASSERT_TRUE(ask.ok());
  EXPECT_EQ((std::vector<std::string>{"X9"}), ask->not_running);
  release_ = true;
  ASSERT_TRUE(WaitFor([&] { return HasResult("R1"); }, kWait));
  ask = jt_.Ask({"R1"});
  ASSERT_TRUE(ask.ok());
  EXPECT_EQ((std::vector<std::string>{"R1"}), ask->not_running);
}

TEST_F(TaskTrackerTest, TerminateInterruptsTheRun) {
  BlockRuns();
  StartTracker(MakeOptions(2));
  ASSERT_TRUE(jt_.Push({MakeJobMeta("T1", "test_group")}).ok());
  ASSERT_TRUE(WaitFor([&] { return started_ == 1; }, kWait));
  StatusOr<protocol::TerminateResponse> t = jt_.Terminate("T1");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->found);
  ASSERT_TRUE(WaitFor([&] { return HasResult("T1"); }, kWait));
  protocol::RunResult r = *ResultOf("T1");
  EXPECT_TRUE(r.terminated);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(JobAction::kExecuteLater, r.action);  // As the runner returned.
  EXPECT_EQ(1, interrupts_.load());
  StatusOr<protocol::TerminateResponse> again = jt_.Terminate("T1");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->found);
}

TEST_F(TaskTrackerTest, TimeoutTerminatesTheRunAsTimedOut) {
  BlockRuns();
  StartTracker(MakeOptions(2));
  protocol::JobMeta meta = MakeJobMeta("TO", "test_group");
  meta.job.timeout_seconds = 1;
  ASSERT_TRUE(jt_.Push({meta}).ok());
  ASSERT_TRUE(WaitFor([&] { return HasResult("TO"); }, kWait));
  protocol::RunResult r = *ResultOf("TO");
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(JobAction::kExecuteException, r.action);
  EXPECT_EQ("timed out after 1 s", r.message);
}

TEST_F(TaskTrackerTest, AnExceptionFromTheRunnerIsExecuteException) {
  SetRunner([](JobContext&) -> JobRunResult { throw std::runtime_error("boom"); });
  StartTracker(MakeOptions(2));
  ASSERT_TRUE(jt_.Push({MakeJobMeta("E1", "test_group")}).ok());
  ASSERT_TRUE(WaitFor([&] { return HasResult("E1"); }, kWait));
  EXPECT_EQ(JobAction::kExecuteException, ResultOf("E1")->action);
  EXPECT_EQ("boom", ResultOf("E1")->message);
}

TEST_F(TaskTrackerTest, BizLogLinesArriveBeforeTheResult) {
  SetRunner([](JobContext& ctx) {
    ctx.biz_logger().Debug("dropped: below INFO");
    ctx.biz_logger().Info("step 1");
    ctx.biz_logger().Warn("step 2");
    return JobRunResult{JobAction::kExecuteSuccess, "ok"};
  });
  StartTracker(MakeOptions(2));
  ASSERT_TRUE(jt_.Push({MakeJobMeta("L1", "test_group")}).ok());
  ASSERT_TRUE(WaitFor([&] { return HasResult("L1"); }, kWait));
  std::vector<std::string> events;
  for (auto& e : jt_.Events()) {
    if (e.find(":L1") != std::string::npos) events.push_back(e);
  }
  EXPECT_EQ((std::vector<std::string>{"biz:L1", "biz:L1", "result:L1"}), events);
  std::vector<protocol::BizLogLine> lines = jt_.BizLines();
  ASSERT_EQ(2u, lines.size());
  EXPECT_EQ("step 1", lines[0].message);
  EXPECT_EQ(1, lines[0].level);
  EXPECT_EQ("task-L1", lines[0].task_id);
  EXPECT_EQ("test_group", lines[0].node_group);
  EXPECT_EQ(2, lines[1].level);
}

TEST_F(TaskTrackerTest, ResultIsKeptWhileTheJobTrackerIsDownAndResentWhenItIsBack) {
  ASSERT_NO_FATAL_FAILURE(FinishWhileTheJobTrackerIsDown("F1"));
  ASSERT_TRUE(jt_.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return HasResult("F1"); }, kWait));
  protocol::RunResult r = *ResultOf("F1");
  EXPECT_TRUE(r.resend);
  EXPECT_EQ(JobAction::kExecuteSuccess, r.action);
}

TEST_F(TaskTrackerTest, ARestartedTaskTrackerResendsWhatItsFailStoreHolds) {
  ASSERT_NO_FATAL_FAILURE(FinishWhileTheJobTrackerIsDown("S1"));
  tracker_->Stop();  // The result is in the FailStore now.
  tracker_.reset();
  ASSERT_TRUE(jt_.Start().ok());
  StartTracker(MakeOptions(2));  // Same identity, same data dir.
  ASSERT_TRUE(WaitFor([&] { return HasResult("S1"); }, kWait));
  EXPECT_TRUE(ResultOf("S1")->resend);
}

TEST_F(TaskTrackerTest, ADeadSiblingsFailStoreIsTakenOver) {
  ASSERT_NO_FATAL_FAILURE(FinishWhileTheJobTrackerIsDown("D1"));
  tracker_->Stop();
  tracker_.reset();
  ASSERT_TRUE(jt_.Start().ok());
  TaskTracker::Options options = MakeOptions(2);
  options.identity = "tt-2";  // Another TaskTracker of the group.
  StartTracker(options);
  ASSERT_TRUE(WaitFor([&] { return HasResult("D1"); }, kWait));
  EXPECT_TRUE(ResultOf("D1")->resend);
}

TEST_F(TaskTrackerTest, StopInterruptsRunsThatOutliveTheGraceAndReportsThem) {
  BlockRuns();
  TaskTracker::Options options = MakeOptions(2);
  options.stop_grace_ms = 200;
  StartTracker(options);
  ASSERT_TRUE(jt_.Push({MakeJobMeta("G1", "test_group")}).ok());
  ASSERT_TRUE(WaitFor([&] { return started_ == 1; }, kWait));
  tracker_->Stop();
  std::optional<protocol::RunResult> r = ResultOf("G1");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->terminated);
  EXPECT_EQ(0, tracker_->free_threads());
}

TEST_F(TaskTrackerTest, PrefetchSlotsQueueJobsThatCountAsRunning) {
  BlockRuns();
  TaskTracker::Options options = MakeOptions(1);
  options.prefetch = 2;
  StartTracker(options);
  ASSERT_TRUE(WaitFor([&] { return !jt_.Pulls().empty(); }, kWait));
  EXPECT_EQ(3, jt_.Pulls().front().free_threads);  // 1 thread + 2 prefetch slots.
  StatusOr<protocol::PushResponse> push =
      jt_.Push({MakeJobMeta("A", "test_group"), MakeJobMeta("B", "test_group"),
                MakeJobMeta("C", "test_group"), MakeJobMeta("D", "test_group")});
  ASSERT_TRUE(push.ok()) << push.status().ToString();
  EXPECT_EQ((std::vector<std::string>{"D"}), push->rejected);
  ASSERT_TRUE(WaitFor([&] { return started_ == 1; }, kWait));
  EXPECT_EQ(0, tracker_->free_threads());
  EXPECT_EQ(3u, tracker_->running_jobs().size());
  // Queued jobs are held: JOB_ASK does not give them back.
  StatusOr<protocol::AskResponse> ask = jt_.Ask({"A", "B", "C", "X"});
  ASSERT_TRUE(ask.ok());
  EXPECT_EQ((std::vector<std::string>{"X"}), ask->not_running);
  // A duplicate push of a queued job neither runs it twice nor is it rejected.
  push = jt_.Push({MakeJobMeta("B", "test_group")});
  ASSERT_TRUE(push.ok());
  EXPECT_TRUE(push->rejected.empty());

  // Terminating a queued job: it never starts and its result comes at once.
  StatusOr<protocol::TerminateResponse> t = jt_.Terminate("C");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->found);
  ASSERT_TRUE(WaitFor([&] { return HasResult("C"); }, kWait));
  protocol::RunResult c = *ResultOf("C");
  EXPECT_TRUE(c.terminated);
  EXPECT_EQ(JobAction::kExecuteFailed, c.action);
  EXPECT_EQ("terminated before it started", c.message);
  EXPECT_EQ(7, c.epoch);
  EXPECT_EQ(0, interrupts_.load());
  EXPECT_EQ(1, started_.load());
  ask = jt_.Ask({"C"});
  ASSERT_TRUE(ask.ok());
  EXPECT_EQ((std::vector<std::string>{"C"}), ask->not_running);

  release_ = true;
  ASSERT_TRUE(WaitFor([&] { return HasResult("A") && HasResult("B"); }, kWait));
  EXPECT_EQ(2, started_.load());  // A and B; not C, not D.
  EXPECT_EQ(JobAction::kExecuteSuccess, ResultOf("B")->action);
  EXPECT_FALSE(HasResult("D"));
  ASSERT_TRUE(WaitFor([&] { return tracker_->free_threads() == 3; }, kWait));
}

TEST_F(TaskTrackerTest, StopDropsQueuedJobsWithoutRunningThem) {
  BlockRuns();
  TaskTracker::Options options = MakeOptions(1);
  options.prefetch = 1;
  options.stop_grace_ms = 200;
  StartTracker(options);
  ASSERT_TRUE(jt_.Push({MakeJobMeta("S1", "test_group"), MakeJobMeta("S2", "test_group")}).ok());
  ASSERT_TRUE(WaitFor([&] { return started_ == 1; }, kWait));
  tracker_->Stop();
  ASSERT_TRUE(HasResult("S1"));
  EXPECT_TRUE(ResultOf("S1")->terminated);
  EXPECT_FALSE(HasResult("S2"));  // Not run; the JobTracker re-dispatches it (failover).
  EXPECT_EQ(1, started_.load());
}

TEST_F(TaskTrackerTest, TheInjectedClockStampsRunsAndDrivesTimeouts) {
  FakeClock& clock = fake_clock_;
  std::atomic<bool>& release_a = release_a_;
  SetRunner([&](JobContext& ctx) {
    ++started_;
    if (ctx.job_id() == "A") {
      while (!release_a && !ctx.interrupted()) std::this_thread::sleep_for(1ms);
    } else {
      while (!ctx.interrupted() && !release_) std::this_thread::sleep_for(1ms);
    }
    return JobRunResult{JobAction::kExecuteSuccess, "done"};
  });
  TaskTracker::Options options = MakeOptions(1);
  options.prefetch = 1;
  options.clock = &clock;
  StartTracker(options);
  protocol::JobMeta b = MakeJobMeta("B", "test_group");
  b.job.timeout_seconds = 10;
  ASSERT_TRUE(jt_.Push({MakeJobMeta("A", "test_group"), b}).ok());
  ASSERT_TRUE(WaitFor([&] { return started_ == 1; }, kWait));
  // B waits in the queue: its timeout has not started, however long it waits.
  clock.Advance(60s);
  release_a = true;
  ASSERT_TRUE(WaitFor([&] { return HasResult("A") && started_ == 2; }, kWait));
  protocol::RunResult a = *ResultOf("A");
  EXPECT_EQ(FakeClock::kDefaultStartMicros / 1000, a.started_ms);
  EXPECT_EQ(FakeClock::kDefaultStartMicros / 1000 + 60000, a.finished_ms);
  EXPECT_FALSE(HasResult("B"));
  clock.Advance(11s);  // Past B's deadline, counted from its start.
  ASSERT_TRUE(WaitFor([&] { return HasResult("B"); }, kWait));
  protocol::RunResult r = *ResultOf("B");
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ("timed out after 10 s", r.message);
  EXPECT_EQ(FakeClock::kDefaultStartMicros / 1000 + 60000, r.started_ms);
  EXPECT_EQ(FakeClock::kDefaultStartMicros / 1000 + 71000, r.finished_ms);
}

// A measurement, not a check of speed: run with LTS_TT_MEASURE=1 to print how many no-op
// jobs per second one TaskTracker runs when each JOB_COMPLETED response refills it (the
// JobTracker's steady state). Only completeness is asserted.
TEST_F(TaskTrackerTest, MeasureNoOpJobsPerSecond) {
  if (std::getenv("LTS_TT_MEASURE") == nullptr) GTEST_SKIP() << "set LTS_TT_MEASURE=1";
  constexpr int kJobs = 200000;
  const char* threads_env = std::getenv("LTS_TT_MEASURE_THREADS");
  const int kThreads = threads_env != nullptr ? std::max(1, std::atoi(threads_env)) : 8;
  StartTracker(MakeOptions(kThreads));
  jt_.Feed(kJobs, "test_group");
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(jt_.Push(jt_.TakeFeed(kThreads)).ok());
  ASSERT_TRUE(WaitFor([&] { return jt_.results_received() == kJobs; }, 300s));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("no-op jobs through one TaskTracker (%d threads): %d in %.2f s = %.0f jobs/s\n",
              kThreads, kJobs, seconds, kJobs / seconds);
}

TEST_F(TaskTrackerTest, RegistersInTheRegistryAndFindsTheJobTrackerThere) {
  registry::RegistryOptions ro;
  ro.address = "embedded://tasktracker-test";
  StatusOr<std::unique_ptr<registry::Registry>> reg = registry::CreateRegistry(ro);
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  ASSERT_TRUE((*reg)->Start().ok());
  registry::Node jt_node;
  jt_node.type = registry::NodeType::kJobTracker;
  jt_node.cluster = ro.cluster;
  jt_node.group = "jobtracker";
  jt_node.identity = "jt-1";
  jt_node.ip = "127.0.0.1";
  jt_node.port = std::stoi(jt_.address().substr(jt_.address().rfind(':') + 1));
  ASSERT_TRUE((*reg)->Register(jt_node).ok());

  TaskTracker::Options options = MakeOptions(3);
  options.jobtrackers.clear();
  options.registry = ro.address;
  StartTracker(options);
  StatusOr<std::vector<registry::Node>> trackers = (*reg)->List(registry::NodeType::kTaskTracker);
  ASSERT_TRUE(trackers.ok());
  ASSERT_EQ(1u, trackers->size());
  EXPECT_EQ("tt-1", (*trackers)[0].identity);
  EXPECT_EQ("test_group", (*trackers)[0].group);
  EXPECT_EQ(3, (*trackers)[0].threads);
  EXPECT_EQ(0, (*trackers)[0].port);
  tracker_->Stop();  // Unregisters.
  trackers = (*reg)->List(registry::NodeType::kTaskTracker);
  ASSERT_TRUE(trackers.ok());
  EXPECT_TRUE(trackers->empty());
  (*reg)->Stop();
}

TEST_F(TaskTrackerTest, BadOptionsAreRefused) {
  TaskTracker::Options options = MakeOptions(2);
  options.node_group = "bad group!";
  EXPECT_EQ(StatusCode::kInvalidArgument, MakeTracker(options)->Start().code());
  options = MakeOptions(2);
  options.identity = "../escape";
  EXPECT_EQ(StatusCode::kInvalidArgument, MakeTracker(options)->Start().code());
  options = MakeOptions(0);
  EXPECT_EQ(StatusCode::kInvalidArgument, MakeTracker(options)->Start().code());
  options = MakeOptions(2);
  options.prefetch = -1;
  EXPECT_EQ(StatusCode::kInvalidArgument, MakeTracker(options)->Start().code());
  options = MakeOptions(2);
  options.fail_store = "mapdb";
  EXPECT_FALSE(MakeTracker(options)->Start().ok());
}

TEST_F(TaskTrackerTest, TwoTaskTrackersCannotShareOneFailStore) {
  StartTracker(MakeOptions(2));
  EXPECT_EQ(StatusCode::kUnavailable, MakeTracker(MakeOptions(2))->Start().code());
}

}  // namespace
}  // namespace lts

namespace lts {
namespace {

// `lts tasktracker --runner shell` as its own process against the TestJobTracker: a
// failing job with its output, terminate, timeout, and a graceful stop on SIGTERM.
class LtsTaskTrackerProcessTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(jt_.Start().ok()); }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status;
      ::waitpid(pid_, &status, 0);
    }
  }
  static std::string LtsBinary() {
    char exe[4096] = {};
    const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    std::string path(exe, n > 0 ? static_cast<size_t>(n) : 0);
    return path.substr(0, path.rfind('/') + 1) + "lts";
  }
  std::optional<protocol::RunResult> ResultOf(const std::string& job_id) {
    for (auto& r : jt_.Results()) {
      if (r.job_id == job_id) return r;
    }
    return std::nullopt;
  }

  lts::testing::TempDir dir_;
  TestJobTracker jt_;
  pid_t pid_ = -1;
};

TEST_F(LtsTaskTrackerProcessTest, RunsShellJobsAndStopsOnSigterm) {
  if (::access(LtsBinary().c_str(), X_OK) != 0) GTEST_SKIP() << "no lts binary next to the test";
  StatusOr<pid_t> pid =
      lts::testing::SpawnChild({LtsBinary(), "tasktracker", "--group", "test_group", "--jobtracker",
                                jt_.address(), "--data-dir", dir_.path(), "--threads", "2",
                                "--kill-grace-ms", "500", "--heartbeat-ms", "200"},
                               dir_.Join("tasktracker.log"), dir_.path());
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  pid_ = *pid;
  ASSERT_TRUE(WaitFor([&] { return !jt_.Pulls().empty(); }, kWait));
  EXPECT_EQ(2, jt_.Pulls().front().free_threads);

  ASSERT_TRUE(jt_.Push({MakeJobMeta("SH1", "test_group",
                                    {{"command", "echo hi $NAME; exit 3"}, {"NAME", "there"}})})
                  .ok());
  ASSERT_TRUE(WaitFor([&] { return ResultOf("SH1").has_value(); }, kWait));
  EXPECT_EQ(JobAction::kExecuteFailed, ResultOf("SH1")->action);
  EXPECT_EQ("exit code 3", ResultOf("SH1")->message);
  std::vector<protocol::BizLogLine> lines = jt_.BizLines();
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ("hi there", lines[0].message);

  ASSERT_TRUE(jt_.Push({MakeJobMeta("SH2", "test_group", {{"command", "sleep 300"}})}).ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        StatusOr<protocol::AskResponse> ask = jt_.Ask({"SH2"});
        return ask.ok() && ask->not_running.empty();
      },
      kWait));
  StatusOr<protocol::TerminateResponse> t = jt_.Terminate("SH2");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->found);
  ASSERT_TRUE(WaitFor([&] { return ResultOf("SH2").has_value(); }, kWait));
  EXPECT_TRUE(ResultOf("SH2")->terminated);
  EXPECT_EQ("terminated", ResultOf("SH2")->message);

  protocol::JobMeta slow = MakeJobMeta("SH3", "test_group", {{"command", "sleep 300"}});
  slow.job.timeout_seconds = 1;
  ASSERT_TRUE(jt_.Push({slow}).ok());
  ASSERT_TRUE(WaitFor([&] { return ResultOf("SH3").has_value(); }, kWait));
  EXPECT_TRUE(ResultOf("SH3")->timed_out);
  EXPECT_EQ(JobAction::kExecuteException, ResultOf("SH3")->action);
  EXPECT_EQ("timed out after 1 s", ResultOf("SH3")->message);

  ASSERT_EQ(0, ::kill(pid_, SIGTERM));
  int status = 0;
  ASSERT_TRUE(WaitFor([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, kWait));
  pid_ = -1;
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(0, WEXITSTATUS(status));
}

}  // namespace
}  // namespace lts
