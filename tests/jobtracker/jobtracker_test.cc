// The JobTracker over real RPC and a real SQLite store, driven by a test TaskTracker
// (test double of the TaskTracker's protocol side) and a test client. End-to-end tests
// with the real TaskTracker and JobClient processes live in tests/e2e.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "jobtracker/job_tracker.h"
#include "net/event_loop_thread.h"
#include "protocol/messages.h"
#include "rpc/command.h"
#include "rpc/rpc_client.h"
#include "store/job_store.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "testing/test_env.h"

namespace lts::jobtracker {
namespace {

using namespace std::chrono_literals;
using rpc::Command;
using rpc::ToWire;

int64_t NowMs() { return SystemClock::Default()->NowMicros() / 1000; }

// One RPC connection to the JobTracker, acting as a TaskTracker and as a client.
class TestNode {
 public:
  TestNode(net::EventLoop* loop, const std::string& jt, std::string identity, std::string group)
      : identity_(std::move(identity)), group_(std::move(group)) {
    client_ = std::make_unique<rpc::RpcClient>(loop, *net::InetAddress::Parse(jt), identity_,
                                               rpc::RpcClient::Options{});
    client_->RegisterProcessor(
        ToWire(Command::kPushJob),
        [this](const rpc::RpcRequest& r) -> StatusOr<rpc::RpcResponse> {
          LTS_ASSIGN_OR_RETURN(auto push,
                               protocol::DecodeMessage<protocol::PushRequest>(r.body, r.format));
          MutexLock lock(&mu_);
          for (auto& meta : push.jobs) pushed_.push_back({std::move(meta), NowMs()});
          rpc::RpcResponse response;
          response.body = *protocol::EncodeMessage(protocol::PushResponse{});
          return response;
        },
        rpc::ProcessorMode::kInLoop);
    client_->RegisterProcessor(
        ToWire(Command::kJobAsk),
        [](const rpc::RpcRequest& r) -> StatusOr<rpc::RpcResponse> {
          LTS_ASSIGN_OR_RETURN(auto ask,
                               protocol::DecodeMessage<protocol::AskRequest>(r.body, r.format));
          rpc::RpcResponse response;
          response.body = *protocol::EncodeMessage(protocol::AskResponse{ask.job_ids});
          return response;
        },
        rpc::ProcessorMode::kInLoop);
    EXPECT_OK(client_->Start());
    EXPECT_TRUE(testing::WaitFor([&] { return client_->ready(); }, 10s));
  }
  ~TestNode() { client_->Stop(); }

  void Pull(int free) {
    protocol::PullRequest pull{identity_, group_, free, ++seq_};
    ASSERT_OK(client_->CallSync(ToWire(Command::kJobPull), rpc::BodyFormat::kJson,
                                *protocol::EncodeMessage(pull), 5s));
  }

  struct Pushed {
    protocol::JobMeta meta;
    int64_t at_ms;
  };
  // Waits for the next pushed job.
  std::optional<Pushed> NextPush(std::chrono::milliseconds timeout = 10s) {
    std::optional<Pushed> out;
    testing::WaitFor(
        [&] {
          MutexLock lock(&mu_);
          if (pushed_.empty()) return false;
          out = std::move(pushed_.front());
          pushed_.pop_front();
          return true;
        },
        timeout);
    return out;
  }
  size_t PendingPushes() {
    MutexLock lock(&mu_);
    return pushed_.size();
  }

  StatusOr<protocol::CompletedResponse> Complete(const protocol::JobMeta& meta, JobAction action,
                                                 int free_after = 0) {
    protocol::CompletedRequest done;
    done.identity = identity_;
    done.node_group = group_;
    done.free_threads = free_after;
    done.seq = ++seq_;
    protocol::RunResult r;
    r.job_id = meta.job_id;
    r.epoch = meta.epoch;
    r.action = action;
    r.message = "test";
    r.finished_ms = NowMs();
    done.results.push_back(r);
    LTS_ASSIGN_OR_RETURN(auto response,
                         client_->CallSync(ToWire(Command::kJobCompleted), rpc::BodyFormat::kJson,
                                           *protocol::EncodeMessage(done), 5s));
    return protocol::DecodeMessage<protocol::CompletedResponse>(response.body, response.format);
  }

