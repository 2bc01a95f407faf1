// SIGKILL crash tests: `lts kv fill ... --sync` is killed at random moments (during
// open, between commits, inside a commit, during GC and checkpoints); the store must
// then hold every acknowledged commit and nothing that was never written. A third of
// the runs use the B+tree index.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kv/db.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

#ifndef LTS_BINARY
#error "LTS_BINARY must name the lts executable"
#endif

namespace lts::kv {
namespace {

using ::lts::testing::TempDir;

std::string Key(int64_t i) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "k%09lld", static_cast<long long>(i));
  return buf;
}

// The value `lts kv fill` writes in commit i.
std::string FillValue(int64_t i, size_t size) {
  std::string v = std::to_string(i) + ":";
  while (v.size() < size)
    v.push_back(static_cast<char>('a' + (i + static_cast<int64_t>(v.size())) % 26));
  return v;
}

struct KillResult {
  int64_t acked = 0;  // Complete "acked" lines read before the kill.
  bool exited = false;
};

// Runs `lts kv fill <args>` and SIGKILLs it after `kill_after_acks` acknowledgements,
// or, when that is negative, after `kill_after_us` microseconds.
KillResult RunAndKill(const std::vector<std::string>& args, int kill_after_acks,
                      int kill_after_us) {
  int fds[2];
  EXPECT_EQ(0, pipe2(fds, O_CLOEXEC));
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(LTS_BINARY));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(LTS_BINARY, argv.data());
    _exit(127);
  }
  close(fds[1]);
  KillResult r;
  std::string buf;
  auto count_lines = [&] {
    int64_t n = 0;
    for (char c : buf) n += c == '\n';
    return n;
  };
  if (kill_after_acks >= 0) {
    char chunk[4096];
    while (count_lines() < kill_after_acks) {
      ssize_t n = read(fds[0], chunk, sizeof(chunk));
      if (n <= 0) break;
      buf.append(chunk, static_cast<size_t>(n));
    }
  } else {
    std::this_thread::sleep_for(std::chrono::microseconds(kill_after_us));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exited = WIFEXITED(status);
  char chunk[4096];
  ssize_t n;
  while ((n = read(fds[0], chunk, sizeof(chunk))) > 0) buf.append(chunk, static_cast<size_t>(n));
  close(fds[0]);
  // Only complete lines count: a torn line was not yet acknowledged to anyone.
  r.acked = count_lines();
  return r;
}

std::map<std::string, std::string> ReadStore(const std::string& dir, IndexType index) {
  Options o;
  o.index = index;
  o.background_gc = false;
  o.checkpoint_on_close = false;
  std::map<std::string, std::string> out;
  StatusOr<std::unique_ptr<DB>> db = DB::Open(o, dir);
  EXPECT_OK(db.status());
  if (!db.ok()) return out;
  std::unique_ptr<Iterator> it = (*db)->NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    StatusOr<std::string> v = it->value();
    EXPECT_OK(v.status());
    out[std::string(it->key())] = v.ok() ? *v : "";
  }
  it.reset();
  db.value().reset();
  std::string report;
  Status verified = VerifyStore(o, dir, &report);
  EXPECT_OK(verified) << report;
  return out;
}

// What the store must hold after the first `m` commits of a fill cycling over
// `keys` keys (0: no cycling).
std::map<std::string, std::string> Expected(int64_t m, int64_t keys, size_t value_size) {
  std::map<std::string, std::string> out;
  for (int64_t i = 0; i < m; ++i) out[Key(keys > 0 ? i % keys : i)] = FillValue(i, value_size);
  return out;
}

class CrashTest : public ::testing::Test {
 protected:
  void RunMany(int runs, int64_t keys, const std::vector<std::string>& extra, int max_acks) {
    const unsigned seed = std::random_device{}();
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    constexpr size_t kValueSize = 100;
    int ack_kills = 0;
    for (int run = 0; run < runs; ++run) {
      const std::string dir = dir_.Join("run" + std::to_string(run));
      std::vector<std::string> args = {"kv",      "fill",         dir,   "--count",
                                       "1000000", "--value-size", "100", "--sync"};
      if (keys > 0) {
        args.push_back("--keys");
        args.push_back(std::to_string(keys));
      }
      args.insert(args.end(), extra.begin(), extra.end());
      // A third of the runs use the on-disk B+tree index (its commits at checkpoints).
      const IndexType index = run % 3 == 2 ? IndexType::kBTree : IndexType::kMemory;
      args.push_back("--index");
      args.push_back(index == IndexType::kBTree ? "btree" : "memory");
      // Two kinds of kill points: after a random number of acknowledgements (between or
      // inside commits), or at a random time from the start (also during open).
      KillResult k = (rng() % 4 != 0) ? RunAndKill(args, static_cast<int>(rng() % max_acks), -1)
                                      : RunAndKill(args, -1, static_cast<int>(rng() % 20000));
      ack_kills += k.acked > 0;
      ASSERT_FALSE(k.exited) << "fill exited by itself in run " << run;
      std::map<std::string, std::string> got = ReadStore(dir, index);
      // The commit in flight at the kill may or may not have become durable.
      const bool ok = got == Expected(k.acked, keys, kValueSize) ||
                      got == Expected(k.acked + 1, keys, kValueSize);
      ASSERT_TRUE(ok) << "run " << run << (index == IndexType::kBTree ? " (B+tree)" : "") << ": "
                      << k.acked << " acked, store has " << got.size() << " keys";
    }
    EXPECT_GT(ack_kills, runs / 2);
  }

  TempDir dir_;
};

TEST_F(CrashTest, EveryAcknowledgedCommitSurvivesSigkill) { RunMany(150, 0, {}, 60); }

// Small segments, a cycling key set and frequent checkpoints: GC retires and rewrites
// segments and checkpoints are written while the process is killed.
TEST_F(CrashTest, EveryAcknowledgedCommitSurvivesSigkillDuringGcAndCheckpoints) {
  RunMany(70, 20, {"--segment-size", "4096", "--checkpoint-bytes", "6000"}, 300);
}

}  // namespace
}  // namespace lts::kv
