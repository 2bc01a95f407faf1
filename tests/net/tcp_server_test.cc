#include "net/tcp_server.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "net/event_loop.h"
#include "net/event_loop_thread.h"
#include "net/socket.h"
#include "net/tcp_client.h"
#include "net_test_util.h"
#include "testing/free_port.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace lts::net {
namespace {

using ::lts::net::testing::RawClient;
using ::lts::net::testing::StartEchoServer;
using ::lts::testing::StatusIs;
using ::lts::testing::WaitFor;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::AllOf;
using ::testing::HasSubstr;

class TcpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { base_ = base_thread_.StartLoop(); }

  EventLoopThread base_thread_{"test-base"};
  EventLoop* base_ = nullptr;
};

TEST_F(TcpServerTest, PortZeroReportsTheKernelChosenPort) {
  TcpServer server(base_, InetAddress::Loopback(0), "zero", {});
  ASSERT_OK(server.Start());
  EXPECT_NE(0, server.listen_address().port());
  EXPECT_EQ("127.0.0.1", server.listen_address().ip_string());
}

TEST_F(TcpServerTest, BindFailureNamesTheAddressAndTheError) {
  ASSERT_OK_AND_ASSIGN(::lts::testing::ListeningSocket taken, ::lts::testing::BindToPortZero());
  const InetAddress address = InetAddress::Loopback(taken.port());
  TcpServer server(base_, address, "clash", {});
  EXPECT_THAT(server.Start(), StatusIs(StatusCode::kUnavailable,
                                       AllOf(HasSubstr(address.ToString()), HasSubstr("in use"))));
}

TEST_F(TcpServerTest, StartTwiceFails) {
  TcpServer server(base_, InetAddress::Loopback(0), "twice", {});
  ASSERT_OK(server.Start());
  EXPECT_THAT(server.Start(), StatusIs(StatusCode::kFailedPrecondition, HasSubstr("already")));
}

TEST_F(TcpServerTest, EchoesForManyConcurrentTcpClients) {
  auto server = StartEchoServer(base_, {});
  ASSERT_NE(nullptr, server);

  constexpr int kClients = 50;
  constexpr int kMessagesPerClient = 20;
  EventLoopThread client_threads[2] = {EventLoopThread("clients-0"), EventLoopThread("clients-1")};
  EventLoop* client_loops[2] = {client_threads[0].StartLoop(), client_threads[1].StartLoop()};

  struct Session {
    std::string expected;
    std::string received;  // Client loop only.
    std::atomic<bool> done{false};
  };
  std::vector<std::unique_ptr<Session>> sessions;
  std::vector<std::unique_ptr<TcpClient>> clients;
  for (int c = 0; c < kClients; ++c) {
    auto session = std::make_unique<Session>();
    for (int m = 0; m < kMessagesPerClient; ++m) {
      session->expected += "client " + std::to_string(c) + " message " + std::to_string(m) +
                           std::string(static_cast<size_t>((c * 131 + m * 977) % 5000), '#') + ";";
    }
    auto client = std::make_unique<TcpClient>(client_loops[c % 2], server->listen_address(),
                                              "client" + std::to_string(c));
    Session* s = session.get();
    client->SetConnectionCallback([s](const TcpConnectionPtr& conn) {
      if (conn->connected()) conn->Send(s->expected);
    });
    client->SetMessageCallback([s](const TcpConnectionPtr&, Buffer* buffer) {
      s->received += buffer->RetrieveAllAsString();
      if (s->received.size() >= s->expected.size()) s->done = true;
    });
    client->Connect();
    sessions.push_back(std::move(session));
    clients.push_back(std::move(client));
  }
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const auto& s : sessions) {
          if (!s->done) return false;
        }
        return true;
      },
      seconds(30)));
  EXPECT_EQ(static_cast<size_t>(kClients), server->connection_count());
  for (int c = 0; c < kClients; ++c) {
    client_loops[c % 2]->RunInLoopAndWait([&] {
      EXPECT_EQ(sessions[static_cast<size_t>(c)]->expected,
                sessions[static_cast<size_t>(c)]->received)
          << "client " << c;
    });
  }
  clients.clear();  // Stops each on its loop.
  ASSERT_TRUE(WaitFor([&] { return server->connection_count() == 0; }, seconds(10)));
}