  StatusOr<protocol::SubmitResponse> Submit(std::vector<Job> jobs) {
    protocol::SubmitRequest submit{"clients", identity_, std::move(jobs), {}};
    LTS_ASSIGN_OR_RETURN(auto response,
                         client_->CallSync(ToWire(Command::kSubmitJob), rpc::BodyFormat::kJson,
                                           *protocol::EncodeMessage(submit), 5s));
    return protocol::DecodeMessage<protocol::SubmitResponse>(response.body, response.format);
  }

  StatusOr<protocol::ControlResponse> Control(protocol::ControlOp op, const std::string& task) {
    protocol::ControlRequest control;
    control.op = op;
    control.key = {group_, task};
    LTS_ASSIGN_OR_RETURN(auto response,
                         client_->CallSync(ToWire(Command::kJobControl), rpc::BodyFormat::kJson,
                                           *protocol::EncodeMessage(control), 5s));
    return protocol::DecodeMessage<protocol::ControlResponse>(response.body, response.format);
  }

  StatusOr<nlohmann::json> Counts() {
    protocol::QueryRequest q;
    q.kind = protocol::QueryKind::kCounts;
    LTS_ASSIGN_OR_RETURN(auto response,
                         client_->CallSync(ToWire(Command::kJobQuery), rpc::BodyFormat::kJson,
                                           *protocol::EncodeMessage(q), 5s));
    LTS_ASSIGN_OR_RETURN(auto j, protocol::DecodeJson(response.body, response.format));
    return j["counts"];
  }

  // disable-node / enable-node of `identity`.
  StatusOr<protocol::ControlResponse> NodeControl(protocol::ControlOp op,
                                                  const std::string& identity) {
    protocol::ControlRequest control;
    control.op = op;
    control.identity = identity;
    LTS_ASSIGN_OR_RETURN(auto response,
                         client_->CallSync(ToWire(Command::kJobControl), rpc::BodyFormat::kJson,
                                           *protocol::EncodeMessage(control), 5s));
    return protocol::DecodeMessage<protocol::ControlResponse>(response.body, response.format);
  }

  StatusOr<nlohmann::json> Stats() {
    protocol::QueryRequest q;
    q.kind = protocol::QueryKind::kStats;
    LTS_ASSIGN_OR_RETURN(auto response,
                         client_->CallSync(ToWire(Command::kJobQuery), rpc::BodyFormat::kJson,
                                           *protocol::EncodeMessage(q), 5s));
    return protocol::DecodeJson(response.body, response.format);
  }

  // Any body, as sent.
  StatusOr<rpc::RpcResponse> Call(Command command, const std::string& body) {
    return client_->CallSync(ToWire(command), rpc::BodyFormat::kJson, body, 5s);
  }

  void Stop() { client_->Stop(); }

