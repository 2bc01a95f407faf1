#include "net/tcp_client.h"

#include <fmt/format.h>

#include <utility>

#include "base/check.h"
#include "base/logging.h"
#include "net/connector.h"
#include "net/event_loop.h"
#include "net/socket.h"

namespace lts::net {
namespace {

Connector::Options ConnectorOptions(const TcpClient::Options& options) {
  Connector::Options result;
  result.connect_timeout = options.connect_timeout;
  result.retry = options.retry;
  result.backoff_initial = options.backoff_initial;
  result.backoff_max = options.backoff_max;
  result.jitter = options.jitter;
  return result;
}

}  // namespace

TcpClient::TcpClient(EventLoop* loop, const InetAddress& server_address, std::string name)
    : TcpClient(loop, server_address, std::move(name), Options()) {}

TcpClient::TcpClient(EventLoop* loop, const InetAddress& server_address, std::string name,
                     Options options)
    : loop_(loop),
      server_address_(server_address),
      name_(std::move(name)),
      options_(options),
      connector_(std::make_shared<Connector>(loop, server_address, ConnectorOptions(options))) {
  LTS_CHECK(loop_ != nullptr);
  // The connector never outlives its callbacks' use of `this`: Stop() (run by the
  // destructor on the loop thread) stops it first.
  connector_->SetNewConnectionCallback([this](int sockfd) { NewConnection(sockfd); });
  connector_->SetFailureCallback([this](const Status& status) {
    if (failure_callback_) failure_callback_(status);
  });
}

TcpClient::~TcpClient() { Stop(); }

void TcpClient::Connect() {
  connect_.store(true);
  loop_->RunInLoop([this] {
    if (!connect_.load()) return;
    if (connection() != nullptr) return;
    connector_->Start();
  });
}

void TcpClient::Disconnect() {
  connect_.store(false);
  loop_->RunInLoop([this] { connector_->Stop(); });
  if (TcpConnectionPtr conn = connection()) conn->Shutdown();
}

void TcpClient::Stop() {
  connect_.store(false);
  loop_->RunInLoopAndWait([this] { StopInLoop(); });
}

void TcpClient::StopInLoop() {
  loop_->AssertInLoopThread();
  connector_->Stop();
  TcpConnectionPtr conn = connection();
  if (conn) conn->CloseNow(/*flush_first=*/true);
}

TcpConnectionPtr TcpClient::connection() const {
  MutexLock lock(&mu_);
  return connection_;
}

void TcpClient::NewConnection(int sockfd) {
  loop_->AssertInLoopThread();
  const InetAddress local = sockets::GetLocalAddress(sockfd);
  const InetAddress peer = sockets::GetPeerAddress(sockfd);
  std::string conn_name = fmt::format("{}-{}#{}", name_, peer.ToString(), next_connection_id_++);
  TcpConnection::Options conn_options;
  conn_options.tcp_no_delay = options_.tcp_no_delay;
  conn_options.max_output_bytes = options_.max_output_bytes;
  auto conn = std::make_shared<TcpConnection>(loop_, std::move(conn_name), sockfd, local, peer,
                                              conn_options);
  conn->SetCallbacks(callbacks_);
  conn->SetCloseCallback([this](const TcpConnectionPtr& c) { RemoveConnection(c); });
  {
    MutexLock lock(&mu_);
    connection_ = conn;
  }
  conn->ConnectEstablished();
}

void TcpClient::RemoveConnection(const TcpConnectionPtr& conn) {
  loop_->AssertInLoopThread();
  {
    MutexLock lock(&mu_);
    if (connection_ == conn) connection_.reset();
  }
  // Deferred: we are inside one of the connection's own event handlers.
  loop_->QueueInLoop([conn] { conn->ConnectDestroyed(); });
  if (connect_.load() && options_.retry) {
    LTS_LOG(INFO, "{}: connection to {} lost, reconnecting", name_, server_address_.ToString());
    connector_->StartAfter(options_.backoff_initial);
  }
}

}  // namespace lts::net
