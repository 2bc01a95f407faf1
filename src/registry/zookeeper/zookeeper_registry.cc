#include "registry/zookeeper/zookeeper_registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

#include "base/logging.h"
#include "base/string_util.h"

namespace lts::registry {
namespace {

constexpr int kMinBackoffMs = 100;
constexpr int kMaxBackoffMs = 2000;
constexpr std::string_view kLatchPrefix = "latch-";
constexpr size_t kSequenceDigits = 10;  // ZooKeeper's %010d suffix.

void LogFromZooKeeper(const char* message) { LTS_LOG(DEBUG, "zookeeper client: {}", message); }

std::string RandomHex(size_t digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device device;
  std::mt19937_64 rng((static_cast<uint64_t>(device()) << 32) ^ device());
  std::string out;
  for (size_t i = 0; i < digits; ++i) out.push_back(kHex[rng() & 0xF]);
  return out;
}

// Latch children sorted by their sequence suffix (the uuid prefix must not decide the order).
std::vector<std::string> SortedLatches(std::vector<std::string> children) {
  std::erase_if(children, [](const std::string& name) {
    return !name.starts_with(kLatchPrefix) || name.size() < kLatchPrefix.size() + kSequenceDigits;
  });
  std::sort(children.begin(), children.end(), [](const std::string& a, const std::string& b) {
    return a.substr(a.size() - kSequenceDigits) < b.substr(b.size() - kSequenceDigits);
  });
  return children;
}

}  // namespace

ZooKeeperRegistry::ZooKeeperRegistry(std::string hosts, const RegistryOptions& options)
    : hosts_(std::move(hosts)),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : SystemClock::Default()) {}

ZooKeeperRegistry::~ZooKeeperRegistry() { Stop(); }

void ZooKeeperRegistry::Watcher(zhandle_t* zh, int type, int state, const char* path,
                                void* context) {
  auto* self = static_cast<ZooKeeperRegistry*>(context);
  MutexLock lock(&self->mu_);
  self->events_.push_back(WatchEvent{zh, type, state, path != nullptr ? path : ""});
  self->cv_.SignalAll();
}

Status ZooKeeperRegistry::OpenHandle() {
  zhandle_t* zh = zookeeper_init2(hosts_.c_str(), &ZooKeeperRegistry::Watcher,
                                  options_.session_timeout_ms, nullptr, this, 0, &LogFromZooKeeper);
  if (zh == nullptr) {
    return Unavailable(
        fmt::format("zookeeper {}: zookeeper_init failed: {}", hosts_, std::strerror(errno)));
  }
  if (handle_ != nullptr) retired_.push_back(std::move(handle_));
  handle_ = std::make_shared<zk::Handle>(zh);
  connected_ = false;
  return Status::Ok();
}

Status ZooKeeperRegistry::Start() {
  {
    MutexLock lock(&mu_);
    if (started_) return FailedPrecondition("zookeeper registry: Start() called twice");
    started_ = true;
    LTS_RETURN_IF_ERROR(OpenHandle());
  }
  hub_.Start();
  worker_ = std::thread([this] { Run(); });
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.connect_timeout_ms);
  bool connected;
  {
    MutexLock lock(&mu_);
    while (!ever_connected_ && cv_.WaitUntil(&mu_, deadline)) {
    }
    connected = ever_connected_;
  }
  if (!connected) {
    Stop();
    return Unavailable(
        fmt::format("zookeeper {}: no session within {} ms", hosts_, options_.connect_timeout_ms));
  }
  return Status::Ok();
}

void ZooKeeperRegistry::Stop() {
  std::shared_ptr<zk::Handle> handle;
  std::vector<std::shared_ptr<zk::Handle>> retired;
  {
    MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    cv_.SignalAll();
  }
  if (worker_.joinable()) worker_.join();
  {
    MutexLock lock(&mu_);
    handle = std::move(handle_);
    retired.swap(retired_);
    events_.clear();
  }
  // Closing the session deletes its ephemeral znodes (records and latches) at once.
  handle.reset();
  retired.clear();
  hub_.Stop();
}

