// RpcServer + RpcClient over real loopback connections: calls, deadlines, errors,
// back-pressure, authentication, reconnects, and hostile bytes on the wire.

#include "rpc/rpc_server.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "net/event_loop.h"
#include "net/event_loop_thread.h"
#include "rpc/command.h"
#include "rpc/frame_codec.h"
#include "rpc/rpc_client.h"
#include "testing/test_env.h"

namespace lts::rpc {
namespace {

using namespace std::chrono_literals;
using lts::testing::WaitFor;

constexpr uint16_t kEchoCommand = static_cast<uint16_t>(Command::kEcho);
constexpr uint16_t kSlowCommand = kFirstPrivateCommand + 1;
constexpr const char* kSecret = "correct horse battery staple";

StatusOr<RpcResponse> Echo(const RpcRequest& request) {
  return RpcResponse{request.format, request.body};
}

// A server on its own loop thread, and a client loop thread.
class RpcTest : public ::testing::Test {
 protected:
  void StartServer(RpcServer::Options options = {}) {
    server_loop_ = server_thread_.StartLoop();
    server_loop_->RunInLoopAndWait([&] {
      server_ = std::make_unique<RpcServer>(server_loop_, net::InetAddress::Loopback(port_),
                                            "test-server", options);
      server_->RegisterProcessor(kEchoCommand, Echo, ProcessorMode::kInLoop);
      server_->RegisterProcessor(
          kSlowCommand,
          [this](const RpcRequest& request) -> StatusOr<RpcResponse> {
            std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms_.load()));
            return RpcResponse{request.format, request.body};
          },
          ProcessorMode::kPool);
      start_status_ = server_->Start();
      if (start_status_.ok()) port_ = server_->listen_address().port();
    });
    ASSERT_TRUE(start_status_.ok()) << start_status_.ToString();
  }
  void StopServer() {
    server_loop_->RunInLoopAndWait([&] { server_.reset(); });
  }
  std::unique_ptr<RpcClient> MakeClient(RpcClient::Options options = {}) {
    if (client_loop_ == nullptr) client_loop_ = client_thread_.StartLoop();
    options.tcp.backoff_initial = 20ms;
    options.tcp.backoff_max = 200ms;
    auto client = std::make_unique<RpcClient>(client_loop_, net::InetAddress::Loopback(port_),
                                              "test-client", options);
    Status s = client->Start();
    EXPECT_TRUE(s.ok()) << s.ToString();
    return client;
  }
  void TearDown() override {
    if (server_loop_ != nullptr) StopServer();
    server_thread_.Stop();
    client_thread_.Stop();
  }

  net::EventLoopThread server_thread_{"rpc-test-server"};
  net::EventLoopThread client_thread_{"rpc-test-client"};
  net::EventLoop* server_loop_ = nullptr;
  net::EventLoop* client_loop_ = nullptr;
  std::unique_ptr<RpcServer> server_;
  Status start_status_;
  uint16_t port_ = 0;
  std::atomic<int> slow_ms_{0};
};

TEST_F(RpcTest, EchoRoundTripInEveryBodyFormat) {
  StartServer();
  auto client = MakeClient();
  ASSERT_TRUE(WaitFor([&] { return client->ready(); }, 10s));
  for (BodyFormat format : {BodyFormat::kJson, BodyFormat::kCbor, BodyFormat::kMessagePack}) {
    StatusOr<RpcResponse> r = client->CallSync(kEchoCommand, format, "payload", 5s);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ("payload", r->body);
    EXPECT_EQ(format, r->format);
  }
  client->Stop();
}

