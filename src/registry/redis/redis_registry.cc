#include "registry/redis/redis_registry.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>

#include "base/logging.h"
#include "base/string_util.h"

namespace lts::registry {
namespace {

// Takes the leader key if it is free, with the next fencing epoch: INCR, but never below the
// highest epoch the candidate has already seen (ARGV[3]); that keeps epochs increasing across
// a Redis restart that lost the counter, as far as the surviving candidates know.
constexpr std::string_view kAcquireScript = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local e = redis.call('INCR', KEYS[2])
local floor = tonumber(ARGV[3])
if e <= floor then
  e = floor + 1
  redis.call('SET', KEYS[2], e)
end
local v = e .. ' ' .. ARGV[1]
redis.call('SET', KEYS[1], v, 'NX', 'PX', ARGV[2])
return v
)lua";
constexpr std::string_view kRenewScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
)lua";
constexpr std::string_view kReleaseScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

constexpr int kMaxScanRounds = 100000;
constexpr int kMaxConnectWaitMs = 2000;

std::string_view ReplyText(const redisReply* reply) {
  return reply->str != nullptr ? std::string_view(reply->str, reply->len) : std::string_view();
}

}  // namespace

RedisRegistry::RedisRegistry(const std::string& target, const RegistryOptions& options)
    : host_(target.substr(0, target.rfind(':'))),
      port_(std::atoi(target.substr(target.rfind(':') + 1).c_str())),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : SystemClock::Default()),
      nodes_channel_(fmt::format("/LTS/{}/NODES", EscapeValue(options.cluster))),
      masters_channel_(fmt::format("/LTS/{}/MASTERS", EscapeValue(options.cluster))),
      conn_(host_, port_) {}

RedisRegistry::~RedisRegistry() { Stop(); }

Status RedisRegistry::CheckRunning() const {
  MutexLock lock(&mu_);
  if (!started_ || stopping_) return FailedPrecondition("redis registry: not running");
  return Status::Ok();
}

Status RedisRegistry::Start() {
  {
    MutexLock lock(&mu_);
    if (started_) return FailedPrecondition("redis registry: Start() called twice");
    started_ = true;
  }
  {
    MutexLock conn(&conn_mu_);
    Status status = conn_.Connect(options_.connect_timeout_ms, /*command_timeout=*/true);
    if (!status.ok()) {
      MutexLock lock(&mu_);
      stopping_ = true;
      return status;
    }
    connected_ = true;
    ever_connected_ = true;
    hub_.PublishState(ConnectionState::kConnected);
  }
  hub_.Start();
  worker_ = std::thread([this] { RunWorker(); });
  subscriber_ = std::thread([this] { RunSubscriber(); });
  return Status::Ok();
}

void RedisRegistry::Stop() {
  bool was_running;
  {
    MutexLock lock(&mu_);
    if (stopping_ && !worker_.joinable()) {
      return;
    }
    was_running = started_ && !stopping_;
    stopping_ = true;
    if (sub_fd_ >= 0) ::shutdown(sub_fd_, SHUT_RDWR);
    cv_.SignalAll();
  }
  if (worker_.joinable()) worker_.join();
  if (subscriber_.joinable()) subscriber_.join();
  if (was_running) {
    MutexLock conn(&conn_mu_);
    // Leave at once instead of waiting for the TTLs; failures only mean waiting for them.
    for (const auto& [key, campaign] : campaigns_) {
      if (campaign.held.empty() || !conn_.connected()) continue;
      conn_.Command({"EVAL", std::string(kReleaseScript), "1", LeaderKey(key), campaign.held})
          .status()
          .IgnoreError();
      Publish(masters_channel_, fmt::format("{}/{}", NodeTypeName(key.first), key.second))
          .IgnoreError();
    }
    for (const auto& [identity, entry] : registrations_) {
      if (!conn_.connected()) break;
      conn_.Command({"DEL", entry.second}).status().IgnoreError();
      Publish(nodes_channel_, std::string(NodeTypeName(entry.first.type))).IgnoreError();
    }
    conn_.Close();
  }
  hub_.Stop();
}

Status RedisRegistry::Connect() {
  Status status = conn_.Connect(std::min(options_.connect_timeout_ms, kMaxConnectWaitMs), true);
  if (!status.ok()) return status;
  connected_ = true;
  LTS_LOG(INFO, "redis {}: connected again", conn_.address());
  hub_.PublishState(ConnectionState::kReconnected);
  return Status::Ok();
}

