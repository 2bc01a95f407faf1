// `lts tasktracker`: flag checks (the node itself is tested in tests/tasktracker).

#include <gtest/gtest.h>

#include <fstream>

#include "run_lts.h"
#include "testing/temp_dir.h"

namespace lts::cli {
namespace {

TEST(TaskTrackerCommandTest, HelpDescribesTheShellContract) {
  Result r = RunLts({"tasktracker", "--help"});
  EXPECT_EQ(0, r.code);
  for (const char* text : {"--group", "--threads", "--runner", "--fail-store", "--res-check",
                           "--max-cpu", "--biz-log-level", "laterExitCodes", "LTS_JOB_ID"}) {
    EXPECT_NE(std::string::npos, r.out.find(text)) << text;
  }
}

TEST(TaskTrackerCommandTest, GroupIsRequired) {
  Result r = RunLts({"tasktracker", "--jobtracker", "127.0.0.1:1"});
  EXPECT_EQ(2, r.code);
  EXPECT_NE(std::string::npos, r.err.find("--group")) << r.err;
}

TEST(TaskTrackerCommandTest, OnlyTheShellRunnerIsBuiltIn) {
  Result r = RunLts({"tasktracker", "--group", "g", "--runner", "java"});
  EXPECT_EQ(2, r.code);
  EXPECT_NE(std::string::npos, r.err.find("--runner")) << r.err;
}

TEST(TaskTrackerCommandTest, BadFailStoreAndLevelsAreNamed) {
  Result r = RunLts({"tasktracker", "--group", "g", "--biz-log-level", "LOUD"});
  EXPECT_EQ(2, r.code);
  EXPECT_NE(std::string::npos, r.err.find("--biz-log-level")) << r.err;
  r = RunLts({"tasktracker", "--group", "g", "--max-cpu", "120"});
  EXPECT_EQ(2, r.code);
  EXPECT_NE(std::string::npos, r.err.find("--max-cpu")) << r.err;
}

TEST(TaskTrackerCommandTest, ConfigKeysAreReadWithTheirJavaNames) {
  lts::testing::TempDir dir;
  std::ofstream(dir.Join("lts.yaml")) << "nodeGroup: g\n"
                                         "lb:\n"
                                         "  cpuUsedRate:\n"
                                         "    max: 150\n";
  Result r = RunLts({"tasktracker", "--config", dir.Join("lts.yaml")});
  EXPECT_EQ(2, r.code);
  EXPECT_NE(std::string::npos, r.err.find("lb.cpuUsedRate.max")) << r.err;
}

}  // namespace
}  // namespace lts::cli