 private:
  std::string identity_, group_;
  std::unique_ptr<rpc::RpcClient> client_;
  int64_t seq_ = 0;
  Mutex mu_;
  std::deque<Pushed> pushed_ GUARDED_BY(mu_);
};

// The entry of `identity` in a stats answer's taskTrackers, or null.
nlohmann::json TrackerIn(const nlohmann::json& stats, const std::string& identity) {
  auto list = stats.find("taskTrackers");
  if (list == stats.end() || !list->is_array()) return nullptr;
  for (const nlohmann::json& t : *list) {
    if (t.value("identity", "") == identity) return t;
  }
  return nullptr;
}

// Waits until the stats answer satisfies `pred` (or `timeout`); the last answer.
nlohmann::json WaitForStats(TestNode* node, const std::function<bool(const nlohmann::json&)>& pred,
                            std::chrono::milliseconds timeout = 10s) {
  nlohmann::json last;
  testing::WaitFor(
      [&] {
        auto stats = node->Stats();
        if (!stats.ok()) return false;
        last = *std::move(stats);
        return pred(last);
      },
      timeout);
  return last;
}

Job MakeJob(const std::string& task) {
  Job job;
  job.task_id = task;
  job.task_tracker_node_group = "workers";
  return job;
}

class JobTrackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    JobTrackerOptions o;
    o.listen = "127.0.0.1:0";
    o.store_url = "sqlite::memory:";
    o.tasktracker_grace_ms = 300;
    o.repair_interval_ms = 200;
    tracker_ = std::make_unique<JobTracker>(o);
    ASSERT_OK(tracker_->Start());
    loop_ = loop_thread_.StartLoop();
  }
  void TearDown() override {
    nodes_.clear();
    tracker_->Stop();
    loop_thread_.Stop();
  }
  // Replaces the fixture's JobTracker by one with `o`, listening on a free port.
  void Restart(JobTrackerOptions o) {
    tracker_->Stop();
    o.listen = "127.0.0.1:0";
    tracker_ = std::make_unique<JobTracker>(o);
    ASSERT_OK(tracker_->Start());
  }
  // Waits (10 s at most) until the store counts `n` executing jobs.
  static bool WaitExecuting(TestNode* node, int n) {
    return testing::WaitFor(
        [&] {
          auto counts = node->Counts();
          return counts.ok() && (*counts)["executing"] == n;
        },
        10s);
  }
  TestNode* Node(const std::string& identity) {
    nodes_.push_back(
        std::make_unique<TestNode>(loop_, tracker_->listen_address(), identity, "workers"));
    return nodes_.back().get();
  }

  std::unique_ptr<JobTracker> tracker_;
  net::EventLoopThread loop_thread_{"test-io"};
  net::EventLoop* loop_ = nullptr;
  std::vector<std::unique_ptr<TestNode>> nodes_;
};

TEST_F(JobTrackerTest, RealTimeJobIsPushedWhenATrackerHasRoomAndCompletes) {
  TestNode* tt = Node("tt-1");
  ASSERT_OK_AND_ASSIGN(auto submitted, tt->Submit({MakeJob("a")}));
  ASSERT_EQ(submitted.results.size(), 1u);
  ASSERT_OK(submitted.results[0].status);
  EXPECT_EQ(tt->PendingPushes(), 0u);  // No room announced yet.
  tt->Pull(1);
  auto pushed = tt->NextPush();
  ASSERT_TRUE(pushed.has_value());
  EXPECT_EQ(pushed->meta.job.task_id, "a");
  EXPECT_EQ(pushed->meta.job_id, submitted.results[0].job_id);
  ASSERT_OK(tt->Complete(pushed->meta, JobAction::kExecuteSuccess).status());
  ASSERT_OK_AND_ASSIGN(auto counts, tt->Counts());
  EXPECT_EQ(counts["executable"], 0);
  EXPECT_EQ(counts["executing"], 0);
  // A duplicate result changes nothing.
  ASSERT_OK(tt->Complete(pushed->meta, JobAction::kExecuteSuccess).status());
  ASSERT_OK_AND_ASSIGN(counts, tt->Counts());
  EXPECT_EQ(counts["executable"], 0);
}

TEST_F(JobTrackerTest, DuplicateKeyIsRefusedUnlessReplaceOnExist) {
  TestNode* tt = Node("tt-1");
  Job job = MakeJob("dup");
  job.trigger_time_ms = NowMs() + 3600000;
  ASSERT_OK_AND_ASSIGN(auto first, tt->Submit({job}));
  ASSERT_OK(first.results[0].status);
  ASSERT_OK_AND_ASSIGN(auto second, tt->Submit({job}));
  EXPECT_EQ(second.results[0].status.code(), StatusCode::kAlreadyExists);
  job.replace_on_exist = true;
  ASSERT_OK_AND_ASSIGN(auto third, tt->Submit({job}));
  ASSERT_OK(third.results[0].status);
  EXPECT_TRUE(third.results[0].replaced);
}

