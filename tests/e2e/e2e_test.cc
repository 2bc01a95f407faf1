// End to end: JobTrackers and shell TaskTrackers as separate `lts` processes, jobs
// submitted and steered with `lts submit` / `lts job`, on two setups:
//   embedded  one JobTracker on SQLite, TaskTrackers given its address (no registry);
//   zk_pg     two JobTrackers sharing a PostgreSQL store, ZooKeeper registry (needs
//             LTS_TEST_ZK and LTS_TEST_PG; skipped without them).
// Shell jobs append "<event> <task or job id> <epoch ms>" lines to a file of the test, so
// the test sees when each run started and ended.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "base/mutex.h"
#include "e2e/cluster.h"
#include "lts/job_client.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace lts::e2e {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

struct Setup {
  const char* name;
  bool zk_pg;
};

class EndToEndTest : public ::testing::TestWithParam<Setup> {
 protected:
  void SetUp() override {
    ClusterOptions o;
    if (GetParam().zk_pg) {
      auto zk = testing::ServiceAddress("LTS_TEST_ZK");
      auto pg = testing::ServiceAddress("LTS_TEST_PG");
      if (!zk || !pg) GTEST_SKIP() << "LTS_TEST_ZK and LTS_TEST_PG are needed";
      o.zookeeper = *zk;
      o.postgres = *pg;
      o.jobtrackers = 2;
    }
    options_ = o;
  }

  void StartCluster() {
    cluster_ = std::make_unique<Cluster>(options_);
    Status s = cluster_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // `lts <command> <cluster flags> <args>`.
  CliResult Run(const std::string& command, std::vector<std::string> args) {
    std::vector<std::string> all = {command};
    if (command == "job") {
      all.push_back(args.front());
      args.erase(args.begin());
    }
    for (const std::string& f : cluster_->ClientFlags()) all.push_back(f);
    all.insert(all.end(), args.begin(), args.end());
    return Lts(all);
  }

  // Submits a shell job that appends "<event> <taskId> <ms>" for start and end.
  void SubmitShell(const std::string& task, const std::string& file, std::vector<std::string> extra,
                   const std::string& body = "true") {
    const std::string command = fmt::format(
        "echo \"start $LTS_TASK_ID $(date +%s%3N)\" >> {0}; {1}; rc=$?; "
        "echo \"end $LTS_TASK_ID $(date +%s%3N)\" >> {0}; exit $rc",
        file, body);
    std::vector<std::string> args = {"--group", "shell",   "--task-id",
                                     task,      "--param", "command=" + command};
    args.insert(args.end(), extra.begin(), extra.end());
    CliResult r = Run("submit", args);
    ASSERT_EQ(r.code, 0) << r.out << r.err;
  }

  std::vector<int64_t> Starts(const std::string& file, const std::string& task) {
    std::vector<int64_t> out;
    for (const RunEvent& e : ReadRunFile(file)) {
      if (e.event == "start" && e.id == task) out.push_back(e.at_ms);
    }
    return out;
  }

  json Counts() {
    CliResult r = Run("job", {"counts", "--output", "json"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    json j = json::parse(r.out, nullptr, false);
    return j.contains("counts") ? j["counts"] : j;
  }

  ClusterOptions options_;
  std::unique_ptr<Cluster> cluster_;
};

TEST_P(EndToEndTest, EveryJobKindFiresAtItsTime) {
  StartCluster();
  const std::string file = cluster_->RunFile("kinds.txt");
  const int64_t t0 = NowMs();
  SubmitShell("now", file, {});
  const int64_t due = t0 + 2000;
  SubmitShell("at", file, {"--trigger-time", std::to_string(due)});
  SubmitShell("cron", file, {"--cron", "* * * * * ?"});
  SubmitShell("repeat", file, {"--repeat-count", "3", "--repeat-interval", "1000"});
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return Starts(file, "repeat").size() >= 3 && Starts(file, "cron").size() >= 3 &&
               !Starts(file, "at").empty();
      },
      30s))
      << cluster_->Logs();
  EXPECT_EQ(Starts(file, "now").size(), 1u);
  ASSERT_EQ(Starts(file, "at").size(), 1u);
  EXPECT_GE(Starts(file, "at")[0], due);
  // Cron every second: distinct seconds, at least ~1 s apart.
  auto cron = Starts(file, "cron");
  for (size_t i = 1; i < cron.size(); ++i) EXPECT_GE(cron[i] - cron[i - 1], 900) << i;
  // Repeat 3 times, one second apart, and no more.
  std::this_thread::sleep_for(1500ms);
  auto repeat = Starts(file, "repeat");
  ASSERT_EQ(repeat.size(), 3u);
  for (size_t i = 1; i < repeat.size(); ++i) EXPECT_GE(repeat[i] - repeat[i - 1], 900) << i;
}

