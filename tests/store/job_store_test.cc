// The store conformance suite: compiled into store_test (SQLite) and store_pg_test
// (PostgreSQL); every test here must pass on both backends.

#include "store/job_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "store/job_codec.h"
#include "store_test_util.h"

namespace lts::store {
namespace {

using ::lts::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::MakeCron;
using testing::MakeJob;

constexpr int64_t kNow = 10000;

class JobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LTS_SKIP_WITHOUT_STORE(loc_);
    ASSERT_OK_AND_ASSIGN(store_, loc_.Open());
  }

  SubmitResult Submit1(const JobRecord& r, bool with_first_instance = true) {
    StatusOr<std::vector<SubmitResult>> res = store_->Submit({&r, 1}, kNow, with_first_instance);
    EXPECT_OK(res);
    return res.ok() ? (*res)[0] : SubmitResult{res.status(), false, ""};
  }

  std::vector<JobRecord> Claim(std::string group, int n, int64_t epoch = 1, int64_t now = kNow,
                               std::string jt = "jt1", std::string tt = "tt1") {
    ClaimRequest req{std::move(group), std::move(jt), std::move(tt), epoch, n, now};
    StatusOr<std::vector<JobRecord>> r = store_->Claim(req);
    EXPECT_OK(r);
    return r.ok() ? *r : std::vector<JobRecord>{};
  }

  static std::vector<std::string> TaskIds(const std::vector<JobRecord>& jobs) {
    std::vector<std::string> ids;
    for (const JobRecord& j : jobs) ids.push_back(j.job.task_id);
    return ids;
  }

  Completion Done(const JobRecord& r, int64_t epoch = 1) {
    Completion c;
    c.job_id = r.job_id;
    c.epoch = epoch;
    c.now_ms = kNow;
    return c;
  }

  testing::StoreLocation loc_;
  std::unique_ptr<JobStore> store_;
};

TEST(OpenJobStoreTest, BadUrlIsInvalidArgumentNamingIt) {
  EXPECT_THAT(OpenJobStore("mysql://x").status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("mysql://x")));
  EXPECT_THAT(OpenJobStore("sqlite://").status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("sqlite://")));
  StoreOptions bad;
  bad.pg_schema = "Robert'); DROP TABLE x;--";
  EXPECT_THAT(OpenJobStore("postgresql://127.0.0.1:1/x", bad).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("pg_schema")));
}

TEST_F(JobStoreTest, OpensAtTheLatestSchemaVersion) {
  EXPECT_THAT(store_->SchemaVersion().value_or(-1), JobStore::LatestSchemaVersion());
}

TEST_F(JobStoreTest, ClaimOrdersByPriorityThenTriggerTimeThenSubmission) {
  std::vector<JobRecord> jobs = {
      MakeJob("late", "g1", 100, 3000),     MakeJob("b", "g1", 100, 2000),
      MakeJob("a", "g1", 100, 2000),        MakeJob("urgent", "g1", 5, 9000),
      MakeJob("future", "g1", 1, kNow + 1), MakeJob("other", "g2", 1, 1000)};
  ASSERT_OK(store_->Submit(jobs, kNow));
  std::vector<JobRecord> claimed = Claim("g1", 10);
  EXPECT_THAT(TaskIds(claimed), ElementsAre("urgent", "b", "a", "late"));
  for (const JobRecord& r : claimed) {
    EXPECT_EQ(r.state, JobState::kExecuting);
    EXPECT_EQ(r.job_tracker, "jt1");
    EXPECT_EQ(r.task_tracker, "tt1");
    EXPECT_EQ(r.epoch, 1);
    EXPECT_EQ(r.started_at_ms, kNow);
    EXPECT_EQ(r.job_id.size(), 32u);
  }
  EXPECT_TRUE(Claim("g1", 10).empty());
  EXPECT_THAT(store_->NextDueTime("g1").value_or(std::nullopt), std::optional<int64_t>(kNow + 1));
  EXPECT_THAT(store_->NextDueTime("none").value_or(1), std::nullopt);
  EXPECT_THAT(TaskIds(Claim("g1", 10, 1, kNow + 1)), ElementsAre("future"));
}

// Dispatch ahead (docs/scheduling.md): due_by_ms widens what is due; started_at stays the
// claim's own time.
TEST_F(JobStoreTest, ClaimAheadTakesJobsDueByItsBoundAndStampsTheClaimTime) {
  std::vector<JobRecord> jobs = {MakeJob("now", "g1", 100, kNow),
                                 MakeJob("soon", "g1", 100, kNow + 40),
                                 MakeJob("later", "g1", 100, kNow + 41)};
  ASSERT_OK(store_->Submit(jobs, kNow));
  ClaimRequest req{"g1", "jt1", "tt1", 1, 10, kNow, kNow + 40};
  ASSERT_OK_AND_ASSIGN(std::vector<JobRecord> claimed, store_->Claim(req));
  EXPECT_THAT(TaskIds(claimed), ElementsAre("now", "soon"));
  for (const JobRecord& r : claimed) EXPECT_EQ(r.started_at_ms, kNow);
  ASSERT_OK_AND_ASSIGN(JobRecord stored, store_->GetJob(claimed[1].job_id));
  EXPECT_EQ(stored.started_at_ms, kNow);
  EXPECT_EQ(stored.state, JobState::kExecuting);
  // A bound before now_ms claims what is due now: never less than a plain claim.
  req.due_by_ms = kNow - 1000;
  req.now_ms = kNow + 41;
  EXPECT_THAT(TaskIds(store_->Claim(req).value_or(std::vector<JobRecord>{})), ElementsAre("later"));
}

TEST_F(JobStoreTest, ClaimHonoursMaxJobs) {
  std::vector<JobRecord> jobs;
  for (int i = 0; i < 10; ++i) jobs.push_back(MakeJob(fmt::format("t{}", i)));
  ASSERT_OK(store_->Submit(jobs, kNow));
  EXPECT_EQ(Claim("g1", 3).size(), 3u);
  EXPECT_EQ(Claim("g1", 100).size(), 7u);
}

