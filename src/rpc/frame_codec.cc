#include "rpc/frame_codec.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "base/coding.h"
#include "base/crc32c.h"
#include "rpc/command.h"

namespace lts::rpc {

namespace {

uint16_t DecodeFixed16(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>(b[0] | (b[1] << 8));
}

void EncodeFixed16(char* p, uint16_t value) {
  p[0] = static_cast<char>(value & 0xff);
  p[1] = static_cast<char>(value >> 8);
}

uint32_t HeaderCrc(const char* header) {
  return crc32c::Mask(crc32c::Value(header, kHeaderCrcCoverage));
}

uint32_t BodyCrc(std::string_view body) { return crc32c::Mask(crc32c::Value(body)); }

std::string DescribeByte(unsigned char c) {
  if (c >= 0x20 && c < 0x7f) return fmt::format("'{}' (0x{:02x})", static_cast<char>(c), c);
  return fmt::format("0x{:02x}", c);
}

}  // namespace

Status ValidateFrameFlags(uint8_t flags) {
  if ((flags & ~kKnownFlags) != 0) {
    return NotSupported(fmt::format("unknown frame flag bits 0x{:02x} (flags 0x{:02x})",
                                    flags & ~kKnownFlags, flags));
  }
  const bool request = (flags & kFlagRequest) != 0;
  const bool response = (flags & kFlagResponse) != 0;
  if (request == response) {
    return InvalidArgument(fmt::format(
        "frame flags 0x{:02x}: exactly one of REQUEST and RESPONSE must be set", flags));
  }
  if (response && (flags & kFlagOneway) != 0) {
    return InvalidArgument(
        fmt::format("frame flags 0x{:02x}: ONEWAY is only valid on a request", flags));
  }
  return Status::Ok();
}

std::string_view BodyFormatName(BodyFormat format) {
  switch (format) {
    case BodyFormat::kJson:
      return "JSON";
    case BodyFormat::kCbor:
      return "CBOR";
    case BodyFormat::kMessagePack:
      return "MSGPACK";
  }
  return "UNKNOWN";
}

std::string FrameSummary(const Frame& frame) {
  std::string kind;
  if (frame.is_response()) {
    kind = "RESPONSE";
  } else if (frame.is_oneway()) {
    kind = "ONEWAY";
  } else {
    kind = "REQUEST";
  }
  return fmt::format("{} {} id={} format={} status={} body={} bytes", kind,
                     CommandToString(frame.command), frame.request_id, BodyFormatName(frame.format),
                     frame.status, frame.body.size());
}

Status EncodeFrame(const Frame& frame, std::string* out, uint32_t max_body_bytes) {
  LTS_RETURN_IF_ERROR(ValidateFrameFlags(frame.flags));
  const auto format = static_cast<uint8_t>(frame.format);
  if (format > kMaxBodyFormat) {
    return InvalidArgument(fmt::format("unknown body format {}", format));
  }
  if (frame.body.size() > max_body_bytes) {
    return ResourceExhausted(fmt::format("frame body of {} bytes exceeds the limit of {} bytes",
                                         frame.body.size(), max_body_bytes));
  }
  char header[kFrameHeaderSize];
  EncodeFixed32(header + kMagicOffset, kFrameMagic);
  header[kVersionOffset] = static_cast<char>(kFrameVersion);
  header[kFlagsOffset] = static_cast<char>(frame.flags);
  header[kFormatOffset] = static_cast<char>(format);
  header[kReservedOffset] = 0;
  EncodeFixed16(header + kCommandOffset, frame.command);
  EncodeFixed16(header + kStatusOffset, frame.status);
  EncodeFixed64(header + kRequestIdOffset, frame.request_id);
  EncodeFixed32(header + kBodyLengthOffset, static_cast<uint32_t>(frame.body.size()));
  EncodeFixed32(header + kHeaderCrcOffset, HeaderCrc(header));
  EncodeFixed32(header + kBodyCrcOffset, BodyCrc(frame.body));
  out->reserve(out->size() + kFrameHeaderSize + frame.body.size());
  out->append(header, kFrameHeaderSize);
  out->append(frame.body);
  return Status::Ok();
}

StatusOr<Frame> DecodeOneFrame(std::string_view bytes, uint32_t max_body_bytes) {
  FrameDecoder decoder(max_body_bytes);
  std::vector<Frame> frames;
  size_t consumed = 0;
  LTS_RETURN_IF_ERROR(decoder.Decode(bytes, &consumed, &frames));
  if (frames.size() != 1 || consumed != bytes.size()) {
    return InvalidArgument(fmt::format("expected exactly one frame in {} bytes, got {} frame(s)",
                                       bytes.size(), frames.size()) +
                           (consumed != bytes.size()
                                ? fmt::format(" and {} bytes left over", bytes.size() - consumed)
                                : ""));
  }
  return std::move(frames.front());
}

FrameDecoder::FrameDecoder(uint32_t max_body_bytes) : max_body_bytes_(max_body_bytes) {}

void FrameDecoder::Poison(StatusCode code, std::string_view message) {
  error_ = Status(code, fmt::format("frame at stream offset {}: {}", stream_offset_, message));
}

FrameDecoder::HeaderResult FrameDecoder::CheckHeader(std::string_view input,
                                                     uint32_t* body_length) {
  // Magic and version are checked on whatever prefix has arrived, so a peer that does
  // not speak LTS (an HTTP client, a TLS hello) is refused at its first byte instead of
  // after 32, and a newer version is named rather than reported as a CRC error.
  const size_t magic_present = std::min(input.size(), kFrameMagicBytes.size());
  for (size_t i = 0; i < magic_present; ++i) {
    if (input[i] != kFrameMagicBytes[i]) {
      Poison(StatusCode::kCorruption,
             fmt::format("bad magic: byte {} is {}, expected \"{}\" (not an LTS peer?)", i,
                         DescribeByte(static_cast<unsigned char>(input[i])), kFrameMagicBytes));
      return HeaderResult::kError;
    }
  }
  if (input.size() <= kVersionOffset) return HeaderResult::kNeedMore;
  const auto version = static_cast<uint8_t>(input[kVersionOffset]);
  if (version != kFrameVersion) {
    Poison(StatusCode::kNotSupported,
           fmt::format("frame version {} is not supported (this peer speaks version {})", version,
                       kFrameVersion));
    return HeaderResult::kError;
  }
  if (input.size() < kFrameHeaderSize) return HeaderResult::kNeedMore;

  const char* header = input.data();
  const uint32_t stored_crc = DecodeFixed32(header + kHeaderCrcOffset);
  const uint32_t actual_crc = HeaderCrc(header);
  if (stored_crc != actual_crc) {
    Poison(StatusCode::kCorruption,
           fmt::format("header CRC mismatch (stored 0x{:08x}, computed 0x{:08x})", stored_crc,
                       actual_crc));
    return HeaderResult::kError;
  }
  // The header is intact from here on: what follows are protocol violations or
  // features of a newer peer, not transmission errors.
  const auto flags = static_cast<uint8_t>(header[kFlagsOffset]);
  if (Status s = ValidateFrameFlags(flags); !s.ok()) {
    Poison(s.code(), s.message());
    return HeaderResult::kError;
  }
  const auto format = static_cast<uint8_t>(header[kFormatOffset]);
  if (format > kMaxBodyFormat) {
    Poison(StatusCode::kNotSupported, fmt::format("unknown body format {}", format));
    return HeaderResult::kError;
  }
  const auto reserved = static_cast<uint8_t>(header[kReservedOffset]);
  if (reserved != 0) {
    Poison(StatusCode::kNotSupported,
           fmt::format("reserved header byte is 0x{:02x}, not 0", reserved));
    return HeaderResult::kError;
  }
  const uint32_t length = DecodeFixed32(header + kBodyLengthOffset);
  if (length > max_body_bytes_) {
    Poison(StatusCode::kResourceExhausted,
           fmt::format("frame body of {} bytes exceeds the limit of {} bytes", length,
                       max_body_bytes_));
    return HeaderResult::kError;
  }
  *body_length = length;
  return HeaderResult::kComplete;
}

Status FrameDecoder::Decode(std::string_view input, size_t* consumed, std::vector<Frame>* out) {
  *consumed = 0;
  if (!error_.ok()) return error_;
  size_t pos = 0;
  while (pos < input.size()) {
    const std::string_view rest = input.substr(pos);
    uint32_t body_length = 0;
    const HeaderResult result = CheckHeader(rest, &body_length);
    if (result == HeaderResult::kError) break;
    if (result == HeaderResult::kNeedMore) break;
    if (rest.size() - kFrameHeaderSize < body_length) break;
    const std::string_view body = rest.substr(kFrameHeaderSize, body_length);
    const uint32_t stored_crc = DecodeFixed32(rest.data() + kBodyCrcOffset);
    const uint32_t actual_crc = BodyCrc(body);
    if (stored_crc != actual_crc) {
      Poison(StatusCode::kCorruption,
             fmt::format("body CRC mismatch over {} bytes (stored 0x{:08x}, computed 0x{:08x})",
                         body_length, stored_crc, actual_crc));
      break;
    }
    Frame frame;
    frame.flags = static_cast<uint8_t>(rest[kFlagsOffset]);
    frame.format = static_cast<BodyFormat>(static_cast<uint8_t>(rest[kFormatOffset]));
    frame.command = DecodeFixed16(rest.data() + kCommandOffset);
    frame.status = DecodeFixed16(rest.data() + kStatusOffset);
    frame.request_id = DecodeFixed64(rest.data() + kRequestIdOffset);
    frame.body.assign(body);
    out->push_back(std::move(frame));
    const size_t frame_size = kFrameHeaderSize + body_length;
    pos += frame_size;
    stream_offset_ += frame_size;
  }
  *consumed = pos;
  return error_;
}

Status FrameDecoder::Feed(const char* data, size_t n, std::vector<Frame>* out) {
  if (!error_.ok()) return error_;
  size_t consumed = 0;
  if (buffer_.empty()) {
    // The common case: whole frames straight from the caller's bytes, no copy.
    const Status status = Decode(std::string_view(data, n), &consumed, out);
    if (status.ok()) buffer_.assign(data + consumed, n - consumed);
    return status;
  }
  buffer_.append(data, n);
  const Status status = Decode(buffer_, &consumed, out);
  if (status.ok()) {
    buffer_.erase(0, consumed);
  } else {
    buffer_.clear();
    buffer_.shrink_to_fit();
  }
  return status;
}

}  // namespace lts::rpc
