// JobTrackerLinks (node/jobtracker_links.h).

#include "node/jobtracker_links.h"

#include <fmt/format.h>

#include <utility>

#include "base/logging.h"
#include "net/event_loop.h"
#include "net/inet_address.h"

namespace lts::node {

JobTrackerLinks::JobTrackerLinks(JobTrackerLinksOptions options)
    : options_(std::move(options)), loop_thread_("lts-jt-links") {}

JobTrackerLinks::~JobTrackerLinks() { Stop(); }

Status JobTrackerLinks::Start() {
  if (started_) return FailedPrecondition("JobTrackerLinks: started twice");
  if (options_.registry.empty() && options_.jobtrackers.empty() &&
      options_.shared_registry == nullptr) {
    return InvalidArgument(
        "no registry and no JobTracker address given (--registry or --jobtracker)");
  }
  for (const std::string& address : options_.jobtrackers) {
    auto parsed = net::InetAddress::Parse(address);
    if (!parsed.ok()) {
      return InvalidArgument(
          fmt::format("JobTracker address '{}': {}", address, parsed.status().message()));
    }
  }
  options_.rpc.rpc.on_ready = [this](const std::shared_ptr<rpc::RpcChannel>& channel) {
    {
      MutexLock lock(&mu_);
      ready_cv_.SignalAll();
    }
    LTS_LOG(INFO, "connected to JobTracker {}", channel->peer());
    if (options_.on_link_ready) options_.on_link_ready(channel);
  };
  options_.rpc.rpc.on_closed = [](const std::shared_ptr<rpc::RpcChannel>& channel) {
    LTS_LOG(WARN, "connection to JobTracker {} closed", channel->peer());
  };
  options_.rpc.processor_threads = options_.processor_threads;
  loop_ = loop_thread_.StartLoop();
  started_ = true;

  if (options_.shared_registry != nullptr) {
    registry_ = options_.shared_registry;
  } else if (!options_.registry.empty()) {
    registry::RegistryOptions ro;
    ro.address = options_.registry;
    ro.cluster = options_.cluster;
    ro.session_timeout_ms = options_.session_timeout_ms;
    LTS_ASSIGN_OR_RETURN(owned_registry_, registry::StartRegistry(ro));
    registry_ = owned_registry_.get();
  }
  if (registry_ != nullptr) {
    if (!options_.self.identity.empty()) {
      options_.self.cluster = options_.cluster;
      Status s = registry_->Register(options_.self);
      // kUnavailable: the registry keeps the registration and retries.
      if (!s.ok() && s.code() != StatusCode::kUnavailable) return s;
    }
    {
      MutexLock lock(&token_->mu);
      token_->links = this;
    }
    LTS_RETURN_IF_ERROR(registry_->Subscribe(
        registry::NodeType::kJobTracker, [token = token_](const registry::NodeEvent& event) {
          MutexLock lock(&token->mu);
          if (token->links == nullptr) return;  // Stopped; the registry lives on (shared).
          if (event.kind == registry::NodeEvent::Kind::kAdd) {
            if (!event.node.available) return;
            token->links->AddLink(event.node.identity, event.node.Address());
          } else {
            token->links->RemoveLink(event.node.identity);
          }
        }));
  } else {
    for (const std::string& address : options_.jobtrackers) AddLink(address, address);
  }
  return Status::Ok();
}

void JobTrackerLinks::Stop() {
  if (!started_) return;
  started_ = false;
  {
    MutexLock lock(&token_->mu);
    token_->links = nullptr;
  }
  if (registry_ != nullptr && !options_.self.identity.empty()) {
    (void)registry_->Unregister(options_.self);
  }
  if (owned_registry_) owned_registry_->Stop();
  std::map<std::string, std::shared_ptr<rpc::RpcClient>> links;
  {
    MutexLock lock(&mu_);
    links.swap(links_);
  }
  for (auto& [key, client] : links) client->Stop();
  links.clear();
  loop_thread_.Stop();
}

void JobTrackerLinks::AddLink(const std::string& key, const std::string& address) {
  auto parsed = net::InetAddress::Parse(address);
  if (!parsed.ok()) {
    LTS_LOG(WARN, "ignoring JobTracker {} with unusable address '{}': {}", key, address,
            parsed.status().message());
    return;
  }
  {
    MutexLock lock(&mu_);
    if (links_.count(key) != 0) return;
  }
  auto client =
      std::make_shared<rpc::RpcClient>(loop_, *parsed, "jobtracker " + address, options_.rpc);
  for (const ProcessorSpec& spec : options_.processors) {
    client->RegisterProcessor(spec.command, spec.processor, spec.mode);
  }
  Status s = client->Start();
  if (!s.ok()) {
    LTS_LOG(ERROR, "cannot connect to JobTracker {}: {}", address, s.ToString());
    return;
  }
  MutexLock lock(&mu_);
  links_.emplace(key, std::move(client));
}

void JobTrackerLinks::RemoveLink(const std::string& key) {
  std::shared_ptr<rpc::RpcClient> client;
  {
    MutexLock lock(&mu_);
    auto it = links_.find(key);
    if (it == links_.end()) return;
    client = std::move(it->second);
    links_.erase(it);
  }
  LTS_LOG(INFO, "JobTracker {} left the registry; closing its connection", key);
  client->Stop();
}

std::vector<std::shared_ptr<rpc::RpcClient>> JobTrackerLinks::Snapshot() const {
  MutexLock lock(&mu_);
  std::vector<std::shared_ptr<rpc::RpcClient>> out;
  out.reserve(links_.size());
  for (const auto& [key, client] : links_) out.push_back(client);
  return out;
}

std::vector<std::shared_ptr<rpc::RpcClient>> JobTrackerLinks::ReadyLinks() const {
  std::vector<std::shared_ptr<rpc::RpcClient>> out;
  for (auto& client : Snapshot()) {
    if (client->ready()) out.push_back(std::move(client));
  }
  return out;
}

bool JobTrackerLinks::AnyReady() const { return !ReadyLinks().empty(); }

bool JobTrackerLinks::WaitReady(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!AnyReady()) {
    MutexLock lock(&mu_);
    // Re-checked every 50 ms as well: a link may become ready between the check and
    // the wait.
    const auto step =
        std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(50));
    ready_cv_.WaitUntil(&mu_, step);
    if (std::chrono::steady_clock::now() >= deadline) break;
  }
  return AnyReady();
}