TEST_F(RpcTest, UnknownCommandIsAnsweredWithItsName) {
  StartServer();
  auto client = MakeClient();
  ASSERT_TRUE(WaitFor([&] { return client->ready(); }, 10s));
  StatusOr<RpcResponse> r = client->CallSync(4321, BodyFormat::kJson, "", 5s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(StatusCode::kNotSupported, r.status().code());
  EXPECT_NE(std::string::npos, r.status().message().find("4321")) << r.status().ToString();
  client->Stop();
}

TEST_F(RpcTest, CallWithoutConnectionFailsUnavailableAtOnce) {
  port_ = 1;  // Nothing listens on port 1.
  auto client = MakeClient();
  StatusOr<RpcResponse> r = client->CallSync(kEchoCommand, BodyFormat::kJson, "x", 5s);
  EXPECT_EQ(StatusCode::kUnavailable, r.status().code());
  client->Stop();
}

// Deadlines race late responses: every call completes exactly once, with either the
// response or kDeadlineExceeded, and late responses are dropped.
TEST_F(RpcTest, DeadlineRacingALateResponseCompletesExactlyOnce) {
  RpcServer::Options options;
  options.processor_threads = 4;
  StartServer(options);
  slow_ms_ = 20;
  auto client = MakeClient();
  ASSERT_TRUE(WaitFor([&] { return client->ready(); }, 10s));
  constexpr int kCalls = 400;
  std::atomic<int> completions{0}, ok{0}, deadline{0}, other{0};
  for (int i = 0; i < kCalls; ++i) {
    client->Call(kSlowCommand, BodyFormat::kJson, "x", std::chrono::milliseconds(10 + i % 40),
                 [&](StatusOr<RpcResponse> r) {
                   completions++;
                   if (r.ok()) {
                     ok++;
                   } else if (r.status().code() == StatusCode::kDeadlineExceeded) {
                     deadline++;
                   } else {
                     other++;
                   }
                 });
  }
  ASSERT_TRUE(WaitFor([&] { return completions.load() >= kCalls; }, 30s));
  // Let every late response arrive: none may complete a call a second time.
  slow_ms_ = 0;
  ASSERT_TRUE(client->CallSync(kSlowCommand, BodyFormat::kJson, "", 30s).ok());
  std::this_thread::sleep_for(200ms);  // Only to give stray responses a chance to show.
  EXPECT_EQ(kCalls, completions.load());
  EXPECT_EQ(0, other.load());
  EXPECT_GT(deadline.load(), 0);
  client->Stop();
}

TEST_F(RpcTest, TooManyCallsInFlightAreRefused) {
  RpcServer::Options server_options;
  server_options.processor_threads = 1;
  StartServer(server_options);
  slow_ms_ = 200;
  RpcClient::Options options;
  options.rpc.max_in_flight = 4;
  auto client = MakeClient(options);
  ASSERT_TRUE(WaitFor([&] { return client->ready(); }, 10s));
  std::atomic<int> exhausted{0}, done{0};
  for (int i = 0; i < 10; ++i) {
    client->Call(kSlowCommand, BodyFormat::kJson, "", 10s, [&](StatusOr<RpcResponse> r) {
      if (r.status().code() == StatusCode::kResourceExhausted) exhausted++;
      done++;
    });
  }
  ASSERT_TRUE(WaitFor([&] { return done.load() == 10; }, 20s));
  EXPECT_EQ(6, exhausted.load());
  client->Stop();
}

TEST_F(RpcTest, FullProcessorPoolAnswersBusyAtOnce) {
  RpcServer::Options options;
  options.processor_threads = 1;
  options.processor_queue = 1;
  StartServer(options);
  slow_ms_ = 500;
  auto client = MakeClient();
  ASSERT_TRUE(WaitFor([&] { return client->ready(); }, 10s));
  std::atomic<int> busy{0}, done{0};
  const auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration first_busy{};
  std::mutex mu;
  for (int i = 0; i < 6; ++i) {
    client->Call(kSlowCommand, BodyFormat::kJson, "", 10s, [&](StatusOr<RpcResponse> r) {
      if (r.status().code() == StatusCode::kResourceExhausted) {
        std::lock_guard<std::mutex> lock(mu);
        if (busy++ == 0) first_busy = std::chrono::steady_clock::now() - start;
        EXPECT_NE(std::string::npos, r.status().message().find("busy"));
      }
      done++;
    });
  }
  ASSERT_TRUE(WaitFor([&] { return done.load() == 6; }, 20s));
  EXPECT_GE(busy.load(), 4);  // One running, one queued, the rest refused.
  client->Stop();
}

TEST_F(RpcTest, PendingCallsFailUnavailableWhenTheServerGoesAway) {
  RpcServer::Options options;
  options.processor_threads = 1;
  StartServer(options);
  slow_ms_ = 2000;
  auto client = MakeClient();
  ASSERT_TRUE(WaitFor([&] { return client->ready(); }, 10s));
  std::atomic<int> code{-1};
  client->Call(kSlowCommand, BodyFormat::kJson, "", 30s,
               [&](StatusOr<RpcResponse> r) { code = static_cast<int>(r.status().code()); });
  std::this_thread::sleep_for(50ms);  // Let the request reach the server.
  server_loop_->RunInLoop([&] { server_->Stop(); });
  ASSERT_TRUE(WaitFor([&] { return code.load() != -1; }, 10s));
  EXPECT_EQ(static_cast<int>(StatusCode::kUnavailable), code.load());
  client->Stop();
}

TEST_F(RpcTest, ClientReconnectsAfterTheServerRestarts) {
  StartServer();
  auto client = MakeClient();
  ASSERT_TRUE(WaitFor([&] { return client->ready(); }, 10s));
  StopServer();
  ASSERT_TRUE(WaitFor([&] { return !client->ready(); }, 10s));
  server_loop_->RunInLoopAndWait([&] {
    server_ = std::make_unique<RpcServer>(server_loop_, net::InetAddress::Loopback(port_),
                                          "test-server", RpcServer::Options{});
    server_->RegisterProcessor(kEchoCommand, Echo, ProcessorMode::kInLoop);
    start_status_ = server_->Start();
  });
  ASSERT_TRUE(start_status_.ok()) << start_status_.ToString();
  ASSERT_TRUE(WaitFor([&] { return client->ready(); }, 10s));
  EXPECT_TRUE(client->CallSync(kEchoCommand, BodyFormat::kJson, "back", 5s).ok());
  client->Stop();
}

TEST_F(RpcTest, MatchingClusterSecretsAuthenticate) {
  RpcServer::Options options;
  options.rpc.cluster_secret = kSecret;
  StartServer(options);
  RpcClient::Options client_options;
  client_options.rpc.cluster_secret = kSecret;
  client_options.rpc.identity = "tasktracker-1";
  auto client = MakeClient(client_options);
  ASSERT_TRUE(WaitFor([&] { return client->ready(); }, 10s));
  StatusOr<RpcResponse> r = client->CallSync(kEchoCommand, BodyFormat::kJson, "hi", 5s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  client->Stop();
}

TEST_F(RpcTest, WrongOrMissingSecretNeverGetsACommandThrough) {
  RpcServer::Options options;
  options.rpc.cluster_secret = kSecret;
  options.rpc.auth_timeout = 500ms;
  StartServer(options);
  std::atomic<int> echoed{0};
  for (const char* secret : {"a different secret of enough length", ""}) {
    RpcClient::Options client_options;
    client_options.rpc.cluster_secret = secret;
    client_options.rpc.auth_timeout = 500ms;
    auto client = MakeClient(client_options);
    for (int i = 0; i < 5; ++i) {
      StatusOr<RpcResponse> r = client->CallSync(kEchoCommand, BodyFormat::kJson, "x", 2s);
      if (r.ok()) echoed++;
      std::this_thread::sleep_for(50ms);
    }
    // A client without a secret learns that the server wants one only from the
    // challenge, so only the wrong-secret client is never ready.
    if (*secret != '\0') {
      EXPECT_FALSE(client->ready()) << secret;
    }
    client->Stop();
  }
  EXPECT_EQ(0, echoed.load());
}

TEST_F(RpcTest, ClientWithSecretRefusesAServerWithout) {
  StartServer();
  RpcClient::Options options;
  options.rpc.cluster_secret = kSecret;
  options.rpc.auth_timeout = 300ms;
  auto client = MakeClient(options);
  std::this_thread::sleep_for(100ms);
  StatusOr<RpcResponse> r = client->CallSync(kEchoCommand, BodyFormat::kJson, "x", 5s);
  EXPECT_FALSE(r.ok());
  client->Stop();
}

// Raw sockets: bytes no RpcClient would send.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }
  void Write(std::string_view bytes) {
    ASSERT_EQ(static_cast<ssize_t>(bytes.size()),
              ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL));
  }
  // Reads until EOF (or the 10 s receive timeout); true if the peer closed.
  bool ReadUntilClosed(std::string* got) {
    char buf[4096];
    while (true) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
      got->append(buf, static_cast<size_t>(n));
    }
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

std::string EchoRequest(uint64_t id, std::string body) {
  Frame frame;
  frame.command = kEchoCommand;
  frame.request_id = id;
  frame.body = std::move(body);
  std::string out;
  EXPECT_TRUE(EncodeFrame(frame, &out).ok());
  return out;
}

TEST_F(RpcTest, ProtocolViolationsCloseTheConnectionWithGoAway) {
  RpcServer::Options options;
  options.rpc.max_body_bytes = 1024;
  StartServer(options);
  std::string valid = EchoRequest(1, "ok");
  std::string bad_crc = valid;
  bad_crc.back() ^= 0x01;
  std::string bad_version = valid;
  bad_version[kVersionOffset] = 9;
  std::string oversized = EchoRequest(2, std::string(100, 'x'));
  oversized[kBodyLengthOffset] = '\xff';
  oversized[kBodyLengthOffset + 1] = '\xff';
  for (const std::string& attack :
       {bad_crc, bad_version, oversized, std::string("GET / HTTP/1.1\r\n\r\n")}) {
    RawConnection raw(port_);
    ASSERT_TRUE(raw.connected());
    raw.Write(attack);
    std::string got;
    EXPECT_TRUE(raw.ReadUntilClosed(&got));
    // The server says why before it closes.
    FrameDecoder decoder;
    std::vector<Frame> frames;
    (void)decoder.Feed(got.data(), got.size(), &frames);
    ASSERT_FALSE(frames.empty());
    EXPECT_EQ(static_cast<uint16_t>(Command::kGoAway), frames.back().command);
  }
}

TEST_F(RpcTest, FrameSplitIntoOneByteWritesIsServed) {
  StartServer();
  RawConnection raw(port_);
  ASSERT_TRUE(raw.connected());
  std::string requests = EchoRequest(1, "first") + EchoRequest(2, "second");
  for (char c : requests) raw.Write(std::string_view(&c, 1));
  FrameDecoder decoder;
  std::vector<Frame> frames;
  char buf[4096];
  while (frames.size() < 2) {
    ssize_t n = ::recv(raw.fd(), buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    ASSERT_TRUE(decoder.Feed(buf, static_cast<size_t>(n), &frames).ok());
  }
  EXPECT_EQ("first", frames[0].body);
  EXPECT_EQ("second", frames[1].body);
}

// A client that sends requests but never reads: the server stops reading it once its
// unsent responses pass the high-water mark, so its memory stays bounded.
TEST_F(RpcTest, SlowReaderCannotGrowServerMemory) {
  RpcServer::Options options;
  options.rpc.output_high_water = 1 << 20;
  StartServer(options);
  RawConnection raw(port_);
  ASSERT_TRUE(raw.connected());
  int small = 4096;
  ::setsockopt(raw.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  timeval tv{0, 200000};
  ::setsockopt(raw.fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const std::string request = EchoRequest(1, std::string(64 * 1024, 'x'));
  size_t sent = 0;
  // Keep sending until the server stops taking requests (our send times out).
  for (int i = 0; i < 2000; ++i) {
    ssize_t n = ::send(raw.fd(), request.data(), request.size(), MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  size_t max_output = 0;
  for (const RpcChannelPtr& channel : server_->Channels()) {
    max_output = std::max(max_output, channel->connection()->output_bytes());
  }
  // Stopped within one read's worth of requests past the mark.
  EXPECT_LT(max_output, (1u << 20) + 4 * request.size() + (1u << 20));
  EXPECT_LT(sent, 2000u * request.size());
}

TEST_F(RpcTest, HeartbeatsKeepAnIdleConnectionAlive) {
  RpcServer::Options options;
  options.rpc.heartbeat_interval = 100ms;  // The server closes after 300 ms of silence.
  StartServer(options);
  RpcClient::Options client_options;
  client_options.rpc.heartbeat_interval = 100ms;
  auto client = MakeClient(client_options);
  ASSERT_TRUE(WaitFor([&] { return client->ready(); }, 10s));
  RawConnection silent(port_);
  ASSERT_TRUE(silent.connected());
  std::string got;
  EXPECT_TRUE(silent.ReadUntilClosed(&got));  // The silent raw peer is dropped...
  EXPECT_TRUE(client->ready());               // ...the heartbeating client is not.
  EXPECT_EQ(1u, server_->connection_count());
  client->Stop();
}

}  // namespace
}  // namespace lts::rpc

namespace lts::rpc {
namespace {

int64_t ResidentBytesNow() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  long pages = 0, resident = 0;
  const int n = std::fscanf(f, "%ld %ld", &pages, &resident);
  std::fclose(f);
  return n == 2 ? resident * ::sysconf(_SC_PAGESIZE) : -1;
}

// A peer that sends half a frame and then resets the connection: the server drops it
// and goes on serving others.
TEST_F(RpcTest, PeerResetMidFrameIsHarmless) {
  StartServer();
  {
    RawConnection raw(port_);
    ASSERT_TRUE(raw.connected());
    const std::string request = EchoRequest(1, std::string(1000, 'x'));
    raw.Write(std::string_view(request).substr(0, request.size() / 2));
    linger reset{1, 0};
    ::setsockopt(raw.fd(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  }  // close() with linger 0 sends RST.
  ASSERT_TRUE(WaitFor([&] { return server_->connection_count() == 0; }, 10s));
  auto client = MakeClient();
  ASSERT_TRUE(WaitFor([&] { return client->ready(); }, 10s));
  EXPECT_TRUE(client->CallSync(kEchoCommand, BodyFormat::kJson, "still here", 5s).ok());
  client->Stop();
}

// Server-side memory of an idle RPC connection (TcpConnection + RpcChannel + buffers),
// after one round trip on each. The peers are raw sockets in this process: their kernel
// buffers are not in our RSS.
TEST_F(RpcTest, IdleConnectionCostsAtMostSixteenKiB) {
  constexpr int kConnections = 4000;
  rlimit limit{};
  ASSERT_EQ(0, ::getrlimit(RLIMIT_NOFILE, &limit));
  const rlimit saved = limit;
  const rlim_t needed = 2 * kConnections + 200;
  if (limit.rlim_cur < needed) {
    limit.rlim_cur = std::min<rlim_t>(needed, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur < needed) GTEST_SKIP() << "RLIMIT_NOFILE hard limit too low";
  RpcServer::Options options;
  options.tcp.io_threads = 1;
  StartServer(options);
  const std::string ping = EchoRequest(1, "");
  {
    // Warm up allocator arenas and code paths with a few connections first.
    std::vector<std::unique_ptr<RawConnection>> warm;
    for (int i = 0; i < 50; ++i) warm.push_back(std::make_unique<RawConnection>(port_));
  }
  ASSERT_TRUE(WaitFor([&] { return server_->connection_count() == 0; }, 10s));
  const int64_t before = ResidentBytesNow();
  std::vector<std::unique_ptr<RawConnection>> peers;
  for (int i = 0; i < kConnections; ++i) {
    peers.push_back(std::make_unique<RawConnection>(port_));
    ASSERT_TRUE(peers.back()->connected()) << i;
    peers.back()->Write(ping);
  }
  for (auto& peer : peers) {
    char buf[256];
    ASSERT_GT(::recv(peer->fd(), buf, sizeof buf, 0), 0);
  }
  ASSERT_TRUE(WaitFor([&] { return server_->connection_count() == kConnections; }, 30s));
  const int64_t after = ResidentBytesNow();
  const double per_connection = static_cast<double>(after - before) / kConnections;
  std::printf(
      "[   INFO   ] %d idle RPC connections: server RSS %lld -> %lld KiB, %.0f bytes each\n",
      kConnections, static_cast<long long>(before / 1024), static_cast<long long>(after / 1024),
      per_connection);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)  // Shadow memory.
  EXPECT_LE(per_connection, 16 * 1024.0);
#endif
  peers.clear();
  ASSERT_TRUE(WaitFor([&] { return server_->connection_count() == 0; }, 30s));
  ::setrlimit(RLIMIT_NOFILE, &saved);
}

}  // namespace
}  // namespace lts::rpc
