#include "rpc/status_codes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "rpc/command.h"
#include "testing/status_matchers.h"

namespace lts::rpc {
namespace {

using ::lts::testing::StatusIs;
using ::nlohmann::json;
using ::testing::HasSubstr;

constexpr BodyFormat kFormats[] = {BodyFormat::kJson, BodyFormat::kCbor, BodyFormat::kMessagePack};

TEST(StatusCodesTest, WireNumbersAreFrozen) {
  // These numbers are the protocol; changing one breaks every deployed peer.
  EXPECT_EQ(0, StatusCodeToWire(StatusCode::kOk));
  EXPECT_EQ(1, StatusCodeToWire(StatusCode::kCancelled));
  EXPECT_EQ(2, StatusCodeToWire(StatusCode::kInvalidArgument));
  EXPECT_EQ(3, StatusCodeToWire(StatusCode::kDeadlineExceeded));
  EXPECT_EQ(4, StatusCodeToWire(StatusCode::kNotFound));
  EXPECT_EQ(5, StatusCodeToWire(StatusCode::kAlreadyExists));
  EXPECT_EQ(6, StatusCodeToWire(StatusCode::kResourceExhausted));
  EXPECT_EQ(7, StatusCodeToWire(StatusCode::kFailedPrecondition));
  EXPECT_EQ(8, StatusCodeToWire(StatusCode::kAborted));
  EXPECT_EQ(9, StatusCodeToWire(StatusCode::kUnavailable));
  EXPECT_EQ(10, StatusCodeToWire(StatusCode::kInternal));
  EXPECT_EQ(11, StatusCodeToWire(StatusCode::kNotSupported));
  EXPECT_EQ(12, StatusCodeToWire(StatusCode::kCorruption));
  EXPECT_EQ(13, StatusCodeToWire(StatusCode::kIOError));
  EXPECT_EQ(14, StatusCodeToWire(StatusCode::kExecuteException));
}

TEST(StatusCodesTest, EveryStatusCodeHasOneWireNumberAndRoundTrips) {
  std::set<uint16_t> wires;
  for (int code = 0; StatusCodeName(static_cast<StatusCode>(code)) != "UNKNOWN"; ++code) {
    const auto status_code = static_cast<StatusCode>(code);
    const uint16_t wire = StatusCodeToWire(status_code);
    EXPECT_TRUE(IsKnownWireStatus(wire));
    EXPECT_EQ(status_code, StatusCodeFromWire(wire)) << StatusCodeName(status_code);
    wires.insert(wire);
  }
  EXPECT_EQ(std::size(kWireStatusTable), wires.size()) << "a code is missing from the table";
}

TEST(StatusCodesTest, UnknownWireNumbersBecomeInternalWithTheNumber) {
  EXPECT_FALSE(IsKnownWireStatus(999));
  EXPECT_EQ(StatusCode::kInternal, StatusCodeFromWire(999));
  EXPECT_THAT(StatusFromWire(999, "boom"),
              StatusIs(StatusCode::kInternal, "unknown wire status 999: boom"));
  EXPECT_EQ(10, StatusCodeToWire(static_cast<StatusCode>(200)));
}

TEST(StatusCodesTest, StatusFromWireKeepsCodeAndMessage) {
  EXPECT_OK(StatusFromWire(0, "ignored"));
  EXPECT_THAT(StatusFromWire(6, "queue full"),
              StatusIs(StatusCode::kResourceExhausted, "queue full"));
}

TEST(StatusCodesTest, ErrorResponsesCarryTheStatusInEveryFormat) {
  for (BodyFormat format : kFormats) {
    Frame request;
    request.command = ToWire(Command::kSubmitJob);
    request.request_id = 42;
    request.format = format;
    const Frame response = MakeErrorResponse(request, NotFound("job t1"));
    EXPECT_TRUE(response.is_response());
    EXPECT_EQ(42u, response.request_id);
    EXPECT_EQ(request.command, response.command);
    EXPECT_EQ(format, response.format);
    EXPECT_EQ(4, response.status);
    EXPECT_THAT(ResponseStatus(response), StatusIs(StatusCode::kNotFound, "job t1"));
    // The frame survives the codec.
    std::string bytes;
    ASSERT_OK(EncodeFrame(response, &bytes));
    ASSERT_OK_AND_ASSIGN(Frame decoded, DecodeOneFrame(bytes));
    EXPECT_THAT(ResponseStatus(decoded), StatusIs(StatusCode::kNotFound, "job t1"));
  }
}

TEST(StatusCodesTest, OkResponsesAreEmpty) {
  Frame request;
  request.command = ToWire(Command::kPing);
  request.request_id = 3;
  const Frame ok = MakeErrorResponse(request, Status::Ok());
  EXPECT_EQ(0, ok.status);
  EXPECT_TRUE(ok.body.empty());
  EXPECT_OK(ResponseStatus(ok));
  const Frame echo = MakeResponse(request, "payload");
  EXPECT_EQ("payload", echo.body);
  EXPECT_EQ(kFlagResponse, echo.flags);
}

TEST(StatusCodesTest, NonUtf8MessagesAreQuotedNotDropped) {
  Frame request;
  const Frame response = MakeErrorResponse(request, InvalidArgument("bad \xff byte"));
  EXPECT_THAT(ResponseStatus(response), StatusIs(StatusCode::kInvalidArgument, HasSubstr("\\xff")));
}

TEST(StatusCodesTest, UnreadableErrorBodiesKeepTheStatus) {
  Frame response;
  response.flags = kFlagResponse;
  response.status = 9;
  response.body = "{not json";
  EXPECT_THAT(ResponseStatus(response),
              StatusIs(StatusCode::kUnavailable, HasSubstr("unreadable error body")));
  response.status = 1234;
  response.body = R"({"message":"new"})";
  EXPECT_THAT(ResponseStatus(response),
              StatusIs(StatusCode::kInternal, "unknown wire status 1234: new"));
}

TEST(StatusCodesTest, GoAwayCarriesTheReason) {
  for (BodyFormat format : kFormats) {
    const Frame frame = MakeGoAway(NotSupported("frame version 2"), format);
    EXPECT_TRUE(frame.is_oneway());
    EXPECT_EQ(ToWire(Command::kGoAway), frame.command);
    EXPECT_THAT(GoAwayReason(frame), StatusIs(StatusCode::kNotSupported, "frame version 2"));
    ASSERT_OK_AND_ASSIGN(json body, DecodeBody(frame.body, format));
    EXPECT_EQ(1, body["max_version"]);
  }
  Frame broken = MakeGoAway(Unavailable("x"));
  broken.body = "[]";
  EXPECT_THAT(GoAwayReason(broken), StatusIs(StatusCode::kInternal, HasSubstr("not an object")));
  broken.body = R"({"status":70000})";
  EXPECT_THAT(GoAwayReason(broken), StatusIs(StatusCode::kInternal, HasSubstr("valid status")));
}

TEST(CommandTest, CodesAndNamesAreUniqueAndInTheirRanges) {
  std::set<uint16_t> codes;
  std::set<std::string_view> names;
  for (const CommandInfo& info : kCommandTable) {
    const uint16_t code = ToWire(info.command);
    EXPECT_TRUE(codes.insert(code).second) << code;
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    EXPECT_NE(0, code);
    EXPECT_LT(code, kFirstPrivateCommand);
    for (char c : info.name) EXPECT_TRUE((c >= 'A' && c <= 'Z') || c == '_') << info.name;
    EXPECT_EQ(&info, FindCommand(code));
  }
  // Java LTS numbers.
  EXPECT_EQ(10, ToWire(Command::kHeartbeat));
  EXPECT_EQ(11, ToWire(Command::kSubmitJob));
  EXPECT_EQ(13, ToWire(Command::kPushJob));
  EXPECT_EQ(14, ToWire(Command::kJobCompleted));
  EXPECT_EQ(15, ToWire(Command::kJobAsk));
  EXPECT_EQ(16, ToWire(Command::kJobPull));
  EXPECT_EQ(17, ToWire(Command::kBizLogSend));
  EXPECT_EQ(18, ToWire(Command::kCancelJob));
}

TEST(CommandTest, UnknownCodesArePrintable) {
  EXPECT_FALSE(IsKnownCommand(0));
  EXPECT_FALSE(IsKnownCommand(12));
  EXPECT_TRUE(IsKnownCommand(11));
  EXPECT_EQ("SUBMIT_JOB(11)", CommandToString(11));
  EXPECT_EQ("UNKNOWN(999)", CommandToString(999));
  static_assert(CommandName(1) == "PING");
}

}  // namespace
}  // namespace lts::rpc
