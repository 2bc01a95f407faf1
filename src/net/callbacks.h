// The callback types of the network layer, shared by TcpServer, TcpClient and
// TcpConnection.
//
// Every connection callback runs on the connection's IO loop thread and must not block:
// blocking work goes to a thread pool, and its result comes back with Send() (which is
// thread-safe) or EventLoop::RunInLoop().

#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "lts/status.h"

namespace lts::net {

class Buffer;
class TcpConnection;

using TcpConnectionPtr = std::shared_ptr<TcpConnection>;

// A timer's action; runs on the loop thread that owns the timer.
using TimerCallback = std::function<void()>;

// Called once when the connection is established (conn->connected() is true) and once
// when it is closed (conn->connected() is false), for every connection.
using ConnectionCallback = std::function<void(const TcpConnectionPtr&)>;

// Bytes arrived. `buffer` holds everything received and not yet consumed; the callback
// consumes what it can (Retrieve) and leaves a partial message for the next call.
using MessageCallback = std::function<void(const TcpConnectionPtr&, Buffer* buffer)>;

// Everything sent so far has been written to the kernel. Queued (it runs after the
// Send() or write that emptied the output buffer) and skipped if output was queued again
// in between; see tcp_connection.h.
using WriteCompleteCallback = std::function<void(const TcpConnectionPtr&)>;

// The output buffer grew past the high-water mark; the argument is its size in bytes.
// Fires once per upward crossing, synchronously inside the Send() that crossed it when
// that Send() ran on the loop thread.
using HighWaterMarkCallback = std::function<void(const TcpConnectionPtr&, size_t bytes)>;

// Internal: tells the owner (TcpServer or TcpClient) that a connection has closed.
using CloseCallback = std::function<void(const TcpConnectionPtr&)>;

// A TcpClient connect attempt failed: kDeadlineExceeded on timeout, kUnavailable with
// the errno text otherwise. Runs on the client's loop before the retry is scheduled.
using ConnectFailureCallback = std::function<void(const Status& status)>;

// Defaults when the owner sets none: log at DEBUG, and discard received bytes.
// The callbacks a TcpServer or TcpClient gives every connection it makes
// (TcpConnection::SetCallbacks); unset members keep the connection's defaults.
struct ConnectionCallbacks {
  ConnectionCallback connection;
  MessageCallback message;
  WriteCompleteCallback write_complete;
  HighWaterMarkCallback high_water_mark;
  size_t high_water_mark_bytes = size_t{64} * 1024 * 1024;
};

void DefaultConnectionCallback(const TcpConnectionPtr& conn);
void DefaultMessageCallback(const TcpConnectionPtr& conn, Buffer* buffer);

}  // namespace lts::net
