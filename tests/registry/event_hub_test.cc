#include "registry/event_hub.h"

#include <gtest/gtest.h>

#include "registry_test_util.h"

namespace lts::registry::internal {
namespace {

using registry::testing::Eventually;
using registry::testing::MakeNode;
using registry::testing::Recorder;
using Kind = NodeEvent::Kind;

std::string Describe(const std::vector<NodeEvent>& events) {
  std::string out;
  for (const NodeEvent& e : events) {
    out += (e.kind == Kind::kAdd ? "+" : "-") + e.node.identity + "/" +
           std::to_string(e.node.threads) + " ";
  }
  return out;
}

TEST(EventHubTest, SnapshotsAreDiffedByIdentity) {
  Recorder seen;
  EventHub hub;
  hub.Start();
  hub.AddNodeListener(NodeType::kTaskTracker, seen.NodeCallback());
  Node a = MakeNode("c", NodeType::kTaskTracker, "a");
  Node b = MakeNode("c", NodeType::kTaskTracker, "b");
  hub.ApplySnapshot(NodeType::kTaskTracker, {b, a});
  Node b2 = b;
  b2.threads = 99;
  hub.ApplySnapshot(NodeType::kTaskTracker, {a, b2});
  hub.ApplySnapshot(NodeType::kTaskTracker, {a, b2});  // Equal: nothing.
  hub.ApplySnapshot(NodeType::kTaskTracker, {});
  ASSERT_TRUE(Eventually([&] { return seen.events().size() == 6; }));
  EXPECT_EQ("+a/8 +b/8 -b/8 +b/99 -a/8 -b/99 ", Describe(seen.events()));
  // The list in every event is the list after its observation.
  EXPECT_EQ(2u, seen.events()[3].nodes->size());
  EXPECT_EQ(99, seen.events()[3].nodes->at(1).threads);
  EXPECT_TRUE(seen.events()[5].nodes->empty());
  hub.Stop();
}

TEST(EventHubTest, ALateListenerAloneGetsTheCurrentNodes) {
  Recorder first, second;
  EventHub hub;
  hub.Start();
  hub.AddNodeListener(NodeType::kJobClient, first.NodeCallback());
  hub.ApplySnapshot(NodeType::kJobClient, {MakeNode("c", NodeType::kJobClient, "x")});
  ASSERT_TRUE(Eventually([&] { return first.events().size() == 1; }));
  hub.AddNodeListener(NodeType::kJobClient, second.NodeCallback());
  ASSERT_TRUE(Eventually([&] { return second.events().size() == 1; }));
  EXPECT_EQ(1u, first.events().size());
  ASSERT_TRUE(hub.Snapshot(NodeType::kJobClient).has_value());
  EXPECT_FALSE(hub.Snapshot(NodeType::kMonitor).has_value());
  hub.Stop();
}

TEST(EventHubTest, MasterChangesAreDeduplicated) {
  Recorder seen;
  EventHub hub;
  hub.Start();
  hub.AddMasterListener(NodeType::kJobTracker, "lts", seen.MasterCallback());
  hub.PublishMaster(NodeType::kJobTracker, "lts", {});  // No master before any: not news.
  hub.PublishMaster(NodeType::kJobTracker, "lts", {"jt-a", 7, true});
  hub.PublishMaster(NodeType::kJobTracker, "lts", {"jt-a", 7, true});
  hub.PublishMaster(NodeType::kJobTracker, "other", {"jt-x", 1, false});  // Another group.
  hub.PublishMaster(NodeType::kJobTracker, "lts", {});
  hub.PublishMaster(NodeType::kJobTracker, "lts", {"jt-b", 9, false});
  ASSERT_TRUE(Eventually([&] { return seen.masters().size() == 3; }));
  const std::vector<MasterInfo> masters = seen.masters();
  EXPECT_EQ((MasterInfo{"jt-a", 7, true}), masters[0]);
  EXPECT_EQ(MasterInfo{}, masters[1]);
  EXPECT_EQ((MasterInfo{"jt-b", 9, false}), masters[2]);
  hub.Stop();
}

TEST(EventHubTest, ListenersMayCallTheHubAndNothingRunsAfterStop) {
  std::atomic<int> calls{0};
  EventHub hub;
  hub.AddNodeListener(NodeType::kTaskTracker, [&](const NodeEvent&) {
    // Re-entrant call from the listener thread: no hub lock is held here.
    EXPECT_TRUE(hub.Snapshot(NodeType::kTaskTracker).has_value());
    ++calls;
  });
  hub.ApplySnapshot(NodeType::kTaskTracker, {MakeNode("c", NodeType::kTaskTracker, "q")});
  hub.Start();  // Events queued before Start run once it starts.
  ASSERT_TRUE(Eventually([&] { return calls.load() == 1; }));
  hub.Stop();
  hub.ApplySnapshot(NodeType::kTaskTracker, {});
  hub.Stop();  // Idempotent.
  EXPECT_EQ(1, calls.load());
}

}  // namespace
}  // namespace lts::registry::internal
