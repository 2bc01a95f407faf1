#include "kv/data/compression.h"

#include <lz4.h>
#include <zstd.h>

#include "base/coding.h"

namespace lts::kv {

using txlog::Codec;

Codec CompressValue(Codec codec, size_t threshold, int zstd_level, std::string_view value,
                    std::string* out) {
  out->clear();
  if (codec == Codec::kNone || value.size() < threshold || value.size() > txlog::kMaxValueSize) {
    out->assign(value);
    return Codec::kNone;
  }
  size_t bound = codec == Codec::kLz4
                     ? static_cast<size_t>(LZ4_compressBound(static_cast<int>(value.size())))
                     : ZSTD_compressBound(value.size());
  out->resize(4 + bound);
  EncodeFixed32(out->data(), static_cast<uint32_t>(value.size()));
  size_t n = 0;
  if (codec == Codec::kLz4) {
    int r = LZ4_compress_default(value.data(), out->data() + 4, static_cast<int>(value.size()),
                                 static_cast<int>(bound));
    n = r > 0 ? static_cast<size_t>(r) : 0;
  } else {
    size_t r = ZSTD_compress(out->data() + 4, bound, value.data(), value.size(), zstd_level);
    n = ZSTD_isError(r) ? 0 : r;
  }
  if (n == 0 || 4 + n > value.size() - value.size() / 8) {
    out->assign(value);
    return Codec::kNone;
  }
  out->resize(4 + n);
  return codec;
}

Status DecompressValue(Codec codec, std::string_view stored, std::string* out,
                       std::string_view context) {
  if (codec == Codec::kNone) {
    out->assign(stored);
    return Status::Ok();
  }
  auto bad = [&](std::string_view why) {
    return Status(StatusCode::kCorruption, std::string(context) + ": " + std::string(why));
  };
  if (stored.size() < 4) return bad("compressed value shorter than its length prefix");
  const uint32_t raw = DecodeFixed32(stored.data());
  if (raw > txlog::kMaxValueSize)
    return bad("compressed value claims " + std::to_string(raw) + " bytes");
  out->resize(raw);
  stored.remove_prefix(4);
  if (codec == Codec::kLz4) {
    int r = LZ4_decompress_safe(stored.data(), out->data(), static_cast<int>(stored.size()),
                                static_cast<int>(raw));
    if (r < 0 || static_cast<uint32_t>(r) != raw) return bad("bad LZ4 data");
  } else if (codec == Codec::kZstd) {
    size_t r = ZSTD_decompress(out->data(), raw, stored.data(), stored.size());
    if (ZSTD_isError(r) || r != raw) return bad("bad zstd data");
  } else {
    return bad("unknown codec");
  }
  return Status::Ok();
}

}  // namespace lts::kv
