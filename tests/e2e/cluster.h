// A cluster of `lts` processes for end-to-end tests: JobTrackers and shell TaskTrackers
// started as child processes of the test (build/bin/lts), on 127.0.0.1, either on the
// embedded defaults (SQLite, TaskTrackers given the JobTracker's address) or with a real
// ZooKeeper registry and a PostgreSQL store (LTS_TEST_ZK, LTS_TEST_PG).
//
// Shell jobs record what they do in files: RunLog reads the lines "<event> <jobId> <ms>"
// that the jobs of these tests append.

#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lts/status.h"
#include "testing/temp_dir.h"

namespace lts::e2e {

// One `lts` child process; SIGKILLed when destroyed.
class LtsProcess {
 public:
  LtsProcess(std::string name, std::vector<std::string> args, const std::string& log_path);
  LtsProcess(const LtsProcess&) = delete;
  LtsProcess& operator=(const LtsProcess&) = delete;
  ~LtsProcess();
  // Sends `signal` and waits for the exit; returns the wait status.
  int Signal(int signal);
  bool running() const { return pid_ > 0; }
  const std::string& name() const { return name_; }
  const std::string& log_path() const { return log_path_; }
  std::string LogTail(size_t bytes = 4000) const;

 private:
  std::string name_;
  std::string log_path_;
  pid_t pid_ = -1;
};

struct ClusterOptions {
  // Empty: embedded defaults (SQLite, fixed JobTracker addresses).
  std::string zookeeper;  // host:port
  std::string postgres;   // postgresql:// URL
  int jobtrackers = 1;
  int tasktrackers = 2;
  int threads = 4;
  int session_timeout_ms = 2000;
  int grace_ms = 1000;
};

class Cluster {
 public:
  explicit Cluster(ClusterOptions options);
  ~Cluster();
  // Starts every process and waits until the JobTrackers listen and every TaskTracker
  // is connected. Errors name the process and show its log.
  Status Start();

  void StartJobTracker(int i);
  void StartTaskTracker(int i);
  LtsProcess* jobtracker(int i) { return jobtrackers_[i].get(); }
  LtsProcess* tasktracker(int i) { return tasktrackers_[i].get(); }
  void KillJobTracker(int i);
  void KillTaskTracker(int i);

  // Flags that reach this cluster for `lts submit` / `lts job` and for SDK options.
  std::vector<std::string> ClientFlags() const;
  std::string registry() const;
  std::vector<std::string> jobtracker_addresses() const;
  const std::string& cluster_name() const { return cluster_name_; }
  const std::string& dir() const { return dir_.path(); }
  // A file for shell jobs to write to.
  std::string RunFile(const std::string& name) const { return dir_.path() + "/" + name; }
  std::string Logs() const;

 private:
  ClusterOptions options_;
  testing::TempDir dir_;
  std::string cluster_name_;
  std::string schema_;
  std::vector<uint16_t> ports_;
  std::vector<std::unique_ptr<LtsProcess>> jobtrackers_;
  std::vector<std::unique_ptr<LtsProcess>> tasktrackers_;
};

// The lines "<event> <jobId or task> <epoch ms>" of a run file.
struct RunEvent {
  std::string event;
  std::string id;
  int64_t at_ms = 0;
};
std::vector<RunEvent> ReadRunFile(const std::string& path);

// Runs `lts <args>` in-process (tests/cli/run_lts.h) and returns exit code and output.
struct CliResult {
  int code = 0;
  std::string out, err;
};
CliResult Lts(std::vector<std::string> args);

int64_t NowMs();

}  // namespace lts::e2e
