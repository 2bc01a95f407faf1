#include "rpc/frame_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "base/coding.h"
#include "base/crc32c.h"
#include "rpc/command.h"
#include "rpc/frame_format.h"
#include "testing/status_matchers.h"

namespace lts::rpc {

// gtest prints frames in failure messages with this.
void PrintTo(const Frame& frame, std::ostream* os) {
  *os << FrameSummary(frame) << " flags=" << static_cast<int>(frame.flags);
}

namespace {

using ::lts::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Frame MakeFrame(uint16_t command, uint64_t request_id, std::string body,
                uint8_t flags = kFlagRequest, BodyFormat format = BodyFormat::kJson,
                uint16_t status = 0) {
  Frame frame;
  frame.flags = flags;
  frame.format = format;
  frame.command = command;
  frame.status = status;
  frame.request_id = request_id;
  frame.body = std::move(body);
  return frame;
}

std::string Encode(const Frame& frame) {
  std::string out;
  EXPECT_OK(EncodeFrame(frame, &out));
  return out;
}

std::string EncodeAll(const std::vector<Frame>& frames) {
  std::string out;
  for (const Frame& frame : frames) out += Encode(frame);
  return out;
}

// Rewrites the header CRC after a test changed header bytes on purpose.
void FixHeaderCrc(std::string* bytes, size_t frame_offset = 0) {
  char* header = bytes->data() + frame_offset;
  EncodeFixed32(header + kHeaderCrcOffset, crc32c::Mask(crc32c::Value(header, kHeaderCrcCoverage)));
}

// Feeds `bytes` in pieces of the given sizes (the rest in one piece at the end).
struct FeedResult {
  std::vector<Frame> frames;
  Status status;
  size_t buffered = 0;
};
FeedResult FeedInPieces(std::string_view bytes, const std::vector<size_t>& sizes,
                        uint32_t max_body = kDefaultMaxBodyBytes) {
  FrameDecoder decoder(max_body);
  FeedResult result;
  size_t pos = 0;
  for (size_t size : sizes) {
    size = std::min(size, bytes.size() - pos);
    result.status = decoder.Feed(bytes.data() + pos, size, &result.frames);
    pos += size;
    if (!result.status.ok()) return result;
  }
  result.status = decoder.Feed(bytes.data() + pos, bytes.size() - pos, &result.frames);
  result.buffered = decoder.buffered_bytes();
  return result;
}

FeedResult FeedAll(std::string_view bytes, uint32_t max_body = kDefaultMaxBodyBytes) {
  return FeedInPieces(bytes, {}, max_body);
}

// Drives Decode() the way a connection with a net::Buffer does: bytes arrive in pieces
// and are appended to the caller's buffer; decoded bytes are retrieved from its front.
FeedResult DecodeLikeAConnection(std::string_view bytes, size_t piece) {
  FrameDecoder decoder;
  FeedResult result;
  std::string buffer;
  for (size_t pos = 0; pos < bytes.size(); pos += piece) {
    buffer.append(bytes.substr(pos, piece));
    size_t used = 0;
    result.status = decoder.Decode(buffer, &used, &result.frames);
    buffer.erase(0, used);
    if (!result.status.ok()) return result;
  }
  result.buffered = buffer.size();
  return result;
}

std::vector<Frame> SampleFrames() {
  return {
      MakeFrame(ToWire(Command::kPing), 1, ""),
      MakeFrame(ToWire(Command::kSubmitJob), 2, R"({"jobs":[{"taskId":"t1"}]})"),
      MakeFrame(ToWire(Command::kSubmitJob), 2, R"({"message":"busy"})", kFlagResponse,
                BodyFormat::kJson, 6),
      MakeFrame(ToWire(Command::kBizLogSend), 3, std::string("\xa1\x61\x61\x01", 4),
                kFlagRequest | kFlagOneway, BodyFormat::kCbor),
  };
}

TEST(FrameCodecTest, HeaderLayoutMatchesTheSpecification) {
  const std::string bytes = Encode(MakeFrame(0x0102, 0x0807060504030201ull, "body", kFlagResponse,
                                             BodyFormat::kMessagePack, 0x0a0b));
  ASSERT_EQ(kFrameHeaderSize + 4, bytes.size());
  EXPECT_EQ("LTS1", bytes.substr(0, 4));
  EXPECT_EQ(1, bytes[4]);                                      // version
  EXPECT_EQ(kFlagResponse, bytes[5]);                          // flags
  EXPECT_EQ(2, bytes[6]);                                      // MessagePack
  EXPECT_EQ(0, bytes[7]);                                      // reserved
  EXPECT_EQ(std::string("\x02\x01", 2), bytes.substr(8, 2));   // command, LE
  EXPECT_EQ(std::string("\x0b\x0a", 2), bytes.substr(10, 2));  // status, LE
  EXPECT_EQ(std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8), bytes.substr(12, 8));
  EXPECT_EQ(4u, DecodeFixed32(bytes.data() + 20));  // body length
  EXPECT_EQ(crc32c::Mask(crc32c::Value(bytes.data(), 24)), DecodeFixed32(bytes.data() + 24));
  EXPECT_EQ(crc32c::Mask(crc32c::Value("body")), DecodeFixed32(bytes.data() + 28));
  EXPECT_EQ("body", bytes.substr(32));
  EXPECT_EQ(kFrameMagic, DecodeFixed32(bytes.data()));
}

TEST(FrameCodecTest, EveryFieldRoundTrips) {
  const uint8_t flag_sets[] = {kFlagRequest, kFlagRequest | kFlagOneway, kFlagResponse};
  const BodyFormat formats[] = {BodyFormat::kJson, BodyFormat::kCbor, BodyFormat::kMessagePack};
  const uint16_t u16s[] = {0, 1, 0x7fff, 0x8000, 0xffff};
  const uint64_t ids[] = {0, 1, 0xffffffffull, 0x8000000000000000ull,
                          std::numeric_limits<uint64_t>::max()};
  std::string binary_body;
  for (int i = 0; i < 256; ++i) binary_body.push_back(static_cast<char>(i));
  const std::string bodies[] = {"", "x", binary_body, std::string(100000, 'z')};
  for (uint8_t flags : flag_sets) {
    for (BodyFormat format : formats) {
      for (uint16_t u16 : u16s) {
        for (uint64_t id : ids) {
          for (const std::string& body : bodies) {
            const Frame frame =
                MakeFrame(u16, id, body, flags, format, static_cast<uint16_t>(u16 ^ 0x5a5a));
            ASSERT_OK_AND_ASSIGN(Frame decoded, DecodeOneFrame(Encode(frame)));
            ASSERT_EQ(frame, decoded);
          }
        }
      }
    }
  }
}

TEST(FrameCodecTest, FrameAccessorsFollowTheFlags) {
  const Frame oneway = MakeFrame(1, 0, "", kFlagRequest | kFlagOneway);
  EXPECT_TRUE(oneway.is_request());
  EXPECT_TRUE(oneway.is_oneway());
  EXPECT_FALSE(oneway.is_response());
  const Frame response = MakeFrame(1, 0, "", kFlagResponse);
  EXPECT_TRUE(response.is_response());
  EXPECT_FALSE(response.is_request());
  EXPECT_EQ("RESPONSE PING(1) id=0 format=JSON status=0 body=0 bytes", FrameSummary(response));
}

TEST(FrameCodecTest, StreamSplitAtEveryByteDecodesIdentically) {
  const std::vector<Frame> frames = SampleFrames();
  const std::string bytes = EncodeAll(frames);
  for (size_t k = 0; k <= bytes.size(); ++k) {
    const FeedResult result = FeedInPieces(bytes, {k});
    ASSERT_OK(result.status) << "split at " << k;
    ASSERT_EQ(frames, result.frames) << "split at " << k;
    ASSERT_EQ(0u, result.buffered);
  }
}

TEST(FrameCodecTest, OneByteFeedsDecodeIdentically) {
  const std::vector<Frame> frames = SampleFrames();
  const std::string bytes = EncodeAll(frames);
  const FeedResult result = FeedInPieces(bytes, std::vector<size_t>(bytes.size(), 1));
  ASSERT_OK(result.status);
  EXPECT_EQ(frames, result.frames);
}

TEST(FrameCodecTest, CallerBufferedDecodeHandlesEverySplitAndPieceSize) {
  const std::vector<Frame> frames = SampleFrames();
  const std::string bytes = EncodeAll(frames);
  for (size_t piece = 1; piece <= bytes.size(); ++piece) {
    const FeedResult result = DecodeLikeAConnection(bytes, piece);
    ASSERT_OK(result.status) << "piece " << piece;
    ASSERT_EQ(frames, result.frames) << "piece " << piece;
    ASSERT_EQ(0u, result.buffered);
  }
}

TEST(FrameCodecTest, DecodeConsumesOnlyCompleteFrames) {
  const std::string first = Encode(MakeFrame(1, 1, "abc"));
  const std::string second = Encode(MakeFrame(1, 2, "defgh"));
  const std::string bytes = first + second.substr(0, 20);
  FrameDecoder decoder;
  std::vector<Frame> frames;
  size_t used = 0;
  ASSERT_OK(decoder.Decode(bytes, &used, &frames));
  EXPECT_EQ(first.size(), used);
  ASSERT_EQ(1u, frames.size());
  EXPECT_EQ(first.size(), decoder.stream_offset());
  // Present the rest again, now complete.
  ASSERT_OK(decoder.Decode(second, &used, &frames));
  EXPECT_EQ(second.size(), used);
  ASSERT_EQ(2u, frames.size());
  EXPECT_EQ("defgh", frames[1].body);
}

TEST(FrameCodecTest, ManyFramesInOneFeed) {
  std::vector<Frame> frames;
  for (uint64_t i = 0; i < 2000; ++i) {
    frames.push_back(MakeFrame(ToWire(Command::kEcho), i, std::string(i % 97, 'a')));
  }
  const std::string bytes = EncodeAll(frames);
  const FeedResult result = FeedAll(bytes);
  ASSERT_OK(result.status);
  EXPECT_EQ(frames, result.frames);
  EXPECT_EQ(0u, result.buffered);
}

TEST(FrameCodecTest, EveryBitFlipIsRejected) {
  const std::string good = Encode(MakeFrame(ToWire(Command::kEcho), 77, R"({"k":1})"));
  for (size_t bit = 0; bit < good.size() * 8; ++bit) {
    std::string bad = good;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    const FeedResult result = FeedAll(bad);
    const size_t byte = bit / 8;
    // A flip never yields a frame: the magic and version are checked by value, every
    // other header bit by the header CRC (so a corrupted length is caught before the
    // decoder would wait for a body of the wrong size), the body by the body CRC.
    EXPECT_TRUE(result.frames.empty()) << "bit " << bit;
    if (byte < kVersionOffset) {
      EXPECT_THAT(result.status, StatusIs(StatusCode::kCorruption, HasSubstr("bad magic")))
          << "bit " << bit;
    } else if (byte == kVersionOffset) {
      EXPECT_THAT(result.status, StatusIs(StatusCode::kNotSupported, HasSubstr("version")))
          << "bit " << bit;
    } else if (byte < kBodyCrcOffset) {
      EXPECT_THAT(result.status, StatusIs(StatusCode::kCorruption, HasSubstr("header CRC")))
          << "bit " << bit;
    } else {
      EXPECT_THAT(result.status, StatusIs(StatusCode::kCorruption, HasSubstr("body CRC")))
          << "bit " << bit;
    }
  }
}

TEST(FrameCodecTest, OversizedLengthIsRejectedFromTheHeaderAlone) {
  std::string bytes = Encode(MakeFrame(1, 1, "x"));
  EncodeFixed32(bytes.data() + kBodyLengthOffset, 1025);
  FixHeaderCrc(&bytes);
  // Only the 32 header bytes arrive: the decoder refuses without waiting for, or
  // setting aside room for, a body.
  FrameDecoder decoder(/*max_body_bytes=*/1024);
  std::vector<Frame> frames;
  EXPECT_THAT(
      decoder.Feed(bytes.data(), kFrameHeaderSize, &frames),
      StatusIs(StatusCode::kResourceExhausted, AllOf(HasSubstr("1025"), HasSubstr("1024"))));
  EXPECT_EQ(0u, decoder.buffered_bytes());
  EXPECT_TRUE(frames.empty());

  // The largest length a header can state, against the default limit.
  EncodeFixed32(bytes.data() + kBodyLengthOffset, std::numeric_limits<uint32_t>::max());
  FixHeaderCrc(&bytes);
  FrameDecoder default_decoder;
  size_t used = 0;
  EXPECT_THAT(
      default_decoder.Decode(std::string_view(bytes).substr(0, kFrameHeaderSize), &used, &frames),
      StatusIs(StatusCode::kResourceExhausted,
               AllOf(HasSubstr("4294967295"), HasSubstr("16777216"))));
  EXPECT_EQ(0u, used);
}

TEST(FrameCodecTest, BodyOfExactlyTheLimitIsAccepted) {
  const std::string bytes = Encode(MakeFrame(1, 1, std::string(1024, 'b')));
  const FeedResult result = FeedAll(bytes, /*max_body=*/1024);
  ASSERT_OK(result.status);
  ASSERT_EQ(1u, result.frames.size());
}

TEST(FrameCodecTest, UnknownVersionIsNotSupportedAfterFiveBytes) {
  std::string bytes = Encode(MakeFrame(1, 1, ""));
  bytes[kVersionOffset] = 2;
  FixHeaderCrc(&bytes);
  FrameDecoder decoder;
  std::vector<Frame> frames;
  ASSERT_OK(decoder.Feed(bytes.data(), 4, &frames));
  EXPECT_THAT(decoder.Feed(bytes.data() + 4, 1, &frames),
              StatusIs(StatusCode::kNotSupported, HasSubstr("version 2 is not supported")));
}

TEST(FrameCodecTest, UnknownFlagBitsAreNotSupported) {
  for (int bit = 3; bit < 8; ++bit) {
    std::string bytes = Encode(MakeFrame(1, 1, ""));
    bytes[kFlagsOffset] = static_cast<char>(kFlagRequest | (1 << bit));
    FixHeaderCrc(&bytes);
    EXPECT_THAT(FeedAll(bytes).status,
                StatusIs(StatusCode::kNotSupported, HasSubstr("unknown frame flag bits")))
        << "bit " << bit;
  }
}

TEST(FrameCodecTest, ImpossibleFlagCombinationsAreRejected) {
  for (uint8_t flags : {0x00, 0x03, 0x04, 0x06, 0x07}) {
    std::string bytes = Encode(MakeFrame(1, 1, ""));
    bytes[kFlagsOffset] = static_cast<char>(flags);
    FixHeaderCrc(&bytes);
    EXPECT_THAT(FeedAll(bytes).status, StatusIs(StatusCode::kInvalidArgument, HasSubstr("flags")))
        << "flags " << static_cast<int>(flags);
  }
}

TEST(FrameCodecTest, UnknownBodyFormatAndReservedByteAreNotSupported) {
  std::string bytes = Encode(MakeFrame(1, 1, ""));
  bytes[kFormatOffset] = 3;
  FixHeaderCrc(&bytes);
  EXPECT_THAT(FeedAll(bytes).status,
              StatusIs(StatusCode::kNotSupported, HasSubstr("unknown body format 3")));

  bytes = Encode(MakeFrame(1, 1, ""));
  bytes[kReservedOffset] = 1;
  FixHeaderCrc(&bytes);
  EXPECT_THAT(FeedAll(bytes).status,
              StatusIs(StatusCode::kNotSupported, HasSubstr("reserved header byte")));
}

TEST(FrameCodecTest, NonLtsPeerIsRejectedAtItsFirstByte) {
  FrameDecoder decoder;
  std::vector<Frame> frames;
  EXPECT_THAT(decoder.Feed("G", 1, &frames),
              StatusIs(StatusCode::kCorruption, HasSubstr("bad magic: byte 0 is 'G' (0x47)")));
  // A TLS ClientHello starts with 0x16.
  FrameDecoder tls_decoder;
  EXPECT_THAT(tls_decoder.Feed("\x16\x03\x01", 3, &frames),
              StatusIs(StatusCode::kCorruption, HasSubstr("byte 0 is 0x16")));
}

TEST(FrameCodecTest, RandomGarbageIsRejected) {
  std::mt19937 rng(20240601);
  for (int round = 0; round < 200; ++round) {
    std::string garbage(1 + rng() % 300, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    if (garbage[0] == 'L') garbage[0] = 'X';
    const FeedResult result = FeedAll(garbage);
    EXPECT_THAT(result.status, StatusIs(StatusCode::kCorruption, HasSubstr("bad magic")))
        << "round " << round;
    EXPECT_TRUE(result.frames.empty());
  }
}

TEST(FrameCodecTest, ErrorPoisonsTheDecoder) {
  std::string bytes = Encode(MakeFrame(1, 1, "abc"));
  bytes.back() ^= 0x20;
  FrameDecoder decoder;
  std::vector<Frame> frames;
  const Status first = decoder.Feed(bytes.data(), bytes.size(), &frames);
  EXPECT_THAT(first, StatusIs(StatusCode::kCorruption, HasSubstr("body CRC mismatch")));
  EXPECT_TRUE(decoder.poisoned());
  const std::string good = Encode(MakeFrame(1, 2, ""));
  EXPECT_EQ(first, decoder.Feed(good.data(), good.size(), &frames));
  size_t used = 99;
  EXPECT_EQ(first, decoder.Decode(good, &used, &frames));
  EXPECT_EQ(0u, used);
  EXPECT_TRUE(frames.empty());
  EXPECT_EQ(first, decoder.status());
}

TEST(FrameCodecTest, FramesBeforeTheBadOneAreDeliveredAndTheOffsetIsNamed) {
  const std::string first = Encode(MakeFrame(1, 1, "abc"));
  std::string second = Encode(MakeFrame(1, 2, "def"));
  second[kFrameHeaderSize] ^= 0x01;
  FrameDecoder decoder;
  std::vector<Frame> frames;
  size_t used = 0;
  EXPECT_THAT(decoder.Decode(first + second, &used, &frames),
              StatusIs(StatusCode::kCorruption,
                       HasSubstr("frame at stream offset " + std::to_string(first.size()))));
  EXPECT_EQ(first.size(), used);
  ASSERT_EQ(1u, frames.size());
  EXPECT_EQ("abc", frames[0].body);
}

TEST(FrameCodecTest, EncodeRefusesWhatTheDecoderWouldRefuse) {
  std::string out;
  EXPECT_THAT(EncodeFrame(MakeFrame(1, 1, "", 0x03), &out),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("flags")));
  EXPECT_THAT(EncodeFrame(MakeFrame(1, 1, "", 0x09), &out),
              StatusIs(StatusCode::kNotSupported, HasSubstr("0x08")));
  EXPECT_THAT(EncodeFrame(MakeFrame(1, 1, "", kFlagRequest, static_cast<BodyFormat>(7)), &out),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("format 7")));
  EXPECT_THAT(EncodeFrame(MakeFrame(1, 1, std::string(11, 'x')), &out, 10),
              StatusIs(StatusCode::kResourceExhausted, AllOf(HasSubstr("11"), HasSubstr("10"))));
  EXPECT_TRUE(out.empty());
}

