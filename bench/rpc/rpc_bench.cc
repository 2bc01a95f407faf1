// bench_rpc: echo round trips per second over our RPC (RpcServer + RpcClient, 100-byte
// bodies) against redis-server answering PING to redis-benchmark, in the same run with
// the same connection counts and pipeline depths. Both servers get one IO thread and
// both load generators one thread, on the same machine.
//
// Usage: bench_rpc [--quick] [--seconds S]
// The last two lines are the ratios the issue asks for:
//   rpc pipelined: ours/redis = <ratio>   (50 connections, 32 in flight each)
//   rpc: ours/redis = <ratio>             (50 connections, 1 in flight each)

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/logging.h"
#include "net/event_loop.h"
#include "net/event_loop_thread.h"
#include "rpc/command.h"
#include "rpc/rpc_client.h"
#include "rpc/rpc_server.h"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using lts::rpc::BodyFormat;

constexpr uint16_t kEcho = static_cast<uint16_t>(lts::rpc::Command::kEcho);

struct Config {
  int connections;
  int depth;
};

uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool CanConnect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// redis-server on a free loopback port, without persistence; killed on destruction.
class RedisServer {
 public:
  bool Start() {
    port_ = FreePort();
    const std::string port = std::to_string(port_);
    std::vector<std::string> args = {"redis-server", "--bind",     "127.0.0.1", "--port",
                                     port,           "--save",     "",          "--appendonly",
                                     "no",           "--dir",      "/tmp",      "--daemonize",
                                     "no",           "--loglevel", "warning"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t quiet;
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
    const int rc = posix_spawnp(&pid_, "redis-server", &quiet, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&quiet);
    if (rc != 0) {
      pid_ = 0;
      return false;
    }
    for (int i = 0; i < 200; ++i) {
      if (CanConnect(port_)) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  ~RedisServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  uint16_t port() const { return port_; }

 private:
  pid_t pid_ = 0;
  uint16_t port_ = 0;
};

// PING requests per second from redis-benchmark, or -1.
double RedisRate(uint16_t port, const Config& c, double seconds, double expected_rate) {
  const long requests = std::max<long>(10000, static_cast<long>(expected_rate * seconds));
  const std::string cmd = "redis-benchmark -h 127.0.0.1 -p " + std::to_string(port) + " -c " +
                          std::to_string(c.connections) + " -P " + std::to_string(c.depth) +
                          " -n " + std::to_string(requests) + " -t ping --csv 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return -1;
  char line[512];
  double rate = -1;
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    double rps = 0;
    if (std::sscanf(line, "\"PING_MBULK\",\"%lf\"", &rps) == 1) rate = rps;
  }
  pclose(pipe);
  return rate;
}

// Our echo round trips per second: `c.connections` clients on one loop thread, each
// keeping `c.depth` calls in flight, against a one-IO-thread RpcServer.
double OurRate(uint16_t server_port, const Config& c, double seconds) {
  lts::net::EventLoopThread client_thread("bench-client");
  lts::net::EventLoop* loop = client_thread.StartLoop();
  std::vector<std::unique_ptr<lts::rpc::RpcClient>> clients;
  lts::rpc::RpcClient::Options options;
  options.rpc.heartbeat_interval = 0ms;
  for (int i = 0; i < c.connections; ++i) {
    clients.push_back(std::make_unique<lts::rpc::RpcClient>(
        loop, lts::net::InetAddress::Loopback(server_port), "bench", options));
    (void)clients.back()->Start();
  }
  for (auto& client : clients) {
    while (!client->ready()) std::this_thread::sleep_for(1ms);
  }
  const std::string body(100, 'x');
  std::atomic<bool> running{true};
  std::atomic<long> completed{0};
  std::atomic<long> failed{0};
  // Each completion starts the next call on the same client, on the loop thread.
  std::function<void(lts::rpc::RpcClient*)> issue = [&](lts::rpc::RpcClient* client) {
    client->Call(kEcho, BodyFormat::kJson, body, 10s,
                 [&, client](lts::StatusOr<lts::rpc::RpcResponse> r) {
                   if (!r.ok()) failed++;
                   completed.fetch_add(1, std::memory_order_relaxed);
                   if (running.load(std::memory_order_relaxed)) issue(client);
                 });
  };
  loop->RunInLoopAndWait([&] {
    for (auto& client : clients) {
      for (int d = 0; d < c.depth; ++d) issue(client.get());
    }
  });
  std::this_thread::sleep_for(std::chrono::duration<double>(std::min(0.5, seconds / 4)));
  const long start_count = completed.load();
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const long end_count = completed.load();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  running = false;
  std::this_thread::sleep_for(100ms);
  for (auto& client : clients) client->Stop();
  loop->RunInLoopAndWait([&] { clients.clear(); });
  client_thread.Stop();
  if (failed.load() > 0) std::fprintf(stderr, "warning: %ld calls failed\n", failed.load());
  return static_cast<double>(end_count - start_count) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  double seconds = 3;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: bench_rpc [--quick] [--seconds S]\n");
      return 2;
    }
  }
  if (quick) seconds = 2;
  lts::LogOptions log_options;
  log_options.level = lts::LogLevel::kWarn;
  lts::InitLogging(log_options).IgnoreError();  // Falls back to stderr at INFO.