void RedisRegistry::NoteFailure(const Status& status) {
  if (!connected_ || conn_.connected()) {
    if (!status.ok()) LTS_LOG(DEBUG, "redis registry: {}", status.ToString());
    return;
  }
  connected_ = false;
  LTS_LOG(WARN, "redis registry suspended: {}", status.ToString());
  hub_.PublishState(ConnectionState::kSuspended);
  for (const auto& [key, campaign] : campaigns_) hub_.PublishMaster(key.first, key.second, {});
}

Status RedisRegistry::Publish(const std::string& channel, const std::string& message) {
  return conn_.Command({"PUBLISH", channel, message}).status();
}

Status RedisRegistry::WriteRecord(const Node& node, const std::string& key) {
  LTS_ASSIGN_OR_RETURN(redis::Reply reply,
                       conn_.Command({"SET", key, node.identity, "PX",
                                      std::to_string(options_.session_timeout_ms), "GET"}));
  if (reply->type == REDIS_REPLY_NIL) {
    // New, or gone since the last heartbeat (TTL passed while we were cut off, or a restart).
    return Publish(nodes_channel_, std::string(NodeTypeName(node.type)));
  }
  return Status::Ok();
}

StatusOr<std::vector<Node>> RedisRegistry::ReadType(NodeType type) {
  const std::string prefix = NodeTypePath(options_.cluster, type) + "/";
  std::vector<Node> nodes;
  std::string cursor = "0";
  for (int round = 0; round < kMaxScanRounds; ++round) {
    LTS_ASSIGN_OR_RETURN(redis::Reply reply,
                         conn_.Command({"SCAN", cursor, "MATCH", prefix + "*", "COUNT", "1000"}));
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[1]->type != REDIS_REPLY_ARRAY) {
      return Internal(fmt::format("redis {}: unexpected SCAN reply", conn_.address()));
    }
    cursor = std::string(ReplyText(reply->element[0]));
    const redisReply* keys = reply->element[1];
    for (size_t i = 0; i < keys->elements; ++i) {
      std::string_view key = ReplyText(keys->element[i]);
      if (!key.starts_with(prefix)) continue;
      StatusOr<Node> node = Node::Decode(key.substr(prefix.size()));
      if (!node.ok() || node->type != type) {
        LTS_LOG(WARN, "redis {}: ignoring key {}: {}", conn_.address(), Quote(key),
                node.ok() ? "wrong type" : node.status().ToString());
        continue;
      }
      nodes.push_back(std::move(*node));
    }
    if (cursor == "0") break;
  }
  // SCAN may return a key twice.
  std::sort(nodes.begin(), nodes.end(),
            [](const Node& a, const Node& b) { return a.identity < b.identity; });
  nodes.erase(std::unique(nodes.begin(), nodes.end(),
                          [](const Node& a, const Node& b) { return a.identity == b.identity; }),
              nodes.end());
  return nodes;
}

std::string RedisRegistry::LeaderKey(const MasterKey& key) const {
  return fmt::format("/LTS/{}/MASTERS/{}/{}", EscapeValue(options_.cluster),
                     NodeTypeName(key.first), EscapeValue(key.second));
}

StatusOr<std::optional<MasterInfo>> RedisRegistry::ReadMaster(const MasterKey& key) {
  LTS_ASSIGN_OR_RETURN(redis::Reply reply, conn_.Command({"GET", LeaderKey(key)}));
  if (reply->type == REDIS_REPLY_NIL) return std::optional<MasterInfo>();
  const std::string value(ReplyText(reply.get()));
  const size_t space = value.find(' ');
  StatusOr<int64_t> epoch = ParseInt64(value.substr(0, space));
  if (space == std::string::npos || !epoch.ok() || *epoch <= 0) {
    return Corruption(fmt::format("redis {}: leader key {} holds {}", conn_.address(),
                                  LeaderKey(key), Quote(value)));
  }
  int64_t& max_epoch = max_epoch_[key];
  max_epoch = std::max(max_epoch, *epoch);
  auto it = campaigns_.find(key);
  const bool is_self = it != campaigns_.end() && it->second.held == value;
  return std::optional<MasterInfo>(MasterInfo{value.substr(space + 1), *epoch, is_self});
}

