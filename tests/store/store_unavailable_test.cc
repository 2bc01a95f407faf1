// A database that goes away: kUnavailable while it is away, and nothing accepted is
// lost. SQLite: another connection holds the write lock past busy_timeout. PostgreSQL:
// a private server (never the shared LTS_TEST_PG one) is stopped and started again.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "store_test_util.h"
#include "testing/free_port.h"

namespace lts::store {
namespace {

using testing::MakeJob;

constexpr int64_t kNow = 10000;

std::vector<JobRecord> Jobs(int n, const std::string& prefix) {
  std::vector<JobRecord> jobs;
  for (int i = 0; i < n; ++i) jobs.push_back(MakeJob(fmt::format("{}{}", prefix, i)));
  return jobs;
}

#ifndef LTS_STORE_TEST_PG  // SQLite case: store_test only.
TEST(StoreUnavailableTest, SqliteLockedPastBusyTimeoutIsUnavailableThenRecovers) {
  lts::testing::TempDir dir;
  const std::string path = dir.Join("jobs.db");
  StoreOptions o;
  o.busy_timeout_ms = 50;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<JobStore> store, OpenJobStore("sqlite://" + path, o));
  ASSERT_OK(store->Submit(Jobs(10, "a"), kNow));
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(store->Submit(Jobs(10, "b"), kNow).status().code(), StatusCode::kUnavailable);
  ClaimRequest req{"g1", "jt", "", 1, 100, kNow};
  EXPECT_EQ(store->Claim(req).status().code(), StatusCode::kUnavailable);
  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  ASSERT_OK(store->Submit(Jobs(10, "b"), kNow));
  ASSERT_OK_AND_ASSIGN(std::vector<JobRecord> claimed, store->Claim(req));
  EXPECT_EQ(claimed.size(), 20u);
}

// The store writes the WAL through lts-wal-batch (one write per commit): every commit is
// in the file when the call returns, with synchronous=FULL and NORMAL (no fsync at commit,
// so only the commit-frame flush makes it visible), also for a transaction larger than the
// VFS's 1 MiB buffer and its 124 KiB write pieces. Another connection (the default VFS)
// sees each commit at once; a reopened store finds everything.
TEST(StoreUnavailableTest, SqliteCommitsAreInTheWalWhenTheCallReturns) {
  for (const bool full : {true, false}) {
    SCOPED_TRACE(full ? "synchronous=FULL" : "synchronous=NORMAL");
    lts::testing::TempDir dir;
    const std::string path = dir.Join("jobs.db");
    StoreOptions o;
    o.sqlite_synchronous_full = full;
    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
    auto count = [other](const char* sql) {
      sqlite3_stmt* stmt = nullptr;
      EXPECT_EQ(sqlite3_prepare_v2(other, sql, -1, &stmt, nullptr), SQLITE_OK);
      EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
      const int64_t n = sqlite3_column_int64(stmt, 0);
      sqlite3_finalize(stmt);
      return n;
    };
    {
      ASSERT_OK_AND_ASSIGN(std::unique_ptr<JobStore> store, OpenJobStore("sqlite://" + path, o));
      std::vector<JobRecord> big = Jobs(3000, "big");
      for (JobRecord& r : big) r.job.ext_params["pad"] = std::string(2000, 'x');  // ~6 MB
      ASSERT_OK(store->Submit(big, kNow));
      EXPECT_EQ(count("SELECT count(*) FROM lts_job"), 3000);
      for (int round = 0; round < 5; ++round) {
        ClaimRequest req{"g1", "jt", "tt", 1, 100, kNow};
        ASSERT_OK_AND_ASSIGN(std::vector<JobRecord> claimed, store->Claim(req));
        ASSERT_EQ(claimed.size(), 100u);
        EXPECT_EQ(count("SELECT count(*) FROM lts_job WHERE state = 1"), 100);
        std::vector<Completion> done;
        for (const JobRecord& j : claimed) done.push_back({j.job_id, 1, kNow, {}, {}});
        ASSERT_OK(store->CompleteBatch(done).status());
        EXPECT_EQ(count("SELECT count(*) FROM lts_job"), 3000 - 100 * (round + 1));
      }
    }
    sqlite3_close(other);
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<JobStore> reopened, OpenJobStore("sqlite://" + path, o));
    ASSERT_OK_AND_ASSIGN(QueueCounts counts, reopened->Counts());
    EXPECT_EQ(counts.executable, 2500);
  }
}

