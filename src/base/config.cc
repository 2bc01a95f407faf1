#include "base/config.h"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "base/string_util.h"

namespace lts {
namespace {

enum class Kind { kNull, kScalar, kSequence, kMapping };

// A position in the source, 1-based; 0 when unknown.
struct Position {
  int line = 0;
  int column = 0;
};

struct Item {
  Kind kind = Kind::kNull;
  std::string scalar;  // For kScalar.
  Position position;
};

struct Entry {
  Item value;
  Position key_position;
  std::vector<Item> items;  // For a kSequence value.
};

Position ToPosition(const YAML::Mark& mark) {
  if (mark.is_null()) return {};
  return {mark.line + 1, mark.column + 1};
}

// "name:line:col" or just "name" when the position is unknown.
std::string Where(std::string_view name, Position position) {
  if (position.line <= 0) return std::string(name);
  return fmt::format("{}:{}:{}", name, position.line, position.column);
}

Kind KindOf(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return Kind::kScalar;
    case YAML::NodeType::Sequence:
      return Kind::kSequence;
    case YAML::NodeType::Map:
      return Kind::kMapping;
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return Kind::kNull;
}

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kScalar:
      return "a scalar";
    case Kind::kSequence:
      return "a list";
    case Kind::kMapping:
      return "a mapping";
  }
  return "?";
}

// What was found, for "expected X, got Y".
std::string Describe(const Item& item) {
  return item.kind == Kind::kScalar ? Quote(item.scalar) : std::string(KindName(item.kind));
}

// Levenshtein distance, for "did you mean" suggestions on short keys.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

struct Config::Data {
  std::string name;
  std::map<std::string, Entry, std::less<>> entries;
  std::vector<std::string> order;  // Keys of `entries` in document order.
};

namespace {

// Turns a yaml-cpp document into Config::Data, enforcing the depth, node-count and key
// rules. yaml-cpp may throw while we walk its nodes; the caller catches.
class Builder {
 public:
  // `text` is the parsed source (UTF-8 without a BOM), so that marks are byte offsets.
  Builder(Config::Data* data, std::string_view text) : data_(data), text_(text) {}

  Status AddMapping(const YAML::Node& mapping, const std::string& prefix, int depth) {
    LTS_RETURN_IF_ERROR(Visit(mapping, depth));
    for (auto it = mapping.begin(); it != mapping.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      const Position key_position = ToPosition(key.Mark());
      if (!key.IsScalar()) {
        return Error(key_position,
                     fmt::format("keys must be strings, got {}", KindName(KindOf(key))));
      }
      LTS_RETURN_IF_ERROR(Visit(key, depth + 1));
      const std::string& name = key.Scalar();
      if (name.empty() || name.find('.') != std::string::npos) {
        return Error(key_position,
                     fmt::format("key {} must be non-empty and contain no '.'; nest a "
                                 "mapping instead",
                                 Quote(name)));
      }
      std::string full_key = prefix.empty() ? name : prefix + "." + name;
      if (auto existing = data_->entries.find(full_key); existing != data_->entries.end()) {
        return Error(key_position,
                     fmt::format("duplicate key {} (first at line {})", Quote(full_key),
                                 existing->second.key_position.line));
      }
      Entry entry;
      entry.key_position = key_position;
      entry.value.kind = KindOf(value);
      entry.value.position = ToPosition(value.Mark());
      if (entry.value.kind == Kind::kScalar) entry.value.scalar = value.Scalar();
      if (entry.value.kind == Kind::kSequence) {
        LTS_RETURN_IF_ERROR(Visit(value, depth + 1));
        for (const YAML::Node& element : value) {
          Item item;
          item.kind = KindOf(element);
          item.position = ToPosition(element.Mark());
          if (item.kind == Kind::kScalar) item.scalar = element.Scalar();
          // Nested collections are not readable through the getters, but they still
          // count against the limits.
          LTS_RETURN_IF_ERROR(CheckNested(element, depth + 2));
          entry.items.push_back(std::move(item));
        }
      }
      const Kind kind = entry.value.kind;
      data_->entries.emplace(full_key, std::move(entry));
      data_->order.push_back(full_key);
      if (kind == Kind::kMapping) {
        LTS_RETURN_IF_ERROR(AddMapping(value, full_key, depth + 1));
      } else if (kind != Kind::kSequence) {  // Sequences were visited above.
        LTS_RETURN_IF_ERROR(Visit(value, depth + 1));
      }
    }
    return Status::Ok();
  }

