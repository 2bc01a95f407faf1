// RpcClient: one RPC connection to one server, re-established after failures
// (exponential backoff with jitter, net::TcpClient), with calls, oneway sends and
// heartbeats over it (RpcChannel).
//
//   rpc::RpcClient client(&loop, server_address, "tasktracker", {});
//   client.Start();
//   client.Call(Wire(Command::kSubmitJob), BodyFormat::kJson, body, 3s,
//               [](StatusOr<RpcResponse> r) { ... });   // runs on the IO loop
//
// A call made while no connection is ready fails at once with kUnavailable (the caller
// decides: a JobClient writes the job to its FailStore). Requests the server sends us
// go to the processors registered here.
//
// Threading: Call(), CallSync(), SendOneway(), ready() are thread-safe; CallSync()
// blocks and must not run on `loop`'s thread. Start()/Stop() on any thread; Stop()
// waits until the connection is closed.
//
// Destruction: Stop() first (the destructor does it); `loop` must outlive the client
// and must be running while the client is used.

#pragma once

#include <memory>
#include <string>

#include "base/mutex.h"
#include "base/thread_pool.h"
#include "net/inet_address.h"
#include "net/tcp_client.h"
#include "rpc/rpc_channel.h"

namespace lts::rpc {

class RpcClient {
 public:
  struct Options {
    RpcOptions rpc;
    net::TcpClient::Options tcp;
    // Threads for kPool processors (requests from the server); 0 = run them in the loop.
    int processor_threads = 0;
    size_t processor_queue = 1024;
  };

  // `loop` is not owned and must outlive the client.
  RpcClient(net::EventLoop* loop, const net::InetAddress& server, std::string name,
            Options options);
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;
  ~RpcClient();

  // REQUIRES: before Start().
  void RegisterProcessor(uint16_t command, Processor processor, ProcessorMode mode);

  // Starts connecting. Errors: kInvalidArgument for a cluster secret that is too short.
  Status Start();
  void Stop();

  // Sends a request; `done` runs exactly once on the IO loop: the response, its error
  // status, kDeadlineExceeded, kUnavailable (no connection, or it dropped), or
  // kResourceExhausted (too many calls in flight).
  void Call(uint16_t command, BodyFormat format, std::string body,
            std::chrono::milliseconds deadline, CallDone done);
  // Call() and wait. REQUIRES: not on the IO loop's thread.
  StatusOr<RpcResponse> CallSync(uint16_t command, BodyFormat format, std::string body,
                                 std::chrono::milliseconds deadline);
  Status SendOneway(uint16_t command, BodyFormat format, std::string body);

  // A connection is up and authenticated.
  bool ready() const;
  const net::InetAddress& server_address() const { return server_; }

 private:
  RpcChannelPtr channel() const;
  void OnConnection(const net::TcpConnectionPtr& conn);

  net::EventLoop* const loop_;
  const net::InetAddress server_;
  Options options_;
  ProcessorRegistry processors_;
  std::unique_ptr<ThreadPool> pool_;
  std::optional<AuthKey> key_;
  net::TcpClient tcp_;
  mutable Mutex mu_;
  RpcChannelPtr channel_ GUARDED_BY(mu_);
};

}  // namespace lts::rpc
