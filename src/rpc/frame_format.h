// Constants of the LTS wire frame, version 1: the layout every node speaks on its RPC
// connections. Specified in docs/rpc_protocol.md; encoded and decoded by frame_codec.h.
//
// A frame is a fixed 32-byte header followed by the body. All integers are
// little-endian.
//
//   offset size field
//   0      4    magic: the bytes "LTS1"
//   4      1    version: 1
//   5      1    flags: bit 0 REQUEST, bit 1 RESPONSE, bit 2 ONEWAY; bits 3-7 must be 0
//   6      1    body format: 0 JSON, 1 CBOR, 2 MessagePack
//   7      1    reserved: 0
//   8      2    command code (rpc/command.h)
//   10     2    status code of a response (rpc/status_codes.h); 0 in requests
//   12     8    request id; a response carries the id of its request
//   20     4    body length in bytes
//   24     4    header CRC: masked CRC32C of bytes [0, 24)
//   28     4    body CRC: masked CRC32C of the body
//   32     n    body
//
// Magic and version keep their offsets in every future version, so that any peer can
// tell "not LTS" from "a version I do not speak" (docs/rpc_protocol.md, versioning).

#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lts::rpc {

// "LTS1" read as a little-endian u32.
inline constexpr uint32_t kFrameMagic = 0x3153544Cu;
inline constexpr std::string_view kFrameMagicBytes = "LTS1";
inline constexpr uint8_t kFrameVersion = 1;

// Header field offsets and sizes.
inline constexpr size_t kMagicOffset = 0;
inline constexpr size_t kVersionOffset = 4;
inline constexpr size_t kFlagsOffset = 5;
inline constexpr size_t kFormatOffset = 6;
inline constexpr size_t kReservedOffset = 7;
inline constexpr size_t kCommandOffset = 8;
inline constexpr size_t kStatusOffset = 10;
inline constexpr size_t kRequestIdOffset = 12;
inline constexpr size_t kBodyLengthOffset = 20;
inline constexpr size_t kHeaderCrcOffset = 24;
inline constexpr size_t kBodyCrcOffset = 28;
// Bytes [0, kHeaderCrcCoverage) are covered by the header CRC.
inline constexpr size_t kHeaderCrcCoverage = 24;
inline constexpr size_t kFrameHeaderSize = 32;

// Flag bits.
inline constexpr uint8_t kFlagRequest = 0x01;
inline constexpr uint8_t kFlagResponse = 0x02;
// With kFlagRequest: the sender expects no response.
inline constexpr uint8_t kFlagOneway = 0x04;
inline constexpr uint8_t kKnownFlags = kFlagRequest | kFlagResponse | kFlagOneway;

// How the body is serialised. Every format carries the JSON data model
// (rpc/body_codec.h); an empty body means null.
enum class BodyFormat : uint8_t {
  kJson = 0,
  kCbor = 1,
  kMessagePack = 2,
};
inline constexpr uint8_t kMaxBodyFormat = 2;

// Largest body a peer accepts unless configured otherwise: 16 MiB, as Java LTS's
// netty.frame.length.max.
inline constexpr uint32_t kDefaultMaxBodyBytes = 16u * 1024 * 1024;

}  // namespace lts::rpc
