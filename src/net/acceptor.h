// Acceptor: the listening socket of a TcpServer (internal to net/).
//
// Create() binds and listens synchronously (so TcpServer::Start() can report a bind
// failure as a Status); Listen() then starts accepting on the loop. Each readable event
// accepts up to kMaxAcceptsPerEvent connections and hands each new fd to the
// NewConnectionCallback, which takes ownership of it.
//
// Running out of descriptors (EMFILE/ENFILE) must not make a level-triggered loop spin
// on a listen socket that stays readable. The Acceptor keeps one spare descriptor open
// (/dev/null); on EMFILE it closes the spare, accepts the pending connection, closes it
// at once (the peer sees the connection closed rather than hanging in the backlog) and
// reopens the spare. If even that fails (ENFILE, or the spare was taken), or on
// ENOBUFS/ENOMEM, it stops reading the listen socket for kAcceptPause and tries again.
// Either way it logs a WARN at most once per second.
//
// Thread contract: Create() may run on any thread; everything else, including the
// destructor, on the loop thread.
// Ownership: owns the listen socket and the spare descriptor; `loop` must outlive it.

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "lts/statusor.h"
#include "net/channel.h"
#include "net/inet_address.h"
#include "net/socket.h"
#include "net/timer_id.h"

namespace lts::net {

class EventLoop;

class Acceptor {
 public:
  // Receives each accepted connection's fd (owned by the callee from then on).
  using NewConnectionCallback = std::function<void(int sockfd, const InetAddress& peer)>;

  static constexpr int kMaxAcceptsPerEvent = 64;
  static constexpr std::chrono::milliseconds kAcceptPause{100};

  // Binds `listen_address` (SO_REUSEADDR always; SO_REUSEPORT if `reuse_port`) and
  // listens. Errors: kUnavailable naming the address and errno text.
  static StatusOr<std::unique_ptr<Acceptor>> Create(EventLoop* loop,
                                                    const InetAddress& listen_address,
                                                    bool reuse_port, int backlog);

  // Use Create(); the key keeps the constructor out of reach while make_unique works.
  class PassKey {
    friend class Acceptor;
    PassKey() = default;
  };
  Acceptor(PassKey, EventLoop* loop, int fd);
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;
  // Stops watching and closes the listen socket. On the loop thread once Listen() ran
  // (before that, e.g. when Create() fails half-way, any thread).
  ~Acceptor();

  void SetNewConnectionCallback(NewConnectionCallback cb) { new_connection_ = std::move(cb); }

  // Starts accepting. Loop thread.
  void Listen();

  // The bound address (the kernel's port when bound to port 0).
  const InetAddress& listen_address() const { return listen_address_; }

  // Connections refused because descriptors ran out.
  uint64_t rejected_for_fd_exhaustion() const { return rejected_; }

 private:
  void HandleRead();
  // Returns false if it could not get rid of the pending connection.
  bool RejectWithSpareFd();
  void PauseAccepting();
  void LogExhaustion(int saved_errno);

  EventLoop* const loop_;
  Socket socket_;
  Channel channel_;
  InetAddress listen_address_;
  int spare_fd_;  // /dev/null, or -1 while not held.
  NewConnectionCallback new_connection_;
  TimerId resume_timer_;
  bool listening_ = false;  // Listen() ran: the channel is registered.
  uint64_t rejected_ = 0;
  int64_t last_exhaustion_log_micros_ = 0;
};

}  // namespace lts::net
