// libFuzzer target for the RPC frame decoder and the body codecs (build/bin/
// fuzz_frame_decoder with -DLTS_FUZZ=ON; scripts/test.sh, phase fuzz). The input is a
// byte stream as it could arrive on a connection; the seeds in fuzz_corpus/ are valid
// frame streams (tests/rpc/make_fuzz_corpus.py).
//
// Besides "no crash, leak or UB", each input checks (LTS_CHECK aborts on a violation):
//  1. Decode() over the whole input and Feed() in chunks of sizes drawn from a PRNG
//     seeded with the input give the same frames and the same Status, and a poisoned
//     decoder keeps returning its error.
//  2. Every decoded frame re-encodes to exactly the bytes it was decoded from.
//  3. The input itself and every decoded body are decoded as JSON, CBOR and MessagePack
//     (under default and under tight limits); a value that decodes re-encodes in every
//     format, and the CBOR and MessagePack encodings decode again.
//  4. The input wrapped as the body of valid frames (random bytes almost never carry
//     valid CRCs, so this is how bodies reach the success path) decodes back to the
//     same frames, whatever the chunking.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/check.h"
#include "base/crc32c.h"
#include "rpc/auth.h"
#include "rpc/body_codec.h"
#include "rpc/command.h"
#include "rpc/frame_codec.h"
#include "rpc/status_codes.h"

namespace {

using lts::Status;
using lts::StatusOr;
using lts::rpc::BodyFormat;
using lts::rpc::BodyLimits;
using lts::rpc::Frame;
using lts::rpc::FrameDecoder;
using nlohmann::json;

constexpr BodyFormat kFormats[] = {BodyFormat::kJson, BodyFormat::kCbor, BodyFormat::kMessagePack};

// SplitMix64: a small deterministic PRNG, so a crashing input replays the same chunks.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform-ish in [1, max].
  size_t Size(size_t max) { return 1 + static_cast<size_t>(Next() % max); }

 private:
  uint64_t state_;
};

struct Decoded {
  std::vector<Frame> frames;
  Status status;
  size_t leftover = 0;  // Bytes of an incomplete frame at the end.
};

Decoded DecodeWhole(std::string_view input, uint32_t max_body) {
  FrameDecoder decoder(max_body);
  Decoded result;
  size_t consumed = 0;
  result.status = decoder.Decode(input, &consumed, &result.frames);
  result.leftover = input.size() - consumed;
  if (!result.status.ok()) {
    std::vector<Frame> more;
    size_t again = 0;
    LTS_CHECK(decoder.Decode("LTS1", &again, &more) == result.status) << "not poisoned";
    LTS_CHECK(more.empty() && again == 0);
  }
  return result;
}

Decoded DecodeChunked(std::string_view input, uint32_t max_body, Rng* rng) {
  static constexpr size_t kMaxChunks[] = {1, 2, 3, 5, 8, 31, 32, 33, 64, 1024, 1u << 20};
  const size_t max_chunk = kMaxChunks[rng->Next() % std::size(kMaxChunks)];
  FrameDecoder decoder(max_body);
  Decoded result;
  size_t pos = 0;
  while (pos < input.size()) {
    const size_t n = std::min(rng->Size(max_chunk), input.size() - pos);
    result.status = decoder.Feed(input.data() + pos, n, &result.frames);
    pos += n;
    if (!result.status.ok()) break;
  }
  if (!result.status.ok()) {
    std::vector<Frame> more;
    LTS_CHECK(decoder.Feed("x", 1, &more) == result.status) << "not poisoned";
    LTS_CHECK(more.empty());
  } else {
    result.leftover = decoder.buffered_bytes();
  }
  return result;
}

bool ContainsBinary(const json& value) {
  if (value.is_binary()) return true;
  if (value.is_structured()) {
    for (const auto& child : value) {
      if (ContainsBinary(child)) return true;
    }
  }
  return false;
}