TEST_P(EndToEndTest, RetriesWithBackoffThenDeadLetter) {
  StartCluster();
  const std::string file = cluster_->RunFile("retry.txt");
  SubmitShell("flaky", file,
              {"--max-retries", "2", "--retry-backoff", "fixed", "--retry-delay-ms", "500",
               "--param", "laterExitCodes=3"},
              "exit 3");
  ASSERT_TRUE(testing::WaitFor([&] { return Counts().value("dead", 0) == 1; }, 30s))
      << cluster_->Logs();
  auto starts = Starts(file, "flaky");
  ASSERT_EQ(starts.size(), 3u);  // The first run and two retries.
  for (size_t i = 1; i < starts.size(); ++i) EXPECT_GE(starts[i] - starts[i - 1], 500) << i;
  CliResult dead = Run("job", {"list", "--queue", "dead", "--output", "json"});
  ASSERT_EQ(dead.code, 0) << dead.err;
  EXPECT_NE(dead.out.find("flaky"), std::string::npos) << dead.out;
}

TEST_P(EndToEndTest, KilledTaskTrackerJobRunsOnTheOther) {
  StartCluster();
  const std::string file = cluster_->RunFile("kill.txt");
  SubmitShell("long", file, {}, "sleep 3");
  ASSERT_TRUE(testing::WaitFor([&] { return Starts(file, "long").size() == 1; }, 20s))
      << cluster_->Logs();
  // Which TaskTracker runs it?
  CliResult got = Run("job", {"get", "shell", "long", "--output", "json"});
  ASSERT_EQ(got.code, 0) << got.out << got.err;
  json view = json::parse(got.out, nullptr, false);
  if (view.contains("job")) view = view["job"];
  const std::string runner = view.value("taskTracker", "");
  ASSERT_TRUE(runner == "tt0" || runner == "tt1") << got.out;
  const int64_t killed_at = NowMs();
  cluster_->KillTaskTracker(runner == "tt0" ? 0 : 1);
  ASSERT_TRUE(testing::WaitFor([&] { return Starts(file, "long").size() == 2; }, 20s))
      << cluster_->Logs();
  const int64_t restarted_in = Starts(file, "long")[1] - killed_at;
  std::printf("killed TaskTracker's job started on the other after %lld ms\n",
              static_cast<long long>(restarted_in));
  EXPECT_LE(restarted_in, options_.session_timeout_ms + 2000);
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto events = ReadRunFile(file);
        return std::count_if(events.begin(), events.end(),
                             [](const RunEvent& e) { return e.event == "end"; }) == 1;
      },
      20s));
  EXPECT_TRUE(testing::WaitFor([&] { return Counts().value("executing", -1) == 0; }, 10s));
}

