// End-to-end cluster of lts processes (tests/e2e/cluster.h).

#include "e2e/cluster.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "../cli/run_lts.h"
#include "testing/free_port.h"
#include "testing/server_process.h"
#include "testing/test_env.h"

namespace lts::e2e {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

std::string LtsPath() {
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "lts").string();
}

std::string RandomSuffix() {
  std::random_device rd;
  return fmt::format("{:08x}", rd());
}

}  // namespace

LtsProcess::LtsProcess(std::string name, std::vector<std::string> args, const std::string& log_path)
    : name_(std::move(name)), log_path_(log_path) {
  args.insert(args.begin(), LtsPath());
  auto pid = testing::SpawnChild(std::move(args), log_path);
  if (pid.ok()) pid_ = *pid;
}

LtsProcess::~LtsProcess() { Signal(SIGKILL); }

int LtsProcess::Signal(int signal) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::string LtsProcess::LogTail(size_t bytes) const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  if (s.size() > bytes) s = s.substr(s.size() - bytes);
  return "---- " + name_ + " (" + log_path_ + ") ----\n" + s;
}

Cluster::Cluster(ClusterOptions options) : options_(std::move(options)) {
  cluster_name_ = "e2e" + RandomSuffix();
  schema_ = "e2e_" + RandomSuffix();
}

Cluster::~Cluster() {
  tasktrackers_.clear();
  jobtrackers_.clear();
}

std::string Cluster::registry() const {
  return options_.zookeeper.empty() ? "" : "zookeeper://" + options_.zookeeper;
}

std::vector<std::string> Cluster::jobtracker_addresses() const {
  std::vector<std::string> out;
  for (uint16_t port : ports_) out.push_back(fmt::format("127.0.0.1:{}", port));
  return out;
}

std::vector<std::string> Cluster::ClientFlags() const {
  std::vector<std::string> flags;
  if (!options_.zookeeper.empty()) {
    flags = {"--registry", registry(), "--cluster", cluster_name_};
  } else {
    for (const std::string& a : jobtracker_addresses()) {
      flags.push_back("--jobtracker");
      flags.push_back(a);
    }
  }
  return flags;
}

void Cluster::StartJobTracker(int i) {
  std::vector<std::string> args = {"jobtracker",
                                   "--listen",
                                   fmt::format("127.0.0.1:{}", ports_[i]),
                                   "--identity",
                                   fmt::format("jt{}", i),
                                   "--data-dir",
                                   dir_.Join(fmt::format("jt{}", i)),
                                   "--grace-ms",
                                   std::to_string(options_.grace_ms),
                                   "--repair-ms",
                                   "500"};
  if (!options_.zookeeper.empty()) {
    args.insert(args.end(), {"--registry", registry(), "--cluster", cluster_name_,
                             "--session-timeout-ms", std::to_string(options_.session_timeout_ms)});
  }
  if (!options_.postgres.empty()) {
    args.insert(args.end(), {"--store", options_.postgres, "--pg-schema", schema_});
  } else {
    // One SQLite file shared by every JobTracker of the embedded setup is not a
    // supported deployment; the embedded setup has one JobTracker.
    args.insert(args.end(), {"--store", "sqlite://" + dir_.Join("lts.db")});
  }
  jobtrackers_[i] = std::make_unique<LtsProcess>(fmt::format("jobtracker {}", i), args,
                                                 dir_.Join(fmt::format("jt{}.log", i)));
}

void Cluster::StartTaskTracker(int i) {
  std::vector<std::string> args = {"tasktracker",
                                   "--runner",
                                   "shell",
                                   "--group",
                                   "shell",
                                   "--identity",
                                   fmt::format("tt{}", i),
                                   "--threads",
                                   std::to_string(options_.threads),
                                   "--data-dir",
                                   dir_.Join(fmt::format("tt{}", i))};
  if (!options_.zookeeper.empty()) {
    args.insert(args.end(), {"--registry", registry(), "--cluster", cluster_name_,
                             "--session-timeout-ms", std::to_string(options_.session_timeout_ms)});
  } else {
    for (const std::string& a : jobtracker_addresses()) {
      args.insert(args.end(), {"--jobtracker", a});
    }
  }
  tasktrackers_[i] = std::make_unique<LtsProcess>(fmt::format("tasktracker {}", i), args,
                                                  dir_.Join(fmt::format("tt{}.log", i)));
}

void Cluster::KillJobTracker(int i) { jobtrackers_[i]->Signal(SIGKILL); }
void Cluster::KillTaskTracker(int i) { tasktrackers_[i]->Signal(SIGKILL); }

Status Cluster::Start() {
  ports_.clear();
  for (int i = 0; i < options_.jobtrackers; ++i) {
    LTS_ASSIGN_OR_RETURN(uint16_t port, testing::PickFreePort());
    ports_.push_back(port);
  }
  jobtrackers_.resize(options_.jobtrackers);
  tasktrackers_.resize(options_.tasktrackers);
  for (int i = 0; i < options_.jobtrackers; ++i) StartJobTracker(i);
  for (int i = 0; i < options_.jobtrackers; ++i) {
    const std::string marker = "listening on";
    const bool up = testing::WaitFor(
        [&] {
          std::ifstream in(jobtrackers_[i]->log_path());
          std::stringstream text;
          text << in.rdbuf();
          return text.str().find("JobTracker jt") != std::string::npos &&
                 text.str().find(marker) != std::string::npos;
        },
        std::chrono::seconds(30));
    if (!up) return Unavailable("JobTracker did not start:\n" + Logs());
  }
  for (int i = 0; i < options_.tasktrackers; ++i) StartTaskTracker(i);
  // Every TaskTracker is connected to every JobTracker when `lts job counts` works and
  // the JobTrackers have logged the TaskTrackers.
  for (int i = 0; i < options_.jobtrackers; ++i) {
    const bool all = testing::WaitFor(
        [&] {
          std::ifstream in(jobtrackers_[i]->log_path());
          std::stringstream text;
          text << in.rdbuf();
          for (int t = 0; t < options_.tasktrackers; ++t) {
            if (text.str().find(fmt::format("TaskTracker tt{} ", t)) == std::string::npos) {
              return false;
            }
          }
          return true;
        },
        std::chrono::seconds(30));
    if (!all) return Unavailable("TaskTrackers did not connect:\n" + Logs());
  }
  return Status::Ok();
}

std::string Cluster::Logs() const {
  std::string out;
  for (const auto& p : jobtrackers_) {
    if (p) out += p->LogTail() + "\n";
  }
  for (const auto& p : tasktrackers_) {
    if (p) out += p->LogTail() + "\n";
  }
  return out;
}

std::vector<RunEvent> ReadRunFile(const std::string& path) {
  std::vector<RunEvent> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    RunEvent e;
    if (fields >> e.event >> e.id >> e.at_ms) out.push_back(e);
  }
  return out;
}

CliResult Lts(std::vector<std::string> args) {
  auto r = cli::RunLts(std::move(args));
  return {r.code, r.out, r.err};
}

}  // namespace lts::e2e
