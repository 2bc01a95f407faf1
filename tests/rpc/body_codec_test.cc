#include "rpc/body_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "testing/status_matchers.h"

namespace lts::rpc {
namespace {

using ::lts::testing::StatusIs;
using ::nlohmann::json;
using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::HasSubstr;

constexpr BodyFormat kFormats[] = {BodyFormat::kJson, BodyFormat::kCbor, BodyFormat::kMessagePack};

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

std::string Repeat(std::string_view piece, size_t times) {
  std::string s;
  s.reserve(piece.size() * times);
  for (size_t i = 0; i < times; ++i) s.append(piece);
  return s;
}

// [[...[null]...]] nested `depth` deep, in `format`, built byte by byte.
std::string Nested(BodyFormat format, size_t depth) {
  switch (format) {
    case BodyFormat::kJson:
      return Repeat("[", depth) + "null" + Repeat("]", depth);
    case BodyFormat::kCbor:
      return Repeat("\x81", depth) + "\xf6";  // array(1) ... null
    case BodyFormat::kMessagePack:
      return Repeat("\x91", depth) + "\xc0";  // fixarray(1) ... nil
  }
  return "";
}

std::string EncodeOrDie(const json& value, BodyFormat format) {
  std::string out;
  EXPECT_OK(EncodeBody(value, format, &out));
  return out;
}

json RichValue() {
  return json{
      {"string", "h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x98\x80"},
      {"empty", ""},
      {"int", -42},
      {"big", std::numeric_limits<int64_t>::min()},
      {"ubig", std::numeric_limits<uint64_t>::max()},
      {"double", 2.5},
      {"bool", true},
      {"null", nullptr},
      {"array", json::array({1, "two", json::array({3.25, false}), json::object()})},
      {"object", {{"nested", {{"deeper", json::array()}}}}},
  };
}

TEST(BodyCodecTest, RichValueRoundTripsInEveryFormat) {
  const json value = RichValue();
  for (BodyFormat format : kFormats) {
    const std::string body = EncodeOrDie(value, format);
    ASSERT_OK_AND_ASSIGN(json decoded, DecodeBody(body, format));
    EXPECT_EQ(value, decoded) << static_cast<int>(format);
  }
}

TEST(BodyCodecTest, ByteStringsRoundTripInTheBinaryFormats) {
  const json value = {{"blob", json::binary({0, 1, 2, 255})}};
  for (BodyFormat format : {BodyFormat::kCbor, BodyFormat::kMessagePack}) {
    ASSERT_OK_AND_ASSIGN(json decoded, DecodeBody(EncodeOrDie(value, format), format));
    EXPECT_EQ(value, decoded);
  }
}

TEST(BodyCodecTest, EmptyBodyIsNullAndNullIsAnEmptyBody) {
  for (BodyFormat format : kFormats) {
    ASSERT_OK_AND_ASSIGN(json decoded, DecodeBody("", format));
    EXPECT_TRUE(decoded.is_null());
    std::string out = "stale";
    ASSERT_OK(EncodeBody(json(), format, &out));
    EXPECT_EQ("", out);
  }
}

TEST(BodyCodecTest, NestingUpToTheLimitIsAcceptedAndOneMoreIsNot) {
  BodyLimits limits;
  limits.max_depth = 64;
  for (BodyFormat format : kFormats) {
    EXPECT_OK(DecodeBody(Nested(format, 64), format, limits).status()) << static_cast<int>(format);
    EXPECT_THAT(DecodeBody(Nested(format, 65), format, limits),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("deeper than 64")))
        << static_cast<int>(format);
  }
}

TEST(BodyCodecTest, HostileDeepNestingGivesAStatusNotAStackOverflow) {
  // A million levels: one byte each in CBOR and MessagePack, whose readers in
  // nlohmann-json recurse per level.
  for (BodyFormat format : kFormats) {
    EXPECT_THAT(DecodeBody(Nested(format, 1000000), format),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("deeper than")))
        << static_cast<int>(format);
  }
  // Objects count as levels too: {"a":{"a":...}} in MessagePack.
  EXPECT_THAT(DecodeBody(Repeat("\x81\xa1\x61", 100000) + "\xc0", BodyFormat::kMessagePack),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("deeper than")));
}