TEST_F(JobTrackerTest, TriggerTimeJobIsPushedAtItsTimeNotBefore) {
  TestNode* tt = Node("tt-1");
  tt->Pull(4);
  Job job = MakeJob("later");
  const int64_t due = NowMs() + 400;
  job.trigger_time_ms = due;
  ASSERT_OK(tt->Submit({job}).status());
  auto pushed = tt->NextPush();
  ASSERT_TRUE(pushed.has_value());
  EXPECT_GE(pushed->at_ms, due);
}

// Dispatch ahead (docs/scheduling.md): with a window wider than the wait, the job is claimed
// (executing) well before it is due, and still pushed at its trigger time, not before.
TEST_F(JobTrackerTest, JobDueWithinTheWindowIsClaimedAheadAndPushedAtItsTime) {
  JobTrackerOptions o;
  o.dispatch_ahead_ms = 5000;
  ASSERT_NO_FATAL_FAILURE(Restart(o));
  TestNode* tt = Node("tt-1");
  tt->Pull(4);
  Job job = MakeJob("ahead");
  const int64_t due = NowMs() + 1500;
  job.trigger_time_ms = due;
  ASSERT_OK(tt->Submit({job}).status());
  EXPECT_TRUE(WaitExecuting(tt, 1));
  const size_t pending = tt->PendingPushes();
  if (NowMs() < due) {
    EXPECT_EQ(pending, 0u);  // Read before the job was due: nothing may have been pushed.
  }
  auto pushed = tt->NextPush();
  ASSERT_TRUE(pushed.has_value());
  EXPECT_GE(pushed->at_ms, due);
  EXPECT_EQ(pushed->meta.job.task_id, "ahead");
}

// A JobTracker that stops while it holds jobs claimed ahead puts them back in the queue.
TEST_F(JobTrackerTest, StopPutsJobsHeldAheadBackInTheQueue) {
  testing::TempDir dir;
  const std::string url = "sqlite://" + dir.Join("jobs.db");
  JobTrackerOptions o;
  o.store_url = url;
  o.dispatch_ahead_ms = 60000;
  ASSERT_NO_FATAL_FAILURE(Restart(o));
  TestNode* tt = Node("tt-1");
  tt->Pull(4);
  Job job = MakeJob("held");
  job.trigger_time_ms = NowMs() + 30000;
  ASSERT_OK(tt->Submit({job}).status());
  ASSERT_TRUE(WaitExecuting(tt, 1));
  nodes_.clear();
  tracker_->Stop();
  ASSERT_OK_AND_ASSIGN(auto store, store::OpenJobStore(url));
  ASSERT_OK_AND_ASSIGN(store::QueueCounts counts, store->Counts());
  EXPECT_EQ(counts.executing, 0);
  EXPECT_EQ(counts.executable, 1);
}

TEST_F(JobTrackerTest, CompletionResponseCarriesTheNextJob) {
  TestNode* tt = Node("tt-1");
  ASSERT_OK(tt->Submit({MakeJob("one"), MakeJob("two")}).status());
  tt->Pull(1);
  auto first = tt->NextPush();
  ASSERT_TRUE(first.has_value());
  ASSERT_OK_AND_ASSIGN(auto response, tt->Complete(first->meta, JobAction::kExecuteSuccess, 1));
  ASSERT_EQ(response.jobs.size(), 1u);
  EXPECT_NE(response.jobs[0].job.task_id, first->meta.job.task_id);
}

