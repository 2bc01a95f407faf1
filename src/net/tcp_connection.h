// TcpConnection: one established TCP connection, on one IO loop for its whole life.
//
// TcpServer (for accepted connections) and TcpClient (for its connection) create it and
// hand it to the user through callbacks as a TcpConnectionPtr; the shared_ptr keeps it
// alive while a callback, a queued Send or the user holds it (muduo's reason for
// shared ownership: a connection can close on its loop while another thread still
// holds it).
//
// Reading: level-triggered, one readv() per readable event into the input buffer (see
// Buffer::ReadFd), then MessageCallback. StopReading() stops asking for EPOLLIN, so a
// server can stop taking requests from a peer that does not drain its responses; the
// kernel's buffers then push back on the peer.
//
// Writing and back-pressure (the contract the rpc layer relies on):
//  1. Send() writes directly to the socket when nothing is queued; what the kernel does
//     not take goes to the output buffer, and EPOLLOUT is watched only while that
//     buffer is non-empty.
//  2. output_bytes() counts bytes accepted by Send() and not yet written to the kernel,
//     including Sends queued from other threads.
//  3. HighWaterMarkCallback fires when the output buffer grows past the mark (once per
//     upward crossing; synchronously inside an in-loop Send(), so a producer on the loop
//     can stop right there). WriteCompleteCallback fires when everything sent so far has
//     gone to the kernel: it is queued when the buffer drains (or a direct write takes
//     all), runs only if the buffer is still empty by then, and several drains before
//     it runs fire it once. So a producer paused by the high-water mark can resume from
//     it without overshooting.
//  4. Hard cap: a Send() that would take output_bytes() past max_output_bytes returns
//     false and queues nothing; the caller decides (fail the call, close, retry later).
//     The connection stays usable.
// A write error (EPIPE, ECONNRESET) drops the output and closes the connection.
//
// Closing:
//  - Shutdown(): half-close once the output buffer is flushed (SHUT_WR); reading
//    continues until the peer closes.
//  - Peer half-close (end of stream): the connection stops reading, flushes what is in
//    its output buffer, then closes. Bytes sent later (e.g. from another thread) are
//    dropped.
//  - ForceClose(): closes now, dropping unsent output.
// In every case ConnectionCallback runs exactly once with connected() == false.
//
// Idle detection: last_receive_monotonic_micros() and last_send_monotonic_micros()
// (MonotonicMicros() time, initialised when the connection is established) let the rpc
// layer decide on heartbeats; TcpServer closes connections idle past its idle_timeout.
//
// Thread contract: Send(), Shutdown(), ForceClose(), StartReading(), StopReading() and
// the const accessors are thread-safe. They must not be called once the connection's
// loop has been destroyed (after the owning TcpServer/TcpClient stopped); on a
// connection that is already disconnected they do nothing, without touching the loop.
// set_context()/context(), the buffers and the Set*Callback functions are for the loop
// thread (or before the connection is established).
// Ownership: owns the socket (closed on the loop right after the close callback, even if
// TcpConnectionPtrs remain) and the buffers. `loop` is not
// owned and must outlive every operation on the connection.

#pragma once

#include <any>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "net/buffer.h"
#include "net/callbacks.h"
#include "net/inet_address.h"

namespace lts::net {

class Channel;
class EventLoop;
class Socket;

class TcpConnection : public std::enable_shared_from_this<TcpConnection> {
 public:
  static constexpr size_t kDefaultMaxOutputBytes = size_t{64} * 1024 * 1024;

  struct Options {
    // TCP_NODELAY: send small messages at once instead of coalescing (Nagle).
    bool tcp_no_delay = true;
    // SO_KEEPALIVE with the kernel's timings (hours); the rpc heartbeat is the real
    // liveness check.
    bool keep_alive = false;
    // Send() refuses data beyond this many pending output bytes (see the class comment).
    size_t max_output_bytes = kDefaultMaxOutputBytes;
  };

  // Only TcpServer and TcpClient create connections. Takes ownership of `sockfd`.
  TcpConnection(EventLoop* loop, std::string name, int sockfd, const InetAddress& local_address,
                const InetAddress& peer_address, const Options& options);
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;
  ~TcpConnection();

  EventLoop* loop() const { return loop_; }
  const std::string& name() const { return name_; }
  const InetAddress& local_address() const { return local_address_; }
  const InetAddress& peer_address() const { return peer_address_; }
  // True from establishment until the connection starts closing (Shutdown() included).
  bool connected() const { return state() == State::kConnected; }
  bool disconnected() const { return state() == State::kDisconnected; }

  // Queues `data` for sending; from another thread it is copied first. Returns false
  // (and queues nothing) if the connection is not connected or if output_bytes() would
  // exceed max_output_bytes; true means accepted for sending, not delivered.
  bool Send(std::string_view data);
  // Like Send(buffer's readable bytes); on success the buffer is emptied, on failure it
  // is left as it was.
  bool Send(Buffer* buffer);