void ZooKeeperRegistry::Wake() {
  MutexLock lock(&mu_);
  dirty_ = true;
  cv_.SignalAll();
}

std::shared_ptr<zk::Handle> ZooKeeperRegistry::ConnectedHandle(int64_t* session) {
  MutexLock lock(&mu_);
  if (!connected_ || !handle_) return nullptr;
  *session = session_;
  return handle_;
}

void ZooKeeperRegistry::PublishNoMasters() {
  for (const auto& [key, campaign] : campaigns_) hub_.PublishMaster(key.first, key.second, {});
}

void ZooKeeperRegistry::HandleEvent(const WatchEvent& event) {
  if (!handle_ || event.zh != handle_->get()) return;  // From a handle we already replaced.
  if (event.type == ZOO_SESSION_EVENT) {
    if (event.state == ZOO_CONNECTED_STATE) {
      const int64_t session = handle_->session_id();
      connected_ = true;
      if (!ever_connected_) {
        ever_connected_ = true;
        cv_.SignalAll();  // Start() waits for this.
        hub_.PublishState(ConnectionState::kConnected);
        LTS_LOG(INFO, "zookeeper {}: session 0x{:x} established", hosts_, session);
      } else {
        hub_.PublishState(ConnectionState::kReconnected);
        LTS_LOG(INFO, "zookeeper {}: {} session 0x{:x}", hosts_,
                session == session_ ? "reconnected to" : "new", session);
      }
      session_ = session;
      session_timeout_ms_ = zoo_recv_timeout(handle_->get());
      suspended_at_us_ = 0;
      expired_ = false;
      for (NodeType type : hub_.SubscribedTypes()) stale_types_.insert(type);
      dirty_ = true;
      retry_at_us_ = 0;
      backoff_ms_ = 0;
    } else if (event.state == ZOO_CONNECTING_STATE || event.state == ZOO_ASSOCIATING_STATE) {
      if (connected_) {
        connected_ = false;
        suspended_at_us_ = clock_->MonotonicMicros();
        LTS_LOG(WARN, "zookeeper {}: connection lost; session 0x{:x} suspended", hosts_, session_);
        hub_.PublishState(ConnectionState::kSuspended);
        PublishNoMasters();
      }
    } else if (event.state == ZOO_EXPIRED_SESSION_STATE || event.state == ZOO_AUTH_FAILED_STATE) {
      ExpireSession(event.state == ZOO_EXPIRED_SESSION_STATE ? "expired" : "failed authentication");
    }
    return;
  }
  // Child, create and delete notifications: re-read what they concern. A child watch on an
  // election directory means the candidates changed.
  for (NodeType type : hub_.SubscribedTypes()) {
    if (event.path == NodeTypePath(options_.cluster, type)) stale_types_.insert(type);
  }
  dirty_ = true;
}

int64_t ZooKeeperRegistry::LocalExpiryAt() const {
  if (suspended_at_us_ == 0 || handle_ == nullptr) return 0;
  return suspended_at_us_ + int64_t{session_timeout_ms_} * 1000;
}

void ZooKeeperRegistry::ExpireSession(std::string_view why) {
  LTS_LOG(WARN, "zookeeper {}: session 0x{:x} {}; opening a new one", hosts_, session_, why);
  connected_ = false;
  suspended_at_us_ = 0;
  if (!expired_) {
    expired_ = true;
    hub_.PublishState(ConnectionState::kExpired);
    PublishNoMasters();
  }
  retired_.push_back(std::move(handle_));  // Run() opens the next session, without delay.
  retry_at_us_ = 0;
  backoff_ms_ = 0;
}

