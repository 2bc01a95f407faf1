// RpcChannel: the RPC state of one TCP connection. It is symmetric: either end may
// call the other and serve the other's requests (a JobTracker pushes jobs over the
// connection a TaskTracker opened). RpcServer makes one per accepted connection,
// RpcClient one per connection it establishes.
//
// What it does with the bytes of its connection:
//   - decodes frames (FrameDecoder; a decode error sends GO_AWAY with the reason, logs
//     it, and closes the connection);
//   - cluster authentication first when a secret is configured (auth.h): until the
//     peer has proved it knows the secret, only the handshake frames are accepted;
//   - requests go to the processor registered for their command: in the IO loop
//     (ProcessorMode::kInLoop, for cheap handlers) or on the processor pool; a full
//     pool answers kResourceExhausted ("busy") at once, an unknown command
//     kNotSupported naming it; PING is answered by the channel itself;
//   - responses complete the pending call with the same request id, exactly once:
//     a call ends by its response, its deadline (kDeadlineExceeded), or the connection
//     dropping (kUnavailable), whichever comes first; a late response is dropped;
//   - back-pressure: outgoing calls are bounded (max_in_flight: kResourceExhausted
//     beyond), and when the peer does not read what we send (output above
//     output_high_water) the channel stops reading its requests until the output
//     drains, so a slow reader cannot grow our memory without bound.
//
// Threading: loop-affine (the connection's IO loop) except Call() and SendOneway(),
// which any thread may call. Completion callbacks run on the IO loop and must not
// block. Processors on the pool may block.
//
// Ownership: shared by the connection's context and by in-flight pool work;
// `options`, `processors` and `pool` must outlive every channel (RpcServer/RpcClient
// own them and join their IO loops before destroying them).

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/thread_pool.h"
#include "lts/statusor.h"
#include "net/callbacks.h"
#include "net/timer_id.h"
#include "rpc/auth.h"
#include "rpc/frame_codec.h"

namespace lts::net {
class Buffer;
class EventLoop;
}  // namespace lts::net

namespace lts::rpc {

class RpcChannel;

struct RpcRequest {
  uint16_t command = 0;
  BodyFormat format = BodyFormat::kJson;
  std::string body;
  // The peer's authenticated identity, or its address when the cluster has no secret.
  std::string peer;
  // The connection it came over: to call the peer back later (a JobTracker pushes jobs
  // over the connection a TaskTracker opened).
  std::weak_ptr<RpcChannel> channel;
};

struct RpcResponse {
  BodyFormat format = BodyFormat::kJson;
  std::string body;
};

// Handles one command. Returns the response body, or an error Status for the caller.
using Processor = std::function<StatusOr<RpcResponse>(const RpcRequest&)>;

enum class ProcessorMode {
  kPool,    // On the processor pool; may block (SQL, disk).
  kInLoop,  // On the IO loop; must be quick and never block.
};

// Command -> processor. Filled before the server/client starts, read-only after.
class ProcessorRegistry {
 public:
  struct Entry {
    Processor processor;
    ProcessorMode mode;
  };
  void Register(uint16_t command, Processor processor, ProcessorMode mode);
  const Entry* Find(uint16_t command) const;

 private:
  std::unordered_map<uint16_t, Entry> entries_;
};

struct RpcOptions {
  // Largest frame body accepted or sent, in bytes.
  uint32_t max_body_bytes = kDefaultMaxBodyBytes;
  // The cluster secret (>= 16 bytes); empty = no authentication (a warning at start).
  std::string cluster_secret;
  // This node's identity, proved to servers during authentication.
  std::string identity = "lts-node";
  // Outgoing calls waiting for a response on one connection; beyond, kResourceExhausted.
  size_t max_in_flight = 4096;
  // Stop reading a peer's requests while this many bytes of our output are unsent.
  size_t output_high_water = 4 * 1024 * 1024;
  // Client side: probe a connection silent this long with PING; 0 = off. Servers
  // close connections silent for 3x this long.
  std::chrono::milliseconds heartbeat_interval{10000};
  // How long the authentication handshake may take.
  std::chrono::milliseconds auth_timeout{5000};
  // Called on the IO loop when a channel becomes ready (connected and authenticated), and
  // once when a channel that was ready closes. Must be quick and must not block.
  std::function<void(const std::shared_ptr<RpcChannel>&)> on_ready;
  std::function<void(const std::shared_ptr<RpcChannel>&)> on_closed;
};

// Completes a call: the response, or why there is none. Runs on the IO loop.
using CallDone = std::function<void(StatusOr<RpcResponse>)>;

class RpcChannel : public std::enable_shared_from_this<RpcChannel> {
 public:
  enum class Role { kServer, kClient };

