#include "cli/cli.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "admin/auth.h"
#include "run_lts.h"
#include "testing/temp_dir.h"

namespace lts::cli {
namespace {

TEST(CliTest, HelpListsEverySubcommand) {
  Result r = RunLts({"--help"});
  EXPECT_EQ(0, r.code);
  for (const char* sub : {"jobtracker", "tasktracker", "admin", "monitor", "standalone", "submit",
                          "job", "nodes", "cron", "kv", "version"}) {
    EXPECT_NE(std::string::npos, r.out.find(sub)) << sub;
  }
}

TEST(CliTest, EverySubcommandHasHelp) {
  for (const char* sub : {"jobtracker", "tasktracker", "admin", "monitor", "standalone", "submit",
                          "job", "nodes", "cron", "kv", "version"}) {
    Result r = RunLts({sub, "--help"});
    EXPECT_EQ(0, r.code) << sub;
    EXPECT_NE(std::string::npos, r.out.find("Usage")) << sub << ": " << r.out;
  }
  EXPECT_EQ(0, RunLts({"cron", "next", "--help"}).code);
}

TEST(CliTest, UnbuiltSubcommandSaysSoAndExitsTwo) {
  Result r = RunLts({"monitor"});
  EXPECT_EQ(2, r.code);
  EXPECT_NE(std::string::npos, r.err.find("not built yet"));
}

TEST(CliTest, AdminNewTokenPrintsATokenAndTheEntryWithItsHash) {
  Result r = RunLts({"admin", "new-token", "--name", "deploy-bot", "--role", "operator"});
  ASSERT_EQ(0, r.code) << r.err;
  const size_t at = r.out.find("token: lts_");
  ASSERT_NE(std::string::npos, at) << r.out;
  const std::string token = r.out.substr(at + 7, r.out.find('\n', at) - at - 7);
  EXPECT_NE(std::string::npos, r.out.find("hash: \"" + admin::TokenHash(token) + "\""));
  EXPECT_NE(std::string::npos, r.out.find("role: operator"));
  Result bad = RunLts({"admin", "new-token", "--name", "x", "--role", "root"});
  EXPECT_EQ(2, bad.code);
  EXPECT_NE(std::string::npos, bad.err.find("--role: 'root' is not one of")) << bad.err;
}

TEST(CliTest, AdminRefusesABadConfigNamingTheFileAndEntry) {
  testing::TempDir dir;
  Result missing = RunLts({"admin", "--config", dir.Join("none.yaml")});
  EXPECT_EQ(2, missing.code);
  EXPECT_NE(std::string::npos, missing.err.find("none.yaml")) << missing.err;
  const std::string path = dir.Join("lts.yaml");
  {
    std::ofstream f(path);
    f << "admin:\n  users:\n    - {name: alice, password: secret, role: admin}\n";
  }
  Result plain = RunLts({"admin", "--config", path});
  EXPECT_EQ(2, plain.code);
  EXPECT_NE(std::string::npos, plain.err.find("admin.users[0].password: not an argon2id hash"))
      << plain.err;
  Result standalone = RunLts({"standalone", "--config", path, "--data-dir", dir.Join("d")});
  EXPECT_EQ(2, standalone.code);
  EXPECT_NE(std::string::npos, standalone.err.find("admin.users[0].password")) << standalone.err;
}

// `lts jobtracker <flag> <value>` is bad usage whose message names the flag, and
// `lts jobtracker --help` mentions `in_help`.
void ExpectJobTrackerRefusesNamingTheFlag(const std::string& flag, const std::string& value,
                                          const std::string& in_help) {
  Result r = RunLts({"jobtracker", flag, value});
  EXPECT_EQ(2, r.code);
  EXPECT_NE(std::string::npos, r.err.find(flag)) << r.err;
  Result help = RunLts({"jobtracker", "--help"});
  EXPECT_NE(std::string::npos, help.out.find(in_help)) << help.out;
}

TEST(CliTest, JobTrackerRefusesADispatchWindowOutOfRangeNamingTheFlag) {
  ExpectJobTrackerRefusesNamingTheFlag("--dispatch-ahead-ms", "5000", "--dispatch-ahead-ms");
}

TEST(CliTest, JobTrackerRefusesAnUnknownSqliteSyncNamingTheFlag) {
  ExpectJobTrackerRefusesNamingTheFlag("--sqlite-sync", "never", "every-commit");
}

TEST(CliTest, VersionPrintsTheVersion) {
  Result r = RunLts({"version"});
  EXPECT_EQ(0, r.code);
  EXPECT_EQ(0u, r.out.find("lts "));
}

TEST(CliTest, CronNextPrintsEpochSecondsOnOneLine) {
  Result r = RunLts({"cron", "next", "0 0 12 * * ?", "--from", "1704067200", "--count", "2"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("1704110400 1704196800\n", r.out);
}

TEST(CliTest, CronNextEndsWithEndWhenTheScheduleRunsOut) {
  Result r = RunLts({"cron", "next", "0 0 12 * * ? 2024", "--from", "1735560000", "--count", "3"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("1735646400 END\n", r.out);
}

TEST(CliTest, CronNextHonoursTheZone) {
  Result r =
      RunLts({"cron", "next", "0 0 12 * * ?", "--from", "1704067200", "--tz", "Asia/Kolkata"});
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ("1704090600\n", r.out);  // 12:00 IST = 06:30Z
}

TEST(CliTest, InvalidExpressionExitsTwoWithOneLineNamingTheField) {
  Result r = RunLts({"cron", "next", "0 0 25 * * ?", "--from", "0"});
  EXPECT_EQ(2, r.code);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(std::string::npos, r.err.find("hour field"));
  EXPECT_EQ(1, std::count(r.err.begin(), r.err.end(), '\n'));
}

TEST(CliTest, BadFlagsAreNamed) {
  Result tz = RunLts({"cron", "next", "* * * * * ?", "--from", "0", "--tz", "Nope/Nope"});
  EXPECT_EQ(2, tz.code);
  EXPECT_NE(std::string::npos, tz.err.find("--tz"));
  Result count = RunLts({"cron", "next", "* * * * * ?", "--from", "0", "--count", "0"});
  EXPECT_EQ(2, count.code);
  EXPECT_NE(std::string::npos, count.err.find("--count"));
  Result from = RunLts({"cron", "next", "* * * * * ?", "--from", "abc"});
  EXPECT_EQ(2, from.code);
  EXPECT_NE(std::string::npos, from.err.find("--from"));
  Result missing = RunLts({"cron", "next", "* * * * * ?"});
  EXPECT_EQ(2, missing.code);
  EXPECT_NE(std::string::npos, missing.err.find("--from"));
}

TEST(CliKvTest, PutGetDelDumpRoundTrip) {
  lts::testing::TempDir tmp;
  const std::string dir = tmp.Join("store");
  ASSERT_EQ(0, RunLts({"kv", "put", dir, "b", "2"}).code);
  ASSERT_EQ(0, RunLts({"kv", "put", dir, "a", "1"}).code);
  ASSERT_EQ(0, RunLts({"kv", "put", dir, "c", "3"}).code);
  ASSERT_EQ(0, RunLts({"kv", "del", dir, "c"}).code);
  Result get = RunLts({"kv", "get", dir, "a"});
  EXPECT_EQ(0, get.code);
  EXPECT_EQ("1\n", get.out);
  Result missing = RunLts({"kv", "get", dir, "c"});
  EXPECT_EQ(1, missing.code);
  EXPECT_NE(std::string::npos, missing.err.find("NOT_FOUND"));
  EXPECT_EQ("a\t1\nb\t2\n", RunLts({"kv", "dump", dir}).out);
}

TEST(CliKvTest, FillAcknowledgesEveryKeyThenStatAndVerifyReport) {
  lts::testing::TempDir tmp;
  const std::string dir = tmp.Join("store");
  Result fill = RunLts({"kv", "fill", dir, "--count", "3", "--value-size", "10", "--sync"});
  EXPECT_EQ(0, fill.code) << fill.err;
  EXPECT_EQ("acked k000000000\nacked k000000001\nacked k000000002\n", fill.out);
  Result stat = RunLts({"kv", "stat", dir});
  EXPECT_EQ(0, stat.code) << stat.err;
  EXPECT_NE(std::string::npos, stat.out.find("live keys: 3")) << stat.out;
  EXPECT_NE(std::string::npos, stat.out.find("live ratio 1.000")) << stat.out;
  EXPECT_NE(std::string::npos, stat.out.find("compression ratio")) << stat.out;
  Result verify = RunLts({"kv", "verify", dir});
  EXPECT_EQ(0, verify.code) << verify.err;
  EXPECT_NE(std::string::npos, verify.out.find("verify: ok"));
  EXPECT_EQ(0, RunLts({"kv", "compact", dir}).code);
}

TEST(CliKvTest, MissingStoreIsARuntimeErrorAndBadFlagsAUsageError) {
  lts::testing::TempDir tmp;
  EXPECT_EQ(1, RunLts({"kv", "stat", tmp.Join("none")}).code);
  EXPECT_EQ(2, RunLts({"kv", "fill", tmp.Join("x")}).code);  // --count is required.
  EXPECT_EQ(2, RunLts({"kv", "fill", tmp.Join("x"), "--count", "1", "--compression", "gzip"}).code);
}

}  // namespace
}  // namespace lts::cli
