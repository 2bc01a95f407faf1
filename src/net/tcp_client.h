// TcpClient: one outgoing TCP connection that is (re)established on demand: a
// non-blocking connect with a timeout, and, when `retry` is set, reconnection with
// exponential backoff and jitter after a failed attempt or a dropped connection.
//
//   TcpClient client(io_loop, *InetAddress::Parse("10.0.0.5:35001"), "jobtracker", {});
//   client.SetConnectionCallback(...);
//   client.SetMessageCallback(...);
//   client.Connect();
//   ... if (TcpConnectionPtr conn = client.connection()) conn->Send(frame);
//   client.Stop();
//
// Retry policy (Options): attempt n + 1 follows a failed attempt n after
// min(backoff_initial * 2^(n-1), backoff_max), scaled by a random factor in
// [1 - jitter, 1 + jitter] so that many clients of one restarted server spread out.
// When an established connection drops, the first reconnect comes after a jittered
// backoff_initial (a server that accepts and closes at once cannot cause a tight loop).
// Each failed attempt is reported to the ConnectFailureCallback.
//
// Thread contract: Set*Callback() before Connect(), from the constructing thread.
// Connect(), Disconnect(), Stop() and connection() are thread-safe. Callbacks run on
// the client's loop and must not block.
//
// Ownership and destruction: `loop` is not owned and must outlive the client. The
// destructor calls Stop(). Stop() (and so destruction) runs on the loop thread, or on
// another thread while the loop is running (it then blocks until the loop has done
// it). After Stop() returns no callback of this client runs any more, so the objects the
// callbacks refer to may be destroyed next; the loop itself goes last.

#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "base/mutex.h"
#include "net/callbacks.h"
#include "net/inet_address.h"
#include "net/tcp_connection.h"

namespace lts::net {

class Connector;
class EventLoop;

class TcpClient {
 public:
  struct Options {
    // Give up one attempt after this long (the Java client's SO_TIMEOUT did nothing
    // for a non-blocking connect; this one is a real timer).
    std::chrono::milliseconds connect_timeout{3000};
    // Retry failed attempts and re-establish dropped connections.
    bool retry = true;
    std::chrono::milliseconds backoff_initial{100};
    std::chrono::milliseconds backoff_max{10000};
    // Random spread of each delay, as a fraction of it, in [0, 1].
    double jitter = 0.2;
    // Cap on unsent output (TcpConnection::Send returns false beyond).
    size_t max_output_bytes = TcpConnection::kDefaultMaxOutputBytes;
    bool tcp_no_delay = true;
  };

  TcpClient(EventLoop* loop, const InetAddress& server_address, std::string name, Options options);
  TcpClient(EventLoop* loop, const InetAddress& server_address, std::string name);
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;
  ~TcpClient();

  void SetConnectionCallback(ConnectionCallback cb) { callbacks_.connection = std::move(cb); }
  void SetMessageCallback(MessageCallback cb) { callbacks_.message = std::move(cb); }
  void SetWriteCompleteCallback(WriteCompleteCallback cb) {
    callbacks_.write_complete = std::move(cb);
  }
  void SetHighWaterMarkCallback(HighWaterMarkCallback cb, size_t mark) {
    callbacks_.high_water_mark = std::move(cb);
    callbacks_.high_water_mark_bytes = mark;
  }
  void SetConnectFailureCallback(ConnectFailureCallback cb) { failure_callback_ = std::move(cb); }

  // Starts connecting (no-op while connecting or connected). Thread-safe.
  void Connect();
  // Stops reconnecting and half-closes the current connection once its output is
  // flushed (TcpConnection::Shutdown); it closes when the server closes its side.
  // Thread-safe.
  void Disconnect();
  // Stops connecting and reconnecting and closes the current connection now (its
  // disconnect callback runs before Stop() returns). Thread-safe; see the class comment.
  void Stop();

  // The established connection, or null. Thread-safe.
  TcpConnectionPtr connection() const EXCLUDES(mu_);

  EventLoop* loop() const { return loop_; }
  const std::string& name() const { return name_; }
  const InetAddress& server_address() const { return server_address_; }

 private:
  void NewConnection(int sockfd);
  void RemoveConnection(const TcpConnectionPtr& conn) EXCLUDES(mu_);
  void StopInLoop() EXCLUDES(mu_);

  EventLoop* const loop_;
  const InetAddress server_address_;
  const std::string name_;
  const Options options_;
  const std::shared_ptr<Connector> connector_;

  ConnectionCallbacks callbacks_;
  ConnectFailureCallback failure_callback_;

  std::atomic<bool> connect_{false};  // The user wants a connection.
  uint64_t next_connection_id_ = 1;   // Loop thread.

  mutable Mutex mu_;
  TcpConnectionPtr connection_ GUARDED_BY(mu_);
};

}  // namespace lts::net
