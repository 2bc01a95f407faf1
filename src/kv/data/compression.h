// Per-record value compression for ltsdb (LZ4 or zstd, chosen per store).
//
// A value shorter than the store's threshold stays raw; a compressed value is kept only
// if it saves at least 1/8 of the bytes. Stored form: u32 raw length | codec output.
//
// Thread safety: functions; each call uses its own state.

#pragma once

#include <string>
#include <string_view>

#include "kv/txlog/record_format.h"
#include "lts/status.h"

namespace lts::kv {

// Encodes `value` with `codec` into `*out` and returns the codec actually used
// (kNone when compression is off, the value is below `threshold`, or it did not pay).
txlog::Codec CompressValue(txlog::Codec codec, size_t threshold, int zstd_level,
                           std::string_view value, std::string* out);

// Decodes a stored value. kCorruption (with `context`) on a malformed one.
Status DecompressValue(txlog::Codec codec, std::string_view stored, std::string* out,
                       std::string_view context);

}  // namespace lts::kv