TEST(BodyCodecTest, NestedIndefiniteCborStringsAreRejected) {
  // RFC 8949 forbids an indefinite-length string inside another; nlohmann-json would
  // recurse once per 0x7f.
  EXPECT_THAT(DecodeBody(Repeat("\x7f", 1000000), BodyFormat::kCbor),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("not a definite-length string of the same type")));
  EXPECT_THAT(DecodeBody(Bytes({0x5f, 0x61, 0x61, 0xff}), BodyFormat::kCbor),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("same type")));
  // Well-formed chunks are fine: (_ "ab", "c") == "abc".
  ASSERT_OK_AND_ASSIGN(
      json value, DecodeBody(Bytes({0x7f, 0x62, 'a', 'b', 0x61, 'c', 0xff}), BodyFormat::kCbor));
  EXPECT_EQ("abc", value);
}

TEST(BodyCodecTest, HugeStringsAreRejected) {
  BodyLimits limits;
  limits.max_bytes = 1024;
  for (BodyFormat format : kFormats) {
    const std::string body = EncodeOrDie(json(std::string(2000, 'x')), format);
    EXPECT_THAT(
        DecodeBody(body, format, limits),
        StatusIs(StatusCode::kInvalidArgument, AllOf(HasSubstr("exceeds the limit of 1024"),
                                                     HasSubstr(std::to_string(body.size())))));
  }
  // Declared lengths far past the end of a small body.
  EXPECT_THAT(DecodeBody(Bytes({0x7b, 0, 0, 1, 0, 0, 0, 0, 0, 'a'}), BodyFormat::kCbor),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("runs past the end")));
  EXPECT_THAT(DecodeBody(Bytes({0xdb, 0xff, 0xff, 0xff, 0xff, 'a'}), BodyFormat::kMessagePack),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("malformed")));
  EXPECT_THAT(DecodeBody("\"" + std::string(100, 'a'), BodyFormat::kJson),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("malformed")));
}

TEST(BodyCodecTest, HugeDeclaredContainersAreRejectedCheaply) {
  // CBOR array of 2^64-1 items, map of 2^32 pairs; MessagePack array32 of 2^32-1.
  EXPECT_THAT(DecodeBody(Bytes({0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00}),
                         BodyFormat::kCbor),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("declares")));
  EXPECT_THAT(DecodeBody(Bytes({0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x00}), BodyFormat::kCbor),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("declares 4294967296 pairs")));
  EXPECT_THAT(DecodeBody(Bytes({0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0}), BodyFormat::kMessagePack),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("malformed")));
}

TEST(BodyCodecTest, TooManyValuesAreRejected) {
  BodyLimits limits;
  limits.max_values = 100;
  const json many = json(std::vector<int>(200, 0));
  for (BodyFormat format : kFormats) {
    EXPECT_THAT(DecodeBody(EncodeOrDie(many, format), format, limits),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("more than 100 values")));
  }
}

TEST(BodyCodecTest, InvalidUtf8IsRejectedInEveryFormat) {
  // A lone continuation byte, an overlong '/', a surrogate, and a truncated sequence.
  for (const std::string& bad :
       {Bytes({0x80}), Bytes({0xc0, 0xaf}), Bytes({0xed, 0xa0, 0x80}), Bytes({'a', 0xe2, 0x82})}) {
    EXPECT_THAT(DecodeBody("\"" + bad + "\"", BodyFormat::kJson),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("JSON body")));
    const std::string cbor_text = Bytes({0x60 + static_cast<int>(bad.size())}) + bad;
    EXPECT_THAT(DecodeBody(cbor_text, BodyFormat::kCbor),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("string is not valid UTF-8")));
    const std::string msgpack_text = Bytes({0xa0 + static_cast<int>(bad.size())}) + bad;
    EXPECT_THAT(DecodeBody(msgpack_text, BodyFormat::kMessagePack),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("string is not valid UTF-8")));
    // As an object key: {bad: 1}.
    EXPECT_THAT(DecodeBody(Bytes({0x81}) + msgpack_text + Bytes({0x01}), BodyFormat::kMessagePack),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("object key is not valid")));
    EXPECT_THAT(DecodeBody(Bytes({0xa1}) + cbor_text + Bytes({0x01}), BodyFormat::kCbor),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("object key is not valid")));
  }
}