  // Half-closes after the queued output is flushed. Thread-safe; no-op unless connected.
  void Shutdown();
  // Closes without flushing. Thread-safe; the close happens on the loop (queued).
  void ForceClose();

  // Stop/resume watching for input. Thread-safe (applied on the loop).
  void StopReading();
  void StartReading();
  // Whether input is being read (as last applied on the loop). Thread-safe.
  bool reading() const { return reading_.load(std::memory_order_relaxed); }

  // Thread-safe (applied on the loop).
  void SetTcpNoDelay(bool on);

  // Bytes accepted by Send() and not yet written to the kernel. Thread-safe.
  size_t output_bytes() const { return pending_output_.load(std::memory_order_relaxed); }
  size_t max_output_bytes() const { return max_output_bytes_; }

  // When input last arrived / output last went to the kernel (MonotonicMicros()).
  // Both start at the establishment time. Thread-safe.
  int64_t last_receive_monotonic_micros() const {
    return last_receive_micros_.load(std::memory_order_relaxed);
  }
  int64_t last_send_monotonic_micros() const {
    return last_send_micros_.load(std::memory_order_relaxed);
  }

  // Per-connection state for the layer above (e.g. the rpc session). Loop thread.
  void set_context(std::any context) { context_ = std::move(context); }
  const std::any& context() const { return context_; }
  std::any* mutable_context() { return &context_; }

  // Loop thread only.
  Buffer* input_buffer() { return &input_buffer_; }
  Buffer* output_buffer() { return &output_buffer_; }

  void SetConnectionCallback(ConnectionCallback cb) { connection_callback_ = std::move(cb); }
  void SetMessageCallback(MessageCallback cb) { message_callback_ = std::move(cb); }
  void SetWriteCompleteCallback(WriteCompleteCallback cb) {
    write_complete_callback_ = std::move(cb);
  }
  // `mark` in bytes of output buffer.
  void SetHighWaterMarkCallback(HighWaterMarkCallback cb, size_t mark) {
    high_water_mark_callback_ = std::move(cb);
    high_water_mark_ = mark;
  }

  // Internal, for TcpServer/TcpClient, on the loop thread.
  void SetCloseCallback(CloseCallback cb) { close_callback_ = std::move(cb); }
  // Installs the set members of `callbacks`.
  void SetCallbacks(const ConnectionCallbacks& callbacks);
  // Starts reading and runs ConnectionCallback (connected). Called once.
  void ConnectEstablished();
  // Unregisters from the loop; the last step, after the close callback. If the
  // connection had not closed yet, runs ConnectionCallback (disconnected) first.
  void ConnectDestroyed();
  // Closes now, on the loop thread, after one last non-blocking attempt to write the
  // output buffer (TcpServer::Stop). Runs the callbacks synchronously.
  void CloseNow(bool flush_first);

 private:
  enum class State : int { kConnecting, kConnected, kDisconnecting, kDisconnected };

  State state() const { return state_.load(std::memory_order_acquire); }
  void set_state(State s) { state_.store(s, std::memory_order_release); }
  // Adds `n` to pending_output_ unless that would exceed the cap.
  bool ReserveOutput(size_t n);
  void ReleaseOutput(size_t n);

  void HandleRead();
  void HandleWrite();
  void HandleClose();
  void HandleError();
  void HandlePeerEof();
  void SendInLoop(const char* data, size_t len);
  void ShutdownInLoop();
  void ForceCloseInLoop();
  void StopReadingInLoop();
  void StartReadingInLoop();
  // Drops unsent output after a write error and schedules the close.
  void FailWrite(int saved_errno);
  void ReleaseIdleMemory(Buffer* buffer);
  void QueueWriteComplete();

  EventLoop* const loop_;
  const std::string name_;
  std::atomic<State> state_{State::kConnecting};
  std::atomic<bool> reading_{false};
  bool peer_closed_ = false;            // Read end-of-stream. Loop thread.
  bool write_failed_ = false;           // A write error happened; output is being dropped.
  bool write_complete_queued_ = false;  // A WriteCompleteCallback run is queued.
  const std::unique_ptr<Socket> socket_;
  const std::unique_ptr<Channel> channel_;
  const InetAddress local_address_;
  const InetAddress peer_address_;
  const size_t max_output_bytes_;

  ConnectionCallback connection_callback_;
  MessageCallback message_callback_;
  WriteCompleteCallback write_complete_callback_;
  HighWaterMarkCallback high_water_mark_callback_;
  CloseCallback close_callback_;
  size_t high_water_mark_ = size_t{64} * 1024 * 1024;

  Buffer input_buffer_;
  Buffer output_buffer_;
  std::atomic<size_t> pending_output_{0};  // See output_bytes().
  std::atomic<int64_t> last_receive_micros_{0};
  std::atomic<int64_t> last_send_micros_{0};
  std::any context_;
};

}  // namespace lts::net
