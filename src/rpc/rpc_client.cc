#include "rpc/rpc_client.h"

#include <any>
#include <future>

#include "base/check.h"
#include "base/logging.h"
#include "net/event_loop.h"
#include "net/tcp_connection.h"

namespace lts::rpc {

RpcClient::RpcClient(net::EventLoop* loop, const net::InetAddress& server, std::string name,
                     Options options)
    : loop_(loop),
      server_(server),
      options_(std::move(options)),
      tcp_(loop, server, std::move(name), options_.tcp) {
  tcp_.SetConnectionCallback([this](const net::TcpConnectionPtr& conn) { OnConnection(conn); });
  tcp_.SetMessageCallback([](const net::TcpConnectionPtr& conn, net::Buffer* buffer) {
    if (RpcChannelPtr channel = ChannelOf(conn)) channel->OnMessage(buffer);
  });
  tcp_.SetWriteCompleteCallback([](const net::TcpConnectionPtr& conn) {
    if (RpcChannelPtr channel = ChannelOf(conn)) channel->OnWriteComplete();
  });
}

RpcClient::~RpcClient() { Stop(); }

void RpcClient::RegisterProcessor(uint16_t command, Processor processor, ProcessorMode mode) {
  processors_.Register(command, std::move(processor), mode);
}

Status RpcClient::Start() {
  LTS_ASSIGN_OR_RETURN(key_, MakeAuthKey(options_.rpc));
  if (options_.processor_threads > 0 && !pool_) {
    pool_ = std::make_unique<ThreadPool>("rpc-client-proc", options_.processor_threads,
                                         options_.processor_queue);
  }
  tcp_.Connect();
  return Status::Ok();
}

void RpcClient::Stop() {
  tcp_.Stop();
  if (pool_) pool_->Shutdown();
  MutexLock lock(&mu_);
  channel_.reset();
}

void RpcClient::OnConnection(const net::TcpConnectionPtr& conn) {
  if (conn->connected()) {
    auto channel = std::make_shared<RpcChannel>(conn, RpcChannel::Role::kClient, &options_.rpc,
                                                &processors_, pool_.get(), key_);
    conn->set_context(channel);
    {
      MutexLock lock(&mu_);
      channel_ = channel;
    }
    channel->Start();
  } else if (RpcChannelPtr closed = ChannelOf(conn)) {
    conn->set_context(std::any());
    {
      MutexLock lock(&mu_);
      if (channel_ == closed) channel_.reset();
    }
    closed->OnClosed();
  }
}

RpcChannelPtr RpcClient::channel() const {
  MutexLock lock(&mu_);
  return channel_;
}

bool RpcClient::ready() const {
  RpcChannelPtr c = channel();
  return c != nullptr && c->ready();
}

void RpcClient::Call(uint16_t command, BodyFormat format, std::string body,
                     std::chrono::milliseconds deadline, CallDone done) {
  RpcChannelPtr c = channel();
  if (c == nullptr) {
    Status unavailable = Unavailable("not connected to " + server_.ToString());
    loop_->RunInLoop([done = std::move(done), unavailable] { done(unavailable); });
    return;
  }
  c->Call(command, format, std::move(body), deadline, std::move(done));
}

StatusOr<RpcResponse> RpcClient::CallSync(uint16_t command, BodyFormat format, std::string body,
                                          std::chrono::milliseconds deadline) {
  LTS_CHECK(!loop_->IsInLoopThread()) << "CallSync would deadlock on the IO loop";
  auto promise = std::make_shared<std::promise<StatusOr<RpcResponse>>>();
  std::future<StatusOr<RpcResponse>> future = promise->get_future();
  Call(command, format, std::move(body), deadline,
       [promise](StatusOr<RpcResponse> result) { promise->set_value(std::move(result)); });
  return future.get();
}

Status RpcClient::SendOneway(uint16_t command, BodyFormat format, std::string body) {
  RpcChannelPtr c = channel();
  if (c == nullptr) return Unavailable("not connected to " + server_.ToString());
  return c->SendOneway(command, format, std::move(body));
}

}  // namespace lts::rpc
