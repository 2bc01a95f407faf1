// Frame encoding and incremental decoding for RPC connections (layout: frame_format.h,
// specification: docs/rpc_protocol.md).
//
// The decoder is fed whatever bytes a read returned: a frame may arrive split at any
// byte, and one read may hold many frames. It validates each header as soon as the
// bytes are there (a wrong magic or version after 1 or 5 bytes, the rest after 32), so
// a body length above the limit is refused before a byte of the body is stored, and it
// checks both CRCs, so a flipped bit anywhere in a frame is detected. The first error
// poisons the decoder: the stream is out of sync and the connection must be closed.
//
// Two ways to drive it, one per decoder:
//   - Decode(): the caller keeps the bytes (net::Buffer is the cumulation buffer).
//       size_t used = 0;
//       Status s = decoder.Decode({buf->Peek(), buf->readable_bytes()}, &used, &frames);
//       buf->Retrieve(used);
//       if (!s.ok()) { /* log s, close the connection */ }
//   - Feed(): the decoder keeps the unconsumed tail itself.
//
// Thread safety: a FrameDecoder is used by one thread at a time (the connection's loop).
// EncodeFrame and the other functions are pure.

#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lts/status.h"
#include "lts/statusor.h"
#include "rpc/frame_format.h"

namespace lts::rpc {

// One decoded (or to-be-encoded) frame. The magic, version, length and CRCs are not
// stored: the codec derives them.
struct Frame {
  uint8_t flags = kFlagRequest;  // kFlag* bits; see ValidateFrameFlags().
  BodyFormat format = BodyFormat::kJson;
  uint16_t command = 0;     // rpc/command.h; unknown codes are representable.
  uint16_t status = 0;      // Wire status code (rpc/status_codes.h); 0 in requests.
  uint64_t request_id = 0;  // Chosen by the requester; echoed by the response.
  std::string body;         // Serialised in `format`; empty means null.

  bool is_request() const { return (flags & kFlagRequest) != 0; }
  bool is_response() const { return (flags & kFlagResponse) != 0; }
  bool is_oneway() const { return (flags & kFlagOneway) != 0; }

  friend bool operator==(const Frame&, const Frame&) = default;
};

// OK if `flags` is a valid combination: exactly one of REQUEST and RESPONSE, ONEWAY only
// with REQUEST, no other bit. Errors: kNotSupported naming unknown bits (a newer peer's
// feature), kInvalidArgument for an impossible combination.
Status ValidateFrameFlags(uint8_t flags);

// "JSON", "CBOR", "MSGPACK"; "UNKNOWN" outside the enum.
std::string_view BodyFormatName(BodyFormat format);

// One line for logs: "REQUEST SUBMIT_JOB(11) id=7 format=JSON status=0 body=120 bytes".
std::string FrameSummary(const Frame& frame);

// Appends the encoding of `frame` (header and body) to `*out`.
// Errors (nothing is appended): kInvalidArgument for invalid flags or an unknown
// format; kResourceExhausted if the body is longer than `max_body_bytes`.
Status EncodeFrame(const Frame& frame, std::string* out,
                   uint32_t max_body_bytes = kDefaultMaxBodyBytes);

// Decodes exactly one frame that fills `bytes`; for tests and tools.
// Errors: those of FrameDecoder, and kInvalidArgument if `bytes` holds less or more
// than one frame.
StatusOr<Frame> DecodeOneFrame(std::string_view bytes,
                               uint32_t max_body_bytes = kDefaultMaxBodyBytes);

class FrameDecoder {
 public:
  // Frames whose body is longer than `max_body_bytes` are refused (kResourceExhausted).
  explicit FrameDecoder(uint32_t max_body_bytes = kDefaultMaxBodyBytes);

  FrameDecoder(const FrameDecoder&) = delete;
  FrameDecoder& operator=(const FrameDecoder&) = delete;

  // Decodes every complete frame at the front of `input`, appends them to `*out` in
  // order, and sets `*consumed` to the bytes they took. The rest of `input` is the start
  // of a frame that is not complete yet (already checked as far as it goes): present it
  // again, with more bytes appended, on the next call.
  // Errors (and every call after one returns the same Status):
  //   kCorruption          bad magic, header or body CRC mismatch
  //   kNotSupported        unknown version, unknown flag bits, non-zero reserved byte,
  //                        unknown body format
  //   kInvalidArgument     an impossible flag combination
  //   kResourceExhausted   body length above the limit (both numbers in the message)
  // On error, `*out` still receives the frames that preceded the bad one and
  // `*consumed` covers them; the message names the bad frame's stream offset.
  // REQUIRES: Feed() is never called on this decoder.
  Status Decode(std::string_view input, size_t* consumed, std::vector<Frame>* out);

  // Like Decode(), but the decoder keeps the bytes of an incomplete frame itself and
  // prepends them to the next call's data. Consumes all `n` bytes.
  // REQUIRES: Decode() is never called on this decoder.
  Status Feed(const char* data, size_t n, std::vector<Frame>* out);

  // OK until the first error, then that error.
  const Status& status() const { return error_; }
  bool poisoned() const { return !error_.ok(); }

  // Bytes Feed() holds of an incomplete frame.
  size_t buffered_bytes() const { return buffer_.size(); }

  // Bytes of complete frames decoded so far: the stream offset of the next frame.
  uint64_t stream_offset() const { return stream_offset_; }

  uint32_t max_body_bytes() const { return max_body_bytes_; }

 private:
  enum class HeaderResult { kNeedMore, kComplete, kError };

  // Checks as much of the header at the front of `input` as is present.
  HeaderResult CheckHeader(std::string_view input, uint32_t* body_length);
  void Poison(StatusCode code, std::string_view message);

  const uint32_t max_body_bytes_;
  std::string buffer_;          // Feed(): bytes of an incomplete frame.
  uint64_t stream_offset_ = 0;  // Bytes of complete frames consumed.
  Status error_;                // First error; OK until something fails.
};

}  // namespace lts::rpc