 private:
  // Counts one node against the limits; `depth` is its nesting level if it is a
  // collection (scalars do not nest).
  Status Visit(const YAML::Node& node, int depth) {
    if ((node.IsMap() || node.IsSequence()) && depth > kMaxConfigDepth) {
      return Error(ToPosition(node.Mark()),
                   fmt::format("nesting deeper than {} levels", kMaxConfigDepth));
    }
    if (++nodes_ > kMaxConfigNodes) {
      return Error(ToPosition(node.Mark()),
                   fmt::format("more than {} nodes (after expanding aliases)", kMaxConfigNodes));
    }
    if (node.IsScalar()) {
      LTS_RETURN_IF_ERROR(CheckQuoteClosed(node.Mark()));
      // Aliases let a small file name one large scalar many times; bound the copies.
      scalar_bytes_ += node.Scalar().size();
      if (scalar_bytes_ > kMaxScalarBytes) {
        return Error(ToPosition(node.Mark()),
                     fmt::format("more than {} of values (after expanding aliases)",
                                 HumanBytes(kMaxScalarBytes)));
      }
    }
    return Status::Ok();
  }

  // yaml-cpp accepts a double-quoted scalar left open at the end of the input as if it
  // were closed there. Find the closing quote ourselves; `mark` points at the opening
  // one for quoted scalars (plain scalars never start with a quote).
  Status CheckQuoteClosed(const YAML::Mark& mark) {
    if (mark.pos < 0 || static_cast<size_t>(mark.pos) >= text_.size()) return Status::Ok();
    const auto start = static_cast<size_t>(mark.pos);
    const char quote = text_[start];
    if ((quote != '"' && quote != '\'') || !checked_quotes_.insert(start).second) {
      return Status::Ok();
    }
    for (size_t i = start + 1; i < text_.size(); ++i) {
      if (quote == '"' && text_[i] == '\\') {
        ++i;  // Skip the escaped character.
      } else if (text_[i] == quote) {
        if (quote == '\'' && i + 1 < text_.size() && text_[i + 1] == '\'') {
          ++i;  // '' is an escaped single quote.
        } else {
          return Status::Ok();
        }
      }
    }
    return Error(ToPosition(mark), "unterminated quoted string");
  }

  // Walks a collection inside a list only to enforce the limits.
  Status CheckNested(const YAML::Node& node, int depth) {
    LTS_RETURN_IF_ERROR(Visit(node, depth));
    if (node.IsSequence()) {
      for (const YAML::Node& element : node) LTS_RETURN_IF_ERROR(CheckNested(element, depth + 1));
    } else if (node.IsMap()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        LTS_RETURN_IF_ERROR(Visit(it->first, depth + 1));
        LTS_RETURN_IF_ERROR(CheckNested(it->second, depth + 1));
      }
    }
    return Status::Ok();
  }

  Status Error(Position position, std::string_view message) const {
    return InvalidArgument(fmt::format("{}: {}", Where(data_->name, position), message));
  }

  static constexpr size_t kMaxScalarBytes = 8 * kMaxConfigBytes;

  Config::Data* const data_;
  const std::string_view text_;
  std::set<size_t> checked_quotes_;  // Offsets of quoted scalars already checked.
  int nodes_ = 0;
  size_t scalar_bytes_ = 0;
};

// Sees parser events only to note where each document starts.
class DocumentStarts final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { last_start_ = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  const YAML::Mark& last_start() const { return last_start_; }

 private:
  YAML::Mark last_start_ = YAML::Mark::null_mark();
};

// True (with the start of the second document in `*mark`) if `input` holds more than
// one YAML document. May throw YAML::Exception, like any yaml-cpp parse.
bool HasSecondDocument(const std::string& input, YAML::Mark* mark) {
  std::istringstream stream(input);
  YAML::Parser parser(stream);
  DocumentStarts starts;
  if (!parser.HandleNextDocument(starts) || !parser.HandleNextDocument(starts)) return false;
  *mark = starts.last_start();
  return true;
}