TEST_F(JobStoreTest, KeyIsUniqueAcrossInstancesDefinitionsAndExecuting) {
  EXPECT_OK(Submit1(MakeJob("t1")).status);
  SubmitResult dup = Submit1(MakeJob("t1"));
  EXPECT_THAT(dup.status, StatusIs(StatusCode::kAlreadyExists, HasSubstr("t1")));
  EXPECT_OK(Submit1(MakeJob("t1", "g2")).status);  // Another group: another key.
  // A cron definition holds its key too, and vice versa.
  EXPECT_OK(Submit1(MakeCron("c1")).status);
  EXPECT_THAT(Submit1(MakeJob("c1")).status, StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  // An executing instance still holds its key.
  ASSERT_EQ(Claim("g1", 10).size(), 1u);  // t1 (c1's first cycle is not due yet).
  EXPECT_THAT(Submit1(MakeJob("t1")).status, StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  // Duplicates inside one batch: the first wins.
  std::vector<JobRecord> batch = {MakeJob("d"), MakeJob("d")};
  ASSERT_OK_AND_ASSIGN(std::vector<SubmitResult> res, store_->Submit(batch, kNow));
  EXPECT_OK(res[0].status);
  EXPECT_THAT(res[1].status, StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  EXPECT_EQ(res[1].job_id, res[0].job_id);
}

TEST_F(JobStoreTest, InvalidRecordsFailAloneNamingTheField) {
  JobRecord bad = MakeJob("");
  JobRecord bad_id = MakeJob("x");
  bad_id.job_id = "has space";
  std::vector<JobRecord> batch = {bad, MakeJob("ok"), bad_id};
  ASSERT_OK_AND_ASSIGN(std::vector<SubmitResult> res, store_->Submit(batch, kNow));
  EXPECT_THAT(res[0].status, StatusIs(StatusCode::kInvalidArgument, HasSubstr("taskId")));
  EXPECT_OK(res[1].status);
  EXPECT_THAT(res[2].status, StatusIs(StatusCode::kInvalidArgument, HasSubstr("jobId")));
}

TEST_F(JobStoreTest, ReplaceOnExistReusesTheJobIdAndReplacesTheWaitingJob) {
  SubmitResult first = Submit1(MakeJob("t1", "g1", 100, 5000));
  JobRecord repl = MakeJob("t1", "g1", 7, 6000);
  repl.job.replace_on_exist = true;
  repl.job.ext_params["v"] = "2";
  SubmitResult second = Submit1(repl);
  ASSERT_OK(second.status);
  EXPECT_TRUE(second.replaced);
  EXPECT_EQ(second.job_id, first.job_id);
  std::vector<JobRecord> claimed = Claim("g1", 10);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].job.priority, 7);
  EXPECT_EQ(claimed[0].trigger_time_ms, 6000);
  EXPECT_EQ(claimed[0].job.ext_params.at("v"), "2");
}

TEST_F(JobStoreTest, ReplacingAJobThatRunsLeavesTheRunAloneAndEndsItsCycle) {
  SubmitResult first = Submit1(MakeCron("c1"));
  ASSERT_OK(first.status);
  std::vector<JobRecord> claimed = Claim("g1", 1, 1, kNow + 1000000);
  ASSERT_EQ(claimed.size(), 1u);
  JobRecord repl = MakeCron("c1");
  repl.job.replace_on_exist = true;
  repl.job.priority = 3;
  SubmitResult second = Submit1(repl);
  ASSERT_OK(second.status);
  EXPECT_TRUE(second.replaced);
  EXPECT_NE(second.job_id, first.job_id);  // The running instance keeps the old id.
  // The old run completes; its next cycle is not created (its definition is gone) and the
  // key stays with the replacement.
  Completion done = Done(claimed[0]);
  JobRecord next = claimed[0];
  next.trigger_time_ms = kNow + 60000;
  done.next_instance = next;
  CompleteResult cr = store_->Complete(done);
  ASSERT_OK(cr.status);
  EXPECT_FALSE(cr.next_instance_added);
  EXPECT_THAT(Submit1(MakeJob("c1")).status, StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  ASSERT_OK_AND_ASSIGN(JobRecord def, store_->GetDefinition(second.job_id));
  EXPECT_EQ(def.job.priority, 3);
}

TEST_F(JobStoreTest, CompletionReleasesTheKeyAndIsIdempotent) {
  ASSERT_OK(Submit1(MakeJob("t1")).status);
  std::vector<JobRecord> claimed = Claim("g1", 1);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_OK(store_->Complete(Done(claimed[0])).status);
  EXPECT_THAT(store_->Complete(Done(claimed[0])).status,
              StatusIs(StatusCode::kNotFound, HasSubstr("not executing")));
  EXPECT_OK(Submit1(MakeJob("t1")).status);  // The key is free again.
}

TEST_F(JobStoreTest, CompleteAndClaimIsOneStepOfBoth) {
  std::vector<JobRecord> jobs = {MakeJob("a"), MakeJob("b"), MakeJob("c")};
  ASSERT_OK(store_->Submit(jobs, kNow));
  std::vector<JobRecord> first = Claim("g1", 1);
  ASSERT_EQ(first.size(), 1u);
  std::vector<Completion> done = {Done(first[0]), Done(first[0])};  // The second is a re-send.
  ClaimRequest req{"g1", "jt1", "tt1", 1, 5, kNow};
  ASSERT_OK_AND_ASSIGN(CompleteAndClaimResult r, store_->CompleteAndClaim(done, req));
  ASSERT_EQ(r.completed.size(), 2u);
  EXPECT_OK(r.completed[0].status);
  EXPECT_THAT(r.completed[1].status, StatusIs(StatusCode::kNotFound, HasSubstr("not executing")));
  EXPECT_THAT(TaskIds(r.claimed), ElementsAre("b", "c"));
  EXPECT_EQ(r.claimed[0].state, JobState::kExecuting);
  EXPECT_OK(Submit1(MakeJob("a")).status);  // Its key was released.
  req.node_group = "";
  EXPECT_THAT(store_->CompleteAndClaim(done, req).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("nodeGroup")));
}

TEST_F(JobStoreTest, OlderEpochIsFenced) {
  ASSERT_OK(Submit1(MakeJob("t1")).status);
  std::vector<JobRecord> claimed = Claim("g1", 1, /*epoch=*/5);
  ASSERT_EQ(claimed.size(), 1u);
  const std::string id = claimed[0].job_id;
  EXPECT_THAT(store_->Complete(Done(claimed[0], 4)).status,
              StatusIs(StatusCode::kAborted, HasSubstr("fenced")));
  EXPECT_THAT(store_->Retry(id, 4, kNow, kNow), StatusIs(StatusCode::kAborted, ::testing::_));
  EXPECT_THAT(store_->DeadLetter(id, 4, "x", kNow), StatusIs(StatusCode::kAborted, ::testing::_));
  // A newer JobTracker takes the dead tracker's jobs back; the old one can no longer
  // claim them (they carry epoch 6) nor complete them.
  ASSERT_OK_AND_ASSIGN(int64_t moved,
                       store_->RequeueExecuting(JobStore::Owner::kJobTracker, "jt1", 6, kNow));
  EXPECT_EQ(moved, 1);
  EXPECT_TRUE(Claim("g1", 1, /*epoch=*/5).empty());
  EXPECT_THAT(store_->Complete(Done(claimed[0], 5)).status,
              StatusIs(StatusCode::kAborted, ::testing::_));
  std::vector<JobRecord> again = Claim("g1", 1, /*epoch=*/6, kNow, "jt2");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_OK(store_->Complete(Done(again[0], 6)).status);
}

TEST_F(JobStoreTest, RetryAndReturnToQueueMoveBackToExecutable) {
  ASSERT_OK(Submit1(MakeJob("t1")).status);
  std::vector<JobRecord> c = Claim("g1", 1);
  ASSERT_EQ(c.size(), 1u);
  ASSERT_OK(store_->Retry(c[0].job_id, 1, kNow + 500, kNow));
  EXPECT_TRUE(Claim("g1", 1).empty());  // Not due yet.
  c = Claim("g1", 1, 1, kNow + 500);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].retry_times, 1);
  ASSERT_OK(store_->ReturnToQueue(c[0].job_id, 1, kNow, kNow));
  c = Claim("g1", 1);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].retry_times, 1);
  EXPECT_THAT(store_->Retry("NOSUCHJOB", 1, kNow, kNow),
              StatusIs(StatusCode::kNotFound, ::testing::_));
}

