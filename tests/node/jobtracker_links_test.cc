// JobTrackerLinks with a registry: links follow JOB_TRACKER nodes, and a stopped links
// object is no longer reached by the (shared, still running) registry's events.

#include "node/jobtracker_links.h"

#include <gtest/gtest.h>

#include <atomic>

#include "client/test_job_tracker.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace lts::node {
namespace {

using namespace std::chrono_literals;

registry::Node JobTrackerNode(const std::string& identity, uint16_t port) {
  registry::Node node;
  node.type = registry::NodeType::kJobTracker;
  node.cluster = "links-test";
  node.group = "jobtracker";
  node.identity = identity;
  node.ip = "127.0.0.1";
  node.port = port;
  return node;
}

TEST(JobTrackerLinksTest, FollowsJobTrackersOfASharedRegistryAndIgnoresItOnceStopped) {
  lts::testing::TestJobTracker tracker;
  ASSERT_OK(tracker.Start());
  registry::RegistryOptions ro;
  ro.address = "embedded://links-test";
  ro.cluster = "links-test";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<registry::Registry> reg, registry::CreateRegistry(ro));
  ASSERT_OK(reg->Start());
  ASSERT_OK(reg->Register(JobTrackerNode("jt-1", tracker.port())));
  {
    JobTrackerLinksOptions options;
    options.cluster = "links-test";
    options.shared_registry = reg.get();
    JobTrackerLinks links(options);
    ASSERT_OK(links.Start());
    EXPECT_TRUE(links.WaitReady(10s));
    links.Stop();
  }
  // Events after the links object is gone must not reach it (this used to be a
  // use-after-free: the registry has no Unsubscribe).
  // Listeners are called one at a time, in order: once this probe saw both events, the
  // stopped links' listener has been offered them too.
  std::atomic<int> probe_events{0};
  ASSERT_OK(reg->Subscribe(registry::NodeType::kJobTracker, [&](const registry::NodeEvent& event) {
    if (event.node.identity == "jt-2" || event.kind == registry::NodeEvent::Kind::kRemove) {
      ++probe_events;
    }
  }));
  ASSERT_OK(reg->Register(JobTrackerNode("jt-2", tracker.port())));
  ASSERT_OK(reg->Unregister(JobTrackerNode("jt-1", tracker.port())));
  EXPECT_TRUE(lts::testing::WaitFor([&] { return probe_events >= 2; }, 10s));
  reg->Stop();
}

}  // namespace
}  // namespace lts::node