StatusOr<std::shared_ptr<const Config::Data>> Parse(std::string_view text, std::string_view name) {
  auto data = std::make_shared<Config::Data>();
  data->name = std::string(name);
  if (text.size() > kMaxConfigBytes) {
    return InvalidArgument(fmt::format("{}: {} bytes; a config file may be at most {}", name,
                                       text.size(), HumanBytes(kMaxConfigBytes)));
  }
  // A NUL byte never belongs in a text file, and would make yaml-cpp guess UTF-16/32.
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    const std::string_view before = text.substr(0, nul);
    const size_t line_start = before.rfind('\n');
    const Position position{
        static_cast<int>(std::count(before.begin(), before.end(), '\n')) + 1,
        static_cast<int>(line_start == std::string_view::npos ? nul + 1 : nul - line_start)};
    return InvalidArgument(
        fmt::format("{}: NUL byte; a config file must be UTF-8 text", Where(name, position)));
  }
  // yaml-cpp skips a UTF-8 byte order mark without counting it in its offsets.
  if (text.starts_with("\xef\xbb\xbf")) text.remove_prefix(3);
  // yaml-cpp reports every problem by throwing; nothing may escape this function.
  try {
    // Not YAML::LoadAll(): on some malformed input (yaml-cpp PR #1319) it loops forever,
    // allocating an empty document per turn.
    const std::string input(text);
    const YAML::Node root = YAML::Load(input);
    YAML::Mark second_document;
    if (HasSecondDocument(input, &second_document)) {
      return InvalidArgument(fmt::format("{}: a second YAML document; expected exactly one",
                                         Where(name, ToPosition(second_document))));
    }
    if (root.IsNull()) return data;  // An empty document: an empty config.
    if (!root.IsMap()) {
      return InvalidArgument(fmt::format("{}: the root must be a mapping of keys to values, got {}",
                                         Where(name, ToPosition(root.Mark())),
                                         KindName(KindOf(root))));
    }
    Builder builder(data.get(), text);
    LTS_RETURN_IF_ERROR(builder.AddMapping(root, "", 1));
  } catch (const YAML::DeepRecursion& e) {
    return InvalidArgument(fmt::format("{}: nesting deeper than {} levels",
                                       Where(name, ToPosition(e.mark)), kMaxConfigDepth));
  } catch (const YAML::Exception& e) {
    return InvalidArgument(fmt::format("{}: {}", Where(name, ToPosition(e.mark)), e.msg));
  } catch (const std::exception& e) {
    return InvalidArgument(fmt::format("{}: {}", name, e.what()));
  }
  return data;
}

}  // namespace

Config::Config() : Config(std::make_shared<const Data>()) {}

Config::Config(std::shared_ptr<const Data> data) : data_(std::move(data)) {}

StatusOr<Config> Config::LoadString(std::string_view text, std::string_view name) {
  LTS_ASSIGN_OR_RETURN(std::shared_ptr<const Data> data, Parse(text, name));
  return Config(std::move(data));
}

StatusOr<Config> Config::LoadFile(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    const int error = errno;
    const std::string message =
        fmt::format("config file {}: {}", path, std::generic_category().message(error));
    return error == ENOENT ? NotFound(message) : IOError(message);
  }
  // Read one byte past the limit to tell "exactly at the limit" from "over it", and no
  // more: the path could name an endless device.
  std::string text(kMaxConfigBytes + 1, '\0');
  const size_t size = std::fread(text.data(), 1, text.size(), file);
  const int read_error = std::ferror(file) != 0 ? errno : 0;
  std::fclose(file);
  if (read_error != 0) {
    return IOError(
        fmt::format("config file {}: {}", path, std::generic_category().message(read_error)));
  }
  text.resize(size);
  return LoadString(text, path);
}

const std::string& Config::name() const { return data_->name; }

bool Config::Has(std::string_view key) const { return data_->entries.contains(key); }

namespace {

// The entry for `key` if it holds a value; null for a missing key or a null value.
const Entry* FindValue(const Config::Data& data, std::string_view key) {
  auto it = data.entries.find(key);
  if (it == data.entries.end() || it->second.value.kind == Kind::kNull) return nullptr;
  return &it->second;
}

Status ValueError(const Config::Data& data, std::string_view key, Position position,
                  std::string_view expected, std::string_view got) {
  return InvalidArgument(
      fmt::format("{}: {}: expected {}, got {}", Where(data.name, position), key, expected, got));
}

Status ValueError(const Config::Data& data, std::string_view key, const Entry& entry,
                  std::string_view expected) {
  return ValueError(data, key, entry.key_position, expected, Describe(entry.value));
}

// Parses "500ms", "30s", "2m", "1h" or a plain number of milliseconds.
bool ParseDurationMs(std::string_view text, int64_t* ms) {
  const size_t digits_end = text.find_first_not_of("0123456789");
  const std::string_view digits = text.substr(0, digits_end);
  const std::string_view unit =
      digits_end == std::string_view::npos ? std::string_view() : text.substr(digits_end);
  int64_t multiplier = 0;
  if (unit.empty() || unit == "ms") {
    multiplier = 1;
  } else if (unit == "s") {
    multiplier = 1000;
  } else if (unit == "m") {
    multiplier = 60 * 1000;
  } else if (unit == "h") {
    multiplier = 60 * 60 * 1000;
  } else {
    return false;
  }
  if (digits.empty()) return false;
  const StatusOr<int64_t> count = ParseInt64(digits);
  return count.ok() && !__builtin_mul_overflow(*count, multiplier, ms);
}

}  // namespace

StatusOr<std::string> Config::GetString(std::string_view key,
                                        std::string_view default_value) const {
  const Entry* entry = FindValue(*data_, key);
  if (entry == nullptr) return std::string(default_value);
  if (entry->value.kind != Kind::kScalar) return ValueError(*data_, key, *entry, "a string");
  return entry->value.scalar;
}

