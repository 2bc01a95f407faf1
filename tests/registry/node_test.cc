#include <gtest/gtest.h>

#include <random>
#include <string>

#include "registry/registry.h"
#include "testing/status_matchers.h"

namespace lts::registry {
namespace {

using ::lts::testing::StatusIs;
using ::testing::HasSubstr;

Node SampleNode() {
  Node node;
  node.type = NodeType::kJobTracker;
  node.cluster = "test_cluster";
  node.group = "lts";
  node.identity = "JT_10.0.0.5_1234_10-00-00.123_1";
  node.ip = "10.0.0.5";
  node.port = 35001;
  node.threads = 64;
  node.create_time_ms = 1500000000000;
  node.available = true;
  node.attributes = {{"hostName", "h1"}, {"httpCmdPort", "8719"}};
  return node;
}

TEST(NodeTest, EncodesTheJavaLtsLayout) {
  ASSERT_OK_AND_ASSIGN(std::string path, SampleNode().EncodePath());
  EXPECT_EQ(
      "/LTS/test_cluster/NODES/JOB_TRACKER/JOB_TRACKER:\\\\10.0.0.5:35001?group=lts&"
      "clusterName=test_cluster&threads=64&identity=JT_10.0.0.5_1234_10-00-00.123_1&"
      "createTime=1500000000000&isAvailable=true&hostName=h1&httpCmdPort=8719",
      path);
}

TEST(NodeTest, PortAndThreadsAreOmittedWhenZero) {
  Node node = SampleNode();
  node.type = NodeType::kTaskTracker;
  node.port = 0;
  node.threads = 0;
  node.attributes.clear();
  ASSERT_OK_AND_ASSIGN(std::string name, node.Encode());
  EXPECT_EQ(0u, name.find("TASK_TRACKER:\\\\10.0.0.5?group=lts&clusterName=test_cluster&identity="))
      << name;
  ASSERT_OK_AND_ASSIGN(Node back, Node::Decode(name));
  EXPECT_EQ(node, back);
}

TEST(NodeTest, HostileValuesRoundTrip) {
  const std::string hostile[] = {"a/b",
                                 "q?x",
                                 "a&b=c",
                                 "100%",
                                 "with space",
                                 "ünï©ødé",
                                 "\\\\",
                                 ":colon:",
                                 "%zz",
                                 "tab\there",
                                 "#frag",
                                 "plus+sign",
                                 std::string("nul\0in", 6)};
  for (const std::string& value : hostile) {
    Node node = SampleNode();
    node.group = value;
    node.identity = value;
    node.cluster = value;
    node.ip = value;
    node.attributes = {{value, value}, {"empty", ""}};
    ASSERT_OK_AND_ASSIGN(std::string name, node.Encode());
    EXPECT_EQ(std::string::npos, name.find('/')) << name;
    EXPECT_EQ(std::string::npos, name.find(' ')) << name;
    ASSERT_OK_AND_ASSIGN(Node back, Node::Decode(name));
    EXPECT_EQ(node, back) << name;
  }
}

TEST(NodeTest, EmptyIpAndFalseAvailabilityRoundTrip) {
  Node node = SampleNode();
  node.ip = "";
  node.available = false;
  ASSERT_OK_AND_ASSIGN(std::string name, node.Encode());
  ASSERT_OK_AND_ASSIGN(Node back, Node::Decode(name));
  EXPECT_EQ(node, back);
}

TEST(NodeTest, ValidateNamesTheField) {
  Node node = SampleNode();
  node.group = "";
  EXPECT_THAT(node.Encode(), StatusIs(StatusCode::kInvalidArgument, HasSubstr("group")));
  node = SampleNode();
  node.identity = std::string(kMaxNameLength + 1, 'x');
  EXPECT_THAT(node.Validate(), StatusIs(StatusCode::kInvalidArgument, HasSubstr("identity")));
  node = SampleNode();
  node.port = 70000;
  EXPECT_THAT(node.Validate(), StatusIs(StatusCode::kInvalidArgument, HasSubstr("port")));
  node = SampleNode();
  node.threads = -1;
  EXPECT_THAT(node.Validate(), StatusIs(StatusCode::kInvalidArgument, HasSubstr("threads")));
  node = SampleNode();
  node.attributes["identity"] = "spoof";
  EXPECT_THAT(node.Validate(), StatusIs(StatusCode::kInvalidArgument, HasSubstr("reserved")));
  node = SampleNode();
  node.attributes["k"] = std::string(kMaxAttributeValue + 1, 'v');
  EXPECT_THAT(node.Validate(), StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"k\"")));
  node = SampleNode();
  for (size_t i = 0; i <= kMaxAttributes; ++i) node.attributes["k" + std::to_string(i)] = "v";
  EXPECT_THAT(node.Validate(), StatusIs(StatusCode::kInvalidArgument, HasSubstr("attributes")));
}