TEST(FrameCodecTest, DecodeOneFrameWantsExactlyOneFrame) {
  const std::string one = Encode(MakeFrame(1, 1, "a"));
  EXPECT_OK(DecodeOneFrame(one).status());
  EXPECT_THAT(DecodeOneFrame(one + one).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("2 frame(s)")));
  EXPECT_THAT(DecodeOneFrame(one.substr(0, 10)).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("0 frame(s)")));
}

// The seeds of the fuzz target come from an independent encoder written from the
// specification (make_fuzz_corpus.py), so they pin the format.
std::string ReadCorpusFile(const std::string& name) {
  const char* source = std::getenv("LTS_SOURCE_DIR");
  const std::filesystem::path dir =
      std::filesystem::path(source != nullptr ? source : LTS_TEST_SOURCE_DIR) / "tests" / "rpc" /
      "fuzz_corpus";
  std::ifstream in(dir / name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << (dir / name);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(FrameCodecTest, SeedCorpusFromTheReferenceEncoderDecodes) {
  for (const char* name :
       {"valid_ping.bin", "valid_echo.bin", "valid_error_response.bin", "valid_cbor.bin",
        "valid_msgpack.bin", "valid_multi.bin", "valid_auth_challenge.bin"}) {
    const FeedResult result = FeedAll(ReadCorpusFile(name));
    EXPECT_OK(result.status) << name;
    EXPECT_FALSE(result.frames.empty()) << name;
    EXPECT_EQ(0u, result.buffered) << name;
  }
  EXPECT_THAT(FeedAll(ReadCorpusFile("valid_ping.bin")).frames,
              ElementsAre(MakeFrame(ToWire(Command::kPing), 1, "")));
  const FeedResult multi = FeedAll(ReadCorpusFile("valid_multi.bin"));
  ASSERT_EQ(3u, multi.frames.size());
  EXPECT_EQ(ToWire(Command::kHeartbeat), multi.frames[0].command);
  EXPECT_EQ(101u, multi.frames[1].request_id);
  EXPECT_EQ(kFlagRequest | kFlagOneway, multi.frames[2].flags);
  EXPECT_EQ(ToWire(Command::kGoAway), multi.frames[2].command);

  EXPECT_THAT(FeedAll(ReadCorpusFile("invalid_http.bin")).status,
              StatusIs(StatusCode::kCorruption, HasSubstr("bad magic")));
  EXPECT_THAT(FeedAll(ReadCorpusFile("invalid_version2.bin")).status,
              StatusIs(StatusCode::kNotSupported, HasSubstr("version 2")));
  EXPECT_THAT(FeedAll(ReadCorpusFile("invalid_body_crc.bin")).status,
              StatusIs(StatusCode::kCorruption, HasSubstr("body CRC")));
}

}  // namespace
}  // namespace lts::rpc
