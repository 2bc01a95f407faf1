#include "registry/event_hub.h"

#include <fmt/format.h>

#include <cstdlib>
#include <exception>

#include "base/check.h"
#include "base/logging.h"

namespace lts::registry::internal {

Status CheckCampaignArgs(const std::string& group, const std::string& identity) {
  if (group.empty() || group.size() > kMaxNameLength || identity.empty() ||
      identity.size() > kMaxNameLength) {
    return InvalidArgument(
        fmt::format("campaign: group and identity must have 1 to {} bytes", kMaxNameLength));
  }
  return Status::Ok();
}

EventHub::~EventHub() { Stop(); }

void EventHub::Start() {
  MutexLock lock(&mu_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
  thread_id_ = thread_.get_id();
}

void EventHub::Stop() {
  {
    MutexLock lock(&mu_);
    if (!started_ || stopping_) {
      stopping_ = true;
      return;
    }
    LTS_CHECK(std::this_thread::get_id() != thread_id_)
        << "Registry::Stop() called from a registry listener";
    stopping_ = true;
    cv_.SignalAll();
  }
  thread_.join();
}

void EventHub::Post(Task task) {
  queue_.push_back(std::move(task));
  cv_.Signal();
}

void EventHub::Run() {
  while (true) {
    Task task;
    {
      MutexLock lock(&mu_);
      while (!stopping_ && queue_.empty()) cv_.Wait(&mu_);
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    // A listener is user code: a throw ends the process with a log line (style.md, section 4).
    try {
      task();
    } catch (const std::exception& e) {
      LTS_LOG(ERROR, "registry listener threw: {}", e.what());
      std::abort();
    } catch (...) {
      LTS_LOG(ERROR, "registry listener threw a non-std exception");
      std::abort();
    }
  }
}

void EventHub::AddNodeListener(NodeType type, NodeListener listener) {
  MutexLock lock(&mu_);
  auto shared = std::make_shared<NodeListener>(std::move(listener));
  node_listeners_[type].push_back(shared);
  auto it = snapshots_.find(type);
  if (it == snapshots_.end() || it->second.empty()) return;
  auto list = std::make_shared<std::vector<Node>>();
  for (const auto& [identity, node] : it->second) list->push_back(node);
  std::shared_ptr<const std::vector<Node>> nodes = std::move(list);
  for (const Node& node : *nodes) {
    Post([shared, node, nodes] { (*shared)(NodeEvent{NodeEvent::Kind::kAdd, node, nodes}); });
  }
}

bool EventHub::IsSubscribed(NodeType type) const {
  MutexLock lock(&mu_);
  return node_listeners_.count(type) != 0;
}

std::vector<NodeType> EventHub::SubscribedTypes() const {
  MutexLock lock(&mu_);
  std::vector<NodeType> types;
  for (const auto& [type, listeners] : node_listeners_) types.push_back(type);
  return types;
}

void EventHub::ApplySnapshot(NodeType type, std::vector<Node> nodes) {
  std::map<std::string, Node> next;
  for (Node& node : nodes) {
    std::string identity = node.identity;
    next.insert_or_assign(std::move(identity), std::move(node));
  }
  MutexLock lock(&mu_);
  std::map<std::string, Node>& previous = snapshots_[type];
  std::vector<NodeEvent> events;
  for (const auto& [identity, node] : previous) {
    auto it = next.find(identity);
    if (it == next.end() || !(it->second == node)) {
      events.push_back(NodeEvent{NodeEvent::Kind::kRemove, node, nullptr});
    }
  }
  for (const auto& [identity, node] : next) {
    auto it = previous.find(identity);
    if (it == previous.end() || !(it->second == node)) {
      events.push_back(NodeEvent{NodeEvent::Kind::kAdd, node, nullptr});
    }
  }
  previous = std::move(next);
  auto listeners_it = node_listeners_.find(type);
  if (events.empty() || listeners_it == node_listeners_.end()) return;
  // Every event of one observation carries the list after all of them.
  auto list = std::make_shared<std::vector<Node>>();
  for (const auto& [identity, node] : previous) list->push_back(node);
  std::shared_ptr<const std::vector<Node>> current = std::move(list);
  std::vector<std::shared_ptr<NodeListener>> listeners = listeners_it->second;
  for (NodeEvent& event : events) event.nodes = current;
  Post([listeners = std::move(listeners), events = std::move(events)] {
    for (const NodeEvent& event : events) {
      for (const auto& listener : listeners) (*listener)(event);
    }
  });
}

std::optional<std::vector<Node>> EventHub::Snapshot(NodeType type) const {
  MutexLock lock(&mu_);
  auto it = snapshots_.find(type);
  if (it == snapshots_.end()) return std::nullopt;
  std::vector<Node> nodes;
  for (const auto& [identity, node] : it->second) nodes.push_back(node);
  return nodes;
}

void EventHub::AddMasterListener(NodeType type, const std::string& group, MasterListener listener) {
  MutexLock lock(&mu_);
  auto shared = std::make_shared<MasterListener>(std::move(listener));
  master_listeners_[{type, group}].push_back(shared);
  auto it = masters_.find({type, group});
  if (it != masters_.end()) {
    Post([shared, master = it->second] { (*shared)(master); });
  }
}

void EventHub::PublishMaster(NodeType type, const std::string& group, const MasterInfo& master) {
  MutexLock lock(&mu_);
  MasterKey key{type, group};
  auto it = masters_.find(key);
  if (it != masters_.end() && it->second == master) return;
  if (it == masters_.end() && master.identity.empty()) {
    masters_[key] = master;
    return;  // "No master" before any master was known is not news.
  }
  masters_[key] = master;
  auto listeners_it = master_listeners_.find(key);
  if (listeners_it == master_listeners_.end()) return;
  Post([listeners = listeners_it->second, master] {
    for (const auto& listener : listeners) (*listener)(master);
  });
}

std::optional<MasterInfo> EventHub::LastMaster(NodeType type, const std::string& group) const {
  MutexLock lock(&mu_);
  auto it = masters_.find({type, group});
  if (it == masters_.end()) return std::nullopt;
  return it->second;
}

void EventHub::AddStateListener(StateListener listener) {
  MutexLock lock(&mu_);
  state_listeners_.push_back(std::make_shared<StateListener>(std::move(listener)));
}

void EventHub::PublishState(ConnectionState state) {
  MutexLock lock(&mu_);
  if (state_listeners_.empty()) return;
  Post([listeners = state_listeners_, state] {
    for (const auto& listener : listeners) (*listener)(state);
  });
}

}  // namespace lts::registry::internal
