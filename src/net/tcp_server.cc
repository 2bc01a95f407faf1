#include "net/tcp_server.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "base/check.h"
#include "base/logging.h"
#include "net/acceptor.h"
#include "net/event_loop.h"
#include "net/event_loop_thread_pool.h"
#include "net/socket.h"

namespace lts::net {

TcpServer::TcpServer(EventLoop* base_loop, const InetAddress& listen_address, std::string name)
    : TcpServer(base_loop, listen_address, std::move(name), Options()) {}

TcpServer::TcpServer(EventLoop* base_loop, const InetAddress& listen_address, std::string name,
                     Options options)
    : base_loop_(base_loop),
      requested_address_(listen_address),
      name_(std::move(name)),
      options_(options) {
  LTS_CHECK(base_loop_ != nullptr);
  LTS_CHECK(options_.io_threads >= 0) << name_ << ": io_threads " << options_.io_threads;
}

TcpServer::~TcpServer() { Stop(); }

Status TcpServer::Start() {
  if (started_ || stopped_) return FailedPrecondition("server " + name_ + ": already started");
  auto acceptor =
      Acceptor::Create(base_loop_, requested_address_, options_.reuse_port, options_.backlog);
  if (!acceptor.ok()) return acceptor.status().WithContext("server " + name_);
  acceptor_ = std::move(acceptor).value();
  acceptor_->SetNewConnectionCallback(
      [this](int sockfd, const InetAddress& peer) { NewConnection(sockfd, peer); });
  {
    MutexLock lock(&mu_);
    bound_address_ = acceptor_->listen_address();
  }
  pool_ = std::make_unique<EventLoopThreadPool>(base_loop_, name_);
  pool_->Start(options_.io_threads, thread_init_callback_);
  started_ = true;

  base_loop_->RunInLoop([this] {
    acceptor_->Listen();
    if (options_.idle_timeout.count() > 0) {
      const auto period = std::clamp<std::chrono::microseconds>(
          options_.idle_timeout / 4, std::chrono::milliseconds(1), std::chrono::seconds(1));
      idle_timer_ = base_loop_->RunEvery(period, [this] { CloseIdleConnections(); });
    }
  });
  LTS_LOG(INFO, "server {} listening on {} ({} IO threads)", name_, listen_address().ToString(),
          options_.io_threads);
  return Status::Ok();
}

void TcpServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (!started_) return;
  base_loop_->RunInLoopAndWait([this] { StopInBaseLoop(); });
  // The IO loops run the closes queued above before they exit; joining them means every
  // connection of this server has closed and no IO thread can call back into it.
  pool_->Stop();
  LTS_LOG(INFO, "server {} on {} stopped", name_, listen_address().ToString());
}

void TcpServer::StopInBaseLoop() {
  base_loop_->AssertInLoopThread();
  base_loop_->Cancel(idle_timer_);
  acceptor_.reset();
  std::vector<TcpConnectionPtr> open;
  {
    MutexLock lock(&mu_);
    open.reserve(connections_.size());
    for (const auto& [raw, conn] : connections_) open.push_back(conn);
  }
  for (const TcpConnectionPtr& conn : open) {
    conn->loop()->RunInLoop([conn] { conn->CloseNow(/*flush_first=*/true); });
  }
}

InetAddress TcpServer::listen_address() const {
  MutexLock lock(&mu_);
  return bound_address_;
}

size_t TcpServer::connection_count() const {
  MutexLock lock(&mu_);
  return connections_.size();
}

uint64_t TcpServer::rejected_connections() const {
  return acceptor_ ? acceptor_->rejected_for_fd_exhaustion() : 0;
}

void TcpServer::NewConnection(int sockfd, const InetAddress& peer) {
  base_loop_->AssertInLoopThread();
  EventLoop* io_loop = pool_->GetNextLoop();
  const InetAddress local = sockets::GetLocalAddress(sockfd);
  std::string conn_name =
      fmt::format("{}-{}#{}", name_, acceptor_->listen_address().ToString(), next_connection_id_++);
  TcpConnection::Options conn_options;
  conn_options.tcp_no_delay = options_.tcp_no_delay;
  conn_options.max_output_bytes = options_.max_output_bytes;
  auto conn = std::make_shared<TcpConnection>(io_loop, std::move(conn_name), sockfd, local, peer,
                                              conn_options);
  conn->SetCallbacks(callbacks_);
  conn->SetCloseCallback([this](const TcpConnectionPtr& c) { RemoveConnection(c); });
  {
    MutexLock lock(&mu_);
    connections_.emplace(conn.get(), conn);
  }
  io_loop->RunInLoop([conn] { conn->ConnectEstablished(); });
}

void TcpServer::RemoveConnection(const TcpConnectionPtr& conn) {
  {
    MutexLock lock(&mu_);
    connections_.erase(conn.get());
  }
  // Deferred: we are inside one of the connection's own event handlers.
  conn->loop()->QueueInLoop([conn] { conn->ConnectDestroyed(); });
}

void TcpServer::CloseIdleConnections() {
  const int64_t now = MonotonicMicros();
  const int64_t limit =
      std::chrono::duration_cast<std::chrono::microseconds>(options_.idle_timeout).count();
  std::vector<TcpConnectionPtr> idle;
  {
    MutexLock lock(&mu_);
    for (const auto& [raw, conn] : connections_) {
      const int64_t last =
          std::max(conn->last_receive_monotonic_micros(), conn->last_send_monotonic_micros());
      if (!conn->disconnected() && now - last > limit) idle.push_back(conn);
    }
  }
  for (const TcpConnectionPtr& conn : idle) {
    LTS_LOG(DEBUG, "{}: idle for more than {} ms, closing", conn->name(),
            options_.idle_timeout.count());
    conn->ForceClose();
  }
}

}  // namespace lts::net