TEST_F(JobStoreTest, DeadLetterQueueKeepsTheJobAndCanRetryIt) {
  ASSERT_OK(Submit1(MakeJob("t1")).status);
  std::vector<JobRecord> c = Claim("g1", 1);
  ASSERT_EQ(c.size(), 1u);
  ASSERT_OK(store_->DeadLetter(c[0].job_id, 1, "retries exhausted: 'boom'", kNow));
  ASSERT_OK_AND_ASSIGN(DeadLetterEntry d, store_->GetDeadLetter(c[0].job_id));
  EXPECT_EQ(d.reason, "retries exhausted: 'boom'");
  EXPECT_EQ(d.record.job.task_id, "t1");
  ASSERT_OK_AND_ASSIGN(std::vector<DeadLetterEntry> all, store_->ListDeadLetters({}));
  EXPECT_EQ(all.size(), 1u);
  ASSERT_OK_AND_ASSIGN(QueueCounts counts, store_->Counts());
  EXPECT_EQ(counts.dead_letter, 1);
  EXPECT_EQ(counts.executing, 0);
  ASSERT_OK(store_->RetryDeadLetter(c[0].job_id, kNow));
  EXPECT_THAT(store_->GetDeadLetter(c[0].job_id).status(),
              StatusIs(StatusCode::kNotFound, ::testing::_));
  c = Claim("g1", 1);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].retry_times, 0);
  // A key taken meanwhile blocks the retry.
  ASSERT_OK(store_->DeadLetter(c[0].job_id, 1, "again", kNow));
  ASSERT_OK(Submit1(MakeJob("t1")).status);
  EXPECT_THAT(store_->RetryDeadLetter(c[0].job_id, kNow),
              StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  EXPECT_OK(store_->DeleteDeadLetter(c[0].job_id));
}

TEST_F(JobStoreTest, RelyCronCreatesTheNextCycleWithTheCompletion) {
  JobRecord cron = MakeCron("c1");
  cron.trigger_time_ms = 2000;
  SubmitResult s = Submit1(cron);
  ASSERT_OK(s.status);
  ASSERT_OK_AND_ASSIGN(JobRecord def, store_->GetDefinition(s.job_id));
  EXPECT_TRUE(def.is_definition);
  EXPECT_EQ(def.job.cron_expression, "0 * * * * ?");
  std::vector<JobRecord> c = Claim("g1", 1);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].job_id, s.job_id);  // Same job_id as the definition (LTS).
  Completion done = Done(c[0]);
  JobRecord next = c[0];
  next.trigger_time_ms = 62000;
  done.next_instance = next;
  done.definition = DefinitionChange{s.job_id, 62000, std::nullopt, false};
  CompleteResult r = store_->Complete(done);
  ASSERT_OK(r.status);
  EXPECT_TRUE(r.next_instance_added);
  EXPECT_THAT(store_->NextDueTime("g1").value_or(std::nullopt), std::optional<int64_t>(62000));
  EXPECT_EQ(store_->GetDefinition(s.job_id)->last_generate_trigger_time_ms, 62000);
  // Exhausted: the definition goes in the same transaction and the key is freed.
  c = Claim("g1", 1, 1, 62000);
  ASSERT_EQ(c.size(), 1u);
  done = Done(c[0]);
  done.definition = DefinitionChange{s.job_id, std::nullopt, std::nullopt, true};
  ASSERT_OK(store_->Complete(done).status);
  EXPECT_THAT(store_->GetDefinition(s.job_id).status(),
              StatusIs(StatusCode::kNotFound, ::testing::_));
  EXPECT_OK(Submit1(MakeJob("c1")).status);
}