void ZooKeeperRegistry::Run() {
  while (true) {
    std::vector<std::shared_ptr<zk::Handle>> retired;
    bool reconcile = false;
    {
      MutexLock lock(&mu_);
      while (!stopping_ && events_.empty()) {
        const int64_t now = clock_->MonotonicMicros();
        const bool retry_due = retry_at_us_ != 0 && now >= retry_at_us_;
        const int64_t expire_at = LocalExpiryAt();
        const bool work = (handle_ == nullptr && retry_at_us_ == 0) || retry_due ||
                          (dirty_ && connected_ && retry_at_us_ == 0) ||
                          (expire_at != 0 && now >= expire_at);
        if (work) break;
        int64_t wait_us = retry_at_us_ != 0 ? retry_at_us_ - now : 1000000;
        if (expire_at != 0) wait_us = std::min(wait_us, expire_at - now);
        cv_.WaitFor(&mu_, std::chrono::microseconds(std::max<int64_t>(wait_us, 1000)));
      }
      if (stopping_) return;
      while (!events_.empty()) {
        WatchEvent event = std::move(events_.front());
        events_.pop_front();
        HandleEvent(event);
      }
      const int64_t now = clock_->MonotonicMicros();
      const int64_t expire_at = LocalExpiryAt();
      if (expire_at != 0 && now >= expire_at) {
        // Cut off for a whole session timeout: the server has expired the session (or, after
        // losing its data, refuses this client for having seen newer zxids and would never
        // say so). Curator's rule: give the session up and start a new one.
        ExpireSession("lost for longer than the session timeout");
      }
      if (retry_at_us_ != 0 && now < retry_at_us_) continue;
      retry_at_us_ = 0;
      if (handle_ == nullptr) {
        Status status = OpenHandle();
        if (!status.ok()) {
          backoff_ms_ = std::clamp(backoff_ms_ * 2, kMinBackoffMs, kMaxBackoffMs);
          retry_at_us_ = now + int64_t{backoff_ms_} * 1000;
          LTS_LOG(WARN, "{}; retrying in {} ms", status.ToString(), backoff_ms_);
        }
      }
      retired.swap(retired_);
      reconcile = dirty_ && connected_;
      if (reconcile) dirty_ = false;
    }
    retired.clear();  // zookeeper_close outside mu_: it joins the thread that runs Watcher.
    if (!reconcile) continue;
    Status status;
    {
      MutexLock ops(&ops_mu_);
      status = Reconcile();
    }
    MutexLock lock(&mu_);
    if (status.ok()) {
      backoff_ms_ = 0;
    } else {
      dirty_ = true;
      backoff_ms_ = std::clamp(backoff_ms_ * 2, kMinBackoffMs, kMaxBackoffMs);
      retry_at_us_ = clock_->MonotonicMicros() + int64_t{backoff_ms_} * 1000;
      LTS_LOG(WARN, "zookeeper {}: {}; retrying in {} ms", hosts_, status.ToString(), backoff_ms_);
    }
  }
}

Status ZooKeeperRegistry::Reconcile() {
  std::shared_ptr<zk::Handle> handle;
  int64_t session;
  std::vector<std::string> orphans;
  std::vector<std::pair<std::string, std::string>> pending;  // (identity, path)
  std::set<NodeType> stale;
  std::vector<MasterKey> campaigns;
  {
    MutexLock lock(&mu_);
    if (!connected_ || !handle_) return Unavailable("zookeeper: not connected");
    handle = handle_;
    session = session_;
    orphans.assign(orphans_.begin(), orphans_.end());
    for (const auto& [identity, reg] : registrations_) {
      if (reg.session != session) pending.emplace_back(identity, reg.path);
    }
    stale.swap(stale_types_);
    for (const auto& [key, campaign] : campaigns_) campaigns.push_back(key);
  }
  zhandle_t* zh = handle->get();
  Status first;
  auto note = [&first](const Status& status) {
    if (!status.ok() && first.ok()) first = status;
    return status.ok();
  };
  for (const std::string& path : orphans) {
    if (note(zk::DeleteIfExists(zh, path))) {
      MutexLock lock(&mu_);
      orphans_.erase(path);
    }
  }
  for (const auto& [identity, path] : pending) {
    if (note(zk::CreateOwnedEphemeral(zh, path, session))) {
      MutexLock lock(&mu_);
      auto it = registrations_.find(identity);
      if (it != registrations_.end() && it->second.path == path) it->second.session = session;
    }
  }
  for (NodeType type : stale) {
    if (!note(RefreshType(zh, type, /*watch=*/true))) {
      MutexLock lock(&mu_);
      stale_types_.insert(type);
    }
  }
  for (const MasterKey& key : campaigns) note(EvaluateCampaign(zh, session, key));
  return first;
}

