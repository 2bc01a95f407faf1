#include "rpc/rpc_server.h"

#include <any>

#include "base/logging.h"
#include "net/event_loop.h"
#include "net/tcp_connection.h"

namespace lts::rpc {
namespace {

net::TcpServer::Options WithIdleTimeout(net::TcpServer::Options tcp, const RpcOptions& rpc) {
  if (tcp.idle_timeout.count() == 0 && rpc.heartbeat_interval.count() > 0) {
    tcp.idle_timeout = rpc.heartbeat_interval * 3;
  }
  return tcp;
}

}  // namespace

RpcServer::RpcServer(net::EventLoop* loop, const net::InetAddress& listen, std::string name,
                     Options options)
    : options_(std::move(options)),
      tcp_(loop, listen, std::move(name), WithIdleTimeout(options_.tcp, options_.rpc)) {
  tcp_.SetConnectionCallback([this](const net::TcpConnectionPtr& conn) { OnConnection(conn); });
  tcp_.SetMessageCallback([](const net::TcpConnectionPtr& conn, net::Buffer* buffer) {
    if (RpcChannelPtr channel = ChannelOf(conn)) channel->OnMessage(buffer);
  });
  tcp_.SetWriteCompleteCallback([](const net::TcpConnectionPtr& conn) {
    if (RpcChannelPtr channel = ChannelOf(conn)) channel->OnWriteComplete();
  });
}

RpcServer::~RpcServer() { Stop(); }

void RpcServer::RegisterProcessor(uint16_t command, Processor processor, ProcessorMode mode) {
  processors_.Register(command, std::move(processor), mode);
}

Status RpcServer::Start() {
  LTS_ASSIGN_OR_RETURN(key_, MakeAuthKey(options_.rpc));
  if (!key_.has_value()) {
    LTS_LOG(WARN,
            "rpc server {}: no cluster secret is configured: any process that can reach this "
            "port can send commands (set a cluster secret of at least 16 bytes)",
            tcp_.name());
  }
  if (options_.processor_threads > 0) {
    pool_ = std::make_unique<ThreadPool>(tcp_.name() + "-proc", options_.processor_threads,
                                         options_.processor_queue);
  }
  LTS_RETURN_IF_ERROR(tcp_.Start());
  LTS_LOG(INFO, "rpc server {} listening on {}", tcp_.name(), tcp_.listen_address().ToString());
  return Status::Ok();
}

void RpcServer::Stop() {
  tcp_.Stop();
  if (pool_) pool_->Shutdown();
}

void RpcServer::OnConnection(const net::TcpConnectionPtr& conn) {
  if (conn->connected()) {
    auto channel = std::make_shared<RpcChannel>(conn, RpcChannel::Role::kServer, &options_.rpc,
                                                &processors_, pool_.get(), key_);
    conn->set_context(channel);
    {
      MutexLock lock(&mu_);
      std::erase_if(channels_, [](const std::weak_ptr<RpcChannel>& w) { return w.expired(); });
      channels_.push_back(channel);
    }
    channel->Start();
  } else if (RpcChannelPtr channel = ChannelOf(conn)) {
    channel->OnClosed();
    conn->set_context(std::any());
  }
}

std::vector<RpcChannelPtr> RpcServer::Channels() const {
  std::vector<RpcChannelPtr> out;
  MutexLock lock(&mu_);
  for (const auto& weak : channels_) {
    if (RpcChannelPtr channel = weak.lock(); channel && channel->ready()) out.push_back(channel);
  }
  return out;
}

}  // namespace lts::rpc
