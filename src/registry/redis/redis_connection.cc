#include "registry/redis/redis_connection.h"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cstring>

#include "base/signals.h"

namespace lts::registry::redis {

Status Connection::Connect(int timeout_ms, bool command_timeout) {
  // hiredis writes with write(2): a server that closed the connection would raise SIGPIPE
  // and kill the process. The node's EventLoop ignores it too, but a process may use the
  // Redis registry before it has one (and `lts` tools and tests may have none).
  IgnoreSigPipe();
  Close();
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  redisContext* context = redisConnectWithTimeout(host_.c_str(), port_, tv);
  if (context == nullptr) return Unavailable(fmt::format("redis {}: out of memory", address_));
  if (context->err != 0) {
    Status status = Unavailable(fmt::format("redis {}: connect: {}", address_, context->errstr));
    redisFree(context);
    return status;
  }
  // A connect to a local port nobody listens on can pick that same port as its source and
  // connect to itself (TCP simultaneous open); that is no server.
  sockaddr_storage local{}, peer{};
  socklen_t local_len = sizeof(local), peer_len = sizeof(peer);
  if (::getsockname(context->fd, reinterpret_cast<sockaddr*>(&local), &local_len) == 0 &&
      ::getpeername(context->fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) == 0 &&
      local_len == peer_len && std::memcmp(&local, &peer, local_len) == 0) {
    redisFree(context);
    return Unavailable(fmt::format("redis {}: connect: connected to itself (no server)", address_));
  }
  if (command_timeout && redisSetTimeout(context, tv) != REDIS_OK) {
    redisFree(context);
    return Unavailable(fmt::format("redis {}: cannot set the command timeout", address_));
  }
  context_ = context;
  return Status::Ok();
}

void Connection::Close() {
  if (context_ != nullptr) {
    redisFree(context_);
    context_ = nullptr;
  }
}

Status Connection::Broken(std::string_view what) {
  Status status =
      Unavailable(fmt::format("redis {}: {}: {}", address_, what,
                              context_->errstr[0] != '\0' ? context_->errstr : "connection lost"));
  Close();
  return status;
}

StatusOr<Reply> Connection::Command(const std::vector<std::string>& args) {
  if (context_ == nullptr) return Unavailable(fmt::format("redis {}: not connected", address_));
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  Reply reply(static_cast<redisReply*>(
      redisCommandArgv(context_, static_cast<int>(args.size()), argv.data(), lengths.data())));
  if (reply == nullptr) return Broken(args.empty() ? "command" : args.front());
  if (reply->type == REDIS_REPLY_ERROR) {
    return Internal(fmt::format("redis {}: {}: {}", address_, args.front(),
                                std::string_view(reply->str, reply->len)));
  }
  return reply;
}

StatusOr<Reply> Connection::ReadReply() {
  if (context_ == nullptr) return Unavailable(fmt::format("redis {}: not connected", address_));
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) return Broken("read");
  return Reply(static_cast<redisReply*>(raw));
}

}  // namespace lts::registry::redis
