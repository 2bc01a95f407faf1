#include "rpc/body_codec.h"

#include <fmt/format.h>

#include <exception>
#include <new>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "base/json_limits.h"
#include "base/utf8.h"
#include "rpc/frame_codec.h"

namespace lts::rpc {

namespace {

using nlohmann::json;

// Builds a json DOM from SAX events (as nlohmann's own json_sax_dom_parser does) and
// stops the parse, by returning false, at the first value past a limit or string that
// is not UTF-8. Stopping in start_array/start_object is what bounds the recursion of
// nlohmann's CBOR and MessagePack readers.
class LimitedDomBuilder {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  LimitedDomBuilder(json* root, const BodyLimits& limits, std::string_view format_name)
      : root_(root), limits_(limits), format_name_(format_name) {}

  bool null() { return Add(nullptr); }
  bool boolean(bool value) { return Add(value); }
  bool number_integer(number_integer_t value) { return Add(value); }
  bool number_unsigned(number_unsigned_t value) { return Add(value); }
  bool number_float(number_float_t value, const string_t& /*text*/) { return Add(value); }
  bool string(string_t& value) {
    if (!CheckUtf8(value, "string")) return false;
    return Add(std::move(value));
  }
  bool binary(binary_t& value) { return Add(std::move(value)); }

  bool start_object(std::size_t /*elements*/) { return StartContainer(json::value_t::object); }
  bool key(string_t& value) {
    if (!CheckUtf8(value, "object key")) return false;
    object_member_ = &(*stack_.back())[value];
    return true;
  }
  bool end_object() {
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t /*elements*/) { return StartContainer(json::value_t::array); }
  bool end_array() {
    stack_.pop_back();
    return true;
  }

  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const json::exception& error) {
    if (error_.ok()) {
      error_ = InvalidArgument(
          fmt::format("{} body: malformed at byte {}: {}", format_name_, position, error.what()));
    }
    return false;
  }

  // The reason the parse stopped, if it was this builder's decision or a syntax error.
  const Status& error() const { return error_; }

 private:
  bool Fail(std::string_view message) {
    error_ = InvalidArgument(fmt::format("{} body: {}", format_name_, message));
    return false;
  }

  bool CheckUtf8(const string_t& value, std::string_view what) {
    if (IsValidUtf8(value)) return true;
    return Fail(fmt::format("{} is not valid UTF-8", what));
  }

  bool CountValue() {
    if (++values_ > limits_.max_values) {
      return Fail(fmt::format("more than {} values", limits_.max_values));
    }
    return true;
  }

  template <typename Value>
  json* Place(Value&& value) {
    if (stack_.empty()) {
      *root_ = json(std::forward<Value>(value));
      return root_;
    }
    json* parent = stack_.back();
    if (parent->is_array()) {
      auto& array = parent->get_ref<json::array_t&>();
      array.emplace_back(std::forward<Value>(value));
      return &array.back();
    }
    *object_member_ = json(std::forward<Value>(value));
    return object_member_;
  }

  template <typename Value>
  bool Add(Value&& value) {
    if (!CountValue()) return false;
    Place(std::forward<Value>(value));
    return true;
  }

  bool StartContainer(json::value_t type) {
    if (!CountValue()) return false;
    if (static_cast<int>(stack_.size()) >= limits_.max_depth) {
      return Fail(fmt::format("nests deeper than {} levels", limits_.max_depth));
    }
    stack_.push_back(Place(json(type)));
    return true;
  }

  json* const root_;
  const BodyLimits& limits_;
  const std::string_view format_name_;
  std::vector<json*> stack_;       // Open arrays and objects, innermost last.
  json* object_member_ = nullptr;  // Where the next value of the innermost object goes.
  size_t values_ = 0;
  Status error_;
};

// Walks a value about to be encoded: string and key UTF-8, depth, and binary subtypes
// (CBOR would need a tag for them, which our decoder refuses).
Status CheckEncodable(const json& value, BodyFormat format, int depth, int max_depth) {
  switch (value.type()) {
    case json::value_t::string:
      if (!IsValidUtf8(value.get_ref<const json::string_t&>())) {
        return InvalidArgument("body: a string is not valid UTF-8");
      }
      return Status::Ok();
    case json::value_t::binary:
      if (format == BodyFormat::kCbor && value.get_binary().has_subtype()) {
        return InvalidArgument(
            fmt::format("body: a byte string with subtype {} cannot be sent as CBOR (tags are "
                        "not supported)",
                        value.get_binary().subtype()));
      }
      return Status::Ok();
    case json::value_t::array:
    case json::value_t::object:
      if (depth >= max_depth) {
        return InvalidArgument(fmt::format("body: nests deeper than {} levels", max_depth));
      }
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (value.is_object() && !IsValidUtf8(it.key())) {
          return InvalidArgument("body: an object key is not valid UTF-8");
        }
        LTS_RETURN_IF_ERROR(CheckEncodable(it.value(), format, depth + 1, max_depth));
      }
      return Status::Ok();
    default:
      return Status::Ok();
  }
}