  // `pool` may be null: then kPool processors run in the loop too.
  RpcChannel(net::TcpConnectionPtr conn, Role role, const RpcOptions* options,
             const ProcessorRegistry* processors, ThreadPool* pool, std::optional<AuthKey> key);
  RpcChannel(const RpcChannel&) = delete;
  RpcChannel& operator=(const RpcChannel&) = delete;
  ~RpcChannel();

  // The connection is established: starts authentication if configured. Loop thread.
  void Start();
  // Bytes arrived. Loop thread.
  void OnMessage(net::Buffer* buffer);
  // Output drained below the high-water mark. Loop thread.
  void OnWriteComplete();
  // The connection closed: every pending call fails with kUnavailable. Loop thread.
  void OnClosed();

  // Sends a request; `done` runs exactly once on the IO loop. Any thread.
  void Call(uint16_t command, BodyFormat format, std::string body,
            std::chrono::milliseconds deadline, CallDone done);
  // Sends a request that gets no response. Any thread. Errors: kUnavailable when the
  // connection is closed or not authenticated yet; kResourceExhausted if the output
  // cap is reached.
  Status SendOneway(uint16_t command, BodyFormat format, std::string body);

  // Authenticated (or no authentication configured) and connected.
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  const net::TcpConnectionPtr& connection() const { return conn_; }
  const std::string& peer() const { return peer_; }
  size_t pending_calls() const { return pending_size_.load(std::memory_order_relaxed); }

 private:
  struct PendingCall {
    CallDone done;
    int64_t deadline_us;
  };
  struct QueuedCall {
    uint16_t command;
    BodyFormat format;
    std::string body;
    std::chrono::milliseconds deadline;
    CallDone done;
  };

  void CallInLoop(QueuedCall call);
  void StartCall(QueuedCall call);
  void HandleFrame(Frame& frame, std::string* out);
  void HandleResponse(Frame& frame);
  void HandleRequest(Frame& frame, std::string* out);
  void HandleAuthFrame(Frame& frame, std::string* out);
  void RunProcessor(const ProcessorRegistry::Entry& entry, Frame& frame, std::string* out);
  void AppendFrame(const Frame& frame, std::string* out);
  void Flush(std::string* out);
  void BecomeReady();
  void Fail(const Status& reason, bool tell_peer);
  void ArmDeadlineTimer();
  void OnDeadlineTimer();
  void CheckBackPressure();
  void SendHeartbeat();

  const net::TcpConnectionPtr conn_;
  net::EventLoop* const loop_;
  const Role role_;
  const RpcOptions* const options_;
  const ProcessorRegistry* const processors_;
  ThreadPool* const pool_;
  std::optional<AuthServerSession> auth_server_;
  std::optional<AuthClientSession> auth_client_;
  std::string peer_;
  FrameDecoder decoder_;
  std::vector<Frame> frames_;  // Scratch for OnMessage.
  // While OnMessage runs: where outgoing frames collect, so the responses and the calls
  // that completions start leave in one write.
  std::string* batch_ = nullptr;

  std::atomic<bool> ready_{false};
  bool closed_ = false;
  bool was_ready_ = false;
  bool close_notified_ = false;  // on_closed ran (only for channels that became ready).
  bool reading_paused_ = false;
  uint64_t next_request_id_ = 1;
  std::unordered_map<uint64_t, PendingCall> pending_;
  std::atomic<size_t> pending_size_{0};
  // (deadline, request id), earliest first; entries of finished calls are skipped.
  std::priority_queue<std::pair<int64_t, uint64_t>, std::vector<std::pair<int64_t, uint64_t>>,
                      std::greater<>>
      deadlines_;
  net::TimerId deadline_timer_;
  int64_t deadline_timer_at_ = 0;  // 0 = not armed.
  std::vector<QueuedCall> waiting_for_auth_;
  net::TimerId auth_timer_;
  net::TimerId heartbeat_timer_;
  bool heartbeat_outstanding_ = false;
};

using RpcChannelPtr = std::shared_ptr<RpcChannel>;

// The channel RpcServer/RpcClient keep in a connection's context; null if it has none
// (not yet set up, or already closed).
RpcChannelPtr ChannelOf(const net::TcpConnectionPtr& conn);

// The cluster key `options` ask for: nullopt when no secret is configured.
// Errors: kInvalidArgument "cluster secret: ..." for a secret that is too short.
StatusOr<std::optional<AuthKey>> MakeAuthKey(const RpcOptions& options);

}  // namespace lts::rpc