Status RedisRegistry::EvaluateCampaign(const MasterKey& key) {
  auto it = campaigns_.find(key);
  if (it == campaigns_.end()) return Status::Ok();
  CampaignState& campaign = it->second;
  const std::string leader_key = LeaderKey(key);
  const std::string ttl = std::to_string(options_.session_timeout_ms);
  if (!campaign.held.empty()) {
    LTS_ASSIGN_OR_RETURN(
        redis::Reply renewed,
        conn_.Command({"EVAL", std::string(kRenewScript), "1", leader_key, campaign.held, ttl}));
    if (renewed->type != REDIS_REPLY_INTEGER || renewed->integer != 1) {
      LTS_LOG(WARN, "redis {}: lost the master term {} of {}/{}", conn_.address(), campaign.held,
              NodeTypeName(key.first), key.second);
      campaign.held.clear();
    }
  }
  if (campaign.held.empty()) {
    LTS_ASSIGN_OR_RETURN(
        redis::Reply acquired,
        conn_.Command({"EVAL", std::string(kAcquireScript), "2", leader_key, leader_key + "/epoch",
                       campaign.identity, ttl, std::to_string(max_epoch_[key])}));
    if (acquired->type == REDIS_REPLY_STRING) {
      campaign.held = std::string(ReplyText(acquired.get()));
      LTS_LOG(INFO, "redis {}: master of {}/{}: term {}", conn_.address(), NodeTypeName(key.first),
              key.second, campaign.held);
      LTS_RETURN_IF_ERROR(
          Publish(masters_channel_, fmt::format("{}/{}", NodeTypeName(key.first), key.second)));
    }
  }
  LTS_ASSIGN_OR_RETURN(std::optional<MasterInfo> master, ReadMaster(key));
  hub_.PublishMaster(key.first, key.second, master.value_or(MasterInfo{}));
  return Status::Ok();
}

void RedisRegistry::Tick(bool heartbeat, bool reconcile) {
  if (!conn_.connected()) {
    if (!Connect().ok()) return;
    heartbeat = reconcile = true;
  }
  if (heartbeat) {
    for (const auto& [identity, entry] : registrations_) {
      Status status = WriteRecord(entry.first, entry.second);
      if (!status.ok()) return NoteFailure(status);
    }
  }
  std::set<NodeType> types;
  {
    MutexLock lock(&mu_);
    types.swap(stale_types_);
  }
  if (reconcile) {
    for (NodeType type : hub_.SubscribedTypes()) types.insert(type);
  }
  for (NodeType type : types) {
    StatusOr<std::vector<Node>> nodes = ReadType(type);
    if (!nodes.ok()) {
      MutexLock lock(&mu_);
      stale_types_.insert(type);
      NoteFailure(nodes.status());
      continue;
    }
    hub_.ApplySnapshot(type, std::move(*nodes));
  }
  for (const auto& [key, campaign] : campaigns_) {
    Status status = EvaluateCampaign(key);
    if (!status.ok()) NoteFailure(status);
  }
}

void RedisRegistry::RunWorker() {
  const int tick_ms = std::clamp(options_.session_timeout_ms / 8, 50, 500);
  const int64_t heartbeat_us = int64_t{options_.session_timeout_ms} * 1000 / 3;
  const int64_t reconcile_us = int64_t{options_.reconcile_interval_ms} * 1000;
  int64_t next_heartbeat = 0;
  int64_t next_reconcile = 0;
  while (true) {
    bool resync = false;
    {
      MutexLock lock(&mu_);
      if (!stopping_ && !hinted_) cv_.WaitFor(&mu_, std::chrono::milliseconds(tick_ms));
      if (stopping_) return;
      hinted_ = false;
      resync = resync_;
      resync_ = false;
    }
    const int64_t now = clock_->MonotonicMicros();
    const bool heartbeat = now >= next_heartbeat;
    const bool reconcile = resync || now >= next_reconcile;
    if (heartbeat) next_heartbeat = now + heartbeat_us;
    if (reconcile) next_reconcile = now + reconcile_us;
    MutexLock conn(&conn_mu_);
    Tick(heartbeat, reconcile);
  }
}

void RedisRegistry::RunSubscriber() {
  redis::Connection sub(host_, port_);
  int backoff_ms = 100;
  while (true) {
    Status status = sub.Connect(std::min(options_.connect_timeout_ms, kMaxConnectWaitMs), false);
    {
      MutexLock lock(&mu_);
      if (stopping_) return;
      if (!status.ok()) {
        cv_.WaitFor(&mu_, std::chrono::milliseconds(backoff_ms));
        backoff_ms = std::min(backoff_ms * 2, 2000);
        continue;
      }
      sub_fd_ = sub.fd();
    }
    backoff_ms = 100;
    StatusOr<redis::Reply> reply = sub.Command({"SUBSCRIBE", nodes_channel_, masters_channel_});
    {
      // Messages may have been missed while we were not subscribed: re-read everything.
      MutexLock lock(&mu_);
      resync_ = true;
      hinted_ = true;
      cv_.SignalAll();
    }
    while (reply.ok()) {
      reply = sub.ReadReply();
      if (!reply.ok()) break;
      const redisReply* r = reply->get();
      if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
          ReplyText(r->element[0]) != "message") {
        continue;  // Subscription confirmations.
      }
      MutexLock lock(&mu_);
      if (ReplyText(r->element[1]) == nodes_channel_) {
        StatusOr<NodeType> type = ParseNodeType(ReplyText(r->element[2]));
        if (type.ok()) stale_types_.insert(*type);
      }
      hinted_ = true;
      cv_.SignalAll();
    }
    {
      MutexLock lock(&mu_);
      sub_fd_ = -1;
    }
    sub.Close();
  }
}