TEST_F(JobTrackerTest, RetriesWithBackoffThenDeadLetter) {
  TestNode* tt = Node("tt-1");
  Job job = MakeJob("flaky");
  job.max_retry_times = 1;
  job.retry_backoff.initial_ms = 300;
  ASSERT_OK(tt->Submit({job}).status());
  tt->Pull(1);
  auto run1 = tt->NextPush();
  ASSERT_TRUE(run1.has_value());
  EXPECT_EQ(run1->meta.retry_times, 0);
  const int64_t failed_at = NowMs();
  ASSERT_OK(tt->Complete(run1->meta, JobAction::kExecuteLater, 1).status());
  auto run2 = tt->NextPush();
  ASSERT_TRUE(run2.has_value());
  EXPECT_EQ(run2->meta.retry_times, 1);
  EXPECT_GE(run2->at_ms, failed_at + 300);
  ASSERT_OK(tt->Complete(run2->meta, JobAction::kExecuteException, 1).status());
  ASSERT_OK_AND_ASSIGN(auto counts, tt->Counts());
  EXPECT_EQ(counts["dead"], 1);
  EXPECT_EQ(counts["executable"], 0);
}

TEST_F(JobTrackerTest, CronJobRunsEverySecondAndPauseStopsIt) {
  TestNode* tt = Node("tt-1");
  Job job = MakeJob("tick");
  job.cron_expression = "* * * * * ?";
  ASSERT_OK(tt->Submit({job}).status());
  tt->Pull(1);
  auto first = tt->NextPush(3s);
  ASSERT_TRUE(first.has_value());
  ASSERT_OK(tt->Complete(first->meta, JobAction::kExecuteSuccess, 1).status());
  auto second = tt->NextPush(3s);
  ASSERT_TRUE(second.has_value());
  EXPECT_GE(second->meta.trigger_time_ms, first->meta.trigger_time_ms + 1000);
  EXPECT_EQ(second->meta.trigger_time_ms % 1000, 0);
  // Pause while the second run is executing: it finishes, nothing new starts.
  ASSERT_OK(tt->Control(protocol::ControlOp::kPause, "tick").status());
  ASSERT_OK(tt->Complete(second->meta, JobAction::kExecuteSuccess, 1).status());
  EXPECT_FALSE(tt->NextPush(2500ms).has_value());
  ASSERT_OK(tt->Control(protocol::ControlOp::kResume, "tick").status());
  tt->Pull(1);
  EXPECT_TRUE(tt->NextPush(3s).has_value());
}

TEST_F(JobTrackerTest, TriggerNowAddsAnExtraRunOfACronJob) {
  TestNode* tt = Node("tt-1");
  Job job = MakeJob("hourly");
  job.cron_expression = "0 0 * * * ?";
  ASSERT_OK(tt->Submit({job}).status());
  tt->Pull(2);
  EXPECT_FALSE(tt->NextPush(300ms).has_value());
  ASSERT_OK(tt->Control(protocol::ControlOp::kTrigger, "hourly").status());
  auto run = tt->NextPush();
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->meta.job.task_id, "hourly");
  ASSERT_OK(tt->Complete(run->meta, JobAction::kExecuteSuccess, 2).status());
  ASSERT_OK_AND_ASSIGN(auto counts, tt->Counts());
  EXPECT_EQ(counts["cron"], 1);
  EXPECT_EQ(counts["executable"], 1);  // The scheduled hourly instance is untouched.
}

TEST_F(JobTrackerTest, JobsOfADisconnectedTrackerGoToAnother) {
  TestNode* tt1 = Node("tt-1");
  ASSERT_OK(tt1->Submit({MakeJob("survivor")}).status());
  tt1->Pull(1);
  auto run = tt1->NextPush();
  ASSERT_TRUE(run.has_value());
  TestNode* tt2 = Node("tt-2");
  tt2->Pull(1);
  EXPECT_FALSE(tt2->NextPush(200ms).has_value());
  tt1->Stop();  // Connection drops; the grace period is 300 ms.
  auto again = tt2->NextPush(5s);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->meta.job_id, run->meta.job_id);
  // The first tracker's late result is ignored: the job now runs on tt-2.
  ASSERT_OK(tt2->Complete(again->meta, JobAction::kExecuteSuccess).status());
}

