#include "rpc/status_codes.h"

#include <fmt/format.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <utility>

#include "base/check.h"
#include "base/string_util.h"
#include "base/utf8.h"
#include "rpc/command.h"

namespace lts::rpc {

namespace {

using nlohmann::json;

// Status messages are ours, but may quote peer data: keep the body encodable.
std::string EncodableMessage(std::string_view message) {
  if (IsValidUtf8(message)) return std::string(message);
  return Quote(message, message.size());
}

// Serialises `value` in `format`; the values built here are always encodable.
std::string EncodeOwnBody(const json& value, BodyFormat format) {
  std::string body;
  LTS_CHECK_OK(EncodeBody(value, format, &body));
  return body;
}

// The "message" member of an error body, or a description of why there is none.
std::string MessageFromBody(const Frame& frame) {
  StatusOr<json> value = DecodeBody(frame.body, frame.format);
  if (!value.ok()) return fmt::format("(unreadable error body: {})", value.status().message());
  if (!value->is_object()) return "";
  const auto it = value->find("message");
  if (it == value->end() || !it->is_string()) return "";
  return it->get<std::string>();
}

}  // namespace

uint16_t StatusCodeToWire(StatusCode code) {
  for (const WireStatus& row : kWireStatusTable) {
    if (row.code == code) return row.wire;
  }
  return StatusCodeToWire(StatusCode::kInternal);
}

bool IsKnownWireStatus(uint16_t wire) {
  for (const WireStatus& row : kWireStatusTable) {
    if (row.wire == wire) return true;
  }
  return false;
}

StatusCode StatusCodeFromWire(uint16_t wire) {
  for (const WireStatus& row : kWireStatusTable) {
    if (row.wire == wire) return row.code;
  }
  return StatusCode::kInternal;
}

Status StatusFromWire(uint16_t wire, std::string_view message) {
  if (wire == 0) return Status::Ok();
  if (!IsKnownWireStatus(wire)) {
    return Internal(fmt::format("unknown wire status {}: {}", wire, message));
  }
  return Status(StatusCodeFromWire(wire), message);
}

Frame MakeResponse(const Frame& request, std::string body) {
  Frame response;
  response.flags = kFlagResponse;
  response.format = request.format;
  response.command = request.command;
  response.status = 0;
  response.request_id = request.request_id;
  response.body = std::move(body);
  return response;
}

Frame MakeErrorResponse(const Frame& request, const Status& status) {
  Frame response = MakeResponse(request, "");
  if (status.ok()) return response;
  response.status = StatusCodeToWire(status.code());
  response.body =
      EncodeOwnBody(json{{"message", EncodableMessage(status.message())}}, request.format);
  return response;
}

Status ResponseStatus(const Frame& response) {
  if (response.status == 0) return Status::Ok();
  return StatusFromWire(response.status, MessageFromBody(response));
}

Frame MakeGoAway(const Status& reason, BodyFormat format) {
  Frame frame;
  frame.flags = kFlagRequest | kFlagOneway;
  frame.format = format;
  frame.command = ToWire(Command::kGoAway);
  frame.request_id = 0;
  frame.body = EncodeOwnBody(json{{"status", StatusCodeToWire(reason.code())},
                                  {"message", EncodableMessage(reason.message())},
                                  {"max_version", kFrameVersion}},
                             format);
  return frame;
}

Status GoAwayReason(const Frame& frame) {
  LTS_DCHECK(frame.command == ToWire(Command::kGoAway)) << FrameSummary(frame);
  StatusOr<json> value = DecodeBody(frame.body, frame.format);
  if (!value.ok()) {
    return Internal(fmt::format("GO_AWAY with an unreadable body: {}", value.status().message()));
  }
  const json& body = *value;
  if (!body.is_object()) return Internal("GO_AWAY body is not an object");
  const auto status = body.find("status");
  if (status == body.end() || !status->is_number_unsigned() ||
      status->get<uint64_t>() > UINT16_MAX) {
    return Internal("GO_AWAY without a valid status");
  }
  const auto wire = static_cast<uint16_t>(status->get<uint64_t>());
  std::string message;
  if (const auto it = body.find("message"); it != body.end() && it->is_string()) {
    message = it->get<std::string>();
  }
  return StatusFromWire(wire, message);
}

}  // namespace lts::rpc