TEST_F(JobStoreTest, PauseSuspendsAndResumeRegeneratesTheCycle) {
  SubmitResult s = Submit1(MakeCron("c1"));
  ASSERT_OK(s.status);
  ASSERT_OK(Submit1(MakeJob("one-off")).status);
  ASSERT_OK(store_->Pause("g1", "c1", kNow));
  ASSERT_OK(store_->Pause("g1", "one-off", kNow));
  ASSERT_OK_AND_ASSIGN(QueueCounts counts, store_->Counts());
  // A paused cron job is in the suspended queue only, once (its waiting cycle is held with
  // it), and the lists say the same as the counts.
  EXPECT_EQ(counts.suspended, 2);
  EXPECT_EQ(counts.cron, 0);
  EXPECT_EQ(counts.executable, 0);
  EXPECT_THAT(TaskIds(store_->List(Queue::kCron, {}).value_or(std::vector<JobRecord>{})),
              ::testing::IsEmpty());
  EXPECT_THAT(TaskIds(store_->List(Queue::kSuspended, {}).value_or(std::vector<JobRecord>{})),
              ::testing::UnorderedElementsAre("c1", "one-off"));
  ASSERT_OK_AND_ASSIGN(std::optional<JobRecord> none, store_->Resume("g1", "one-off", kNow));
  EXPECT_FALSE(none.has_value());
  ASSERT_OK(store_->Cancel("g1", "one-off").status());
  EXPECT_EQ(store_->Counts()->suspended, 1);
  EXPECT_TRUE(Claim("g1", 1, 1, kNow + 1000000).empty());
  ASSERT_OK_AND_ASSIGN(std::optional<JobRecord> regen, store_->Resume("g1", "c1", kNow));
  EXPECT_FALSE(regen.has_value());  // Its cycle was still waiting.
  std::vector<JobRecord> c = Claim("g1", 1, 1, kNow + 1000000);
  ASSERT_EQ(c.size(), 1u);
  // Paused while running: the completion adds no cycle; Resume asks for one.
  ASSERT_OK(store_->Pause("g1", "c1", kNow));
  Completion done = Done(c[0]);
  done.next_instance = c[0];
  EXPECT_FALSE(store_->Complete(done).next_instance_added);
  ASSERT_OK_AND_ASSIGN(regen, store_->Resume("g1", "c1", kNow));
  ASSERT_TRUE(regen.has_value());
  EXPECT_EQ(store_->Counts()->cron, 1);
  EXPECT_EQ(store_->Counts()->suspended, 0);
  EXPECT_EQ(regen->job_id, s.job_id);
  EXPECT_THAT(store_->Pause("g1", "nope", kNow), StatusIs(StatusCode::kNotFound, ::testing::_));
}

TEST_F(JobStoreTest, CancelRemovesWaitingJobsAndTriggerNowRunsOneNext) {
  ASSERT_OK(Submit1(MakeJob("a", "g1", 1, 1000)).status);
  ASSERT_OK(Submit1(MakeJob("b", "g1", 100, kNow + 99999)).status);
  ASSERT_OK(Submit1(MakeJob("c", "g1", 100, 1000)).status);
  ASSERT_OK(store_->TriggerNow("g1", "b", kNow));
  EXPECT_THAT(TaskIds(Claim("g1", 1)), ElementsAre("b"));
  ASSERT_OK_AND_ASSIGN(int64_t removed, store_->Cancel("g1", "c"));
  EXPECT_EQ(removed, 1);
  EXPECT_THAT(store_->Cancel("g1", "c").status(), StatusIs(StatusCode::kNotFound, ::testing::_));
  EXPECT_THAT(TaskIds(Claim("g1", 10)), ElementsAre("a"));
  EXPECT_OK(Submit1(MakeJob("c")).status);
  EXPECT_THAT(store_->TriggerNow("g1", "zzz", kNow), StatusIs(StatusCode::kNotFound, ::testing::_));
}

TEST_F(JobStoreTest, ExecutingQueueSupportsFailover) {
  std::vector<JobRecord> jobs;
  for (int i = 0; i < 6; ++i) jobs.push_back(MakeJob(fmt::format("t{}", i)));
  ASSERT_OK(store_->Submit(jobs, kNow));
  ASSERT_EQ(Claim("g1", 2, 1, kNow, "jtA", "ttA").size(), 2u);
  ASSERT_EQ(Claim("g1", 3, 1, kNow + 5, "jtA", "ttB").size(), 3u);
  ASSERT_OK_AND_ASSIGN(auto by_tt, store_->ListExecutingBy(JobStore::Owner::kTaskTracker, "ttB"));
  EXPECT_EQ(by_tt.size(), 3u);
  ASSERT_OK_AND_ASSIGN(auto by_jt, store_->ListExecutingBy(JobStore::Owner::kJobTracker, "jtA"));
  EXPECT_EQ(by_jt.size(), 5u);
  ASSERT_OK_AND_ASSIGN(auto old, store_->ListExecutingOlderThan(kNow + 1, 100));
  EXPECT_EQ(old.size(), 2u);
  ASSERT_OK_AND_ASSIGN(int64_t moved,
                       store_->RequeueExecuting(JobStore::Owner::kTaskTracker, "ttB", 1, kNow));
  EXPECT_EQ(moved, 3);
  ASSERT_OK(store_->RequeueOne(old[0].job_id, 1, kNow));
  EXPECT_EQ(Claim("g1", 10).size(), 5u);
}

TEST_F(JobStoreTest, NonRelyInstancesAreGeneratedAndReplacedWithTheirDefinition) {
  JobRecord def = MakeCron("nr", "g1", /*rely=*/false);
  SubmitResult s = Submit1(def);
  ASSERT_OK(s.status);
  ASSERT_OK_AND_ASSIGN(auto todo, store_->ListDefinitionsToGenerate(kNow, 10));
  ASSERT_EQ(todo.size(), 1u);
  std::vector<JobRecord> inst;
  for (int i = 0; i < 3; ++i) {
    JobRecord r = MakeJob(fmt::format("nr_{}", i), "g1", 100, 1000 + i);
    r.real_task_id = "nr";
    r.internal_params["__LTS_ONCE"] = "true";
    inst.push_back(r);
  }
  ASSERT_OK_AND_ASSIGN(int64_t added, store_->AddInstances(s.job_id, inst, 20000, kNow));
  EXPECT_EQ(added, 3);
  ASSERT_OK_AND_ASSIGN(added, store_->AddInstances(s.job_id, inst, 20000, kNow));
  EXPECT_EQ(added, 0);  // Already generated.
  EXPECT_TRUE(store_->ListDefinitionsToGenerate(kNow, 10)->empty());
  std::vector<JobRecord> c = Claim("g1", 1);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].real_task_id, "nr");
  EXPECT_EQ(c[0].internal_params.at("__LTS_ONCE"), "true");
  // Replacing the definition removes the waiting instances and frees their keys.
  JobRecord repl = MakeCron("nr", "g1", false);
  repl.job.replace_on_exist = true;
  ASSERT_OK(Submit1(repl).status);
  ASSERT_OK_AND_ASSIGN(QueueCounts counts, store_->Counts());
  EXPECT_EQ(counts.executable, 0);
  EXPECT_EQ(counts.executing, 1);
  EXPECT_EQ(counts.cron, 1);
  EXPECT_OK(Submit1(MakeJob("nr_1")).status);
}

