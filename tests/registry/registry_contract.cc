#include "registry_contract.h"

#include <algorithm>

#include "registry_test_util.h"
#include "testing/status_matchers.h"
#include "testing/test_env.h"

namespace lts::registry::testing {
namespace {

using ::lts::testing::StatusIs;
using Kind = NodeEvent::Kind;

std::vector<std::string> Identities(const std::vector<Node>& nodes) {
  std::vector<std::string> out;
  for (const Node& node : nodes) out.push_back(node.identity);
  return out;
}

}  // namespace

TEST_P(RegistryContractTest, SubscriberSeesNodesOfOtherRegistriesComeAndGo) {
  Recorder seen;
  auto a = NewRegistry();
  auto b = NewRegistry();
  ASSERT_TRUE(a && b);
  ASSERT_OK(a->Subscribe(NodeType::kTaskTracker, seen.NodeCallback()));
  const Node tt = MakeNode(cluster_, NodeType::kTaskTracker, "tt-1");
  ASSERT_OK(b->Register(tt));
  ASSERT_TRUE(Eventually([&] { return seen.Count(Kind::kAdd, "tt-1") == 1; }));
  NodeEvent add = seen.events().back();
  EXPECT_EQ(tt, add.node);
  ASSERT_NE(nullptr, add.nodes);
  EXPECT_EQ(std::vector<std::string>{"tt-1"}, Identities(*add.nodes));
  ASSERT_OK(b->Unregister(tt));
  ASSERT_TRUE(Eventually([&] { return seen.Count(Kind::kRemove, "tt-1") == 1; }));
  EXPECT_TRUE(seen.events().back().nodes->empty());
}

TEST_P(RegistryContractTest, LateSubscriberGetsOneAddPerExistingNode) {
  Recorder first, second;
  auto a = NewRegistry();
  ASSERT_TRUE(a);
  for (const char* id : {"jc-1", "jc-2", "jc-3"}) {
    ASSERT_OK(a->Register(MakeNode(cluster_, NodeType::kJobClient, id)));
  }
  auto b = NewRegistry();
  ASSERT_TRUE(b);
  ASSERT_OK(b->Subscribe(NodeType::kJobClient, first.NodeCallback()));
  ASSERT_TRUE(Eventually([&] { return first.events().size() == 3; }));
  ASSERT_OK(b->Subscribe(NodeType::kJobClient, second.NodeCallback()));
  ASSERT_TRUE(Eventually([&] { return second.events().size() == 3; }));
  for (const char* id : {"jc-1", "jc-2", "jc-3"}) EXPECT_EQ(1, second.Count(Kind::kAdd, id));
  ASSERT_OK_AND_ASSIGN(std::vector<Node> listed, b->List(NodeType::kJobClient));
  EXPECT_EQ((std::vector<std::string>{"jc-1", "jc-2", "jc-3"}), Identities(listed));
}

TEST_P(RegistryContractTest, ListReadsUnsubscribedTypesFromTheServer) {
  auto a = NewRegistry();
  auto b = NewRegistry();
  ASSERT_TRUE(a && b);
  ASSERT_OK(a->Register(MakeNode(cluster_, NodeType::kMonitor, "mo-1")));
  ASSERT_OK_AND_ASSIGN(std::vector<Node> listed, b->List(NodeType::kMonitor));
  EXPECT_EQ(std::vector<std::string>{"mo-1"}, Identities(listed));
  ASSERT_OK_AND_ASSIGN(listed, b->List(NodeType::kAdmin));
  EXPECT_TRUE(listed.empty());
}

TEST_P(RegistryContractTest, ChangedRecordIsRemoveThenAdd) {
  Recorder seen;
  auto a = NewRegistry();
  ASSERT_TRUE(a);
  ASSERT_OK(a->Subscribe(NodeType::kTaskTracker, seen.NodeCallback()));
  Node tt = MakeNode(cluster_, NodeType::kTaskTracker, "tt-1");
  ASSERT_OK(a->Register(tt));
  ASSERT_TRUE(Eventually([&] { return seen.Count(Kind::kAdd, "tt-1") == 1; }));
  tt.threads = 32;
  ASSERT_OK(a->Register(tt));
  ASSERT_TRUE(Eventually([&] { return seen.Count(Kind::kAdd, "tt-1") == 2; }));
  std::vector<NodeEvent> events = seen.events();
  ASSERT_EQ(3u, events.size());
  EXPECT_EQ(Kind::kRemove, events[1].kind);
  EXPECT_EQ(8, events[1].node.threads);
  EXPECT_EQ(32, events[2].node.threads);
  ASSERT_EQ(1u, events[2].nodes->size());
  EXPECT_EQ(32, events[2].nodes->front().threads);
  ASSERT_OK_AND_ASSIGN(std::vector<Node> listed, a->List(NodeType::kTaskTracker));
  ASSERT_EQ(1u, listed.size());
  EXPECT_EQ(32, listed[0].threads);
}

TEST_P(RegistryContractTest, StoppedRegistryNodesAreRemoved) {
  Recorder seen;
  auto a = NewRegistry();
  auto b = NewRegistry();
  ASSERT_TRUE(a && b);
  ASSERT_OK(a->Subscribe(NodeType::kJobTracker, seen.NodeCallback()));
  ASSERT_OK(b->Register(MakeNode(cluster_, NodeType::kJobTracker, "jt-b")));
  ASSERT_TRUE(Eventually([&] { return seen.Present("jt-b"); }));
  b->Stop();
  ASSERT_TRUE(Eventually([&] { return seen.Count(Kind::kRemove, "jt-b") == 1; }));
}

TEST_P(RegistryContractTest, FirstCandidateLeadsAndTheNextTermHasAHigherEpoch) {
  Recorder ma, mb;
  auto a = NewRegistry();
  auto b = NewRegistry();
  auto observer = NewRegistry();
  ASSERT_TRUE(a && b && observer);
  ASSERT_OK(a->Campaign(NodeType::kJobTracker, "lts", "jt-a", ma.MasterCallback()));
  ASSERT_TRUE(Eventually([&] { return ma.LastMaster().is_self; }));
  ASSERT_OK(b->Campaign(NodeType::kJobTracker, "lts", "jt-b", mb.MasterCallback()));
  ASSERT_TRUE(Eventually([&] { return mb.LastMaster().identity == "jt-a"; }));
  const MasterInfo first = ma.LastMaster();
  EXPECT_EQ("jt-a", first.identity);
  EXPECT_GT(first.epoch, 0);
  EXPECT_FALSE(mb.LastMaster().is_self);
  EXPECT_EQ(first.epoch, mb.LastMaster().epoch);
  ASSERT_OK_AND_ASSIGN(std::optional<MasterInfo> seen,
                       observer->Master(NodeType::kJobTracker, "lts"));
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ("jt-a", seen->identity);
  EXPECT_EQ(first.epoch, seen->epoch);
  EXPECT_FALSE(seen->is_self);

  a->Stop();
  ASSERT_TRUE(Eventually([&] { return mb.LastMaster().is_self; }));
  EXPECT_EQ("jt-b", mb.LastMaster().identity);
  EXPECT_GT(mb.LastMaster().epoch, first.epoch);
  ASSERT_OK_AND_ASSIGN(std::optional<MasterInfo> self, b->Master(NodeType::kJobTracker, "lts"));
  ASSERT_TRUE(self.has_value());
  EXPECT_TRUE(self->is_self);
  // Other groups are separate elections.
  ASSERT_OK_AND_ASSIGN(seen, observer->Master(NodeType::kJobTracker, "other"));
  EXPECT_FALSE(seen.has_value());
}

TEST_P(RegistryContractTest, MisuseIsReported) {
  auto a = NewRegistry();
  ASSERT_TRUE(a);
  EXPECT_THAT(a->Unregister(MakeNode(cluster_, NodeType::kJobClient, "nobody")),
              StatusIs(StatusCode::kNotFound, ::testing::HasSubstr("nobody")));
  EXPECT_THAT(a->Register(MakeNode("another-cluster", NodeType::kJobClient, "x")),
              StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("cluster")));
  Node bad = MakeNode(cluster_, NodeType::kJobClient, "x");
  bad.group.clear();
  EXPECT_THAT(a->Register(bad),
              StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("group")));
  ASSERT_OK(a->Campaign(NodeType::kJobTracker, "lts", "jt", [](const MasterInfo&) {}));
  EXPECT_THAT(a->Campaign(NodeType::kJobTracker, "lts", "jt", [](const MasterInfo&) {}),
              StatusIs(StatusCode::kAlreadyExists, ::testing::_));
  EXPECT_THAT(a->Start(), StatusIs(StatusCode::kFailedPrecondition, ::testing::_));
}

TEST_P(RegistryContractTest, StateListenerHearsConnected) {
  Recorder states;
  RegistryOptions options;
  options.address = address_;
  options.cluster = cluster_;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Registry> registry, CreateRegistry(options));
  registry->AddStateListener(states.StateCallback());
  ASSERT_OK(registry->Start());
  EXPECT_TRUE(Eventually([&] { return states.CountState(ConnectionState::kConnected) == 1; }));
  registry->Stop();
  registry->Stop();  // Idempotent.
}

TEST_P(RegistryContractTest, HostileValuesSurviveTheBackend) {
  auto a = NewRegistry();
  ASSERT_TRUE(a);
  Node node = MakeNode(cluster_, NodeType::kTaskTracker, "id/with?all&the=bad%chars ünï");
  node.group = "group/x*?[]";
  node.attributes = {{"hostName", "h/1"}, {"k=v&", ""}};
  ASSERT_OK(a->Register(node));
  auto b = NewRegistry();
  ASSERT_TRUE(b);
  ASSERT_OK_AND_ASSIGN(std::vector<Node> listed, b->List(NodeType::kTaskTracker));
  ASSERT_EQ(1u, listed.size());
  EXPECT_EQ(node, listed[0]);
}

}  // namespace lts::registry::testing