// Reads the argument of a CBOR initial byte whose additional information is 24-27.
bool ReadCborArgument(std::string_view body, size_t* pos, int additional, uint64_t* value) {
  const size_t size = size_t{1} << (additional - 24);
  if (body.size() - *pos < size) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < size; ++i) {
    v = (v << 8) | static_cast<unsigned char>(body[*pos + i]);
  }
  *pos += size;
  *value = v;
  return true;
}

}  // namespace

Status CheckCborStructure(std::string_view body, int max_depth) {
  struct Level {
    uint64_t remaining;  // Items still expected in a definite-length container.
    uint64_t seen;       // Items seen in an indefinite-length one.
    bool indefinite;
    bool map;
  };
  std::vector<Level> stack;
  const size_t n = body.size();
  size_t pos = 0;
  auto error = [](size_t at, std::string_view message) {
    return InvalidArgument(fmt::format("CBOR body: {} at byte {}", message, at));
  };
  while (true) {
    if (pos >= n) return error(pos, "unexpected end of input");
    const size_t start = pos;
    const auto initial = static_cast<unsigned char>(body[pos++]);
    if (initial == 0xff) {  // "break": ends the innermost indefinite-length container.
      if (stack.empty() || !stack.back().indefinite) return error(start, "unexpected break");
      if (stack.back().map && stack.back().seen % 2 != 0) {
        return error(start, "indefinite-length map ends after a key");
      }
      stack.pop_back();
    } else {
      const int major = initial >> 5;
      const int additional = initial & 0x1f;
      uint64_t argument = static_cast<uint64_t>(additional);
      const bool indefinite = additional == 31;
      if (additional >= 24 && additional <= 27) {
        if (!ReadCborArgument(body, &pos, additional, &argument)) {
          return error(start, "unexpected end of input in an argument");
        }
      } else if (additional >= 28 && additional <= 30) {
        return error(start, fmt::format("reserved additional information {}", additional));
      }
      switch (major) {
        case 0:  // Unsigned and negative integers.
        case 1:
          if (indefinite) return error(start, "an integer cannot have indefinite length");
          break;
        case 2:  // Byte and text strings.
        case 3:
          if (!indefinite) {
            if (argument > n - pos) {
              return error(start, fmt::format("string of {} bytes runs past the end ({} left)",
                                              argument, n - pos));
            }
            pos += static_cast<size_t>(argument);
            break;
          }
          // Chunks of an indefinite-length string must be definite-length strings of the
          // same type (RFC 8949 3.2.3); nlohmann-json would otherwise recurse per chunk.
          while (true) {
            if (pos >= n) return error(pos, "unexpected end of input in a string");
            const size_t chunk_start = pos;
            const auto chunk = static_cast<unsigned char>(body[pos++]);
            if (chunk == 0xff) break;
            const int chunk_additional = chunk & 0x1f;
            if ((chunk >> 5) != major || chunk_additional > 27) {
              return error(chunk_start,
                           "a chunk of an indefinite-length string is not a definite-length "
                           "string of the same type");
            }
            uint64_t length = static_cast<uint64_t>(chunk_additional);
            if (chunk_additional >= 24 &&
                !ReadCborArgument(body, &pos, chunk_additional, &length)) {
              return error(chunk_start, "unexpected end of input in an argument");
            }
            if (length > n - pos) {
              return error(chunk_start, fmt::format("string chunk of {} bytes runs past the "
                                                    "end ({} left)",
                                                    length, n - pos));
            }
            pos += static_cast<size_t>(length);
          }
          break;
        case 4:  // Arrays and maps.
        case 5: {
          if (static_cast<int>(stack.size()) >= max_depth) {
            return error(start, fmt::format("nests deeper than {} levels", max_depth));
          }
          const bool map = major == 5;
          if (indefinite) {
            stack.push_back(Level{0, 0, true, map});
            continue;
          }
          // Every item takes at least one byte, so a count the rest of the input cannot
          // hold is refused here rather than discovered item by item.
          const uint64_t left = n - pos;
          if (map ? argument > left / 2 : argument > left) {
            return error(
                start, fmt::format("{} declares {} {} but only {} bytes follow",
                                   map ? "map" : "array", argument, map ? "pairs" : "items", left));
          }
          if (argument > 0) {
            stack.push_back(Level{map ? argument * 2 : argument, 0, false, map});
            continue;
          }
          break;
        }
        case 6:
          return error(start, "CBOR tags are not supported");
        default:  // 7: simple values and floats.
          if (additional == 20 || additional == 21 || additional == 22 ||
              (additional >= 25 && additional <= 27)) {
            break;
          }
          return error(start,
                       fmt::format("unsupported simple value (initial byte 0x{:02x})", initial));
      }
    }
    // One item is complete: account for it in the enclosing containers.
    while (true) {
      if (stack.empty()) {
        if (pos != n) return error(pos, fmt::format("{} trailing bytes", n - pos));
        return Status::Ok();
      }
      Level& top = stack.back();
      if (top.indefinite) {
        ++top.seen;
        break;
      }
      if (--top.remaining > 0) break;
      stack.pop_back();
    }
  }
}

