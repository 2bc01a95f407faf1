// A blocking hiredis connection that speaks Status: connect with a timeout, run one command
// (binary-safe arguments), read the next pushed reply (pub/sub). After any I/O or protocol
// error the connection is closed and every later call returns kUnavailable until Connect().
//
// Thread safety: none; the owner serializes calls. shutdown_fd() may be used from another
// thread (with the owner's lock) to wake a blocked ReadReply.

#pragma once

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lts/status.h"
#include "lts/statusor.h"

namespace lts::registry::redis {

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

class Connection {
 public:
  Connection(std::string host, int port) : host_(std::move(host)), port_(port) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { Close(); }

  // (Re)connects. `timeout_ms` bounds the connect and, if `command_timeout` is true, every
  // later command; otherwise reads block (for a subscriber woken by shutdown).
  Status Connect(int timeout_ms, bool command_timeout);
  void Close();
  bool connected() const { return context_ != nullptr; }
  // The socket, -1 when closed.
  int fd() const { return context_ != nullptr ? context_->fd : -1; }

  // Runs a command. An error reply is kInternal with its text; a broken connection is
  // kUnavailable (and closes it).
  StatusOr<Reply> Command(const std::vector<std::string>& args);
  // Reads the next reply the server pushes (after SUBSCRIBE). Errors as Command.
  StatusOr<Reply> ReadReply();

  const std::string& address() const { return address_; }

 private:
  Status Broken(std::string_view what);

  const std::string host_;
  const int port_;
  const std::string address_ = host_ + ":" + std::to_string(port_);
  redisContext* context_ = nullptr;
};

}  // namespace lts::registry::redis