TEST_F(JobStoreTest, FeedbackNodeGroupsAndJobLog) {
  std::vector<FeedbackRecord> fb = {
      {0, "client", 0, "r1"}, {0, "client", 0, "r2"}, {0, "other", 0, "x"}};
  ASSERT_OK(store_->AddFeedback(fb, kNow));
  ASSERT_OK_AND_ASSIGN(auto taken, store_->TakeFeedback("client", 10));
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].payload, "r1");
  std::vector<int64_t> ids = {taken[0].id};
  ASSERT_OK(store_->DeleteFeedback(ids));
  EXPECT_EQ(store_->TakeFeedback("client", 10)->size(), 1u);

  ASSERT_OK(store_->AddNodeGroup("TASK_TRACKER", "g1", kNow));
  ASSERT_OK(store_->AddNodeGroup("TASK_TRACKER", "g1", kNow));
  ASSERT_OK(store_->AddNodeGroup("TASK_TRACKER", "g0", kNow));
  EXPECT_THAT(store_->ListNodeGroups("TASK_TRACKER").value_or(std::vector<std::string>{}),
              ElementsAre("g0", "g1"));
  ASSERT_OK(store_->DeleteNodeGroup("TASK_TRACKER", "g0"));
  EXPECT_THAT(store_->ListNodeGroups("TASK_TRACKER").value_or(std::vector<std::string>{}),
              ElementsAre("g1"));

  std::vector<JobLogRecord> logs;
  for (int i = 0; i < 5; ++i) {
    JobLogRecord l;
    l.node_group = "g1";
    l.task_id = "t1";
    l.job_id = "J1";
    l.log_time_ms = kNow + i;
    l.type = JobLogType::kFinished;
    l.message = fmt::format("m{}", i);
    logs.push_back(l);
  }
  ASSERT_OK(store_->AppendJobLog(logs));
  ASSERT_OK_AND_ASSIGN(auto page1, store_->QueryJobLog("g1", "t1", 0, 3));
  ASSERT_EQ(page1.size(), 3u);
  EXPECT_EQ(page1[0].message, "m4");
  ASSERT_OK_AND_ASSIGN(auto page2, store_->QueryJobLog("g1", "t1", page1.back().id, 3));
  ASSERT_EQ(page2.size(), 2u);
  EXPECT_EQ(page2[1].message, "m0");
  EXPECT_EQ(page2[1].type, JobLogType::kFinished);
}

TEST_F(JobStoreTest, BizLogRotatesTablesByCountAndQueriesAcrossThem) {
  StoreOptions o = loc_.Options();
  o.bizlog_rows_per_table = 3;
  o.bizlog_max_tables = 2;
  store_.reset();
  ASSERT_OK_AND_ASSIGN(store_, loc_.Open(o));
  for (int i = 0; i < 4; ++i) {
    std::vector<BizLogRecord> batch;
    for (int k = 0; k < 2; ++k) {
      batch.push_back(
          {0, 0, (k == 0 ? "JA" : "JB"), "g1", "t1", kNow + i, 1, fmt::format("{}-{}", i, k)});
    }
    ASSERT_OK(store_->AppendBizLog(batch));
  }
  // 8 rows, 3 per table: tables 1 2 3, and only the newest 2 are kept.
  EXPECT_THAT(store_->BizLogTables().value_or(std::vector<int64_t>{}), ElementsAre(2, 3));
  ASSERT_OK_AND_ASSIGN(auto ja, store_->QueryBizLog("JA", 10));
  std::vector<std::string> msgs;
  for (const BizLogRecord& b : ja) msgs.push_back(b.message);
  // Rows 0..2 were in table 1 (dropped): JA's "1-0" was row 2, "2-0" row 4, "3-0" row 6.
  EXPECT_THAT(msgs, ElementsAre("3-0", "2-0"));
  EXPECT_EQ(ja[0].table, 3);
  EXPECT_EQ(ja[1].table, 2);
  ASSERT_OK_AND_ASSIGN(auto one, store_->QueryBizLog("JA", 1));
  EXPECT_EQ(one.size(), 1u);
}

TEST_F(JobStoreTest, ListAndCountWithFilters) {
  std::vector<JobRecord> jobs = {MakeJob("order-1"), MakeJob("order-2"), MakeJob("user-1"),
                                 MakeJob("order-3", "g2")};
  ASSERT_OK(store_->Submit(jobs, kNow));
  ASSERT_OK(Submit1(MakeCron("c1")).status);
  ListFilter f;
  f.node_group = "g1";
  f.task_id_prefix = "order-";
  ASSERT_OK_AND_ASSIGN(auto l, store_->List(Queue::kExecutable, f));
  EXPECT_THAT(TaskIds(l), ElementsAre("order-1", "order-2"));
  f.offset = 1;
  EXPECT_THAT(TaskIds(store_->List(Queue::kExecutable, f).value_or(std::vector<JobRecord>{})),
              ElementsAre("order-2"));
  ASSERT_OK_AND_ASSIGN(auto crons, store_->List(Queue::kCron, {}));
  EXPECT_THAT(TaskIds(crons), ElementsAre("c1"));
  ASSERT_OK_AND_ASSIGN(QueueCounts c, store_->Counts());
  EXPECT_EQ(c.executable, 5);  // Four jobs and c1's first cycle.
  EXPECT_EQ(c.cron, 1);
  f.limit = 0;
  EXPECT_THAT(store_->List(Queue::kExecutable, f).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("limit")));
}