TEST(NodeTest, MalformedNamesAreInvalidArgument) {
  const std::string valid = *SampleNode().Encode();
  const std::string bad[] = {
      "",
      "JOB_TRACKER",
      "NOPE:\\\\1.2.3.4?group=g&clusterName=c&identity=i",
      "JOB_TRACKER:\\\\1.2.3.4",
      "JOB_TRACKER:\\\\1.2.3.4?group=g&clusterName=c",
      "JOB_TRACKER:\\\\1.2.3.4?group=g&clusterName=c&identity=i&identity=j",
      "JOB_TRACKER:\\\\1.2.3.4:0?group=g&clusterName=c&identity=i",
      "JOB_TRACKER:\\\\1.2.3.4:99999?group=g&clusterName=c&identity=i",
      "JOB_TRACKER:\\\\1.2.3.4:x?group=g&clusterName=c&identity=i",
      "JOB_TRACKER:\\\\1.2.3.4?group=g&clusterName=c&identity=i&threads=-3",
      "JOB_TRACKER:\\\\1.2.3.4?group=g&clusterName=c&identity=i&isAvailable=maybe",
      "JOB_TRACKER:\\\\1.2.3.4?group=g&clusterName=c&identity=i&createTime=1e9",
      "JOB_TRACKER:\\\\1.2.3.4?group=%4&clusterName=c&identity=i",
      "JOB_TRACKER:\\\\1.2.3.4?group=%G1&clusterName=c&identity=i",
      "JOB_TRACKER:\\\\1.2.3.4?group=g&&clusterName=c&identity=i",
      "JOB_TRACKER:\\\\1.2.3.4?group=g&=x&clusterName=c&identity=i",
      "JOB_TRACKER:\\\\1.2.3.4?group&clusterName=c&identity=i",
      "JOB_TRACKER:\\\\1.2.3.4?group=&clusterName=c&identity=i",
      valid + "&" + std::string(kMaxEncodedNodeName, 'a') + "=b",
      valid.substr(0, 40),
  };
  for (const std::string& name : bad) {
    EXPECT_THAT(Node::Decode(name), StatusIs(StatusCode::kInvalidArgument, ::testing::_)) << name;
  }
}

TEST(NodeTest, DecodeNeverCrashesOnMutatedInput) {
  const std::string valid = *SampleNode().Encode();
  const uint32_t seed = std::random_device{}();
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  for (int i = 0; i < 20000; ++i) {
    std::string mutated = valid;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = rng() % mutated.size();
      switch (rng() % 3) {
        case 0:
          mutated[pos] = static_cast<char>(rng() % 256);
          break;
        case 1:
          mutated.erase(pos, 1 + rng() % 8);
          break;
        default:
          mutated.insert(pos, 1, "%&=?:\\"[rng() % 6]);
      }
      if (mutated.empty()) mutated = "x";
    }
    StatusOr<Node> node = Node::Decode(mutated);
    if (node.ok()) {
      EXPECT_OK(node->Validate());
    } else {
      EXPECT_EQ(StatusCode::kInvalidArgument, node.status().code());
    }
  }
}

TEST(NodeTest, TypeNamesRoundTrip) {
  for (NodeType type : kAllNodeTypes) {
    ASSERT_OK_AND_ASSIGN(NodeType back, ParseNodeType(NodeTypeName(type)));
    EXPECT_EQ(type, back);
  }
  EXPECT_EQ("TASK_TRACKER", NodeTypeName(NodeType::kTaskTracker));
  EXPECT_THAT(ParseNodeType("BACKEND"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("BACKEND")));
}

TEST(RegistryAddressTest, ParsesTheThreeSchemes) {
  ASSERT_OK_AND_ASSIGN(RegistryAddress zk,
                       ParseRegistryAddress("zookeeper://h1:2181,10.0.0.2:2182"));
  EXPECT_EQ(RegistryAddress::Kind::kZooKeeper, zk.kind);
  EXPECT_EQ("h1:2181,10.0.0.2:2182", zk.target);
  ASSERT_OK_AND_ASSIGN(RegistryAddress redis, ParseRegistryAddress("redis://127.0.0.1:6379"));
  EXPECT_EQ(RegistryAddress::Kind::kRedis, redis.kind);
  EXPECT_EQ("127.0.0.1:6379", redis.target);
  ASSERT_OK_AND_ASSIGN(RegistryAddress embedded, ParseRegistryAddress("embedded://"));
  EXPECT_EQ(RegistryAddress::Kind::kEmbedded, embedded.kind);
  EXPECT_EQ("", embedded.target);
  ASSERT_OK_AND_ASSIGN(embedded, ParseRegistryAddress("embedded://unit-1"));
  EXPECT_EQ("unit-1", embedded.target);
}

TEST(RegistryAddressTest, BadAddressesNameTheAddress) {
  for (const char* bad : {"", "zookeeper://", "zookeeper://h1", "zookeeper://h1:0",
                          "zookeeper://h1:65536", "zookeeper://h1:2181,", "zookeeper://h 1:2181",
                          "zookeeper://h1:2181/chroot", "redis://h1:1,h2:2", "redis://:6379",
                          "multicast://224.5.6.7:1234", "embedded://a/b", "http://x:1"}) {
    EXPECT_THAT(ParseRegistryAddress(bad),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"" + std::string(bad) + "\"")))
        << bad;
  }
  RegistryOptions options;
  options.address = "zoo://x:1";
  EXPECT_THAT(CreateRegistry(options),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("zoo://x:1")));
  options.address = "embedded://";
  options.cluster = "";
  EXPECT_THAT(CreateRegistry(options),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("cluster")));
}

}  // namespace
}  // namespace lts::registry
