// RpcServer: accepts RPC connections and serves registered processors.
//
//   net::EventLoop loop;
//   rpc::RpcServer server(&loop, *net::InetAddress::Parse("127.0.0.1:35001"), "jobtracker", {});
//   server.RegisterProcessor(Wire(Command::kSubmitJob), HandleSubmit, ProcessorMode::kPool);
//   LTS_RETURN_IF_ERROR(server.Start());
//   loop.Loop();
//
// Each accepted connection gets an RpcChannel (rpc_channel.h: authentication,
// dispatch, back-pressure, calls back to the peer). Connections silent for three
// heartbeat intervals are closed (clients send PING when idle).
//
// Threading: construct, register, Start() and Stop() on the base loop's thread (or
// before it runs). IO happens on the TcpServer's IO loops; kPool processors run on the
// server's processor pool. Channels() is thread-safe.
//
// Destruction: call Stop() (it closes connections, joins the IO loops, then drains and
// joins the processor pool) before destroying the server; the destructor does it too.

#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "base/thread_pool.h"
#include "net/inet_address.h"
#include "net/tcp_server.h"
#include "rpc/rpc_channel.h"

namespace lts::rpc {

class RpcServer {
 public:
  struct Options {
    RpcOptions rpc;
    net::TcpServer::Options tcp;
    // Threads that run kPool processors, and the queue in front of them: a request
    // that finds the queue full is answered kResourceExhausted ("busy") at once.
    int processor_threads = 4;
    size_t processor_queue = 1024;
  };

  // `loop` is not owned and must outlive the server.
  RpcServer(net::EventLoop* loop, const net::InetAddress& listen, std::string name,
            Options options);
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;
  ~RpcServer();

  // REQUIRES: before Start().
  void RegisterProcessor(uint16_t command, Processor processor, ProcessorMode mode);

  // Binds and starts accepting. Errors: kInvalidArgument for a cluster secret that is
  // too short; those of TcpServer::Start (kUnavailable naming the address).
  Status Start();
  // Idempotent.
  void Stop();

  net::InetAddress listen_address() const { return tcp_.listen_address(); }
  size_t connection_count() const { return tcp_.connection_count(); }
  // The open channels (e.g. to call a connected TaskTracker). Thread-safe.
  std::vector<RpcChannelPtr> Channels() const;

 private:
  void OnConnection(const net::TcpConnectionPtr& conn);

  Options options_;
  net::TcpServer tcp_;
  ProcessorRegistry processors_;
  std::unique_ptr<ThreadPool> pool_;
  std::optional<AuthKey> key_;
  mutable Mutex mu_;
  std::vector<std::weak_ptr<RpcChannel>> channels_ GUARDED_BY(mu_);
};

}  // namespace lts::rpc
