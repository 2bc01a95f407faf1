#include "rpc/rpc_channel.h"

#include <any>
#include <nlohmann/json.hpp>

#include "base/logging.h"
#include "net/buffer.h"
#include "net/event_loop.h"
#include "net/tcp_connection.h"
#include "rpc/body_codec.h"
#include "rpc/command.h"
#include "rpc/status_codes.h"

namespace lts::rpc {
namespace {

constexpr uint16_t Wire(Command c) { return static_cast<uint16_t>(c); }

std::string EncodeJson(const nlohmann::json& value) {
  std::string out;
  EncodeBody(value, BodyFormat::kJson, &out).IgnoreError();  // Our own ASCII/hex JSON.
  return out;
}

}  // namespace

RpcChannelPtr ChannelOf(const net::TcpConnectionPtr& conn) {
  const auto* channel = std::any_cast<RpcChannelPtr>(&conn->context());
  return channel != nullptr ? *channel : nullptr;
}

StatusOr<std::optional<AuthKey>> MakeAuthKey(const RpcOptions& options) {
  if (options.cluster_secret.empty()) return std::optional<AuthKey>();
  StatusOr<AuthKey> key = AuthKey::Create(options.cluster_secret);
  if (!key.ok()) return key.status().WithContext("cluster secret");
  return std::optional<AuthKey>(*std::move(key));
}

void ProcessorRegistry::Register(uint16_t command, Processor processor, ProcessorMode mode) {
  entries_[command] = Entry{std::move(processor), mode};
}

const ProcessorRegistry::Entry* ProcessorRegistry::Find(uint16_t command) const {
  auto it = entries_.find(command);
  return it == entries_.end() ? nullptr : &it->second;
}

RpcChannel::RpcChannel(net::TcpConnectionPtr conn, Role role, const RpcOptions* options,
                       const ProcessorRegistry* processors, ThreadPool* pool,
                       std::optional<AuthKey> key)
    : conn_(std::move(conn)),
      loop_(conn_->loop()),
      role_(role),
      options_(options),
      processors_(processors),
      pool_(pool),
      peer_(conn_->peer_address().ToString()),
      decoder_(options->max_body_bytes) {
  if (key.has_value()) {
    if (role_ == Role::kServer) {
      auth_server_.emplace(*std::move(key));
    } else {
      StatusOr<AuthClientSession> session =
          AuthClientSession::Create(*std::move(key), options_->identity);
      if (session.ok()) auth_client_.emplace(*std::move(session));
    }
  }
}

RpcChannel::~RpcChannel() = default;

void RpcChannel::Start() {
  loop_->AssertInLoopThread();
  const bool needs_auth =
      role_ == Role::kServer ? auth_server_.has_value() : !options_->cluster_secret.empty();
  if (!needs_auth) {
    BecomeReady();
  } else {
    if (role_ == Role::kClient && !auth_client_.has_value()) {
      Fail(InvalidArgument("invalid node identity for cluster authentication: '" +
                           options_->identity + "'"),
           false);
      return;
    }
    std::weak_ptr<RpcChannel> weak = weak_from_this();
    auth_timer_ = loop_->RunAfter(options_->auth_timeout, [weak] {
      if (auto self = weak.lock(); self && !self->ready() && !self->closed_) {
        self->Fail(DeadlineExceeded(self->role_ == Role::kServer
                                        ? "peer did not authenticate in time"
                                        : "server did not offer cluster authentication in "
                                          "time (is the cluster secret set on both sides?)"),
                   true);
      }
    });
    if (role_ == Role::kServer) {
      StatusOr<AuthChallenge> challenge = auth_server_->Start();
      if (!challenge.ok()) {
        Fail(challenge.status(), false);
        return;
      }
      Frame frame;
      frame.flags = kFlagRequest | kFlagOneway;
      frame.command = Wire(Command::kAuthChallenge);
      frame.body = EncodeJson(AuthChallengeToJson(*challenge));
      std::string out;
      AppendFrame(frame, &out);
      Flush(&out);
    }
  }
  if (role_ == Role::kClient && options_->heartbeat_interval.count() > 0) {
    std::weak_ptr<RpcChannel> weak = weak_from_this();
    heartbeat_timer_ = loop_->RunEvery(options_->heartbeat_interval, [weak] {
      if (auto self = weak.lock()) self->SendHeartbeat();
    });
  }
}

void RpcChannel::BecomeReady() {
  ready_.store(true, std::memory_order_release);
  was_ready_ = true;
  if (auth_timer_.valid()) loop_->Cancel(auth_timer_);
  std::vector<QueuedCall> waiting = std::move(waiting_for_auth_);
  waiting_for_auth_.clear();
  for (QueuedCall& call : waiting) StartCall(std::move(call));
  if (options_->on_ready) options_->on_ready(shared_from_this());
}

void RpcChannel::SendHeartbeat() {
  if (closed_ || !ready() || heartbeat_outstanding_) return;
  const int64_t silent_us = net::MonotonicMicros() - conn_->last_receive_monotonic_micros();
  if (silent_us < std::chrono::microseconds(options_->heartbeat_interval).count()) return;
  heartbeat_outstanding_ = true;
  std::weak_ptr<RpcChannel> weak = weak_from_this();
  StartCall(QueuedCall{Wire(Command::kPing), BodyFormat::kJson, "", options_->heartbeat_interval,
                       [weak](StatusOr<RpcResponse> result) {
                         auto self = weak.lock();
                         if (!self) return;
                         self->heartbeat_outstanding_ = false;
                         if (!result.ok() && !self->closed_) {
                           LTS_LOG(WARN, "rpc {}: heartbeat failed ({}); closing the connection",
                                   self->peer_, result.status().ToString());
                           self->conn_->ForceClose();
                         }
                       }});
}

void RpcChannel::OnMessage(net::Buffer* buffer) {
  if (closed_) {
    buffer->RetrieveAll();
    return;
  }
  size_t consumed = 0;
  frames_.clear();
  Status status = decoder_.Decode(std::string_view(buffer->Peek(), buffer->readable_bytes()),
                                  &consumed, &frames_);
  buffer->Retrieve(consumed);
  std::string out;
  batch_ = &out;
  for (Frame& frame : frames_) {
    if (closed_) break;
    HandleFrame(frame, &out);
  }
  batch_ = nullptr;
  Flush(&out);
  if (!status.ok() && !closed_) {
    LTS_LOG(WARN, "rpc {}: closing the connection: {}", peer_, status.ToString());
    Fail(status, true);
  }
  CheckBackPressure();
}

void RpcChannel::CheckBackPressure() {
  if (closed_ || reading_paused_) return;
  if (conn_->output_bytes() > options_->output_high_water) {
    reading_paused_ = true;
    conn_->StopReading();
  }
}

void RpcChannel::OnWriteComplete() {
  if (reading_paused_ && !closed_) {
    reading_paused_ = false;
    conn_->StartReading();
  }
}

void RpcChannel::HandleFrame(Frame& frame, std::string* out) {
  if (!ready()) {
    HandleAuthFrame(frame, out);
    return;
  }
  if (frame.is_response()) {
    HandleResponse(frame);
  } else {
    HandleRequest(frame, out);
  }
}

void RpcChannel::HandleAuthFrame(Frame& frame, std::string* out) {
  const uint16_t command = frame.command;
  if (role_ == Role::kServer && frame.is_request() && command == Wire(Command::kAuthResponse)) {
    StatusOr<nlohmann::json> body = DecodeBody(frame.body, frame.format);
    StatusOr<AuthResponse> response =
        body.ok() ? ParseAuthResponse(*body) : StatusOr<AuthResponse>(body.status());
    StatusOr<AuthConfirm> confirm =
        response.ok() ? auth_server_->Verify(*response) : StatusOr<AuthConfirm>(response.status());
    if (!confirm.ok()) {
      LTS_LOG(WARN, "rpc {}: peer failed cluster authentication ({}); disconnecting", peer_,
              confirm.status().ToString());
      AppendFrame(MakeErrorResponse(frame, confirm.status()), out);
      Flush(out);
      Fail(confirm.status(), false);
      return;
    }
    peer_ = auth_server_->peer_identity() + "@" + conn_->peer_address().ToString();
    LTS_LOG(INFO, "rpc {}: authenticated", peer_);
    Frame reply = MakeResponse(frame, "");
    reply.format = BodyFormat::kJson;
    reply.body = EncodeJson(AuthConfirmToJson(*confirm));
    AppendFrame(reply, out);
    BecomeReady();
    return;
  }
  if (role_ == Role::kClient && command == Wire(Command::kAuthChallenge)) {
    if (!auth_client_.has_value()) {
      LTS_LOG(ERROR,
              "rpc {}: the server requires cluster authentication but no cluster secret is "
              "configured here; disconnecting",
              peer_);
      Fail(FailedPrecondition("server requires cluster authentication; no secret configured"),
           false);
      return;
    }
    StatusOr<nlohmann::json> body = DecodeBody(frame.body, frame.format);
    StatusOr<AuthChallenge> challenge =
        body.ok() ? ParseAuthChallenge(*body) : StatusOr<AuthChallenge>(body.status());
    StatusOr<AuthResponse> answer = challenge.ok() ? auth_client_->Answer(*challenge)
                                                   : StatusOr<AuthResponse>(challenge.status());
    if (!answer.ok()) {
      LTS_LOG(WARN, "rpc {}: bad authentication challenge ({}); disconnecting", peer_,
              answer.status().ToString());
      Fail(answer.status(), false);
      return;
    }
    // The response frame completes the handshake; it is matched like any call.
    const uint64_t id = next_request_id_++;
    Frame request;
    request.flags = kFlagRequest;
    request.command = Wire(Command::kAuthResponse);
    request.request_id = id;
    request.body = EncodeJson(AuthResponseToJson(*answer));
    AppendFrame(request, out);
    std::weak_ptr<RpcChannel> weak = weak_from_this();
    pending_.emplace(id, PendingCall{[weak](StatusOr<RpcResponse> result) {
                                       auto self = weak.lock();
                                       if (!self || self->closed_) return;
                                       Status s = result.status();
                                       if (s.ok()) {
                                         StatusOr<nlohmann::json> json =
                                             DecodeBody(result->body, result->format);
                                         StatusOr<AuthConfirm> confirm =
                                             json.ok() ? ParseAuthConfirm(*json)
                                                       : StatusOr<AuthConfirm>(json.status());
                                         s = confirm.ok() ? self->auth_client_->Confirm(*confirm)
                                                          : confirm.status();
                                       }
                                       if (!s.ok()) {
                                         LTS_LOG(ERROR,
                                                 "rpc {}: cluster authentication failed ({}); "
                                                 "disconnecting",
                                                 self->peer_, s.ToString());
                                         self->Fail(s, false);
                                         return;
                                       }
                                       LTS_LOG(INFO, "rpc {}: authenticated", self->peer_);
                                       self->BecomeReady();
                                     },
                                     INT64_MAX});
    pending_size_.store(pending_.size(), std::memory_order_relaxed);
    return;
  }
  if (frame.is_response()) {
    HandleResponse(frame);  // The client's handshake response.
    return;
  }
  const Status refused =
      FailedPrecondition("command " + CommandToString(command) + " before cluster authentication");
  LTS_LOG(WARN, "rpc {}: {}; disconnecting", peer_, refused.message());
  Fail(refused, true);
}

void RpcChannel::HandleResponse(Frame& frame) {
  auto it = pending_.find(frame.request_id);
  if (it == pending_.end()) {
    // Its deadline passed or the id is unknown: the call already completed.
    LTS_LOG(DEBUG, "rpc {}: dropping a response to finished call {}", peer_, frame.request_id);
    return;
  }
  CallDone done = std::move(it->second.done);
  pending_.erase(it);
  pending_size_.store(pending_.size(), std::memory_order_relaxed);
  if (frame.status != 0) {
    done(ResponseStatus(frame));
  } else {
    done(RpcResponse{frame.format, std::move(frame.body)});
  }
}

void RpcChannel::HandleRequest(Frame& frame, std::string* out) {
  const uint16_t command = frame.command;
  if (command == Wire(Command::kPing)) {
    if (!frame.is_oneway()) AppendFrame(MakeResponse(frame, ""), out);
    return;
  }
  if (command == Wire(Command::kGoAway)) {
    LTS_LOG(WARN, "rpc {}: peer is closing the connection: {}", peer_,
            GoAwayReason(frame).ToString());
    Fail(Unavailable("peer sent GO_AWAY"), false);
    return;
  }
  const ProcessorRegistry::Entry* entry = processors_->Find(command);
  if (entry == nullptr) {
    if (!frame.is_oneway()) {
      AppendFrame(
          MakeErrorResponse(frame, NotSupported("unknown command " + CommandToString(command))),
          out);
    }
    return;
  }
  RunProcessor(*entry, frame, out);
}

void RpcChannel::RunProcessor(const ProcessorRegistry::Entry& entry, Frame& frame,
                              std::string* out) {
  const bool oneway = frame.is_oneway();
  if (entry.mode == ProcessorMode::kInLoop || pool_ == nullptr) {
    RpcRequest request{frame.command, frame.format, std::move(frame.body), peer_, weak_from_this()};
    StatusOr<RpcResponse> result = entry.processor(request);
    if (oneway) return;
    if (result.ok()) {
      Frame reply = MakeResponse(frame, std::move(result->body));
      reply.format = result->format;
      AppendFrame(reply, out);
    } else {
      AppendFrame(MakeErrorResponse(frame, result.status()), out);
    }
    return;
  }
  // The header is kept to build the response; the body moves into the task.
  Frame header = frame;
  header.body.clear();
  auto task = [self = shared_from_this(), processor = &entry.processor, header,
               request = RpcRequest{frame.command, frame.format, std::move(frame.body), peer_,
                                    weak_from_this()}] {
    StatusOr<RpcResponse> result = (*processor)(request);
    if (header.is_oneway()) return;
    Frame reply = result.ok() ? MakeResponse(header, std::move(result->body))
                              : MakeErrorResponse(header, result.status());
    if (result.ok()) reply.format = result->format;
    std::string bytes;
    self->AppendFrame(reply, &bytes);
    // TcpConnection::Send is thread-safe; a closed connection drops the bytes.
    if (!bytes.empty()) self->conn_->Send(bytes);
  };
  Status submitted = pool_->Submit(std::move(task));
  if (!submitted.ok() && !oneway) {
    AppendFrame(MakeErrorResponse(
                    header, ResourceExhausted("server busy: " + std::string(submitted.message()))),
                out);
  }
}

void RpcChannel::AppendFrame(const Frame& frame, std::string* out) {
  Status s = EncodeFrame(frame, out, options_->max_body_bytes);
  if (!s.ok()) {
    LTS_LOG(ERROR, "rpc {}: cannot send {}: {}", peer_, FrameSummary(frame), s.ToString());
  }
}

void RpcChannel::Flush(std::string* out) {
  if (out->empty() || closed_) return;
  if (!conn_->Send(*out)) {
    LTS_LOG(WARN, "rpc {}: output cap reached ({} bytes unsent); closing the connection", peer_,
            conn_->output_bytes());
    Fail(ResourceExhausted("output cap reached"), false);
  }
  out->clear();
}

void RpcChannel::Fail(const Status& reason, bool tell_peer) {
  if (closed_) return;
  if (tell_peer) {
    std::string out;
    AppendFrame(MakeGoAway(reason), &out);
    conn_->Send(out);
  }
  closed_ = true;
  ready_.store(false, std::memory_order_release);
  if (tell_peer) {
    // Let GO_AWAY reach the peer: half-close after the flush, and cut the connection
    // a second later whatever the peer does.
    conn_->Shutdown();
    loop_->RunAfter(std::chrono::seconds(1), [conn = conn_] { conn->ForceClose(); });
  } else {
    conn_->ForceClose();
  }
  OnClosed();
}

void RpcChannel::OnClosed() {
  closed_ = true;
  ready_.store(false, std::memory_order_release);
  for (net::TimerId* t : {&auth_timer_, &heartbeat_timer_, &deadline_timer_}) {
    if (t->valid()) loop_->Cancel(*t);
    *t = net::TimerId();
  }
  deadline_timer_at_ = 0;
  auto pending = std::move(pending_);
  pending_.clear();
  pending_size_.store(0, std::memory_order_relaxed);
  auto waiting = std::move(waiting_for_auth_);
  waiting_for_auth_.clear();
  const Status gone = Unavailable("connection to " + peer_ + " closed");
  for (auto& [id, call] : pending) call.done(gone);
  for (QueuedCall& call : waiting) call.done(gone);
  if (was_ready_ && !close_notified_ && options_->on_closed) {
    close_notified_ = true;
    options_->on_closed(shared_from_this());
  }
}

void RpcChannel::Call(uint16_t command, BodyFormat format, std::string body,
                      std::chrono::milliseconds deadline, CallDone done) {
  QueuedCall call{command, format, std::move(body), deadline, std::move(done)};
  if (loop_->IsInLoopThread()) {
    CallInLoop(std::move(call));
  } else {
    // std::function needs a copyable target: hold the move-only call in a shared_ptr.
    auto boxed = std::make_shared<QueuedCall>(std::move(call));
    loop_->QueueInLoop([self = shared_from_this(), boxed] { self->CallInLoop(std::move(*boxed)); });
  }
}

void RpcChannel::CallInLoop(QueuedCall call) {
  if (closed_) {
    call.done(Unavailable("connection to " + peer_ + " closed"));
    return;
  }
  if (!ready()) {
    if (waiting_for_auth_.size() >= options_->max_in_flight) {
      call.done(ResourceExhausted("too many calls waiting for authentication"));
      return;
    }
    waiting_for_auth_.push_back(std::move(call));
    return;
  }
  StartCall(std::move(call));
}

void RpcChannel::StartCall(QueuedCall call) {
  if (pending_.size() >= options_->max_in_flight) {
    call.done(ResourceExhausted("more than " + std::to_string(options_->max_in_flight) +
                                " calls in flight to " + peer_));
    return;
  }
  Frame frame;
  frame.flags = kFlagRequest;
  frame.format = call.format;
  frame.command = call.command;
  frame.request_id = next_request_id_++;
  frame.body = std::move(call.body);
  std::string local;
  std::string* out = batch_ != nullptr ? batch_ : &local;
  Status encoded = EncodeFrame(frame, out, options_->max_body_bytes);
  if (!encoded.ok()) {
    call.done(encoded);
    return;
  }
  const int64_t deadline_us =
      net::MonotonicMicros() + std::chrono::microseconds(call.deadline).count();
  pending_.emplace(frame.request_id, PendingCall{std::move(call.done), deadline_us});
  pending_size_.store(pending_.size(), std::memory_order_relaxed);
  deadlines_.emplace(deadline_us, frame.request_id);
  if (deadlines_.size() > 2 * pending_.size() + 64) {
    // Entries of finished calls stay in the heap until they surface; rebuild it from
    // the live calls so it stays proportional to what is in flight.
    std::vector<std::pair<int64_t, uint64_t>> live;
    live.reserve(pending_.size());
    for (const auto& [id, pending] : pending_) {
      if (pending.deadline_us != INT64_MAX) live.emplace_back(pending.deadline_us, id);
    }
    deadlines_ = decltype(deadlines_)(std::greater<>(), std::move(live));
  }
  if (deadline_timer_at_ == 0 || deadline_us < deadline_timer_at_) ArmDeadlineTimer();
  if (out == &local) Flush(&local);
}

void RpcChannel::ArmDeadlineTimer() {
  // Drop finished calls from the top so the timer aims at a live deadline.
  while (!deadlines_.empty()) {
    auto it = pending_.find(deadlines_.top().second);
    if (it != pending_.end() && it->second.deadline_us == deadlines_.top().first) break;
    deadlines_.pop();
  }
  if (deadline_timer_.valid()) loop_->Cancel(deadline_timer_);
  deadline_timer_ = net::TimerId();
  deadline_timer_at_ = 0;
  if (deadlines_.empty()) return;
  deadline_timer_at_ = deadlines_.top().first;
  std::weak_ptr<RpcChannel> weak = weak_from_this();
  deadline_timer_ = loop_->RunAt(deadline_timer_at_, [weak] {
    if (auto self = weak.lock()) self->OnDeadlineTimer();
  });
}

void RpcChannel::OnDeadlineTimer() {
  deadline_timer_ = net::TimerId();
  deadline_timer_at_ = 0;
  const int64_t now = net::MonotonicMicros();
  while (!deadlines_.empty() && deadlines_.top().first <= now) {
    const auto [deadline, id] = deadlines_.top();
    deadlines_.pop();
    auto it = pending_.find(id);
    if (it == pending_.end() || it->second.deadline_us != deadline) continue;
    CallDone done = std::move(it->second.done);
    pending_.erase(it);
    pending_size_.store(pending_.size(), std::memory_order_relaxed);
    done(DeadlineExceeded("no response from " + peer_ + " within the deadline"));
  }
  ArmDeadlineTimer();
}

Status RpcChannel::SendOneway(uint16_t command, BodyFormat format, std::string body) {
  if (!ready()) return Unavailable("connection to " + peer_ + " is not ready");
  Frame frame;
  frame.flags = kFlagRequest | kFlagOneway;
  frame.format = format;
  frame.command = command;
  frame.body = std::move(body);
  std::string out;
  LTS_RETURN_IF_ERROR(EncodeFrame(frame, &out, options_->max_body_bytes));
  if (!conn_->Send(out)) return ResourceExhausted("output cap reached for " + peer_);
  return Status::Ok();
}

}  // namespace lts::rpc