TEST_F(JobTrackerTest, MalformedRequestsAreRefusedWithoutHarm) {
  TestNode* tt = Node("tt-1");
  rpc::RpcClient raw(loop_, *net::InetAddress::Parse(tracker_->listen_address()), "raw", {});
  ASSERT_OK(raw.Start());
  ASSERT_TRUE(testing::WaitFor([&] { return raw.ready(); }, 10s));
  for (Command c : {Command::kSubmitJob, Command::kJobCompleted, Command::kJobPull,
                    Command::kJobControl, Command::kJobQuery, Command::kBizLogSend}) {
    for (const char* body : {"", "[]", "{\"jobs\": 5}", "{\"x\":", "{\"results\":[{}]}",
                             "{\"lines\":[{\"jobId\":7}]}"}) {
      // Unknown fields are ignored (newer senders): skip the bodies a command accepts.
      const std::string b = body;
      if (c == Command::kBizLogSend && (b == "{\"jobs\": 5}" || b == "{\"results\":[{}]}")) {
        continue;
      }
      auto r = raw.CallSync(ToWire(c), rpc::BodyFormat::kJson, body, 5s);
      EXPECT_FALSE(r.ok()) << rpc::CommandToString(ToWire(c)) << " " << body;
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
      }
    }
  }
  raw.Stop();
  ASSERT_OK(tt->Counts().status());  // Still serving.
}

TEST_F(JobTrackerTest, StatsGiveTheCountersAndTheTaskTrackers) {
  TestNode* tt = Node("tt-1");
  Job dead = MakeJob("c");
  dead.max_retry_times = 0;
  ASSERT_OK(tt->Submit({MakeJob("a"), MakeJob("b"), dead}).status());
  tt->Pull(3);
  std::map<std::string, protocol::JobMeta> runs;
  for (int i = 0; i < 3; ++i) {
    auto pushed = tt->NextPush();
    ASSERT_TRUE(pushed.has_value());
    runs[pushed->meta.job.task_id] = pushed->meta;
  }
  ASSERT_EQ(runs.size(), 3u);

  // Three runs out: the JobTracker counts them as running on tt-1, which has no room left.
  ASSERT_OK_AND_ASSIGN(auto stats, tt->Stats());
  EXPECT_EQ(stats["jobTracker"]["identity"], tracker_->identity());
  EXPECT_EQ(stats["jobTracker"]["listen"], tracker_->listen_address());
  EXPECT_EQ(stats["jobTracker"]["master"], true);
  EXPECT_EQ(stats["jobTracker"]["epoch"], 1);
  EXPECT_EQ(stats["stats"]["submitted"], 3);
  EXPECT_EQ(stats["stats"]["dispatched"], 3);
  EXPECT_EQ(stats["stats"]["succeeded"], 0);
  ASSERT_EQ(stats["taskTrackers"].size(), 1u);
  EXPECT_EQ(TrackerIn(stats, "tt-1"), (nlohmann::json{{"identity", "tt-1"},
                                                      {"group", "workers"},
                                                      {"connected", true},
                                                      {"freeThreads", 0},
                                                      {"running", 3},
                                                      {"disabled", false}}));
  EXPECT_EQ(stats["disabledTaskTrackers"], nlohmann::json::array());

  ASSERT_OK(tt->Complete(runs["a"], JobAction::kExecuteSuccess).status());
  ASSERT_OK(tt->Complete(runs["b"], JobAction::kExecuteFailed).status());
  ASSERT_OK(tt->Complete(runs["c"], JobAction::kExecuteException).status());  // No retries.
  tt->Pull(7);
  stats = WaitForStats(
      tt, [](const nlohmann::json& s) { return TrackerIn(s, "tt-1")["freeThreads"] == 7; });
  EXPECT_EQ(stats["stats"], (nlohmann::json{{"submitted", 3},
                                            {"dispatched", 3},
                                            {"succeeded", 1},
                                            {"failed", 1},
                                            {"later", 0},
                                            {"exception", 1},
                                            {"retried", 0},
                                            {"deadLettered", 1},
                                            {"requeued", 0}}));
  EXPECT_EQ(TrackerIn(stats, "tt-1"), (nlohmann::json{{"identity", "tt-1"},
                                                      {"group", "workers"},
                                                      {"connected", true},
                                                      {"freeThreads", 7},
                                                      {"running", 0},
                                                      {"disabled", false}}));

  // A TaskTracker that left is listed as disconnected during its grace period, then not.
  TestNode* gone = Node("tt-gone");
  gone->Pull(2);
  stats =
      WaitForStats(tt, [](const nlohmann::json& s) { return !TrackerIn(s, "tt-gone").is_null(); });
  EXPECT_EQ(TrackerIn(stats, "tt-gone")["connected"], true);
  gone->Stop();
  stats =
      WaitForStats(tt, [](const nlohmann::json& s) { return TrackerIn(s, "tt-gone").is_null(); });
  EXPECT_TRUE(TrackerIn(stats, "tt-gone").is_null());
  EXPECT_EQ(TrackerIn(stats, "tt-1")["connected"], true);
}