StatusOr<std::vector<Node>> ZooKeeperRegistry::ReadType(zhandle_t* zh, NodeType type, bool watch) {
  const std::string path = NodeTypePath(options_.cluster, type);
  if (watch) LTS_RETURN_IF_ERROR(zk::EnsurePath(zh, path));  // A watch needs the parent.
  StatusOr<std::vector<std::string>> names = zk::GetChildren(zh, path, watch);
  if (!names.ok() && names.status().code() == StatusCode::kNotFound) return std::vector<Node>();
  if (!names.ok()) return names.status();
  std::vector<Node> nodes;
  for (const std::string& name : *names) {
    StatusOr<Node> node = Node::Decode(name);
    if (!node.ok() || node->type != type) {
      LTS_LOG(WARN, "zookeeper {}: ignoring child {} of {}: {}", hosts_, Quote(name), path,
              node.ok() ? "wrong type" : node.status().ToString());
      continue;
    }
    nodes.push_back(std::move(*node));
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const Node& a, const Node& b) { return a.identity < b.identity; });
  return nodes;
}

Status ZooKeeperRegistry::RefreshType(zhandle_t* zh, NodeType type, bool watch) {
  LTS_ASSIGN_OR_RETURN(std::vector<Node> nodes, ReadType(zh, type, watch));
  hub_.ApplySnapshot(type, std::move(nodes));
  return Status::Ok();
}

std::string ZooKeeperRegistry::ElectionPath(const MasterKey& key) const {
  return fmt::format("/LTS/{}/MASTERS/{}/{}", EscapeValue(options_.cluster),
                     NodeTypeName(key.first), EscapeValue(key.second));
}

StatusOr<std::optional<MasterInfo>> ZooKeeperRegistry::ReadMaster(zhandle_t* zh,
                                                                  const MasterKey& key,
                                                                  const std::string& own_latch,
                                                                  bool watch) {
  const std::string dir = ElectionPath(key);
  // The leader may leave between listing and reading it: list again (bounded).
  for (int round = 0; round < 8; ++round) {
    StatusOr<std::vector<std::string>> children = zk::GetChildren(zh, dir, watch);
    if (!children.ok() && children.status().code() == StatusCode::kNotFound) {
      return std::optional<MasterInfo>();
    }
    if (!children.ok()) return children.status();
    std::vector<std::string> latches = SortedLatches(std::move(*children));
    if (latches.empty()) return std::optional<MasterInfo>();
    StatusOr<zk::NodeData> leader = zk::GetData(zh, dir + "/" + latches.front());
    if (!leader.ok() && leader.status().code() == StatusCode::kNotFound) continue;
    if (!leader.ok()) return leader.status();
    return std::optional<MasterInfo>(
        MasterInfo{leader->data, leader->stat.czxid, latches.front() == own_latch});
  }
  return Aborted(fmt::format("zookeeper {}: election {} kept changing", hosts_, dir));
}