TEST_P(EndToEndTest, KilledJobTrackerUnderLoadLosesNothingAndRunsNothingTwiceAtOnce) {
  if (!GetParam().zk_pg) GTEST_SKIP() << "needs two JobTrackers sharing a store";
  StartCluster();
  const std::string file = cluster_->RunFile("load.txt");
  constexpr int kJobs = 120;
  // Submitted in one batch through the CLI's JSON input.
  json jobs = json::array();
  for (int i = 0; i < kJobs; ++i) {
    const std::string task = fmt::format("load-{}", i);
    jobs.push_back({{"taskId", task},
                    {"taskTrackerNodeGroup", "shell"},
                    {"extParams",
                     {{"command", fmt::format("echo \"start {0} $(date +%s%3N)\" >> {1}; sleep "
                                              "0.2; echo \"end {0} $(date +%s%3N)\" >> {1}",
                                              task, file)}}}});
  }
  const std::string json_file = cluster_->RunFile("jobs.json");
  {
    std::ofstream out(json_file);
    out << jobs.dump();
  }
  CliResult r = Run("submit", {"--json", json_file});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  ASSERT_TRUE(testing::WaitFor([&] { return ReadRunFile(file).size() >= 20; }, 30s))
      << cluster_->Logs();
  cluster_->KillJobTracker(0);
  // Every job ends at least once.
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        std::set<std::string> ended;
        for (const RunEvent& e : ReadRunFile(file)) {
          if (e.event == "end") ended.insert(e.id);
        }
        return ended.size() == kJobs;
      },
      90s))
      << cluster_->Logs();
  // No job ran twice at the same time: per job, starts and ends alternate.
  std::map<std::string, int> open;
  for (const RunEvent& e : ReadRunFile(file)) {
    if (e.event == "start") {
      EXPECT_EQ(open[e.id], 0) << e.id << " started while running";
      ++open[e.id];
    } else {
      --open[e.id];
    }
  }
}

TEST_P(EndToEndTest, PauseResumeTriggerAndTerminate) {
  StartCluster();
  const std::string file = cluster_->RunFile("ops.txt");
  SubmitShell("hourly", file, {"--cron", "0 0 * * * ?"});
  // Trigger now: an extra run of the hourly job.
  CliResult t = Run("job", {"trigger", "shell", "hourly"});
  ASSERT_EQ(t.code, 0) << t.out << t.err;
  ASSERT_TRUE(testing::WaitFor([&] { return Starts(file, "hourly").size() == 1; }, 20s))
      << cluster_->Logs();
  // Pause: the cron definition is suspended; resume brings it back.
  CliResult p = Run("job", {"pause", "shell", "hourly"});
  ASSERT_EQ(p.code, 0) << p.out << p.err;
  EXPECT_TRUE(testing::WaitFor([&] { return Counts().value("suspended", 0) >= 1; }, 10s));
  CliResult resumed = Run("job", {"resume", "shell", "hourly"});
  ASSERT_EQ(resumed.code, 0) << resumed.out << resumed.err;
  EXPECT_TRUE(testing::WaitFor([&] { return Counts().value("cron", 0) == 1; }, 10s));
  // Terminate a running shell job: its whole process group goes.
  SubmitShell("stuck", file, {}, "sleep 300");
  ASSERT_TRUE(testing::WaitFor([&] { return Starts(file, "stuck").size() == 1; }, 20s));
  const int64_t asked = NowMs();
  CliResult k = Run("job", {"terminate", "shell", "stuck"});
  ASSERT_EQ(k.code, 0) << k.out << k.err;
  ASSERT_TRUE(testing::WaitFor([&] { return Counts().value("executing", -1) == 0; }, 20s))
      << cluster_->Logs();
  EXPECT_LT(NowMs() - asked, 15000);
  // The job log is written in batches (within 200 ms): wait for the entry.
  CliResult logs;
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        logs = Run("job", {"logs", "shell", "stuck", "--output", "json"});
        return logs.code == 0 && logs.out.find("terminated") != std::string::npos;
      },
      10s))
      << logs.out << logs.err;
}

// A JobClient (the SDK, in this process) of the cluster.
std::unique_ptr<JobClient> MakeClient(const Cluster& cluster, const std::string& group) {
  JobClient::Options o;
  o.registry = cluster.registry();
  o.cluster = cluster.cluster_name();
  o.jobtrackers = cluster.jobtracker_addresses();
  o.node_group = group;
  o.identity = group + "-1";
  o.data_dir = cluster.dir() + "/" + group;
  o.call_timeout = std::chrono::milliseconds(3000);
  return std::make_unique<JobClient>(o);
}