void ExerciseValue(const json& value, const BodyLimits& limits) {
  for (const BodyFormat format : kFormats) {
    std::string encoded;
    const Status status = lts::rpc::EncodeBody(value, format, &encoded);
    if (!status.ok()) {
      // The decoder guarantees UTF-8 and depth, so only a MessagePack ext value (a byte
      // string with a subtype) may fail, and only as CBOR.
      LTS_CHECK(format == BodyFormat::kCbor &&
                status.message().find("subtype") != std::string_view::npos)
          << status.ToString();
      continue;
    }
    StatusOr<json> again = lts::rpc::DecodeBody(encoded, format, limits);
    if (format != BodyFormat::kJson || !ContainsBinary(value)) {
      LTS_CHECK(again.ok()) << lts::rpc::BodyFormatName(format)
                            << " re-decode failed: " << again.status().ToString();
    }
  }
  // The parsers of the messages that carry structure.
  lts::rpc::ParseAuthChallenge(value).status().IgnoreError();
  lts::rpc::ParseAuthResponse(value).status().IgnoreError();
  lts::rpc::ParseAuthConfirm(value).status().IgnoreError();
}

void ExerciseBody(std::string_view body, Rng* rng) {
  BodyLimits limits;
  if (rng->Next() % 4 == 0) {
    limits.max_depth = 3;
    limits.max_values = 16;
  }
  for (const BodyFormat format : kFormats) {
    StatusOr<json> value = lts::rpc::DecodeBody(body, format, limits);
    if (value.ok()) ExerciseValue(*value, limits);
  }
}

void ExerciseFrame(const Frame& frame) {
  if (frame.is_response()) lts::rpc::ResponseStatus(frame).IgnoreError();
  if (frame.command == lts::rpc::ToWire(lts::rpc::Command::kGoAway)) {
    lts::rpc::GoAwayReason(frame).IgnoreError();
  }
  lts::rpc::FrameSummary(frame);
}

// Check 4: `input` as the bodies of valid frames.
void CheckValidFrames(std::string_view input, Rng* rng) {
  static constexpr uint8_t kFlags[] = {lts::rpc::kFlagRequest,
                                       lts::rpc::kFlagRequest | lts::rpc::kFlagOneway,
                                       lts::rpc::kFlagResponse};
  std::vector<Frame> frames;
  std::string stream;
  const size_t split = input.empty() ? 0 : static_cast<size_t>(rng->Next() % input.size());
  for (const std::string_view body : {input.substr(0, split), input.substr(split)}) {
    Frame frame;
    frame.flags = kFlags[rng->Next() % std::size(kFlags)];
    frame.format = kFormats[rng->Next() % std::size(kFormats)];
    frame.command = static_cast<uint16_t>(rng->Next());
    frame.status = frame.is_response() ? static_cast<uint16_t>(rng->Next()) : 0;
    frame.request_id = rng->Next();
    frame.body = std::string(body);
    LTS_CHECK_OK(lts::rpc::EncodeFrame(frame, &stream));
    frames.push_back(std::move(frame));
  }
  const Decoded decoded = DecodeChunked(stream, lts::rpc::kDefaultMaxBodyBytes, rng);
  LTS_CHECK_OK(decoded.status);
  LTS_CHECK(decoded.frames == frames) << "valid frames did not round-trip";
  LTS_CHECK(decoded.leftover == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Rng rng(lts::crc32c::Value(input) ^ (uint64_t{size} << 32));
  // A small limit now and then, so that the length check fires on short inputs.
  const uint32_t max_body = rng.Next() % 8 == 0 ? 64 : lts::rpc::kDefaultMaxBodyBytes;

  // Check 1.
  const Decoded whole = DecodeWhole(input, max_body);
  const Decoded chunked = DecodeChunked(input, max_body, &rng);
  LTS_CHECK(whole.status == chunked.status)
      << "whole: " << whole.status.ToString() << " chunked: " << chunked.status.ToString();
  LTS_CHECK(whole.frames == chunked.frames) << "frames differ";
  if (whole.status.ok()) LTS_CHECK(whole.leftover == chunked.leftover);

  // Check 2.
  size_t offset = 0;
  for (const Frame& frame : whole.frames) {
    std::string encoded;
    LTS_CHECK_OK(lts::rpc::EncodeFrame(frame, &encoded, max_body));
    LTS_CHECK(input.substr(offset, encoded.size()) == encoded) << "re-encoding differs";
    offset += encoded.size();
    ExerciseFrame(frame);
    ExerciseBody(frame.body, &rng);
  }

  // Checks 3 and 4.
  ExerciseBody(input, &rng);
  CheckValidFrames(input, &rng);
  return 0;
}
