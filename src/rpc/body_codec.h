// Frame bodies as nlohmann::json values, in the three body formats of frame_format.h:
// JSON text, CBOR (RFC 8949) and MessagePack. All three carry the same data model
// (null, bool, integers, doubles, UTF-8 strings, arrays, objects with string keys, and
// byte strings from CBOR/MessagePack); an empty body is null.
//
// Bodies come from peers, so decoding is defensive: size, nesting depth and value count
// are limited before or while parsing (nlohmann-json's binary readers recurse, and a
// CBOR array header is a single byte), strings must be valid UTF-8, CBOR must be
// well-formed without tags, and no exception of the library escapes: every failure is a
// kInvalidArgument Status naming the format and, where known, the byte offset.
//
// Thread safety: pure functions.

#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "lts/status.h"
#include "lts/statusor.h"
#include "rpc/frame_format.h"

namespace lts::rpc {

struct BodyLimits {
  // Largest body accepted, in bytes.
  size_t max_bytes = kDefaultMaxBodyBytes;
  // Deepest nesting of arrays and objects: a scalar is depth 0, [] is depth 1.
  int max_depth = 64;
  // Most values (scalars, arrays and objects, keys not counted) in one body: bounds the
  // memory a small body can make us allocate (a one-byte CBOR null becomes a 16-byte
  // json value).
  size_t max_values = 1u << 20;
};

// Parses `body` in `format` into `*value` within `limits`. An empty body gives null.
// Errors: kInvalidArgument (too large, too deep, too many values, malformed, invalid
// UTF-8, a CBOR tag, trailing bytes), naming the format; kResourceExhausted if memory
// runs out within the limits.
StatusOr<nlohmann::json> DecodeBody(std::string_view body, BodyFormat format,
                                    const BodyLimits& limits = BodyLimits());

// Replaces `*out` with `value` serialised in `format`; null becomes an empty body.
// Errors: kInvalidArgument if a string is not valid UTF-8, the value nests deeper than
// `max_depth`, or the format is unknown.
Status EncodeBody(const nlohmann::json& value, BodyFormat format, std::string* out,
                  int max_depth = BodyLimits().max_depth);

// Checks that `body` is one well-formed CBOR data item (RFC 8949 section 3, no tags,
// no simple values other than false/true/null, every declared length within the
// input) nesting no deeper than `max_depth`, without recursion. DecodeBody() calls it
// before handing CBOR to nlohmann-json. Errors: kInvalidArgument with the byte offset.
Status CheckCborStructure(std::string_view body, int max_depth);

}  // namespace lts::rpc
