#include "testing/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "testing/free_port.h"
#include "testing/test_env.h"

namespace lts::testing {
namespace {

constexpr const char* kZooKeeperClassPath =
    "/etc/zookeeper/conf_example:/usr/share/java/zookeeper.jar:"
    "/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar";

// Sends `request` to 127.0.0.1:port and reads the reply (up to 200 ms per step).
std::string Exchange(uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
    pollfd p{fd, POLLIN, 0};
    char buffer[64];
    while (reply.size() < 32 && ::poll(&p, 1, 200) == 1) {
      const ssize_t n = ::read(fd, buffer, sizeof(buffer));
      if (n <= 0) break;
      reply.append(buffer, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return reply;
}

}  // namespace

StatusOr<pid_t> SpawnChild(std::vector<std::string> args, const std::string& log_path,
                           const std::string& cwd) {
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return IOError("fork failed");
  if (pid == 0) {
    // Only async-signal-safe calls from here on: the parent has other threads.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(127);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(Kind kind) {
  const char* binary =
      kind == Kind::kZooKeeper ? "/usr/share/java/zookeeper.jar" : "/usr/bin/redis-server";
  if (::access(binary, R_OK) != 0) {
    return NotFound(std::string(binary) + " is missing (scripts/lib/deps.sh group test)");
  }
  LTS_ASSIGN_OR_RETURN(uint16_t port, PickFreePort());
  std::unique_ptr<ServerProcess> server(new ServerProcess(kind, port));
  if (kind == Kind::kZooKeeper) {
    std::ofstream cfg(server->dir_.Join("zoo.cfg"));
    cfg << "tickTime=500\nminSessionTimeout=1000\nmaxSessionTimeout=60000\n"
        << "dataDir=" << server->dir_.Join("data") << "\nclientPort=" << port
        << "\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n"
        << "4lw.commands.whitelist=*\n";
    if (!cfg) return IOError("cannot write " + server->dir_.Join("zoo.cfg"));
  }
  LTS_RETURN_IF_ERROR(server->Launch());
  return server;
}

ServerProcess::~ServerProcess() { Terminate(SIGKILL, 0).IgnoreError(); }

Status ServerProcess::Launch() {
  std::vector<std::string> args;
  if (kind_ == Kind::kZooKeeper) {
    args = {"java",
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            kZooKeeperClassPath,
            "-Dzookeeper.root.logger=INFO,CONSOLE",
            "org.apache.zookeeper.server.ZooKeeperServerMain",
            dir_.Join("zoo.cfg")};
  } else {
    args = {"redis-server", "--bind", "127.0.0.1", "--port",    std::to_string(port_), "--save", "",
            "--appendonly", "no",     "--dir",     dir_.path(), "--daemonize",         "no"};
  }
  LTS_ASSIGN_OR_RETURN(pid_, SpawnChild(std::move(args), dir_.Join("server.log"), dir_.path()));
  return WaitReady();
}

bool ServerProcess::Answers() const {
  if (kind_ == Kind::kZooKeeper) return Exchange(port_, "ruok") == "imok";
  return Exchange(port_, "PING\r\n").starts_with("+PONG");
}

Status ServerProcess::WaitReady() {
  const bool ready = WaitFor(
      [this] {
        int status = 0;
        if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          return true;  // Exited: stop waiting, reported below.
        }
        return Answers();
      },
      std::chrono::seconds(60));
  if (!ready || pid_ <= 0) {
    return Unavailable("server on port " + std::to_string(port_) +
                       (pid_ <= 0 ? " exited during start-up" : " not ready within 60 s") +
                       "; log tail:\n" + LogTail());
  }
  return Status::Ok();
}

Status ServerProcess::Terminate(int signal, int grace_ms) {
  if (pid_ <= 0) return Status::Ok();
  ::kill(pid_, signal);
  int status = 0;
  const bool exited = WaitFor([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; },
                              std::chrono::milliseconds(grace_ms));
  if (!exited) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }
  pid_ = -1;
  return Status::Ok();
}

Status ServerProcess::Stop() { return Terminate(SIGTERM, 10000); }

Status ServerProcess::Kill() { return Terminate(SIGKILL, 0); }

Status ServerProcess::Restart(bool wipe_data) {
  if (pid_ > 0) return FailedPrecondition("server is still running");
  if (wipe_data) {
    std::error_code error;
    std::filesystem::remove_all(dir_.Join("data"), error);
    if (error) return IOError("cannot remove " + dir_.Join("data") + ": " + error.message());
  }
  // The old listening socket may linger briefly; the server retries nothing, so wait until
  // the port can be bound again.
  WaitFor(
      [this] {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port_);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
        ::close(fd);
        return ok;
      },
      std::chrono::seconds(30));
  return Launch();
}

std::string ServerProcess::LogTail() const {
  std::ifstream in(dir_.Join("server.log"));
  std::stringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

}  // namespace lts::testing
