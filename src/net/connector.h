// Connector: makes the non-blocking TCP connect attempts of a TcpClient, with a connect
// timeout and retries under exponential backoff with jitter (internal to net/).
//
// One attempt: socket(), connect() (EINPROGRESS), then wait for writability or the
// timeout; SO_ERROR tells the outcome, and a self-connection (possible when the target
// is a local port with no listener) counts as a failure. On success the fd goes to the
// NewConnectionCallback and the backoff resets. On failure the FailureCallback gets a
// Status (kDeadlineExceeded on timeout, kUnavailable with the errno text otherwise) and,
// if `retry`, the next attempt starts after
//   min(backoff_initial * 2^(failures-1), backoff_max) * (1 + jitter * u), u in [-1, 1].
//
// Thread contract: loop-affine; every method runs on the loop thread (checked).
// Lifetime: held by shared_ptr; timers and deferred clean-ups hold weak or shared
// references to it, never a raw pointer, so it may be released while they are pending.
// After Stop() no callback runs.

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>

#include "lts/status.h"
#include "net/inet_address.h"
#include "net/timer_id.h"

namespace lts::net {

class Channel;
class EventLoop;

class Connector : public std::enable_shared_from_this<Connector> {
 public:
  using NewConnectionCallback = std::function<void(int sockfd)>;
  using FailureCallback = std::function<void(const Status&)>;

  struct Options {
    std::chrono::milliseconds connect_timeout{3000};
    bool retry = true;
    std::chrono::milliseconds backoff_initial{100};
    std::chrono::milliseconds backoff_max{10000};
    double jitter = 0.2;  // Fraction of the delay, in [0, 1].
  };

  // `loop` is not owned and must outlive the connector.
  Connector(EventLoop* loop, const InetAddress& server, const Options& options);
  Connector(const Connector&) = delete;
  Connector& operator=(const Connector&) = delete;
  ~Connector();

  void SetNewConnectionCallback(NewConnectionCallback cb) { new_connection_ = std::move(cb); }
  void SetFailureCallback(FailureCallback cb) { failure_ = std::move(cb); }

  // Starts connecting now unless an attempt is already in progress or scheduled.
  void Start();
  // Starts connecting after `delay` (jittered), e.g. after an established connection
  // dropped; replaces an attempt already scheduled.
  void StartAfter(std::chrono::milliseconds delay);
  // Abandons the attempt in progress and any scheduled one.
  void Stop();

  bool connecting() const { return state_ == State::kConnecting; }
  const InetAddress& server_address() const { return server_; }

  // The delay before attempt number `failures` + 1, without jitter (exposed for tests).
  std::chrono::milliseconds BackoffForTest(int failures) const { return Backoff(failures); }

 private:
  enum class State { kIdle, kScheduled, kConnecting };

  void Attempt();
  void HandleWrite(uint64_t attempt);
  void HandleTimeout(uint64_t attempt);
  // Unregisters the attempt's channel, cancels its timeout and returns the fd.
  int FinishAttempt();
  void Fail(const Status& status);
  std::chrono::milliseconds Backoff(int failures) const;
  std::chrono::milliseconds Jittered(std::chrono::milliseconds delay);
  void Schedule(std::chrono::milliseconds delay);

  EventLoop* const loop_;
  const InetAddress server_;
  const Options options_;
  NewConnectionCallback new_connection_;
  FailureCallback failure_;

  State state_ = State::kIdle;
  std::unique_ptr<Channel> channel_;  // The attempt in progress (kConnecting).
  uint64_t attempt_ = 0;              // Current attempt number, to ignore stale timeouts.
  int failures_ = 0;                  // Consecutive failed attempts.
  TimerId timeout_timer_;
  TimerId retry_timer_;
  std::mt19937_64 rng_;
};

}  // namespace lts::net