TEST_F(TcpServerTest, ConnectionsAreSpreadOverTheIoLoops) {
  Mutex mu;
  std::set<EventLoop*> loops;
  int established = 0;
  TcpServer::Options options;
  options.io_threads = 2;
  auto server = StartEchoServer(base_, options, [&](const TcpConnectionPtr& conn) {
    if (!conn->connected()) return;
    EXPECT_TRUE(conn->loop()->IsInLoopThread());
    MutexLock lock(&mu);
    loops.insert(conn->loop());
    ++established;
  });
  ASSERT_NE(nullptr, server);
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<RawClient>());
    ASSERT_TRUE(clients.back()->Connect(server->listen_address().port()));
  }
  // Counted in the connection callback, which runs on the IO loop after the server has
  // registered the connection.
  ASSERT_TRUE(WaitFor(
      [&] {
        MutexLock lock(&mu);
        return established == 4;
      },
      seconds(10)));
  MutexLock lock(&mu);
  EXPECT_EQ(2u, loops.size());
  EXPECT_EQ(0u, loops.count(base_));
}

TEST_F(TcpServerTest, ZeroIoThreadsServesConnectionsOnTheBaseLoop) {
  std::atomic<bool> on_base{false};
  TcpServer::Options options;
  options.io_threads = 0;
  auto server = StartEchoServer(base_, options, [&](const TcpConnectionPtr& conn) {
    if (conn->connected()) on_base = conn->loop() == base_;
  });
  ASSERT_NE(nullptr, server);
  RawClient client;
  ASSERT_TRUE(client.Connect(server->listen_address().port()));
  ASSERT_TRUE(client.SendAll("on the base loop"));
  EXPECT_EQ("on the base loop", client.ReadExactly(16, seconds(10)));
  EXPECT_TRUE(on_base.load());
}

TEST_F(TcpServerTest, StopFlushesQueuedOutputClosesEveryConnectionAndRunsCallbacks) {
  std::atomic<int> down{0};
  Mutex mu;
  std::vector<TcpConnectionPtr> conns;
  TcpServer::Options options;
  options.io_threads = 2;
  auto server = std::make_unique<TcpServer>(base_, InetAddress::Loopback(0), "stop", options);
  server->SetConnectionCallback([&](const TcpConnectionPtr& conn) {
    if (!conn->connected()) {
      down.fetch_add(1);
      return;
    }
    MutexLock lock(&mu);
    conns.push_back(conn);
  });
  ASSERT_OK(server->Start());
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<RawClient>());
    ASSERT_TRUE(clients.back()->Connect(server->listen_address().port()));
  }
  ASSERT_TRUE(WaitFor(
      [&] {
        MutexLock lock(&mu);
        return conns.size() == 3;
      },
      seconds(10)));
  {
    // Sent from this thread, so still queued on the IO loops when Stop() begins.
    MutexLock lock(&mu);
    for (const TcpConnectionPtr& conn : conns) {
      EXPECT_TRUE(conn->Send("last words to " + conn->peer_address().ToString()));
    }
  }
  server->Stop();
  EXPECT_EQ(3, down.load());  // Before Stop() returned.
  EXPECT_EQ(0u, server->connection_count());
  for (auto& client : clients) {
    bool eof = false;
    const std::string got = client->ReadToEnd(seconds(10), &eof);
    EXPECT_TRUE(eof);
    EXPECT_EQ("last words to " + sockets::GetLocalAddress(client->fd()).ToString(), got);
  }
  {
    MutexLock lock(&mu);
    for (const TcpConnectionPtr& conn : conns) {
      EXPECT_TRUE(conn->disconnected());
      EXPECT_FALSE(conn->Send("after stop"));  // Safe: does not touch the gone IO loop.
    }
    conns.clear();
  }
  RawClient late;
  EXPECT_FALSE(late.Connect(server->listen_address().port()));  // Listener closed.
  server.reset();
}