TEST(BodyCodecTest, EncodingRefusesInvalidUtf8AndExcessiveDepth) {
  std::string out;
  EXPECT_THAT(EncodeBody(json{{"k", Bytes({0xff})}}, BodyFormat::kJson, &out),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not valid UTF-8")));
  EXPECT_THAT(EncodeBody(json{{Bytes({0xff}), 1}}, BodyFormat::kCbor, &out),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("key is not valid UTF-8")));
  json deep = nullptr;
  for (int i = 0; i < 10; ++i) deep = json::array({deep});
  EXPECT_THAT(EncodeBody(deep, BodyFormat::kMessagePack, &out, /*max_depth=*/9),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("deeper than 9")));
  EXPECT_OK(EncodeBody(deep, BodyFormat::kMessagePack, &out, /*max_depth=*/10));
  // A MessagePack ext value has a subtype, which CBOR could only carry as a tag.
  EXPECT_THAT(EncodeBody(json::binary({1, 2}, 7), BodyFormat::kCbor, &out),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("subtype 7")));
  EXPECT_OK(EncodeBody(json::binary({1, 2}, 7), BodyFormat::kMessagePack, &out));
}

TEST(BodyCodecTest, CborWithoutTheJsonModelIsRejected) {
  struct Case {
    std::string bytes;
    std::string error;
  };
  const Case cases[] = {
      {Bytes({0xc1, 0x00}), "tags are not supported"},
      {Bytes({0xf7}), "unsupported simple value"},        // undefined
      {Bytes({0xf8, 0x20}), "unsupported simple value"},  // simple(32)
      {Bytes({0x1c}), "reserved additional information"},
      {Bytes({0xff}), "unexpected break"},
      {Bytes({0x1f}), "indefinite length"},
      {Bytes({0xbf, 0x61, 'a', 0xff}), "ends after a key"},
      {Bytes({0x01, 0x02}), "1 trailing bytes"},
      {Bytes({0x9f, 0x01}), "unexpected end of input"},
      {Bytes({0x82, 0x01}), "array declares 2 items but only 1 bytes follow"},
      {Bytes({0x19, 0x01}), "unexpected end of input in an argument"},
      {Bytes({0xa1, 0x01, 0x02}), "malformed"},  // Integer key: nlohmann refuses it.
  };
  for (const Case& c : cases) {
    EXPECT_THAT(DecodeBody(c.bytes, BodyFormat::kCbor),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.error)))
        << ::testing::PrintToString(c.bytes);
  }
}

TEST(BodyCodecTest, MalformedInputNamesFormatAndOffset) {
  EXPECT_THAT(
      DecodeBody("{\"a\":1,}", BodyFormat::kJson),
      StatusIs(StatusCode::kInvalidArgument,
               AllOf(HasSubstr("JSON body: malformed at byte"), HasSubstr("syntax error"))));
  EXPECT_THAT(DecodeBody("{} {}", BodyFormat::kJson),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("malformed")));
  EXPECT_THAT(DecodeBody(Bytes({0xc1}), BodyFormat::kMessagePack),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("MSGPACK body: malformed")));
  EXPECT_THAT(DecodeBody(Bytes({0xc0, 0xc0}), BodyFormat::kMessagePack),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("MSGPACK body")));
  EXPECT_THAT(DecodeBody("x", static_cast<BodyFormat>(9)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("unknown body format 9")));
}

TEST(BodyCodecTest, RandomBytesNeverThrow) {
  std::mt19937 rng(7);
  BodyLimits tight;
  tight.max_depth = 4;
  tight.max_values = 50;
  for (int round = 0; round < 3000; ++round) {
    std::string body(1 + rng() % 64, '\0');
    for (char& c : body) c = static_cast<char>(rng());
    for (BodyFormat format : kFormats) {
      for (const BodyLimits& limits : {BodyLimits(), tight}) {
        const StatusOr<json> value = DecodeBody(body, format, limits);
        if (!value.ok()) {
          ASSERT_THAT(value, StatusIs(StatusCode::kInvalidArgument, ::testing::_));
        }
      }
    }
  }
}

TEST(BodyCodecTest, CborStructureCheckAcceptsWhatTheEncoderWrites) {
  const json value = RichValue();
  EXPECT_OK(CheckCborStructure(EncodeOrDie(value, BodyFormat::kCbor), 64));
  EXPECT_OK(CheckCborStructure(EncodeOrDie(json{{"b", json::binary({1})}}, BodyFormat::kCbor), 64));
  EXPECT_THAT(CheckCborStructure(EncodeOrDie(value, BodyFormat::kCbor), 2),
              StatusIs(StatusCode::kInvalidArgument, AnyOf(HasSubstr("deeper than 2"))));
}

}  // namespace
}  // namespace lts::rpc
