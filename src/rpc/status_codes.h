// Status codes on the wire: the one table mapping lts::StatusCode to the u16 status of a
// response frame and back, plus the frames that carry a Status (error responses and
// GO_AWAY). Specified in docs/rpc_protocol.md (a test keeps the table there in step).
//
// The wire numbers are fixed forever, independently of the C++ enum's values: a new
// StatusCode gets the next unused number, and a removed one keeps its number reserved.
// A wire value this build does not know becomes kInternal, with the number in the
// message, so that a newer peer's code is never mistaken for another.
//
// Java LTS's generic response codes map as: SUCCESS -> OK, SYSTEM_ERROR -> INTERNAL,
// SYSTEM_BUSY -> RESOURCE_EXHAUSTED, REQUEST_CODE_NOT_SUPPORTED -> NOT_SUPPORTED,
// REQUEST_PARAM_ERROR -> INVALID_ARGUMENT.
//
// Thread safety: pure functions.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lts/status.h"
#include "rpc/body_codec.h"
#include "rpc/frame_codec.h"

namespace lts::rpc {

struct WireStatus {
  StatusCode code;
  uint16_t wire;
};

inline constexpr WireStatus kWireStatusTable[] = {
    {StatusCode::kOk, 0},
    {StatusCode::kCancelled, 1},
    {StatusCode::kInvalidArgument, 2},
    {StatusCode::kDeadlineExceeded, 3},
    {StatusCode::kNotFound, 4},
    {StatusCode::kAlreadyExists, 5},
    {StatusCode::kResourceExhausted, 6},
    {StatusCode::kFailedPrecondition, 7},
    {StatusCode::kAborted, 8},
    {StatusCode::kUnavailable, 9},
    {StatusCode::kInternal, 10},
    {StatusCode::kNotSupported, 11},
    {StatusCode::kCorruption, 12},
    {StatusCode::kIOError, 13},
    {StatusCode::kExecuteException, 14},
};

// The wire number of `code`; a value outside the enum maps to INTERNAL's number.
uint16_t StatusCodeToWire(StatusCode code);

// True if `wire` is in the table.
bool IsKnownWireStatus(uint16_t wire);

// The code of `wire`; kInternal for a number this build does not know.
StatusCode StatusCodeFromWire(uint16_t wire);

// The Status a peer reported: OK for 0 (the message is dropped); otherwise the mapped
// code with `message`, and for an unknown number kInternal with
// "unknown wire status 999: <message>".
Status StatusFromWire(uint16_t wire, std::string_view message);

// A successful response to `request`: RESPONSE flag, same command, request id and body
// format, status 0, the given body (already serialised in request.format).
Frame MakeResponse(const Frame& request, std::string body);

// A response to `request` carrying `status`: the body is {"message": <text>} in the
// request's format (text that is not UTF-8 is quoted). An OK status gives an OK
// response with an empty body.
Frame MakeErrorResponse(const Frame& request, const Status& status);

// The Status a response frame carries: OK for status 0, otherwise the mapped code with
// the body's "message". A body that cannot be decoded does not hide the status: its
// problem becomes the message.
Status ResponseStatus(const Frame& response);

// A GO_AWAY frame (oneway request, request id 0) telling the peer why this side is
// closing the connection. Body: {"status": <wire code>, "message": <text>,
// "max_version": kFrameVersion}.
Frame MakeGoAway(const Status& reason, BodyFormat format = BodyFormat::kJson);

// The reason a GO_AWAY frame carries (kInternal if the body is unreadable).
// REQUIRES: frame.command == GO_AWAY.
Status GoAwayReason(const Frame& frame);

}  // namespace lts::rpc