StatusOr<rpc::RpcResponse> JobTrackerLinks::CallSync(uint16_t command, std::string body,
                                                     std::chrono::milliseconds deadline,
                                                     rpc::BodyFormat format) {
  std::vector<std::shared_ptr<rpc::RpcClient>> ready = ReadyLinks();
  if (ready.empty()) return Unavailable("no JobTracker reachable");
  size_t start;
  {
    MutexLock lock(&mu_);
    start = next_++;
  }
  Status last = Unavailable("no JobTracker reachable");
  for (size_t i = 0; i < ready.size(); ++i) {
    auto& client = ready[(start + i) % ready.size()];
    auto response = client->CallSync(command, format, body, deadline);
    if (response.ok() || response.status().code() != StatusCode::kUnavailable) return response;
    last = response.status();
  }
  return last;
}

void JobTrackerLinks::Call(uint16_t command, std::string body, std::chrono::milliseconds deadline,
                           rpc::CallDone done, rpc::BodyFormat format) {
  std::vector<std::shared_ptr<rpc::RpcClient>> ready = ReadyLinks();
  if (ready.empty()) {
    loop_->RunInLoop([done = std::move(done)] { done(Unavailable("no JobTracker reachable")); });
    return;
  }
  size_t index;
  {
    MutexLock lock(&mu_);
    index = next_++ % ready.size();
  }
  ready[index]->Call(command, format, std::move(body), deadline, std::move(done));
}

}  // namespace lts::node