Status ZooKeeperRegistry::EvaluateCampaign(zhandle_t* zh, int64_t session, const MasterKey& key) {
  CampaignState campaign;
  {
    MutexLock lock(&mu_);
    auto it = campaigns_.find(key);
    if (it == campaigns_.end()) return Status::Ok();
    campaign = it->second;
  }
  const std::string dir = ElectionPath(key);
  if (campaign.session != session || campaign.latch.empty()) {
    LTS_RETURN_IF_ERROR(zk::EnsurePath(zh, dir));
    // A create whose reply was lost may have made a latch for us: find it by our uuid.
    const std::string prefix = fmt::format("{}{}-", kLatchPrefix, campaign.uuid);
    LTS_ASSIGN_OR_RETURN(std::vector<std::string> children, zk::GetChildren(zh, dir, false));
    std::string latch;
    for (const std::string& child : children) {
      if (!child.starts_with(prefix)) continue;
      StatusOr<zk::NodeData> data = zk::GetData(zh, dir + "/" + child);
      if (data.ok() && data->stat.ephemeralOwner == session) {
        latch = child;
      } else if (data.ok()) {
        LTS_RETURN_IF_ERROR(zk::DeleteIfExists(zh, dir + "/" + child));  // An old session's.
      }
    }
    if (latch.empty()) {
      LTS_ASSIGN_OR_RETURN(
          latch, zk::CreateEphemeralSequential(zh, dir + "/" + prefix, campaign.identity));
    }
    campaign.latch = latch;
    campaign.session = session;
    MutexLock lock(&mu_);
    auto it = campaigns_.find(key);
    if (it != campaigns_.end()) {
      it->second.latch = latch;
      it->second.session = session;
    }
  }
  LTS_ASSIGN_OR_RETURN(std::optional<MasterInfo> master,
                       ReadMaster(zh, key, campaign.latch, /*watch=*/true));
  hub_.PublishMaster(key.first, key.second, master.value_or(MasterInfo{}));
  return Status::Ok();
}

Status ZooKeeperRegistry::Register(const Node& node) {
  LTS_RETURN_IF_ERROR(node.Validate());
  if (node.cluster != options_.cluster) {
    return InvalidArgument(fmt::format("node cluster {} is not the registry's cluster {}",
                                       Quote(node.cluster), Quote(options_.cluster)));
  }
  LTS_ASSIGN_OR_RETURN(std::string path, node.EncodePath());
  MutexLock ops(&ops_mu_);
  std::string old_path;
  {
    MutexLock lock(&mu_);
    if (!started_ || stopping_) return FailedPrecondition("zookeeper registry: not running");
    Registration& reg = registrations_[node.identity];
    if (!reg.path.empty() && reg.path != path) old_path = reg.path;
    reg = Registration{node, path, 0};
    orphans_.erase(path);
  }
  int64_t session = 0;
  std::shared_ptr<zk::Handle> handle = ConnectedHandle(&session);
  // The old record of a changed node goes first, so that no reader sees two records of one
  // identity.
  if (!old_path.empty() &&
      (handle == nullptr || !zk::DeleteIfExists(handle->get(), old_path).ok())) {
    MutexLock lock(&mu_);
    orphans_.insert(old_path);
  }
  if (handle == nullptr) {
    Wake();
    return Unavailable(
        fmt::format("zookeeper {}: not connected; node {} will be registered on "
                    "reconnection",
                    hosts_, Quote(node.identity)));
  }
  Status status = zk::CreateOwnedEphemeral(handle->get(), path, session);
  MutexLock lock(&mu_);
  auto it = registrations_.find(node.identity);
  if (status.ok() && it != registrations_.end() && it->second.path == path) {
    it->second.session = session;
  }
  // Old records that could not be deleted above are deleted by the worker.
  if (!status.ok() || !orphans_.empty()) {
    dirty_ = true;
    cv_.SignalAll();
  }
  return status;
}