  // Our server: one IO thread (redis is single-threaded), echo answered in the loop.
  lts::net::EventLoopThread server_thread("bench-server");
  lts::net::EventLoop* server_loop = server_thread.StartLoop();
  std::unique_ptr<lts::rpc::RpcServer> server;
  lts::Status started;
  server_loop->RunInLoopAndWait([&] {
    lts::rpc::RpcServer::Options options;
    options.tcp.io_threads = 0;
    options.processor_threads = 0;
    options.rpc.heartbeat_interval = 0ms;
    server = std::make_unique<lts::rpc::RpcServer>(server_loop, lts::net::InetAddress::Loopback(0),
                                                   "bench-echo", options);
    server->RegisterProcessor(
        kEcho,
        [](const lts::rpc::RpcRequest& request) -> lts::StatusOr<lts::rpc::RpcResponse> {
          return lts::rpc::RpcResponse{request.format, request.body};
        },
        lts::rpc::ProcessorMode::kInLoop);
    started = server->Start();
  });
  if (!started.ok()) {
    std::fprintf(stderr, "bench_rpc: %s\n", started.ToString().c_str());
    return 1;
  }
  const uint16_t port = server->listen_address().port();

  RedisServer redis;
  const bool have_redis = redis.Start();
  if (!have_redis) std::printf("redis-server unavailable: ratios are n/a\n");

  const Config configs[] = {{1, 1}, {1, 32}, {50, 1}, {50, 32}};
  double ratio[2][2] = {{-1, -1}, {-1, -1}};
  std::printf("%-12s %-9s %14s %14s %8s\n", "connections", "in-flight", "ours/s", "redis/s",
              "ratio");
  for (const Config& c : configs) {
    const double ours = OurRate(port, c, seconds);
    const double theirs = have_redis ? RedisRate(redis.port(), c, seconds, ours) : -1;
    const double r = theirs > 0 ? ours / theirs : -1;
    ratio[c.connections == 50][c.depth == 32] = r;
    std::printf("%-12d %-9d %14.0f %14.0f %8.2f\n", c.connections, c.depth, ours, theirs, r);
    std::fflush(stdout);
  }
  server_loop->RunInLoopAndWait([&] { server.reset(); });
  server_thread.Stop();
  std::printf("rpc pipelined: ours/redis = %.2f\n", ratio[1][1]);
  std::printf("rpc: ours/redis = %.2f\n", ratio[1][0]);
  return 0;
}