TEST_F(TcpServerTest, StopOnTheBaseLoopThreadThenDestroyElsewhere) {
  auto server = StartEchoServer(base_, {});
  ASSERT_NE(nullptr, server);
  RawClient client;
  ASSERT_TRUE(client.Connect(server->listen_address().port()));
  ASSERT_TRUE(WaitFor([&] { return server->connection_count() == 1; }, seconds(10)));
  base_->RunInLoopAndWait([&] { server->Stop(); });
  EXPECT_EQ(0u, server->connection_count());
  server.reset();  // Stop() again: a no-op.
}

TEST_F(TcpServerTest, IdleTimeoutClosesIdleConnectionsButNotActiveOnes) {
  TcpServer::Options options;
  options.io_threads = 1;
  options.idle_timeout = milliseconds(400);
  auto server = StartEchoServer(base_, options);
  ASSERT_NE(nullptr, server);

  RawClient idle;
  ASSERT_TRUE(idle.Connect(server->listen_address().port()));
  // An active client: a loop timer pings every 40 ms, well inside the timeout.
  EventLoopThread client_thread("active");
  EventLoop* client_loop = client_thread.StartLoop();
  std::atomic<int> active_down{0};
  TcpClient active(client_loop, server->listen_address(), "active");
  active.SetConnectionCallback([&](const TcpConnectionPtr& conn) {
    if (!conn->connected()) active_down.fetch_add(1);
  });
  active.Connect();
  const TimerId ping = client_loop->RunEvery(milliseconds(40), [&] {
    if (TcpConnectionPtr conn = active.connection()) conn->Send("ping");
  });

  const auto start = std::chrono::steady_clock::now();
  bool eof = false;
  idle.ReadToEnd(seconds(10), &eof);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(eof);
  EXPECT_GE(waited, milliseconds(300));  // Not closed long before the timeout.
  EXPECT_EQ(0, active_down.load());
  ASSERT_NE(nullptr, active.connection());
  EXPECT_TRUE(active.connection()->connected());
  client_loop->Cancel(ping);
  active.Stop();
}

// Descriptor exhaustion: the acceptor refuses what it cannot take (closing it, so the
// peer is not left hanging in the backlog) and keeps serving once descriptors return.
TEST_F(TcpServerTest, AcceptSurvivesRunningOutOfDescriptors) {
  std::atomic<int> up{0};
  TcpServer::Options options;
  options.io_threads = 0;
  auto server = StartEchoServer(base_, options, [&](const TcpConnectionPtr& conn) {
    if (conn->connected()) up.fetch_add(1);
  });
  ASSERT_NE(nullptr, server);
  const uint16_t port = server->listen_address().port();
  // One ordinary connection first. Besides showing the server works, it runs the accept
  // path's code once while descriptors are plentiful: UBSan checks a polymorphic type
  // the first time it sees it by probing memory through a pipe(), which fails (and
  // reports a false "invalid vptr") if that first time is during the exhaustion.
  RawClient warm_up;
  ASSERT_TRUE(warm_up.Connect(port));
  ASSERT_TRUE(warm_up.SendAll("w"));
  ASSERT_EQ("w", warm_up.ReadExactly(1, seconds(10)));

  constexpr int kClients = 6;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(std::make_unique<RawClient>());

  // Leave exactly two free descriptor numbers below the limit.
  const int free_a = ::dup(0);
  const int free_b = ::dup(0);
  ASSERT_GE(free_a, 0);
  ASSERT_GE(free_b, 0);
  rlimit saved{};
  ASSERT_EQ(0, ::getrlimit(RLIMIT_NOFILE, &saved));
  rlimit lowered = saved;
  lowered.rlim_cur = static_cast<rlim_t>(std::max(free_a, free_b) + 1);
  ::close(free_a);
  ::close(free_b);
  ASSERT_EQ(0, ::setrlimit(RLIMIT_NOFILE, &lowered));
  for (auto& client : clients) ASSERT_TRUE(client->Connect(port));  // No new fds needed.

  // Two are accepted; the rest are accepted through the spare descriptor and closed.
  int refused = 0;
  for (int i = 2; i < kClients; ++i) {
    bool eof = false;
    clients[static_cast<size_t>(i)]->ReadToEnd(seconds(10), &eof);
    if (eof) ++refused;
  }
  ASSERT_EQ(0, ::setrlimit(RLIMIT_NOFILE, &saved));
  EXPECT_EQ(1 + 2, up.load());
  EXPECT_EQ(kClients - 2, refused);
  uint64_t rejected = 0;
  base_->RunInLoopAndWait([&] { rejected = server->rejected_connections(); });
  EXPECT_EQ(static_cast<uint64_t>(kClients - 2), rejected);

  // Accepted connections work, and new ones are accepted again.
  ASSERT_TRUE(clients[0]->SendAll("a"));
  EXPECT_EQ("a", clients[0]->ReadExactly(1, seconds(10)));
  RawClient later;
  ASSERT_TRUE(later.Connect(port));
  ASSERT_TRUE(later.SendAll("back"));
  EXPECT_EQ("back", later.ReadExactly(4, seconds(10)));
}