Job ShellJob(const std::string& task, const std::string& file, const std::string& body) {
  Job job;
  job.task_id = task;
  job.task_tracker_node_group = "shell";
  job.ext_params["command"] = fmt::format(
      "echo \"start $LTS_TASK_ID $(date +%s%3N)\" >> {0}; {1}; rc=$?; "
      "echo \"end $LTS_TASK_ID $(date +%s%3N)\" >> {0}; exit $rc",
      file, body);
  return job;
}

TEST_P(EndToEndTest, FeedbackReachesTheSubmittingClient) {
  StartCluster();
  const std::string file = cluster_->RunFile("feedback.txt");
  auto client = MakeClient(*cluster_, "orders");
  Mutex mu;
  std::vector<JobResult> results;
  client->SetFeedbackHandler([&](const std::vector<JobResult>& batch) {
    MutexLock lock(&mu);
    results.insert(results.end(), batch.begin(), batch.end());
  });
  ASSERT_OK(client->Start());
  ASSERT_TRUE(client->WaitForJobTracker(10s));
  Job ok = ShellJob("fb-ok", file, "true");
  ok.need_feedback = true;
  Job bad = ShellJob("fb-bad", file, "exit 4");
  bad.need_feedback = true;
  Job quiet = ShellJob("fb-none", file, "true");  // No feedback asked.
  const Job jobs[] = {ok, bad, quiet};
  for (const SubmitResult& r : client->SubmitBatch(jobs)) {
    ASSERT_OK(r.status);
  }
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        MutexLock lock(&mu);
        return results.size() >= 2;
      },
      30s))
      << cluster_->Logs();
  ASSERT_TRUE(testing::WaitFor([&] { return Starts(file, "fb-none").size() == 1; }, 20s));
  std::this_thread::sleep_for(500ms);  // A third result would arrive by now.
  MutexLock lock(&mu);
  ASSERT_EQ(results.size(), 2u);
  std::map<std::string, JobResult> by_task;
  for (const JobResult& r : results) by_task[r.job.task_id] = r;
  EXPECT_TRUE(by_task["fb-ok"].success);
  EXPECT_EQ(by_task["fb-ok"].action, JobAction::kExecuteSuccess);
  EXPECT_FALSE(by_task["fb-bad"].success);
  EXPECT_EQ(by_task["fb-bad"].action, JobAction::kExecuteFailed);
  EXPECT_EQ(by_task["fb-ok"].job.submit_node_group, "orders");
}

TEST_P(EndToEndTest, JobClientLosesNothingWhileTheJobTrackersAreDownForTenSeconds) {
  StartCluster();
  const std::string file = cluster_->RunFile("outage.txt");
  auto client = MakeClient(*cluster_, "outage");
  ASSERT_OK(client->Start());
  ASSERT_TRUE(client->WaitForJobTracker(10s));
  int submitted = 0;
  auto submit = [&](bool expect_saved) {
    const std::string task = fmt::format("o-{}", submitted++);
    SubmitResult r = client->Submit(ShellJob(task, file, "true"));
    ASSERT_OK(r.status) << task;
    if (expect_saved) {
      EXPECT_TRUE(r.saved_for_later) << task;
    }
  };
  for (int i = 0; i < 10; ++i) {
    submit(false);
  }
  for (int i = 0; i < options_.jobtrackers; ++i) cluster_->KillJobTracker(i);
  const auto down_since = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - down_since < 10s) {
    submit(false);  // Saved for later while no JobTracker answers.
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_GT(client->pending_jobs(), 0u);
  for (int i = 0; i < options_.jobtrackers; ++i) cluster_->StartJobTracker(i);
  for (int i = 0; i < 10; ++i) {
    submit(false);
  }
  // Every job runs (at least once: a job the JobTracker stored just before it was killed
  // may be resent and refused as a duplicate, never lost).
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        std::set<std::string> started;
        for (const RunEvent& e : ReadRunFile(file)) {
          if (e.event == "start") started.insert(e.id);
        }
        return static_cast<int>(started.size()) == submitted;
      },
      60s))
      << "submitted " << submitted << "\n"
      << cluster_->Logs();
  EXPECT_EQ(client->pending_jobs(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Setups, EndToEndTest,
                         ::testing::Values(Setup{"embedded", false}, Setup{"zk_pg", true}),
                         [](const auto& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace lts::e2e
