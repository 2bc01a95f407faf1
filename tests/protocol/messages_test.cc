// The job protocol's decoders (protocol/messages.h): the control ops on TaskTrackers
// (disable-node, enable-node with their identity) and the stats query kind.

#include "protocol/messages.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "testing/status_matchers.h"

namespace lts::protocol {
namespace {

using ::lts::testing::StatusIs;
using nlohmann::json;
using ::testing::HasSubstr;

TEST(ControlOpTest, NamesRoundTrip) {
  for (ControlOp op : {ControlOp::kPause, ControlOp::kResume, ControlOp::kTrigger,
                       ControlOp::kCancel, ControlOp::kTerminate, ControlOp::kRetryDead,
                       ControlOp::kDisableNode, ControlOp::kEnableNode}) {
    ASSERT_OK_AND_ASSIGN(ControlOp parsed, ParseControlOp(ControlOpName(op)));
    EXPECT_EQ(parsed, op) << ControlOpName(op);
  }
  EXPECT_EQ(ControlOpName(ControlOp::kDisableNode), "disable-node");
  EXPECT_EQ(ControlOpName(ControlOp::kEnableNode), "enable-node");
  EXPECT_TRUE(IsNodeControlOp(ControlOp::kDisableNode));
  EXPECT_TRUE(IsNodeControlOp(ControlOp::kEnableNode));
  EXPECT_FALSE(IsNodeControlOp(ControlOp::kPause));
  EXPECT_THAT(ParseControlOp("disable"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("disable-node, enable-node")));
}

TEST(ControlRequestTest, DisableAndEnableNodeCarryTheIdentity) {
  for (const char* op : {"disable-node", "enable-node"}) {
    ASSERT_OK_AND_ASSIGN(ControlRequest request,
                         ControlRequest::FromJson(json{{"op", op}, {"identity", "tt-1"}}));
    EXPECT_EQ(ControlOpName(request.op), op);
    EXPECT_EQ(request.identity, "tt-1");
    EXPECT_TRUE(request.key.task_id.empty());  // No key needed.
    // And back.
    ASSERT_OK_AND_ASSIGN(ControlRequest again, ControlRequest::FromJson(request.ToJson()));
    EXPECT_EQ(again.op, request.op);
    EXPECT_EQ(again.identity, "tt-1");
  }
  // Through an RPC body in every format.
  ControlRequest request;
  request.op = ControlOp::kDisableNode;
  request.identity = "tasktracker-host-42";
  for (rpc::BodyFormat format :
       {rpc::BodyFormat::kJson, rpc::BodyFormat::kCbor, rpc::BodyFormat::kMessagePack}) {
    ASSERT_OK_AND_ASSIGN(std::string body, EncodeMessage(request, format));
    ASSERT_OK_AND_ASSIGN(ControlRequest decoded, DecodeMessage<ControlRequest>(body, format));
    EXPECT_EQ(decoded.op, ControlOp::kDisableNode);
    EXPECT_EQ(decoded.identity, "tasktracker-host-42");
  }
}

TEST(ControlRequestTest, NodeOpsRequireAValidIdentity) {
  EXPECT_THAT(ControlRequest::FromJson(json{{"op", "disable-node"}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("control.identity: required")));
  EXPECT_THAT(ControlRequest::FromJson(json{{"op", "enable-node"}, {"identity", ""}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("control.identity: required")));
  EXPECT_THAT(ControlRequest::FromJson(json{{"op", "disable-node"}, {"identity", 7}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("control.identity")));
  // A job key is no identity.
  EXPECT_THAT(ControlRequest::FromJson(
                  json{{"op", "disable-node"}, {"key", {{"nodeGroup", "g"}, {"taskId", "t"}}}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("control.identity")));
  // At most kMaxIdBytes.
  EXPECT_OK(ControlRequest::FromJson(
      json{{"op", "disable-node"}, {"identity", std::string(kMaxIdBytes, 'x')}}));
  EXPECT_THAT(ControlRequest::FromJson(
                  json{{"op", "disable-node"}, {"identity", std::string(kMaxIdBytes + 1, 'x')}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("control.identity")));
}

TEST(ControlRequestTest, JobOpsAreUnchanged) {
  ASSERT_OK_AND_ASSIGN(ControlRequest pause,
                       ControlRequest::FromJson(
                           json{{"op", "pause"}, {"key", {{"nodeGroup", "g"}, {"taskId", "t"}}}}));
  EXPECT_EQ(pause.op, ControlOp::kPause);
  EXPECT_EQ(pause.key.node_group, "g");
  EXPECT_TRUE(pause.identity.empty());
  EXPECT_FALSE(pause.ToJson().contains("identity"));
  // An identity does not stand in for a job op's key.
  EXPECT_THAT(ControlRequest::FromJson(json{{"op", "pause"}, {"identity", "tt-1"}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("control.key: required")));
  EXPECT_THAT(ControlRequest::FromJson(json{{"op", "retry-dead"}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("control.jobId: required")));
}

TEST(QueryRequestTest, StatsKind) {
  EXPECT_EQ(QueryKindName(QueryKind::kStats), "stats");
  ASSERT_OK_AND_ASSIGN(QueryKind kind, ParseQueryKind("stats"));
  EXPECT_EQ(kind, QueryKind::kStats);
  ASSERT_OK_AND_ASSIGN(QueryRequest request, QueryRequest::FromJson(json{{"kind", "stats"}}));
  EXPECT_EQ(request.kind, QueryKind::kStats);
  ASSERT_OK_AND_ASSIGN(QueryRequest again, QueryRequest::FromJson(request.ToJson()));
  EXPECT_EQ(again.kind, QueryKind::kStats);
  for (QueryKind k : {QueryKind::kList, QueryKind::kGet, QueryKind::kLogs, QueryKind::kBizLog,
                      QueryKind::kCounts, QueryKind::kStats}) {
    ASSERT_OK_AND_ASSIGN(QueryKind parsed, ParseQueryKind(QueryKindName(k)));
    EXPECT_EQ(parsed, k);
  }
  EXPECT_THAT(QueryRequest::FromJson(json{{"kind", "stat"}}),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("query.kind: 'stat' is not one of list, get, logs, bizlog, "
                                 "counts, stats")));
}

}  // namespace
}  // namespace lts::protocol