TEST_F(JobTrackerTest, DisabledTrackerGetsNoNewJobsUntilEnabled) {
  TestNode* tt1 = Node("tt-1");
  ASSERT_OK(tt1->Submit({MakeJob("first")}).status());
  tt1->Pull(1);
  auto first = tt1->NextPush();
  ASSERT_TRUE(first.has_value());
  TestNode* tt2 = Node("tt-2");
  tt2->Pull(2);

  ASSERT_OK_AND_ASSIGN(auto disabled, tt1->NodeControl(protocol::ControlOp::kDisableNode, "tt-1"));
  EXPECT_EQ(disabled.message, "disabled TaskTracker tt-1");
  EXPECT_EQ(disabled.affected, 1);
  ASSERT_OK_AND_ASSIGN(auto again, tt1->NodeControl(protocol::ControlOp::kDisableNode, "tt-1"));
  EXPECT_EQ(again.affected, 0);
  tt1->Pull(3);  // The free threads of a disabled TaskTracker claim nothing.

  // Three due jobs: tt-2 has room for two and gets them; the third waits.
  ASSERT_OK(tt2->Submit({MakeJob("j1"), MakeJob("j2"), MakeJob("j3")}).status());
  std::set<std::string> on_tt2;
  for (int i = 0; i < 2; ++i) {
    auto pushed = tt2->NextPush();
    ASSERT_TRUE(pushed.has_value());
    on_tt2.insert(pushed->meta.job.task_id);
  }
  EXPECT_EQ(on_tt2.size(), 2u);

  // tt-1 stays connected: its running job's result is applied, and the response brings
  // no new job although one is due and tt-1 reports free threads.
  ASSERT_OK_AND_ASSIGN(auto response,
                       tt1->Complete(first->meta, JobAction::kExecuteSuccess, /*free_after=*/3));
  EXPECT_TRUE(response.jobs.empty());
  ASSERT_OK_AND_ASSIGN(auto counts, tt1->Counts());
  EXPECT_EQ(counts["executable"], 1);
  EXPECT_EQ(counts["executing"], 2);
  EXPECT_FALSE(tt1->NextPush(300ms).has_value());
  ASSERT_OK_AND_ASSIGN(auto stats, tt1->Stats());
  EXPECT_EQ(stats["stats"]["succeeded"], 1);
  EXPECT_EQ(TrackerIn(stats, "tt-1")["disabled"], true);
  EXPECT_EQ(TrackerIn(stats, "tt-1")["connected"], true);
  EXPECT_EQ(TrackerIn(stats, "tt-1")["freeThreads"], 3);
  EXPECT_EQ(TrackerIn(stats, "tt-2")["disabled"], false);
  EXPECT_EQ(stats["disabledTaskTrackers"], nlohmann::json::array({"tt-1"}));

  // Enabled: the waiting job goes to tt-1 at once, without a new capacity report.
  ASSERT_OK_AND_ASSIGN(auto enabled, tt1->NodeControl(protocol::ControlOp::kEnableNode, "tt-1"));
  EXPECT_EQ(enabled.message, "enabled TaskTracker tt-1");
  EXPECT_EQ(enabled.affected, 1);
  auto third = tt1->NextPush();
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(on_tt2.count(third->meta.job.task_id), 0u) << third->meta.job.task_id;
  ASSERT_OK_AND_ASSIGN(stats, tt1->Stats());
  EXPECT_EQ(TrackerIn(stats, "tt-1")["disabled"], false);
  ASSERT_OK_AND_ASSIGN(auto enabled_again,
                       tt1->NodeControl(protocol::ControlOp::kEnableNode, "tt-1"));
  EXPECT_EQ(enabled_again.affected, 0);
  // And its completions bring jobs again.
  ASSERT_OK(tt2->Submit({MakeJob("j4")}).status());
  ASSERT_OK_AND_ASSIGN(response, tt1->Complete(third->meta, JobAction::kExecuteSuccess, 1));
  std::optional<TestNode::Pushed> fourth;
  if (response.jobs.empty()) {
    fourth = tt1->NextPush();  // Pushed instead, if the timer came first.
  } else {
    fourth = TestNode::Pushed{response.jobs[0], NowMs()};
  }
  ASSERT_TRUE(fourth.has_value());
  EXPECT_EQ(fourth->meta.job.task_id, "j4");
}

