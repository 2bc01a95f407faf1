// TcpConnection behaviour, driven through a TcpServer and raw client sockets that play
// peers TcpClient never would (one byte at a time, never reading, resetting).

#include "net/tcp_connection.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "net/buffer.h"
#include "net/event_loop.h"
#include "net/event_loop_thread.h"
#include "net/tcp_server.h"
#include "net_test_util.h"
#include "testing/test_env.h"

namespace lts::net {
namespace {

using ::lts::net::testing::PatternByte;
using ::lts::net::testing::PatternChunk;
using ::lts::net::testing::RawClient;
using ::lts::testing::WaitFor;
using std::chrono::milliseconds;
using std::chrono::seconds;

class TcpConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override { base_ = base_thread_.StartLoop(); }

  TcpServer::Options OneIoThread() {
    TcpServer::Options options;
    options.io_threads = 1;
    return options;
  }

  EventLoopThread base_thread_{"test-base"};
  EventLoop* base_ = nullptr;
};

// Appends a 4-byte length and `body`.
std::string Frame(const std::string& body) {
  Buffer buffer;
  buffer.AppendInt32(static_cast<int32_t>(body.size()));
  buffer.Append(body);
  return buffer.RetrieveAllAsString();
}

// Collects length-prefixed frames a server receives, and counts message callbacks.
struct FrameCollector {
  Mutex mu;
  std::vector<std::string> frames GUARDED_BY(mu);
  std::atomic<int> callbacks{0};

