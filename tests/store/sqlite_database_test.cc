// The SQLite database layer's own behaviour (the job store's conformance suite is
// job_store_test.cc).

#include "store/sqlite/sqlite_database.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "testing/test_env.h"

namespace lts::store::internal {
namespace {

using namespace std::chrono_literals;

// Commits never checkpoint the WAL themselves: a thread of the database does, once the WAL
// holds wal_checkpoint_pages. Pages reach the database file only through a checkpoint, so
// its growth shows that one ran.
TEST(SqliteDatabaseTest, TheWalIsCheckpointedInTheBackground) {
  testing::TempDir dir;
  SqliteOptions options;
  options.path = dir.Join("db.sqlite");
  options.wal_checkpoint_pages = 50;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db, OpenSqliteDatabase(options));
  {
    ASSERT_OK_AND_ASSIGN(ConnectionLease c, db->Acquire());
    ASSERT_OK(c->Execute("CREATE TABLE t(x BLOB)"));
  }
  const auto initial = std::filesystem::file_size(options.path);
  const std::string blob(8192, 'x');
  for (int i = 0; i < 60; ++i) {  // ~3 pages a commit: ~180 pages in all.
    ASSERT_OK_AND_ASSIGN(ConnectionLease c, db->Acquire());
    ASSERT_OK(c->Begin());
    const Value row[] = {Value::Blob(blob)};
    ASSERT_OK(c->Query("INSERT INTO t(x) VALUES ($1)", row).status());
    ASSERT_OK(c->Commit());
  }
  EXPECT_TRUE(testing::WaitFor(
      [&] { return std::filesystem::file_size(options.path) > initial + 100 * 1024; }, 10s))
      << "the database file stayed at " << std::filesystem::file_size(options.path) << " bytes";
  // Everything written is there.
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db->Acquire());
  ASSERT_OK_AND_ASSIGN(QueryResult r, c->Query("SELECT count(*) FROM t", {}));
  EXPECT_EQ(r.rows.at(0).at(0).AsInt(), 60);
}

int64_t SynchronousSetting(Connection* c) {
  auto r = c->Query("PRAGMA synchronous", {});
  return r.ok() && !r->rows.empty() ? r->rows[0][0].AsInt() : -1;
}

// A relaxed transaction commits with synchronous=NORMAL (1) and the database's thread then
// fdatasyncs the WAL; a durable one runs with FULL (2) and is not synced again.
TEST(SqliteDatabaseTest, RelaxedCommitsAreSyncedInTheBackground) {
  testing::TempDir dir;
  SqliteOptions options;
  options.path = dir.Join("db.sqlite");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db, OpenSqliteDatabase(options));
  {
    ASSERT_OK_AND_ASSIGN(ConnectionLease c, db->Acquire());
    ASSERT_OK(c->Execute("CREATE TABLE t(x INTEGER)"));
    ASSERT_OK(c->BeginRelaxed());
    EXPECT_EQ(SynchronousSetting(c.get()), 1);
    ASSERT_OK(c->Query("INSERT INTO t(x) VALUES (1)", {}).status());
    ASSERT_OK(c->Commit());
  }
  ASSERT_TRUE(testing::WaitFor([&] { return db->background_syncs() >= 1; }, 10s));
  const int64_t after_relaxed = db->background_syncs();
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(ConnectionLease c, db->Acquire());
    ASSERT_OK(c->Begin());
    EXPECT_EQ(SynchronousSetting(c.get()), 2);
    ASSERT_OK(c->Query("INSERT INTO t(x) VALUES (2)", {}).status());
    ASSERT_OK(c->Commit());
  }
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(db->background_syncs(), after_relaxed);
  // A relaxed commit is as visible as any, and survives closing the database.
  db.reset();
  ASSERT_OK_AND_ASSIGN(db, OpenSqliteDatabase(options));
  ASSERT_OK_AND_ASSIGN(ConnectionLease c, db->Acquire());
  ASSERT_OK_AND_ASSIGN(QueryResult r, c->Query("SELECT count(*), sum(x) FROM t", {}));
  EXPECT_EQ(r.rows.at(0).at(0).AsInt(), 6);
  EXPECT_EQ(r.rows.at(0).at(1).AsInt(), 11);
}

// Without the background sync (or for an in-memory database) a relaxed transaction is an
// ordinary durable one.
TEST(SqliteDatabaseTest, WithoutBackgroundSyncRelaxedIsDurable) {
  testing::TempDir dir;
  SqliteOptions options;
  options.path = dir.Join("db.sqlite");
  options.sync_in_background = false;
  for (const std::string& path : {options.path, std::string(":memory:")}) {
    options.path = path;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db, OpenSqliteDatabase(options));
    ASSERT_OK_AND_ASSIGN(ConnectionLease c, db->Acquire());
    ASSERT_OK(c->Execute("CREATE TABLE IF NOT EXISTS t(x INTEGER)"));
    ASSERT_OK(c->BeginRelaxed());
    EXPECT_EQ(SynchronousSetting(c.get()), 2) << path;
    ASSERT_OK(c->Query("INSERT INTO t(x) VALUES (1)", {}).status());
    ASSERT_OK(c->Commit());
    EXPECT_EQ(db->background_syncs(), 0) << path;
  }
}

size_t OpenDescriptors() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// The VFS keeps a second descriptor on each database file for its writeback kicks: closing
// the database closes it too.
TEST(SqliteDatabaseTest, ClosingTheDatabaseClosesEveryDescriptor) {
  testing::TempDir dir;
  SqliteOptions options;
  options.path = dir.Join("db.sqlite");
  options.wal_checkpoint_pages = 50;
  const size_t before = OpenDescriptors();
  for (int round = 0; round < 5; ++round) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db, OpenSqliteDatabase(options));
    ASSERT_OK_AND_ASSIGN(ConnectionLease c, db->Acquire());
    ASSERT_OK(c->Execute("CREATE TABLE IF NOT EXISTS t(x BLOB)"));
    const Value row[] = {Value::Blob(std::string(64 * 1024, 'x'))};
    for (int i = 0; i < 10; ++i) ASSERT_OK(c->Query("INSERT INTO t(x) VALUES ($1)", row).status());
  }
  EXPECT_EQ(OpenDescriptors(), before);
}

}  // namespace
}  // namespace lts::store::internal