// --- 10,000 connections -------------------------------------------------------------
//
// The clients run in a forked child process (before this test starts any thread), so
// each process needs only ~10,000 descriptors, and the parent's RSS measures the server
// side alone: (RSS with the connections open and idle - RSS before) / N.

constexpr int kScaleConnections = 10000;

// Child: connect kScaleConnections clients to `port` in batches, echo one message on
// each, report "ok" on `report_fd`, then hold them open until `control_fd` closes.
[[noreturn]] void RunScaleClients(int control_fd, int report_fd) {
  auto report = [&](const std::string& text) {
    [[maybe_unused]] ssize_t n = ::write(report_fd, text.data(), text.size());
  };
  uint16_t port = 0;
  if (::read(control_fd, &port, sizeof(port)) != sizeof(port)) _exit(2);
  std::vector<int> fds;
  fds.reserve(kScaleConnections);
  constexpr int kBatch = 500;  // Stays below the server's listen backlog.
  for (int start = 0; start < kScaleConnections; start += kBatch) {
    const int end = std::min(start + kBatch, kScaleConnections);
    for (int i = start; i < end; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      const sockaddr_in addr = InetAddress::Loopback(port).sockaddr();
      if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
        report("error connect " + std::to_string(i) + ": " + std::strerror(errno) + "\n");
        _exit(3);
      }
      timeval timeout{30, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
      char message[16];
      std::snprintf(message, sizeof(message), "conn-%010d", i);
      if (::send(fd, message, sizeof(message), MSG_NOSIGNAL) != sizeof(message)) {
        report("error send " + std::to_string(i) + "\n");
        _exit(4);
      }
      fds.push_back(fd);
    }
    for (int i = start; i < end; ++i) {
      char expected[16];
      std::snprintf(expected, sizeof(expected), "conn-%010d", i);
      char echo[16];
      size_t got = 0;
      while (got < sizeof(echo)) {
        const ssize_t n = ::recv(fds[static_cast<size_t>(i)], echo + got, sizeof(echo) - got, 0);
        if (n <= 0) {
          report("error echo " + std::to_string(i) + "\n");
          _exit(5);
        }
        got += static_cast<size_t>(n);
      }
      if (std::memcmp(echo, expected, sizeof(echo)) != 0) {
        report("error mismatch " + std::to_string(i) + "\n");
        _exit(6);
      }
    }
  }
  report("ok\n");
  char byte;
  [[maybe_unused]] ssize_t n = ::read(control_fd, &byte, 1);  // Until the parent closes it.
  _exit(0);
}