#else  // PostgreSQL case: store_pg_test only.

// A throw-away PostgreSQL server in a temp dir, run as user postgres when we are root.
class PrivatePostgres {
 public:
  PrivatePostgres() {
    for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql")) {
      if (std::filesystem::exists(e.path() / "bin/postgres")) bin_ = (e.path() / "bin").string();
    }
    StatusOr<uint16_t> port = lts::testing::PickFreePort();
    if (bin_.empty() || !port.ok()) return;
    port_ = *port;
    ::chmod(dir_.path().c_str(), 0755);
    if (::geteuid() == 0) {
      as_ = "setpriv --reuid=postgres --regid=postgres --init-groups ";
      Run(fmt::format("mkdir -p {0}/sock && chown -R postgres:postgres {0}", dir_.path()));
    } else {
      Run(fmt::format("mkdir -p {0}/sock", dir_.path()));
    }
    ok_ = Run(fmt::format("cd {0} && {1}{2}/initdb -D {0}/data -U postgres -A trust -E UTF8 "
                          "--locale=C.UTF-8 --no-sync > {0}/initdb.log 2>&1",
                          dir_.path(), as_, bin_)) &&
          Start();
  }
  ~PrivatePostgres() {
    if (ok_)
      Run(fmt::format("{}{}/pg_ctl -D {}/data -m immediate -w stop > /dev/null 2>&1", as_, bin_,
                      dir_.path()));
  }
  bool ok() const { return ok_; }
  std::string url() const {
    return fmt::format("postgresql://postgres@127.0.0.1:{}/postgres", port_);
  }

  bool Start() {
    return Run(fmt::format(
        "cd {0} && {1}{2}/pg_ctl -D {0}/data -l {0}/server.log -w -t 60 -o \"-p {3} -k {0}/sock "
        "-c listen_addresses=127.0.0.1 -c fsync=off\" start > /dev/null 2>&1",
        dir_.path(), as_, bin_, port_));
  }
  bool Stop() {
    return Run(fmt::format("{}{}/pg_ctl -D {}/data -m fast -w stop > /dev/null 2>&1", as_, bin_,
                           dir_.path()));
  }

 private:
  static bool Run(const std::string& cmd) { return std::system(cmd.c_str()) == 0; }

  lts::testing::TempDir dir_;
  std::string bin_;
  std::string as_;
  uint16_t port_ = 0;
  bool ok_ = false;
};

TEST(StoreUnavailableTest, PostgresGoneIsUnavailableAndNothingAcceptedIsLost) {
  if (!lts::testing::ServiceAddress("LTS_TEST_PG")) GTEST_SKIP() << "LTS_TEST_PG is not set";
  PrivatePostgres pg;
  ASSERT_TRUE(pg.ok()) << "could not start a private PostgreSQL";
  StoreOptions o;
  o.pg_pool_size = 2;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<JobStore> store, OpenJobStore(pg.url(), o));
  ASSERT_OK(store->Submit(Jobs(100, "a"), kNow));
  ASSERT_TRUE(pg.Stop());

  EXPECT_EQ(store->Submit(Jobs(10, "b"), kNow).status().code(), StatusCode::kUnavailable);
  ClaimRequest req{"g1", "jt", "", 1, 1000, kNow};
  EXPECT_EQ(store->Claim(req).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->Counts().status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(OpenJobStore(pg.url(), o).status().code(), StatusCode::kUnavailable);

  ASSERT_TRUE(pg.Start());
  ASSERT_TRUE(
      lts::testing::WaitFor([&] { return store->Counts().ok(); }, std::chrono::seconds(30)));
  EXPECT_EQ(store->Counts()->executable, 100);
  ASSERT_OK(store->Submit(Jobs(10, "b"), kNow));
  ASSERT_OK_AND_ASSIGN(std::vector<JobRecord> claimed, store->Claim(req));
  EXPECT_EQ(claimed.size(), 110u);
}

#endif  // LTS_STORE_TEST_PG

}  // namespace
}  // namespace lts::store