Status ZooKeeperRegistry::Unregister(const Node& node) {
  MutexLock ops(&ops_mu_);
  std::string path;
  {
    MutexLock lock(&mu_);
    auto it = registrations_.find(node.identity);
    if (it == registrations_.end()) {
      return NotFound(fmt::format("node {} is not registered here", Quote(node.identity)));
    }
    path = it->second.path;
    registrations_.erase(it);
  }
  int64_t session = 0;
  std::shared_ptr<zk::Handle> handle = ConnectedHandle(&session);
  Status status = handle != nullptr
                      ? zk::DeleteIfExists(handle->get(), path)
                      : Unavailable(fmt::format("zookeeper {}: not connected", hosts_));
  if (!status.ok()) {
    MutexLock lock(&mu_);
    orphans_.insert(path);
    dirty_ = true;
    cv_.SignalAll();
  }
  return status;
}

Status ZooKeeperRegistry::Subscribe(NodeType type, NodeListener listener) {
  {
    MutexLock lock(&mu_);
    if (!started_ || stopping_) return FailedPrecondition("zookeeper registry: not running");
  }
  hub_.AddNodeListener(type, std::move(listener));
  MutexLock ops(&ops_mu_);
  int64_t session = 0;
  std::shared_ptr<zk::Handle> handle = ConnectedHandle(&session);
  if (handle != nullptr && RefreshType(handle->get(), type, /*watch=*/true).ok()) {
    return Status::Ok();
  }
  MutexLock lock(&mu_);
  stale_types_.insert(type);
  dirty_ = true;
  cv_.SignalAll();
  return Status::Ok();
}

StatusOr<std::vector<Node>> ZooKeeperRegistry::List(NodeType type) {
  if (std::optional<std::vector<Node>> view = hub_.Snapshot(type)) return std::move(*view);
  int64_t session = 0;
  std::shared_ptr<zk::Handle> handle = ConnectedHandle(&session);
  if (handle == nullptr) return Unavailable(fmt::format("zookeeper {}: not connected", hosts_));
  return ReadType(handle->get(), type, /*watch=*/false);
}

Status ZooKeeperRegistry::Campaign(NodeType type, const std::string& group,
                                   const std::string& identity, MasterListener listener) {
  LTS_RETURN_IF_ERROR(internal::CheckCampaignArgs(group, identity));
  const MasterKey key{type, group};
  MutexLock ops(&ops_mu_);
  {
    MutexLock lock(&mu_);
    if (!started_ || stopping_) return FailedPrecondition("zookeeper registry: not running");
    if (campaigns_.count(key) != 0) {
      return AlreadyExists(
          fmt::format("campaign {}/{}: already campaigning", NodeTypeName(type), Quote(group)));
    }
    campaigns_[key] = CampaignState{identity, RandomHex(16), "", 0};
  }
  hub_.AddMasterListener(type, group, std::move(listener));
  int64_t session = 0;
  std::shared_ptr<zk::Handle> handle = ConnectedHandle(&session);
  if (handle == nullptr || !EvaluateCampaign(handle->get(), session, key).ok()) Wake();
  return Status::Ok();
}

StatusOr<std::optional<MasterInfo>> ZooKeeperRegistry::Master(NodeType type,
                                                              const std::string& group) {
  const MasterKey key{type, group};
  int64_t session = 0;
  std::shared_ptr<zk::Handle> handle = ConnectedHandle(&session);
  if (handle == nullptr) return Unavailable(fmt::format("zookeeper {}: not connected", hosts_));
  std::string own_latch;
  {
    MutexLock lock(&mu_);
    auto it = campaigns_.find(key);
    if (it != campaigns_.end() && it->second.session == session) own_latch = it->second.latch;
  }
  return ReadMaster(handle->get(), key, own_latch, /*watch=*/false);
}

void ZooKeeperRegistry::AddStateListener(StateListener listener) {
  hub_.AddStateListener(std::move(listener));
}

StatusOr<clientid_t> ZooKeeperRegistry::SessionForTest() const {
  MutexLock lock(&mu_);
  if (!connected_ || !handle_) return Unavailable("zookeeper: no session");
  const clientid_t* id = zoo_client_id(handle_->get());
  if (id == nullptr) return Unavailable("zookeeper: no session");
  return *id;
}

}  // namespace lts::registry