// Quotes, NUL, invalid UTF-8 and 64 KiB values in every text field: each comes back
// unchanged or is refused with kInvalidArgument naming the field, never stored mangled.
TEST_F(JobStoreTest, HostileStringsRoundTripOrAreRefused) {
  const std::string nul("a\0b", 3);
  const std::string bad_utf8 = "\xff\xfe\xc3";
  const std::string quotes = "'; DROP TABLE lts_job; -- \"x\" \\ $1 %s";
  const std::string big(64 * 1024 - 10, 'p');
  const std::vector<std::string> hostile = {quotes, nul, bad_utf8, big, "\xe2\x80\xae rtl"};
  for (const std::string& h : hostile) {
    SCOPED_TRACE(::testing::PrintToString(h.substr(0, 40)));
    for (int field = 0; field < 6; ++field) {
      JobRecord r = MakeJob(fmt::format("h{}", field));
      switch (field) {
        case 0:
          r.job.task_id = h;
          break;
        case 1:
          r.job.ext_params["k"] = h;
          break;
        case 2:
          r.job.submit_node_group = h;
          break;
        case 3:
          r.internal_params["__LTS_Seq_Id"] = h;
          break;
        case 4:
          r.real_task_id = h;
          break;
        case 5:
          r.job.ext_params[h.substr(0, 100)] = "v";
          break;
      }
      ASSERT_OK_AND_ASSIGN(auto res, store_->Submit({&r, 1}, kNow));
      if (!res[0].status.ok()) {
        EXPECT_THAT(res[0].status, StatusIs(StatusCode::kInvalidArgument, ::testing::_));
        continue;
      }
      ASSERT_OK_AND_ASSIGN(JobRecord back, store_->GetJob(res[0].job_id));
      EXPECT_EQ(back.job, r.job);
      EXPECT_EQ(back.internal_params, r.internal_params);
      EXPECT_EQ(back.effective_real_task_id(), r.effective_real_task_id());
      ASSERT_OK(store_->Cancel(r.job.task_tracker_node_group, r.job.task_id).status());
    }
    // Free-form bytes: messages, reasons, payloads are stored exactly.
    std::vector<FeedbackRecord> fb = {{0, "client", 0, h}};
    ASSERT_OK(store_->AddFeedback(fb, kNow));
    ASSERT_OK_AND_ASSIGN(auto taken, store_->TakeFeedback("client", 1));
    EXPECT_EQ(taken.at(0).payload, h);
    std::vector<int64_t> ids = {taken[0].id};
    ASSERT_OK(store_->DeleteFeedback(ids));
    std::vector<JobLogRecord> logs(1);
    logs[0].node_group = "g1";
    logs[0].task_id = "hl";
    logs[0].message = h;
    ASSERT_OK(store_->AppendJobLog(logs));
    EXPECT_EQ(store_->QueryJobLog("g1", "hl", 0, 1)->at(0).message, h);
    std::vector<BizLogRecord> biz = {{0, 0, "JH", "g1", "t", kNow, 1, h}};
    ASSERT_OK(store_->AppendBizLog(biz));
    EXPECT_EQ(store_->QueryBizLog("JH", 1)->at(0).message, h);
    ASSERT_OK(Submit1(MakeJob("dl")).status);
    std::vector<JobRecord> c = Claim("g1", 1);
    ASSERT_EQ(c.size(), 1u);
    ASSERT_OK(store_->DeadLetter(c[0].job_id, 1, h, kNow));
    EXPECT_EQ(store_->GetDeadLetter(c[0].job_id)->reason, h);
    ASSERT_OK(store_->DeleteDeadLetter(c[0].job_id));
    // Identifiers are refused when not clean text.
    Status id_status = store_->AddNodeGroup("TASK_TRACKER", h, kNow);
    if (!id_status.ok()) {
      EXPECT_THAT(id_status, StatusIs(StatusCode::kInvalidArgument, HasSubstr("nodeGroup")));
    }
    ClaimRequest req{"g1", h, "", 1, 1, kNow};
    Status claim_status = store_->Claim(req).status();
    if (!claim_status.ok()) {
      EXPECT_THAT(claim_status, StatusIs(StatusCode::kInvalidArgument, HasSubstr("jobTracker")));
    }
    EXPECT_THAT(store_->Pause("g1", h, kNow).code(),
                ::testing::AnyOf(StatusCode::kInvalidArgument, StatusCode::kNotFound));
  }
  // Over the limits.
  JobRecord huge = MakeJob("huge");
  huge.job.ext_params["k"] = std::string(64 * 1024 + 1, 'x');
  ASSERT_OK_AND_ASSIGN(auto res, store_->Submit({&huge, 1}, kNow));
  EXPECT_THAT(res[0].status, StatusIs(StatusCode::kInvalidArgument, HasSubstr("extParams")));
  std::vector<FeedbackRecord> fb = {{0, "client", 0, std::string(kMaxMessageBytes + 1, 'x')}};
  EXPECT_THAT(store_->AddFeedback(fb, kNow),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("payload")));
}