StatusOr<json> DecodeBody(std::string_view body, BodyFormat format, const BodyLimits& limits) {
  const std::string_view name = BodyFormatName(format);
  if (body.size() > limits.max_bytes) {
    return InvalidArgument(fmt::format("{} body of {} bytes exceeds the limit of {} bytes", name,
                                       body.size(), limits.max_bytes));
  }
  if (body.empty()) return json();
  json::input_format_t input_format;
  switch (format) {
    case BodyFormat::kJson:
      LTS_RETURN_IF_ERROR(CheckJsonLimits(body, "JSON body", limits.max_bytes, limits.max_depth));
      input_format = json::input_format_t::json;
      break;
    case BodyFormat::kCbor:
      LTS_RETURN_IF_ERROR(CheckCborStructure(body, limits.max_depth));
      input_format = json::input_format_t::cbor;
      break;
    case BodyFormat::kMessagePack:
      input_format = json::input_format_t::msgpack;
      break;
    default:
      return InvalidArgument(fmt::format("unknown body format {}", static_cast<unsigned>(format)));
  }
  // nlohmann-json throws on some paths even in SAX mode; this boundary turns every
  // exception into a Status.
  json value;
  try {
    LimitedDomBuilder builder(&value, limits, name);
    const bool ok = json::sax_parse(body.begin(), body.end(), &builder, input_format,
                                    /*strict=*/true, /*ignore_comments=*/false);
    if (!ok) {
      if (!builder.error().ok()) return builder.error();
      return InvalidArgument(fmt::format("{} body: malformed", name));
    }
  } catch (const std::bad_alloc&) {
    return ResourceExhausted(fmt::format("{} body: out of memory while decoding", name));
  } catch (const std::exception& e) {
    return InvalidArgument(fmt::format("{} body: {}", name, e.what()));
  }
  return value;
}

Status EncodeBody(const json& value, BodyFormat format, std::string* out, int max_depth) {
  out->clear();
  if (static_cast<uint8_t>(format) > kMaxBodyFormat) {
    return InvalidArgument(fmt::format("unknown body format {}", static_cast<unsigned>(format)));
  }
  if (value.is_null()) return Status::Ok();
  LTS_RETURN_IF_ERROR(CheckEncodable(value, format, 0, max_depth));
  try {
    switch (format) {
      case BodyFormat::kJson:
        *out = value.dump();
        break;
      case BodyFormat::kCbor:
        json::to_cbor(value, *out);
        break;
      case BodyFormat::kMessagePack:
        json::to_msgpack(value, *out);
        break;
    }
  } catch (const std::exception& e) {
    out->clear();
    return InvalidArgument(fmt::format("{} body: {}", BodyFormatName(format), e.what()));
  }
  return Status::Ok();
}

}  // namespace lts::rpc