TEST_F(JobTrackerTest, DisabledIsKeptWhenTheTrackerReconnects) {
  TestNode* admin = Node("admin");
  TestNode* tt = Node("tt-1");
  tt->Pull(1);
  ASSERT_OK(admin->NodeControl(protocol::ControlOp::kDisableNode, "tt-1").status());
  tt->Stop();
  // Past its grace period the JobTracker forgets the connection, not the setting.
  auto stats =
      WaitForStats(admin, [](const nlohmann::json& s) { return TrackerIn(s, "tt-1").is_null(); });
  EXPECT_EQ(stats["disabledTaskTrackers"], nlohmann::json::array({"tt-1"}));
  TestNode* back = Node("tt-1");
  back->Pull(2);
  ASSERT_OK(admin->Submit({MakeJob("waits")}).status());
  stats = WaitForStats(
      admin, [](const nlohmann::json& s) { return TrackerIn(s, "tt-1")["freeThreads"] == 2; });
  EXPECT_EQ(TrackerIn(stats, "tt-1")["disabled"], true);
  EXPECT_FALSE(back->NextPush(300ms).has_value());
  ASSERT_OK(admin->NodeControl(protocol::ControlOp::kEnableNode, "tt-1").status());
  auto pushed = back->NextPush();
  ASSERT_TRUE(pushed.has_value());
  EXPECT_EQ(pushed->meta.job.task_id, "waits");
}

TEST_F(JobTrackerTest, NodeControlOfAnUnknownOrMissingIdentityIsRefused) {
  TestNode* tt = Node("tt-1");
  tt->Pull(1);
  EXPECT_THAT(tt->NodeControl(protocol::ControlOp::kDisableNode, "nobody"),
              testing::StatusIs(StatusCode::kNotFound, ::testing::HasSubstr("nobody")));
  EXPECT_THAT(tt->NodeControl(protocol::ControlOp::kEnableNode, "nobody"),
              testing::StatusIs(StatusCode::kNotFound, ::testing::HasSubstr("nobody")));
  // Malformed bodies name the field.
  const std::vector<std::string> bodies = {
      R"({"op": "disable-node"})", R"({"op": "enable-node", "identity": ""})",
      R"({"op": "disable-node", "identity": 5})",
      R"({"op": "disable-node", "identity": ")" + std::string(129, 'x') + R"("})"};
  for (const std::string& body : bodies) {
    EXPECT_THAT(
        tt->Call(Command::kJobControl, body),
        testing::StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("control.identity")))
        << body;
  }
  // Nothing was disabled by the refused requests.
  ASSERT_OK_AND_ASSIGN(auto stats, tt->Stats());
  EXPECT_EQ(stats["disabledTaskTrackers"], nlohmann::json::array());
  EXPECT_EQ(TrackerIn(stats, "tt-1")["disabled"], false);
}

}  // namespace
}  // namespace lts::jobtracker