// Two stores ("two JobTrackers"), several threads each, claiming one group: every job is
// claimed exactly once.
TEST_F(JobStoreTest, ConcurrentClaimersNeverGetTheSameJob) {
  constexpr int kJobs = 2000;
  std::vector<JobRecord> jobs;
  for (int i = 0; i < kJobs; ++i) jobs.push_back(MakeJob(fmt::format("t{}", i)));
  for (size_t i = 0; i < jobs.size(); i += 500) {
    ASSERT_OK(store_->Submit({jobs.data() + i, 500}, kNow));
  }
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<JobStore> second, loc_.Open());
  std::vector<std::vector<std::string>> got(6);
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      JobStore* s = t % 2 == 0 ? store_.get() : second.get();
      ClaimRequest req{"g1", fmt::format("jt{}", t % 2), "", 1, 7, kNow};
      for (;;) {
        StatusOr<std::vector<JobRecord>> r = s->Claim(req);
        if (!r.ok()) continue;  // A lock wait timed out: try again.
        if (r->empty()) break;
        std::vector<Completion> done;
        for (JobRecord& j : *r) {
          got[t].push_back(j.job_id);
          done.push_back(Completion{j.job_id, 1, kNow, std::nullopt, std::nullopt});
        }
        EXPECT_OK(s->CompleteBatch(done));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> all;
  size_t total = 0;
  for (const auto& v : got) {
    total += v.size();
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(total, static_cast<size_t>(kJobs));
  EXPECT_EQ(all.size(), static_cast<size_t>(kJobs));
}

// Concurrent submitters of the same keys: each key gets exactly one owner.
TEST_F(JobStoreTest, ConcurrentSubmittersOfOneKeyGetOneOwner) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<JobStore> second, loc_.Open());
  constexpr int kKeys = 200;
  std::atomic<int> added{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      JobStore* s = t % 2 == 0 ? store_.get() : second.get();
      for (int k = 0; k < kKeys; k += 10) {
        std::vector<JobRecord> batch;
        for (int i = k; i < k + 10; ++i) batch.push_back(MakeJob(fmt::format("k{}", i)));
        StatusOr<std::vector<SubmitResult>> r = s->Submit(batch, kNow);
        while (!r.ok()) r = s->Submit(batch, kNow);  // Lock wait timed out: again.
        for (const SubmitResult& sr : *r) {
          if (sr.status.ok()) {
            ++added;
          } else {
            EXPECT_THAT(sr.status, StatusIs(StatusCode::kAlreadyExists, ::testing::_));
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(added.load(), kKeys);
  EXPECT_EQ(store_->Counts()->executable, kKeys);
}

// Writes the rows a version-1/2 store wrote for a one-off job "kept" (J1) and for a
// relyOnPrevCycle cron job "c" (J2) with its cycle: instances, definition, key rows.
bool WriteOldSchemaRows(const testing::StoreLocation& loc) {
  std::string body_once, body_cron;
  internal::EncodeJobBody(MakeJob("kept"), &body_once);
  internal::EncodeJobBody(MakeCron("c"), &body_cron);
  const std::string once = testing::StoreLocation::BlobLiteral(body_once);
  const std::string cron = testing::StoreLocation::BlobLiteral(body_cron);
  return loc.Exec(fmt::format(
      "INSERT INTO lts_job_key (grp, task_id, job_id) VALUES ('g1', 'kept', 'J1'), "
      "('g1', 'c', 'J2');"
      "INSERT INTO lts_job (job_id, grp, task_id, real_task_id, state, priority, trigger_time, "
      "retry_times, repeated_count, gmt_created, gmt_modified, epoch, started_at, body) VALUES "
      "('J1', 'g1', 'kept', 'kept', 0, 100, 1000, 0, 0, 1, 1, 0, 0, {0}), "
      "('J2', 'g1', 'c', 'c', 0, 100, 500000, 0, 0, 1, 1, 0, 0, {1});"
      "INSERT INTO lts_job_def (job_id, grp, task_id, kind, rely, suspended, trigger_time, "
      "repeated_count, last_generate, gmt_created, gmt_modified, body) VALUES "
      "('J2', 'g1', 'c', 2, 1, 0, 500000, 0, 0, 1, 1, {1})",
      once, cron));
}

// Creates the store's tables at schema `version` only.
void CreateAtVersion(const testing::StoreLocation& loc, int version) {
  StoreOptions old_options = loc.Options();
  old_options.max_schema_version_for_test = version;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<JobStore> old, loc.Open(old_options));
  EXPECT_EQ(old->SchemaVersion().value_or(-1), version);
  // Version 1 has no dead-letter table.
  EXPECT_EQ(old->ListDeadLetters({}).ok(), version >= 2);
}

TEST_F(JobStoreTest, OldSchemaIsUpgradedAtOpenKeepingData) {
  testing::StoreLocation loc;
  CreateAtVersion(loc, 1);
  // Rows as version 1 wrote them (the store's own statements are the newest version's).
  ASSERT_TRUE(WriteOldSchemaRows(loc));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<JobStore> upgraded, loc.Open());
  EXPECT_EQ(upgraded->SchemaVersion().value_or(-1), JobStore::LatestSchemaVersion());
  // The keys are still held: by the one-off instance, and by the definition (not by its
  // cycle, which shares it).
  EXPECT_THAT(upgraded->Submit(std::vector<JobRecord>{MakeJob("kept"), MakeCron("c")}, kNow)
                  .value()[0]
                  .status,
              StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  EXPECT_THAT(upgraded->Submit(std::vector<JobRecord>{MakeCron("c")}, kNow).value()[0].status,
              StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  ClaimRequest req{"g1", "jt", "", 1, 10, kNow};
  ASSERT_OK_AND_ASSIGN(std::vector<JobRecord> c, upgraded->Claim(req));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].job.task_id, "kept");
  ASSERT_OK(upgraded->DeadLetter(c[0].job_id, 1, "why", kNow));
  EXPECT_EQ(upgraded->ListDeadLetters({})->size(), 1u);
  // The dead job released its key; the definition keeps its own after its cycle ran.
  EXPECT_OK(upgraded->Submit(std::vector<JobRecord>{MakeJob("kept")}, kNow).value()[0].status);
  req.now_ms = 600000;
  ASSERT_OK_AND_ASSIGN(c, upgraded->Claim(req));
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[1].job.task_id, "c");
  ASSERT_OK(upgraded->Complete({c[1].job_id, 1, kNow, {}, {}}).status);
  EXPECT_THAT(upgraded->Submit(std::vector<JobRecord>{MakeCron("c")}, kNow).value()[0].status,
              StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  ASSERT_OK(upgraded->Cancel("g1", "c").status());
  EXPECT_OK(upgraded->Submit(std::vector<JobRecord>{MakeCron("c")}, kNow).value()[0].status);
  // Reopening applies nothing twice.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<JobStore> again, loc.Open());
  EXPECT_EQ(again->SchemaVersion().value_or(-1), JobStore::LatestSchemaVersion());
}

TEST_F(JobStoreTest, Version2IsUpgradedWithItsKeys) {
  testing::StoreLocation loc;
  CreateAtVersion(loc, 2);
  ASSERT_TRUE(WriteOldSchemaRows(loc));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<JobStore> upgraded, loc.Open());
  EXPECT_EQ(upgraded->SchemaVersion().value_or(-1), JobStore::LatestSchemaVersion());
  ASSERT_OK_AND_ASSIGN(QueueCounts counts, upgraded->Counts());
  EXPECT_EQ(counts.executable, 2);
  EXPECT_EQ(counts.cron, 1);
  // Cancelling the cron job frees its key (definition and waiting cycle go); the one-off
  // job's key is still held.
  ASSERT_OK_AND_ASSIGN(int64_t removed, upgraded->Cancel("g1", "c"));
  EXPECT_EQ(removed, 2);
  EXPECT_OK(upgraded->Submit(std::vector<JobRecord>{MakeCron("c")}, kNow).value()[0].status);
  EXPECT_THAT(upgraded->Submit(std::vector<JobRecord>{MakeJob("kept")}, kNow).value()[0].status,
              StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  ASSERT_OK_AND_ASSIGN(JobRecord kept, upgraded->GetJob("J1"));
  EXPECT_EQ(kept.job.task_id, "kept");
}

// Rows as version 3 wrote them: the one-off job holds its key on its row (owns_key = 1),
// the cron job by its definition (its cycle shares it, owns_key = 0), and a replaced job's
// run still executing holds nothing (owns_key = 0) while its replacement holds the key.
bool WriteVersion3Rows(const testing::StoreLocation& loc) {
  std::string body_once, body_cron, body_replaced;
  internal::EncodeJobBody(MakeJob("kept"), &body_once);
  internal::EncodeJobBody(MakeCron("c"), &body_cron);
  internal::EncodeJobBody(MakeJob("r"), &body_replaced);
  return loc.Exec(fmt::format(
      "INSERT INTO lts_job (job_id, grp, task_id, real_task_id, state, priority, trigger_time, "
      "retry_times, repeated_count, gmt_created, gmt_modified, epoch, started_at, body, "
      "owns_key) VALUES "
      "('J1', 'g1', 'kept', 'kept', 0, 100, 1000, 0, 0, 1, 1, 0, 0, {0}, 1), "
      "('J2', 'g1', 'c', 'c', 0, 100, 500000, 0, 0, 1, 1, 0, 0, {1}, 0), "
      "('J3', 'g1', 'r', 'r', 1, 100, 1000, 0, 0, 1, 1, 1, 5, {2}, 0), "
      "('J4', 'g1', 'r', 'r', 0, 100, 2000000, 0, 0, 1, 1, 0, 0, {2}, 1);"
      "INSERT INTO lts_job_def (job_id, grp, task_id, kind, rely, suspended, trigger_time, "
      "repeated_count, last_generate, gmt_created, gmt_modified, body) VALUES "
      "('J2', 'g1', 'c', 2, 1, 0, 500000, 0, 0, 1, 1, {1})",
      testing::StoreLocation::BlobLiteral(body_once),
      testing::StoreLocation::BlobLiteral(body_cron),
      testing::StoreLocation::BlobLiteral(body_replaced)));
}

TEST_F(JobStoreTest, Version3IsUpgradedWithItsKeys) {
  testing::StoreLocation loc;
  CreateAtVersion(loc, 3);
  ASSERT_TRUE(WriteVersion3Rows(loc));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<JobStore> upgraded, loc.Open());
  EXPECT_EQ(upgraded->SchemaVersion().value_or(-1), JobStore::LatestSchemaVersion());
  ASSERT_OK_AND_ASSIGN(QueueCounts counts, upgraded->Counts());
  EXPECT_EQ(counts.executable, 3);
  EXPECT_EQ(counts.executing, 1);
  EXPECT_EQ(counts.cron, 1);
  // Every key is still held, by the same job.
  for (const char* task : {"kept", "r"}) {
    std::vector<SubmitResult> r =
        upgraded->Submit(std::vector<JobRecord>{MakeJob(task)}, kNow).value();
    EXPECT_THAT(r[0].status, StatusIs(StatusCode::kAlreadyExists, ::testing::_)) << task;
    EXPECT_EQ(r[0].job_id, std::string(task) == "kept" ? "J1" : "J4");
  }
  EXPECT_THAT(upgraded->Submit(std::vector<JobRecord>{MakeCron("c")}, kNow).value()[0].status,
              StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  // The replaced run's completion releases nothing; the replacement keeps the key.
  ASSERT_OK(upgraded->Complete({"J3", 1, kNow, {}, {}}).status);
  EXPECT_THAT(upgraded->Submit(std::vector<JobRecord>{MakeJob("r")}, kNow).value()[0].status,
              StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  // Completing the one-off job releases its key; cancelling the cron job releases its.
  ClaimRequest req{"g1", "jt", "", 1, 1, kNow};
  ASSERT_OK_AND_ASSIGN(std::vector<JobRecord> c, upgraded->Claim(req));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].job_id, "J1");
  ASSERT_OK(upgraded->Complete({"J1", 1, kNow, {}, {}}).status);
  EXPECT_OK(upgraded->Submit(std::vector<JobRecord>{MakeJob("kept")}, kNow).value()[0].status);
  ASSERT_OK_AND_ASSIGN(int64_t removed, upgraded->Cancel("g1", "c"));
  EXPECT_EQ(removed, 2);
  EXPECT_OK(upgraded->Submit(std::vector<JobRecord>{MakeCron("c")}, kNow).value()[0].status);
  ASSERT_OK_AND_ASSIGN(removed, upgraded->Cancel("g1", "r"));
  EXPECT_EQ(removed, 1);
  EXPECT_OK(upgraded->Submit(std::vector<JobRecord>{MakeJob("r")}, kNow).value()[0].status);
}

TEST_F(JobStoreTest, DataSurvivesReopen) {
  std::vector<JobRecord> jobs = {MakeJob("a"), MakeCron("c")};
  ASSERT_OK(store_->Submit(jobs, kNow));
  store_.reset();
  ASSERT_OK_AND_ASSIGN(store_, loc_.Open());
  ASSERT_OK_AND_ASSIGN(QueueCounts c, store_->Counts());
  EXPECT_EQ(c.executable, 2);
  EXPECT_EQ(c.cron, 1);
}

}  // namespace
}  // namespace lts::store