Status RedisRegistry::Register(const Node& node) {
  LTS_RETURN_IF_ERROR(node.Validate());
  if (node.cluster != options_.cluster) {
    return InvalidArgument(fmt::format("node cluster {} is not the registry's cluster {}",
                                       Quote(node.cluster), Quote(options_.cluster)));
  }
  LTS_ASSIGN_OR_RETURN(std::string key, node.EncodePath());
  LTS_RETURN_IF_ERROR(CheckRunning());
  MutexLock conn(&conn_mu_);
  auto it = registrations_.find(node.identity);
  if (it != registrations_.end() && it->second.second != key && conn_.connected()) {
    Status status = conn_.Command({"DEL", it->second.second}).status();
    if (!status.ok()) NoteFailure(status);
  }
  registrations_[node.identity] = {node, key};
  Status status = WriteRecord(node, key);
  if (!status.ok()) NoteFailure(status);
  return status.ok() ? status : Unavailable(status.message());
}

Status RedisRegistry::Unregister(const Node& node) {
  MutexLock conn(&conn_mu_);
  auto it = registrations_.find(node.identity);
  if (it == registrations_.end()) {
    return NotFound(fmt::format("node {} is not registered here", Quote(node.identity)));
  }
  const std::string key = it->second.second;
  registrations_.erase(it);
  Status status = conn_.Command({"DEL", key}).status();
  if (status.ok()) status = Publish(nodes_channel_, std::string(NodeTypeName(node.type)));
  if (!status.ok()) NoteFailure(status);
  // If the DEL failed, the record ends with its TTL.
  return status;
}

Status RedisRegistry::Subscribe(NodeType type, NodeListener listener) {
  LTS_RETURN_IF_ERROR(CheckRunning());
  hub_.AddNodeListener(type, std::move(listener));
  MutexLock conn(&conn_mu_);
  StatusOr<std::vector<Node>> nodes = ReadType(type);
  if (nodes.ok()) {
    hub_.ApplySnapshot(type, std::move(*nodes));
    return Status::Ok();
  }
  NoteFailure(nodes.status());
  MutexLock lock(&mu_);
  stale_types_.insert(type);
  hinted_ = true;
  cv_.SignalAll();
  return Status::Ok();
}

StatusOr<std::vector<Node>> RedisRegistry::List(NodeType type) {
  if (std::optional<std::vector<Node>> view = hub_.Snapshot(type)) return std::move(*view);
  MutexLock conn(&conn_mu_);
  StatusOr<std::vector<Node>> nodes = ReadType(type);
  if (!nodes.ok()) NoteFailure(nodes.status());
  return nodes;
}

Status RedisRegistry::Campaign(NodeType type, const std::string& group, const std::string& identity,
                               MasterListener listener) {
  LTS_RETURN_IF_ERROR(internal::CheckCampaignArgs(group, identity));
  LTS_RETURN_IF_ERROR(CheckRunning());
  const MasterKey key{type, group};
  MutexLock conn(&conn_mu_);
  if (campaigns_.count(key) != 0) {
    return AlreadyExists(
        fmt::format("campaign {}/{}: already campaigning", NodeTypeName(type), Quote(group)));
  }
  campaigns_[key] = CampaignState{identity, ""};
  hub_.AddMasterListener(type, group, std::move(listener));
  Status status = EvaluateCampaign(key);
  if (!status.ok()) NoteFailure(status);  // The worker tries again every tick.
  return Status::Ok();
}

StatusOr<std::optional<MasterInfo>> RedisRegistry::Master(NodeType type, const std::string& group) {
  MutexLock conn(&conn_mu_);
  StatusOr<std::optional<MasterInfo>> master = ReadMaster({type, group});
  if (!master.ok()) NoteFailure(master.status());
  return master;
}

void RedisRegistry::AddStateListener(StateListener listener) {
  hub_.AddStateListener(std::move(listener));
}

}  // namespace lts::registry
