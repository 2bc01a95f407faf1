// TcpServer: accepts TCP connections on one address and serves them on a pool of IO
// loops (muduo's TcpServer; the "main + workers" arrangement of style.md section 5).
//
//   EventLoop* base = ...;  // The process's main loop.
//   TcpServer server(base, InetAddress::Loopback(0), "rpc", {.io_threads = 2});
//   server.SetConnectionCallback(...);
//   server.SetMessageCallback(...);
//   LTS_RETURN_IF_ERROR(server.Start());
//   ... server.listen_address().port() ...
//   server.Stop();
//
// The listen socket lives on the base loop; each accepted connection is assigned
// round-robin to an IO loop and stays there for life. With io_threads = 0 the base
// loop does the IO too.
//
// Idle timeout: with Options::idle_timeout > 0, a timer on the base loop closes
// connections with no input and no output for longer than the timeout (checked every
// timeout/4, at most every second, so a connection closes between 1x and ~1.25x the
// timeout after its last activity).
//
// Thread contract:
//  - Set*Callback(): before Start(), from the constructing thread. Callbacks run on the
//    connection's IO loop and must not block.
//  - Start(): any thread, once. Binds and listens before returning.
//  - Stop(): on the base loop thread, or on any other thread (not an IO loop of this
//    server: checked) while the base loop is running, in which case it blocks until the
//    base loop has closed the listener. Idempotent.
//  - listen_address(), connection_count(): any thread.
//
// Ownership and destruction order: the server owns its Acceptor, its IO threads
// (EventLoopThreadPool) and, shared with the callbacks' holders, its connections.
// `base_loop` is not owned. Destroy in this order:
//   1. TcpServer (its destructor calls Stop(): the listener is closed, every connection
//      is closed after one last non-blocking flush and its disconnect callback has run,
//      every IO thread is joined);
//   2. the objects the callbacks refer to;
//   3. the base loop (after Loop() returned, on its thread).
// With io_threads = 0 the connections' last clean-up (ConnectDestroyed) is queued on the
// base loop and runs in its next iteration or in its destructor.
// TcpConnectionPtrs kept by the user after Stop() are disconnected; Send() on them
// returns false without touching the (possibly destroyed) IO loop.

#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "base/mutex.h"
#include "lts/status.h"
#include "net/callbacks.h"
#include "net/event_loop_thread.h"
#include "net/inet_address.h"
#include "net/tcp_connection.h"
#include "net/timer_id.h"

namespace lts::net {

class Acceptor;
class EventLoop;
class EventLoopThreadPool;

class TcpServer {
 public:
  struct Options {
    // IO loops, each on its own thread; 0 = serve connections on the base loop.
    int io_threads = 2;
    // SO_REUSEPORT, so several servers (processes) can share the port.
    bool reuse_port = false;
    // Close connections with no input and no output for this long; 0 = off.
    std::chrono::milliseconds idle_timeout{0};
    // listen(2) backlog (capped by net.core.somaxconn).
    int backlog = 1024;
    // Per-connection cap on unsent output (TcpConnection::Send returns false beyond).
    size_t max_output_bytes = TcpConnection::kDefaultMaxOutputBytes;
    // TCP_NODELAY on accepted connections.
    bool tcp_no_delay = true;
  };

  // `base_loop` is not owned and must outlive the server. `name` labels connections
  // ("<name>-<listen address>#<n>") and threads.
  TcpServer(EventLoop* base_loop, const InetAddress& listen_address, std::string name,
            Options options);
  TcpServer(EventLoop* base_loop, const InetAddress& listen_address, std::string name);
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;
  // Calls Stop(); see the class comment for the thread that may destroy the server.
  ~TcpServer();

  void SetConnectionCallback(ConnectionCallback cb) { callbacks_.connection = std::move(cb); }
  void SetMessageCallback(MessageCallback cb) { callbacks_.message = std::move(cb); }
  void SetWriteCompleteCallback(WriteCompleteCallback cb) {
    callbacks_.write_complete = std::move(cb);
  }
  void SetHighWaterMarkCallback(HighWaterMarkCallback cb, size_t mark) {
    callbacks_.high_water_mark = std::move(cb);
    callbacks_.high_water_mark_bytes = mark;
  }
  // Runs on each IO thread before its loop starts.
  void SetThreadInitCallback(EventLoopThread::ThreadInitCallback cb) {
    thread_init_callback_ = std::move(cb);
  }

  // Binds, listens, starts the IO threads and starts accepting on the base loop.
  // Errors: kUnavailable naming the address and errno text if bind/listen fails;
  // kFailedPrecondition if called twice.
  Status Start();

  // Stops accepting and closes every connection (see the class comment). Idempotent.
  void Stop();

  // The bound address: with port 0, the port the kernel chose. Valid after Start().
  InetAddress listen_address() const EXCLUDES(mu_);
  const std::string& name() const { return name_; }
  EventLoop* base_loop() const { return base_loop_; }
  // Open connections. Thread-safe.
  size_t connection_count() const EXCLUDES(mu_);
  // Connections refused because the process ran out of file descriptors. Base loop.
  uint64_t rejected_connections() const;

 private:
  void NewConnection(int sockfd, const InetAddress& peer);
  void RemoveConnection(const TcpConnectionPtr& conn) EXCLUDES(mu_);
  void StopInBaseLoop() EXCLUDES(mu_);
  void CloseIdleConnections() EXCLUDES(mu_);

  EventLoop* const base_loop_;
  const InetAddress requested_address_;
  const std::string name_;
  const Options options_;

  ConnectionCallbacks callbacks_;
  EventLoopThread::ThreadInitCallback thread_init_callback_;

  std::unique_ptr<Acceptor> acceptor_;  // Base loop; null before Start() and after Stop().
  std::unique_ptr<EventLoopThreadPool> pool_;
  TimerId idle_timer_;  // Base loop.
  bool started_ = false;
  bool stopped_ = false;
  uint64_t next_connection_id_ = 1;  // Base loop.

  mutable Mutex mu_;
  InetAddress bound_address_ GUARDED_BY(mu_);
  // Every open connection. Written on the base loop (insert) and the IO loops (erase),
  // hence the mutex.
  std::unordered_map<TcpConnection*, TcpConnectionPtr> connections_ GUARDED_BY(mu_);
};

}  // namespace lts::net
