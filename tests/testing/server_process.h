// ServerProcess: a private ZooKeeper 3.8 or Redis 7 server for one test, on a free port of
// 127.0.0.1 with its own temp dir, that the test may stop, kill and restart (same port, same
// data dir). Tests that disturb a server use one of these, never the shared servers of
// scripts/test.sh (other test binaries use those concurrently).
//
// The server is a child of the test process, started with PR_SET_PDEATHSIG so it dies with
// the test even after a crash; the destructor kills it. Output goes to <dir>/server.log.
//
// Thread safety: none; one test thread drives it.

#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lts/status.h"
#include "lts/statusor.h"
#include "testing/temp_dir.h"

namespace lts::testing {

// Forks and execs args[0] (a path, or a name looked up in PATH) with `args`, stdout and stderr
// appended to `log_path`, in directory `cwd` unless empty. The child is sent SIGKILL when the
// thread that spawned it exits (PR_SET_PDEATHSIG), so it never outlives a crashed test.
// Returns its pid; the caller reaps it.
StatusOr<pid_t> SpawnChild(std::vector<std::string> args, const std::string& log_path,
                           const std::string& cwd = "");

class ServerProcess {
 public:
  enum class Kind { kZooKeeper, kRedis };

  // Starts a server and waits (up to 60 s) until it answers ("ruok" / PING).
  // Errors: kUnavailable with the tail of its log, kNotFound if the binary is missing.
  static StatusOr<std::unique_ptr<ServerProcess>> Start(Kind kind);

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess();  // SIGKILL and reap.

  // Graceful stop (SIGTERM; SIGKILL after 10 s) and reap.
  Status Stop();
  // SIGKILL and reap: a crash.
  Status Kill();
  // Starts it again on the same port and data dir and waits until it answers. With
  // `wipe_data`, the data dir is emptied first: a ZooKeeper that forgot every session.
  Status Restart(bool wipe_data = false);

  bool running() const { return pid_ > 0; }
  uint16_t port() const { return port_; }
  std::string host_port() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& dir() const { return dir_.path(); }

 private:
  ServerProcess(Kind kind, uint16_t port) : kind_(kind), port_(port) {}
  Status Launch();
  Status WaitReady();
  bool Answers() const;
  Status Terminate(int signal, int grace_ms);
  std::string LogTail() const;

  const Kind kind_;
  const uint16_t port_;
  TempDir dir_;
  pid_t pid_ = -1;
};

}  // namespace lts::testing