TEST(TcpServerScaleTest, TenThousandConnectionsEchoAndCostLittleWhenIdle) {
  constexpr rlim_t kNeeded = kScaleConnections + 256;
  rlimit limit{};
  ASSERT_EQ(0, ::getrlimit(RLIMIT_NOFILE, &limit));
  const rlimit saved = limit;
  if (limit.rlim_cur < kNeeded) {
    limit.rlim_cur = kNeeded;
    if (limit.rlim_max < kNeeded) limit.rlim_max = kNeeded;  // Works only with privilege.
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << saved.rlim_max << " is below the " << kNeeded
                   << " descriptors this test needs per process";
    }
  }

  int control[2];
  int report[2];
  ASSERT_EQ(0, ::pipe2(control, O_CLOEXEC));
  ASSERT_EQ(0, ::pipe2(report, O_CLOEXEC));
  // Fork while this process has a single thread, so the child may use the C library
  // freely; it only ever runs RunScaleClients.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(control[1]);
    ::close(report[0]);
    RunScaleClients(control[0], report[1]);
  }
  ::close(control[0]);
  ::close(report[1]);
  // On an early return (a failed ASSERT), the child must not outlive the test.
  struct ChildGuard {
    pid_t pid;
    int control_fd;
    ~ChildGuard() {
      if (control_fd >= 0) ::close(control_fd);
      if (pid > 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
    }
  } guard{child, control[1]};

  {
    EventLoopThread base_thread("scale-base");
    EventLoop* base = base_thread.StartLoop();
    std::atomic<int> up{0};
    TcpServer::Options options;
    options.io_threads = 2;
    auto server = StartEchoServer(base, options, [&](const TcpConnectionPtr& conn) {
      if (conn->connected()) up.fetch_add(1);
    });
    ASSERT_NE(nullptr, server);
    const int64_t rss_before = testing::ResidentBytes();
    const auto start = std::chrono::steady_clock::now();
    const uint16_t port = server->listen_address().port();
    ASSERT_EQ(static_cast<ssize_t>(sizeof(port)), ::write(control[1], &port, sizeof(port)));

    std::string child_report;
    char buf[256];
    pollfd pfd{report[0], POLLIN, 0};
    while (child_report.find('\n') == std::string::npos && ::poll(&pfd, 1, 300000) > 0) {
      const ssize_t n = ::read(report[0], buf, sizeof(buf));
      if (n <= 0) break;
      child_report.append(buf, static_cast<size_t>(n));
    }
    ASSERT_EQ("ok\n", child_report);
    const auto echoed = std::chrono::steady_clock::now();
    ASSERT_TRUE(
        WaitFor([&] { return server->connection_count() == kScaleConnections; }, seconds(30)));
    EXPECT_EQ(kScaleConnections, up.load());
    const int64_t rss_idle = testing::ResidentBytes();
    const double per_connection =
        static_cast<double>(rss_idle - rss_before) / static_cast<double>(kScaleConnections);
    std::printf(
        "[   INFO   ] %d connections connected and echoed in %lld ms; server RSS %lld -> "
        "%lld KiB: %.0f bytes (%.2f KiB) per idle connection\n",
        kScaleConnections,
        static_cast<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(echoed - start).count()),
        static_cast<long long>(rss_before / 1024), static_cast<long long>(rss_idle / 1024),
        per_connection, per_connection / 1024);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)  // Shadow memory.
    // Under ASan every allocation carries redzones and quarantine: no budget there.
    EXPECT_LE(per_connection, 16 * 1024.0);
#endif
    ::close(control[1]);  // The child closes its clients and exits.
    guard.control_fd = -1;
    int status = 0;
    ASSERT_EQ(child, ::waitpid(child, &status, 0));
    guard.pid = 0;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    ASSERT_TRUE(WaitFor([&] { return server->connection_count() == 0; }, seconds(60)));
    server.reset();
  }
  ::close(report[0]);
  ASSERT_EQ(0, ::setrlimit(RLIMIT_NOFILE, &saved));
}

}  // namespace
}  // namespace lts::net