StatusOr<int64_t> Config::GetInt64(std::string_view key, int64_t default_value, int64_t min,
                                   int64_t max) const {
  const Entry* entry = FindValue(*data_, key);
  if (entry == nullptr) return default_value;
  if (entry->value.kind == Kind::kScalar) {
    const StatusOr<int64_t> value = ParseInt64(entry->value.scalar);
    if (value.ok() && *value >= min && *value <= max) return *value;
  }
  const bool full_range =
      min == std::numeric_limits<int64_t>::min() && max == std::numeric_limits<int64_t>::max();
  return ValueError(*data_, key, *entry,
                    full_range ? std::string("a 64-bit integer")
                               : fmt::format("an integer in [{}, {}]", min, max));
}

StatusOr<bool> Config::GetBool(std::string_view key, bool default_value) const {
  const Entry* entry = FindValue(*data_, key);
  if (entry == nullptr) return default_value;
  if (entry->value.kind == Kind::kScalar) {
    const std::string& text = entry->value.scalar;
    for (const std::string_view yes : {"true", "yes", "on"}) {
      if (EqualsIgnoreCase(text, yes)) return true;
    }
    for (const std::string_view no : {"false", "no", "off"}) {
      if (EqualsIgnoreCase(text, no)) return false;
    }
  }
  return ValueError(*data_, key, *entry, "true or false");
}

StatusOr<int64_t> Config::GetDurationMs(std::string_view key, int64_t default_ms) const {
  const Entry* entry = FindValue(*data_, key);
  if (entry == nullptr) return default_ms;
  int64_t ms = 0;
  if (entry->value.kind == Kind::kScalar && ParseDurationMs(entry->value.scalar, &ms)) return ms;
  return ValueError(*data_, key, *entry,
                    "a duration such as \"500ms\", \"30s\", \"2m\", \"1h\" or a number of "
                    "milliseconds");
}

StatusOr<std::vector<std::string>> Config::GetStringList(
    std::string_view key, const std::vector<std::string>& default_value) const {
  const Entry* entry = FindValue(*data_, key);
  if (entry == nullptr) return default_value;
  if (entry->value.kind != Kind::kSequence) {
    return ValueError(*data_, key, *entry, "a list of strings");
  }
  std::vector<std::string> values;
  values.reserve(entry->items.size());
  for (size_t i = 0; i < entry->items.size(); ++i) {
    const Item& item = entry->items[i];
    if (item.kind != Kind::kScalar) {
      return ValueError(*data_, fmt::format("{}[{}]", key, i), item.position, "a string",
                        Describe(item));
    }
    values.push_back(item.scalar);
  }
  return values;
}

Status Config::CheckKnownKeys(const std::vector<std::string>& known) const {
  // Keys allowed as mappings on the way to a known key: "a" and "a.b" for "a.b.c".
  std::vector<std::string_view> parents;
  std::vector<std::string_view> wildcard_parents;  // "labels" for "labels.*".
  for (const std::string& key : known) {
    if (key.ends_with(".*")) {
      wildcard_parents.push_back(std::string_view(key).substr(0, key.size() - 2));
    }
    for (size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', dot + 1)) {
      parents.push_back(std::string_view(key).substr(0, dot));
    }
  }
  for (const std::string& key : data_->order) {
    const Entry& entry = data_->entries.find(key)->second;
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    const bool under_wildcard = std::any_of(
        wildcard_parents.begin(), wildcard_parents.end(), [&key](std::string_view parent) {
          return key.size() > parent.size() && key.starts_with(parent) && key[parent.size()] == '.';
        });
    if (under_wildcard) continue;
    if (std::find(parents.begin(), parents.end(), key) != parents.end()) {
      if (entry.value.kind == Kind::kMapping || entry.value.kind == Kind::kNull) continue;
      return ValueError(*data_, key, entry, "a mapping");
    }
    // Suggest the closest known key (or parent) within a couple of typos.
    std::string_view best;
    size_t best_distance = 3;
    auto consider = [&](std::string_view candidate) {
      if (candidate.ends_with(".*")) return;
      const size_t distance = EditDistance(key, candidate);
      if (distance < best_distance) {
        best_distance = distance;
        best = candidate;
      }
    };
    for (const std::string& candidate : known) consider(candidate);
    for (const std::string_view candidate : parents) consider(candidate);
    std::string message =
        fmt::format("{}: unknown key {}", Where(data_->name, entry.key_position), Quote(key));
    if (!best.empty()) message += fmt::format(" (did you mean {}?)", Quote(best));
    return InvalidArgument(message);
  }
  return Status::Ok();
}

}  // namespace lts