  MessageCallback Callback() {
    return [this](const TcpConnectionPtr&, Buffer* buffer) {
      callbacks.fetch_add(1);
      while (buffer->readable_bytes() >= 4) {
        const int32_t length = buffer->PeekInt32();
        if (buffer->readable_bytes() < 4 + static_cast<size_t>(length)) break;
        buffer->Retrieve(4);
        std::string body = buffer->RetrieveAsString(static_cast<size_t>(length));
        MutexLock lock(&mu);
        frames.push_back(std::move(body));
      }
    };
  }
  size_t count() {
    MutexLock lock(&mu);
    return frames.size();
  }
  std::vector<std::string> snapshot() {
    MutexLock lock(&mu);
    return frames;
  }
};

TEST_F(TcpConnectionTest, ManyMessagesArrivingInOneReadAreAllDelivered) {
  FrameCollector collector;
  TcpServer server(base_, InetAddress::Loopback(0), "frames", OneIoThread());
  server.SetMessageCallback(collector.Callback());
  ASSERT_TRUE(server.Start().ok());

  constexpr int kMessages = 1000;
  std::string burst;
  std::vector<std::string> expected;
  for (int i = 0; i < kMessages; ++i) {
    expected.push_back("message-" + std::to_string(i) +
                       std::string(static_cast<size_t>(i % 17), '.'));
    burst += Frame(expected.back());
  }
  RawClient client;
  ASSERT_TRUE(client.Connect(server.listen_address().port()));
  ASSERT_TRUE(client.SendAll(burst));  // One write of ~30 KB.

  ASSERT_TRUE(WaitFor([&] { return collector.count() == kMessages; }, seconds(10)));
  EXPECT_EQ(expected, collector.snapshot());
  // Several messages per read: far fewer callbacks than messages.
  EXPECT_LT(collector.callbacks.load(), kMessages);
}

TEST_F(TcpConnectionTest, OneByteWritesAreReassembledIntactAndInOrder) {
  FrameCollector collector;
  TcpServer server(base_, InetAddress::Loopback(0), "frames", OneIoThread());
  server.SetMessageCallback(collector.Callback());
  ASSERT_TRUE(server.Start().ok());

  RawClient client;
  ASSERT_TRUE(client.Connect(server.listen_address().port()));
  client.SetNoDelay();  // Each byte leaves as its own segment.
  std::vector<std::string> expected = {std::string(300, 'a'), "b", "", "the last one"};
  std::string stream;
  for (const std::string& body : expected) stream += Frame(body);
  for (char byte : stream) ASSERT_TRUE(client.SendAll(std::string_view(&byte, 1)));

  ASSERT_TRUE(WaitFor([&] { return collector.count() == expected.size(); }, seconds(10)));
  EXPECT_EQ(expected, collector.snapshot());
}

TEST_F(TcpConnectionTest, ConnectionCallbackFiresOnceUpAndOnceDown) {
  std::atomic<int> up{0};
  std::atomic<int> down{0};
  auto server = testing::StartEchoServer(base_, OneIoThread(), [&](const TcpConnectionPtr& conn) {
    (conn->connected() ? up : down).fetch_add(1);
  });
  ASSERT_NE(nullptr, server);
  {
    RawClient client;
    ASSERT_TRUE(client.Connect(server->listen_address().port()));
    ASSERT_TRUE(client.SendAll("ping"));
    EXPECT_EQ("ping", client.ReadExactly(4, seconds(10)));
    EXPECT_EQ(1, up.load());
  }
  ASSERT_TRUE(WaitFor([&] { return down.load() == 1; }, seconds(10)));
  ASSERT_TRUE(WaitFor([&] { return server->connection_count() == 0; }, seconds(10)));
  EXPECT_EQ(1, up.load());
  EXPECT_EQ(1, down.load());
}

TEST_F(TcpConnectionTest, PeerHalfCloseStillGetsTheReplyThenTheServerCloses) {
  std::atomic<int> down{0};
  constexpr size_t kReplySize = 4 * 1024 * 1024;  // Far more than the socket buffers.
  TcpServer server(base_, InetAddress::Loopback(0), "half", OneIoThread());
  server.SetConnectionCallback([&](const TcpConnectionPtr& conn) {
    if (!conn->connected()) down.fetch_add(1);
  });
  server.SetMessageCallback([&](const TcpConnectionPtr& conn, Buffer* buffer) {
    const std::string request = buffer->RetrieveAllAsString();
    conn->Send(request == "small" ? "reply:small" : PatternChunk(0, kReplySize));
  });
  ASSERT_TRUE(server.Start().ok());

  for (const std::string request : {"small", "large"}) {
    SCOPED_TRACE(request);
    RawClient client;
    ASSERT_TRUE(client.Connect(server.listen_address().port()));
    ASSERT_TRUE(client.SendAll(request));
    client.ShutdownWrite();  // The request is complete; we still want the reply.
    bool eof = false;
    const std::string reply = client.ReadToEnd(seconds(20), &eof);
    EXPECT_TRUE(eof);
    EXPECT_EQ(0, client.error());  // A clean FIN, not a reset.
    if (request == "small") {
      EXPECT_EQ("reply:small", reply);
    } else {
      EXPECT_TRUE(reply == PatternChunk(0, kReplySize)) << "got " << reply.size() << " bytes";
    }
  }
  ASSERT_TRUE(WaitFor([&] { return down.load() == 2; }, seconds(10)));
}

TEST_F(TcpConnectionTest, ShutdownHalfClosesAfterFlushingAndKeepsReading) {
  FrameCollector received;
  std::atomic<int> down{0};
  TcpServer server(base_, InetAddress::Loopback(0), "shutdown", OneIoThread());
  server.SetConnectionCallback([&](const TcpConnectionPtr& conn) {
    if (conn->connected()) {
      conn->Send(std::string(100000, 'r'));
      conn->Shutdown();
      EXPECT_FALSE(conn->connected());
      EXPECT_FALSE(conn->Send("too late"));
    } else {
      down.fetch_add(1);
    }
  });
  server.SetMessageCallback(received.Callback());
  ASSERT_TRUE(server.Start().ok());

  RawClient client;
  ASSERT_TRUE(client.Connect(server.listen_address().port()));
  bool eof = false;
  EXPECT_EQ(std::string(100000, 'r'), client.ReadToEnd(seconds(10), &eof));
  EXPECT_TRUE(eof);
  // The server only closed its sending side: it still reads what we send.
  ASSERT_TRUE(client.SendAll(Frame("after shutdown")));
  ASSERT_TRUE(WaitFor([&] { return received.count() == 1; }, seconds(10)));
  EXPECT_EQ(0, down.load());
  client.Close();
  ASSERT_TRUE(WaitFor([&] { return down.load() == 1; }, seconds(10)));
}

// A server streams 100 MiB to a client that does not read. The high-water mark callback
// pauses the producer, so the output buffer stays within mark + one chunk; once the
// client reads, write-complete resumes the producer and every byte arrives in order.
TEST_F(TcpConnectionTest, SlowReaderBoundsOutputThroughHighWaterMark) {
  static constexpr size_t kTotal = 100u * 1024 * 1024;
  static constexpr size_t kChunk = 64 * 1024;
  static constexpr size_t kMark = 1024 * 1024;

  struct Producer {
    size_t sent = 0;
    bool paused = false;
    std::atomic<size_t> max_output{0};
    std::atomic<int> high_water_events{0};
    std::atomic<bool> paused_once{false};

    void Produce(const TcpConnectionPtr& conn) {
      while (!paused && sent < kTotal) {
        const size_t n = std::min(kChunk, kTotal - sent);
        ASSERT_TRUE(conn->Send(PatternChunk(sent, n)));
        sent += n;
        max_output = std::max(max_output.load(), conn->output_bytes());
      }
    }
  };
  Producer producer;  // Touched on the IO loop only, except the atomics.
  TcpServer server(base_, InetAddress::Loopback(0), "bulk", OneIoThread());
  server.SetConnectionCallback([&](const TcpConnectionPtr& conn) {
    if (conn->connected()) producer.Produce(conn);
  });
  server.SetHighWaterMarkCallback(
      [&](const TcpConnectionPtr&, size_t bytes) {
        EXPECT_GE(bytes, kMark);
        producer.paused = true;
        producer.paused_once = true;
        producer.high_water_events.fetch_add(1);
      },
      kMark);
  server.SetWriteCompleteCallback([&](const TcpConnectionPtr& conn) {
    producer.paused = false;
    producer.Produce(conn);
  });
  ASSERT_TRUE(server.Start().ok());

  RawClient client;
  ASSERT_TRUE(client.Connect(server.listen_address().port()));
  // Not reading: the kernel buffers fill, then the output buffer, up to the mark.
  ASSERT_TRUE(WaitFor([&] { return producer.paused_once.load(); }, seconds(20)));
  EXPECT_LE(producer.max_output.load(), kMark + kChunk);

  uint64_t received = 0;
  bool intact = true;
  while (received < kTotal) {
    const std::string piece = client.ReadSome(256 * 1024, milliseconds(20000));
    ASSERT_FALSE(piece.empty()) << "stalled after " << received << " bytes";
    for (char byte : piece) {
      if (byte != PatternByte(received)) intact = false;
      ++received;
    }
  }
  EXPECT_TRUE(intact);
  EXPECT_EQ(kTotal, received);
  EXPECT_LE(producer.max_output.load(), kMark + kChunk);
  EXPECT_GE(producer.high_water_events.load(), 1);
  std::printf(
      "[   INFO   ] slow reader: max output buffer %zu bytes (mark %zu + chunk %zu), "
      "%d high-water events\n",
      producer.max_output.load(), kMark, kChunk, producer.high_water_events.load());
}

TEST_F(TcpConnectionTest, SendBeyondMaxOutputBytesReturnsFalseAndQueuesNothing) {
  constexpr size_t kCap = 1024 * 1024;
  TcpServer::Options options = OneIoThread();
  options.max_output_bytes = kCap;
  std::atomic<bool> refused{false};
  std::atomic<size_t> output_at_refusal{0};
  TcpServer server(base_, InetAddress::Loopback(0), "capped", options);
  server.SetConnectionCallback([&](const TcpConnectionPtr& conn) {
    if (!conn->connected()) return;
    const std::string chunk(256 * 1024, 'c');
    for (int i = 0; i < 1000; ++i) {
      if (!conn->Send(chunk)) {
        refused = true;
        output_at_refusal = conn->output_bytes();
        return;
      }
    }
  });
  ASSERT_TRUE(server.Start().ok());
  RawClient client;  // Never reads.
  ASSERT_TRUE(client.Connect(server.listen_address().port()));
  ASSERT_TRUE(WaitFor([&] { return refused.load(); }, seconds(10)));
  EXPECT_LE(output_at_refusal.load(), kCap);
  EXPECT_GT(output_at_refusal.load() + 256 * 1024, kCap);
}

TEST_F(TcpConnectionTest, CrossThreadSendIsCappedToo) {
  constexpr size_t kCap = 512 * 1024;
  TcpServer::Options options = OneIoThread();
  options.max_output_bytes = kCap;
  Mutex mu;
  TcpConnectionPtr server_conn;
  TcpServer server(base_, InetAddress::Loopback(0), "capped", options);
  server.SetConnectionCallback([&](const TcpConnectionPtr& conn) {
    if (!conn->connected()) return;
    conn->StopReading();
    MutexLock lock(&mu);
    server_conn = conn;
  });
  ASSERT_TRUE(server.Start().ok());
  RawClient client;  // Never reads.
  ASSERT_TRUE(client.Connect(server.listen_address().port()));
  ASSERT_TRUE(WaitFor(
      [&] {
        MutexLock lock(&mu);
        return server_conn != nullptr;
      },
      seconds(10)));
  TcpConnectionPtr conn;
  {
    MutexLock lock(&mu);
    conn = server_conn;
  }
  // From this (non-loop) thread: accepted sends are counted at once, before the loop
  // has written anything, so the cap holds for producers on any thread.
  size_t accepted = 0;
  while (conn->Send(std::string(64 * 1024, 'x'))) {
    accepted += 64 * 1024;
    ASSERT_LE(conn->output_bytes(), kCap);
    ASSERT_LT(accepted, size_t{64} * 1024 * 1024) << "the cap never applied";
  }
  EXPECT_LE(conn->output_bytes(), kCap);
  conn.reset();
  MutexLock lock(&mu);
  server_conn.reset();
}

TEST_F(TcpConnectionTest, PeerResetMidStreamClosesOnceWithoutCrashing) {
  std::atomic<int> down{0};
  TcpServer server(base_, InetAddress::Loopback(0), "reset", OneIoThread());
  server.SetConnectionCallback([&](const TcpConnectionPtr& conn) {
    if (!conn->connected()) down.fetch_add(1);
  });
  server.SetMessageCallback([&](const TcpConnectionPtr& conn, Buffer* buffer) {
    const std::string data = buffer->RetrieveAllAsString();
    if (data == "stream") {
      for (int i = 0; i < 160; ++i) conn->Send(PatternChunk(0, 64 * 1024));  // 10 MiB.
    } else {
      conn->Send(data);
    }
  });
  ASSERT_TRUE(server.Start().ok());

  {
    RawClient victim;
    ASSERT_TRUE(victim.Connect(server.listen_address().port()));
    ASSERT_TRUE(victim.SendAll("stream"));
    EXPECT_EQ(100000u, victim.ReadExactly(100000, seconds(10)).size());
    victim.ResetClose();  // RST while the server still has megabytes to send.
  }
  ASSERT_TRUE(WaitFor([&] { return down.load() == 1; }, seconds(10)));

  // The server is fine, and the reset produced exactly one disconnect callback.
  RawClient other;
  ASSERT_TRUE(other.Connect(server.listen_address().port()));
  ASSERT_TRUE(other.SendAll("still alive"));
  EXPECT_EQ("still alive", other.ReadExactly(11, seconds(10)));
  EXPECT_EQ(1, down.load());
  EXPECT_EQ(1u, server.connection_count());
}

TEST_F(TcpConnectionTest, PeerResetIsNoticedWhileReadingIsStopped) {
  std::atomic<int> down{0};
  std::atomic<bool> stopped{false};
  TcpServer server(base_, InetAddress::Loopback(0), "paused", OneIoThread());
  server.SetConnectionCallback([&](const TcpConnectionPtr& conn) {
    if (conn->connected()) {
      conn->StopReading();
      stopped = !conn->reading();
    } else {
      down.fetch_add(1);
    }
  });
  ASSERT_TRUE(server.Start().ok());
  RawClient client;
  ASSERT_TRUE(client.Connect(server.listen_address().port()));
  ASSERT_TRUE(WaitFor([&] { return stopped.load(); }, seconds(10)));
  ASSERT_TRUE(client.SendAll("unread"));
  client.ResetClose();
  // Without EPOLLIN interest the connection still hears EPOLLERR/EPOLLHUP.
  ASSERT_TRUE(WaitFor([&] { return down.load() == 1; }, seconds(10)));
}

TEST_F(TcpConnectionTest, StopAndStartReadingPauseAndResumeDelivery) {
  FrameCollector collector;
  Mutex mu;
  TcpConnectionPtr server_conn;
  TcpServer server(base_, InetAddress::Loopback(0), "pause", OneIoThread());
  server.SetConnectionCallback([&](const TcpConnectionPtr& conn) {
    if (!conn->connected()) return;
    conn->StopReading();
    MutexLock lock(&mu);
    server_conn = conn;
  });
  server.SetMessageCallback(collector.Callback());
  ASSERT_TRUE(server.Start().ok());
  RawClient client;
  ASSERT_TRUE(client.Connect(server.listen_address().port()));
  ASSERT_TRUE(WaitFor(
      [&] {
        MutexLock lock(&mu);
        return server_conn != nullptr;
      },
      seconds(10)));
  ASSERT_TRUE(client.SendAll(Frame("held back")));
  TcpConnectionPtr conn;
  {
    MutexLock lock(&mu);
    conn = server_conn;
  }
  // Let the loop go round: the frame sits in the kernel, undelivered.
  conn->loop()->RunInLoopAndWait([] {});
  conn->loop()->RunInLoopAndWait([] {});
  EXPECT_EQ(0u, collector.count());
  conn->StartReading();
  ASSERT_TRUE(WaitFor([&] { return collector.count() == 1; }, seconds(10)));
  EXPECT_EQ("held back", collector.snapshot()[0]);
  conn.reset();
  MutexLock lock(&mu);
  server_conn.reset();
}

// A send to a peer that has gone gets EPIPE; without MSG_NOSIGNAL that would also raise
// SIGPIPE and, with the default disposition, kill the process. A socketpair makes the
// EPIPE deterministic: the first send after the other end closed fails with it.
TEST(TcpConnectionSigPipeTest, WritingToAClosedPeerDoesNotRaiseSigPipe) {
  EventLoop loop;
  int sv[2];
  ASSERT_EQ(0, ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
  TcpConnection::Options options;
  options.tcp_no_delay = false;  // Not a TCP socket.
  std::atomic<int> down{0};
  auto conn =
      std::make_shared<TcpConnection>(&loop, "pair", sv[0], InetAddress(), InetAddress(), options);
  conn->SetConnectionCallback([&](const TcpConnectionPtr& c) {
    if (!c->connected()) down.fetch_add(1);
  });
  conn->ConnectEstablished();
  ::close(sv[1]);

  std::signal(SIGPIPE, SIG_DFL);             // Even the process-wide SIG_IGN is not relied upon.
  EXPECT_TRUE(conn->Send("into the void"));  // Accepted; the write itself fails (EPIPE).
  std::signal(SIGPIPE, SIG_IGN);

  loop.QueueInLoop([&] { loop.Quit(); });  // After the close the failed write queued.
  loop.Loop();
  EXPECT_TRUE(conn->disconnected());
  EXPECT_EQ(1, down.load());
  EXPECT_EQ(0u, conn->output_bytes());
  EXPECT_FALSE(conn->Send("after close"));
  conn->ConnectDestroyed();
}

TEST_F(TcpConnectionTest, LastReceiveTimeAdvancesWithInput) {
  Mutex mu;
  TcpConnectionPtr server_conn;
  auto server = testing::StartEchoServer(base_, OneIoThread(), [&](const TcpConnectionPtr& conn) {
    if (!conn->connected()) return;
    MutexLock lock(&mu);
    server_conn = conn;
  });
  ASSERT_NE(nullptr, server);
  RawClient client;
  ASSERT_TRUE(client.Connect(server->listen_address().port()));
  ASSERT_TRUE(WaitFor(
      [&] {
        MutexLock lock(&mu);
        return server_conn != nullptr;
      },
      seconds(10)));
  TcpConnectionPtr conn;
  {
    MutexLock lock(&mu);
    conn = server_conn;
  }
  const int64_t established = conn->last_receive_monotonic_micros();
  EXPECT_GT(established, 0);
  EXPECT_LE(established, MonotonicMicros());
  const int64_t before_send = MonotonicMicros();
  ASSERT_TRUE(client.SendAll("tick"));
  EXPECT_EQ("tick", client.ReadExactly(4, seconds(10)));
  EXPECT_GE(conn->last_receive_monotonic_micros(), before_send);
  // The echo can reach us before the server thread records its send time.
  EXPECT_TRUE(
      WaitFor([&] { return conn->last_send_monotonic_micros() >= before_send; }, seconds(10)));
  conn.reset();
  MutexLock lock(&mu);
  server_conn.reset();
}

}  // namespace
}  // namespace lts::net
