// Node records: validation and the Java-LTS-like child name (docs/registry.md, "Layout").

#include <fmt/format.h>

#include <set>

#include "base/string_util.h"
#include "registry/registry.h"

namespace lts::registry {
namespace {

constexpr std::string_view kTypeSeparator = ":\\\\";  // A colon and two literal backslashes.
constexpr std::string_view kReservedKeys[] = {"group",    "clusterName", "threads",
                                              "identity", "createTime",  "isAvailable"};
constexpr std::string_view kTypeNames[] = {"JOB_TRACKER", "TASK_TRACKER", "JOB_CLIENT", "MONITOR",
                                           "ADMIN"};

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool IsReservedKey(std::string_view key) {
  for (std::string_view reserved : kReservedKeys) {
    if (key == reserved) return true;
  }
  return false;
}

Status CheckName(std::string_view field, const std::string& value) {
  if (value.empty()) return InvalidArgument(fmt::format("node {}: empty", field));
  if (value.size() > kMaxNameLength) {
    return InvalidArgument(
        fmt::format("node {}: {} bytes, more than {}", field, value.size(), kMaxNameLength));
  }
  return Status::Ok();
}

StatusOr<int64_t> ParseBoundedInt(std::string_view field, std::string_view text, int64_t min,
                                  int64_t max) {
  StatusOr<int64_t> value = ParseInt64(text);
  if (!value.ok()) return value.status().WithContext(fmt::format("node {}", field));
  if (*value < min || *value > max) {
    return InvalidArgument(fmt::format("node {}: {} is outside [{}, {}]", field, *value, min, max));
  }
  return value;
}

}  // namespace

std::string_view NodeTypeName(NodeType type) {
  const auto index = static_cast<size_t>(type);
  return index < std::size(kTypeNames) ? kTypeNames[index] : "UNKNOWN";
}

StatusOr<NodeType> ParseNodeType(std::string_view name) {
  for (NodeType type : kAllNodeTypes) {
    if (NodeTypeName(type) == name) return type;
  }
  return InvalidArgument(fmt::format("unknown node type {}", Quote(name)));
}

std::string_view ConnectionStateName(ConnectionState state) {
  switch (state) {
    case ConnectionState::kConnected:
      return "CONNECTED";
    case ConnectionState::kSuspended:
      return "SUSPENDED";
    case ConnectionState::kReconnected:
      return "RECONNECTED";
    case ConnectionState::kExpired:
      return "EXPIRED";
  }
  return "UNKNOWN";
}

std::string EscapeValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      AppendHexByte(&out, c, /*upper=*/true);
    }
  }
  return out;
}

StatusOr<std::string> UnescapeValue(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) {
      return InvalidArgument(fmt::format("truncated escape at byte {} of {}", i, Quote(text)));
    }
    const int hi = HexDigitValue(text[i + 1]);
    const int lo = HexDigitValue(text[i + 2]);
    if (hi < 0 || lo < 0) {
      return InvalidArgument(fmt::format("bad escape at byte {} of {}", i, Quote(text)));
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string NodeTypePath(std::string_view cluster, NodeType type) {
  return fmt::format("/LTS/{}/NODES/{}", EscapeValue(cluster), NodeTypeName(type));
}

Status Node::Validate() const {
  if (static_cast<size_t>(type) >= std::size(kTypeNames)) {
    return InvalidArgument("node type: out of range");
  }
  LTS_RETURN_IF_ERROR(CheckName("cluster", cluster));
  LTS_RETURN_IF_ERROR(CheckName("group", group));
  LTS_RETURN_IF_ERROR(CheckName("identity", identity));
  if (ip.size() > kMaxIpLength) {
    return InvalidArgument(fmt::format("node ip: {} bytes, more than {}", ip.size(), kMaxIpLength));
  }
  if (port < 0 || port > 65535) {
    return InvalidArgument(fmt::format("node port: {} is outside [0, 65535]", port));
  }
  if (threads < 0) return InvalidArgument(fmt::format("node threads: {} is negative", threads));
  if (create_time_ms < 0) {
    return InvalidArgument(fmt::format("node createTime: {} is negative", create_time_ms));
  }
  if (attributes.size() > kMaxAttributes) {
    return InvalidArgument(fmt::format("node attributes: {} entries, more than {}",
                                       attributes.size(), kMaxAttributes));
  }
  for (const auto& [key, value] : attributes) {
    if (key.empty()) return InvalidArgument("node attribute: empty key");
    if (key.size() > kMaxAttributeKey) {
      return InvalidArgument(
          fmt::format("node attribute {}: key longer than {} bytes", Quote(key), kMaxAttributeKey));
    }
    if (IsReservedKey(key)) {
      return InvalidArgument(fmt::format("node attribute {}: a reserved key", Quote(key)));
    }
    if (value.size() > kMaxAttributeValue) {
      return InvalidArgument(fmt::format("node attribute {}: value longer than {} bytes",
                                         Quote(key), kMaxAttributeValue));
    }
  }
  return Status::Ok();
}

StatusOr<std::string> Node::Encode() const {
  LTS_RETURN_IF_ERROR(Validate());
  std::string out = fmt::format("{}{}{}", NodeTypeName(type), kTypeSeparator, EscapeValue(ip));
  if (port != 0) out += fmt::format(":{}", port);
  out += fmt::format("?group={}&clusterName={}", EscapeValue(group), EscapeValue(cluster));
  if (threads != 0) out += fmt::format("&threads={}", threads);
  out += fmt::format("&identity={}&createTime={}&isAvailable={}", EscapeValue(identity),
                     create_time_ms, available ? "true" : "false");
  for (const auto& [key, value] : attributes) {
    out += fmt::format("&{}={}", EscapeValue(key), EscapeValue(value));
  }
  return out;
}

StatusOr<std::string> Node::EncodePath() const {
  LTS_ASSIGN_OR_RETURN(std::string name, Encode());
  return NodeTypePath(cluster, type) + "/" + name;
}

std::string Node::Address() const { return port == 0 ? ip : fmt::format("{}:{}", ip, port); }

StatusOr<Node> Node::Decode(std::string_view name) {
  if (name.size() > kMaxEncodedNodeName) {
    return InvalidArgument(
        fmt::format("node name: {} bytes, more than {}", name.size(), kMaxEncodedNodeName));
  }
  const size_t sep = name.find(kTypeSeparator);
  if (sep == std::string_view::npos) {
    return InvalidArgument(fmt::format("node name {}: no type separator", Quote(name)));
  }
  Node node;
  LTS_ASSIGN_OR_RETURN(node.type, ParseNodeType(name.substr(0, sep)));
  std::string_view rest = name.substr(sep + kTypeSeparator.size());
  const size_t question = rest.find('?');
  if (question == std::string_view::npos) {
    return InvalidArgument(fmt::format("node name {}: no '?'", Quote(name)));
  }
  std::string_view address = rest.substr(0, question);
  std::string_view query = rest.substr(question + 1);
  // The ip is escaped, so a raw ':' can only start the port.
  const size_t colon = address.find(':');
  LTS_ASSIGN_OR_RETURN(node.ip, UnescapeValue(address.substr(0, colon)));
  if (colon != std::string_view::npos) {
    LTS_ASSIGN_OR_RETURN(int64_t port,
                         ParseBoundedInt("port", address.substr(colon + 1), 1, 65535));
    node.port = static_cast<int>(port);
  }
  std::set<std::string> seen;
  bool has_group = false, has_cluster = false, has_identity = false;
  for (std::string_view pair : Split(query, '&')) {
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return InvalidArgument(
          fmt::format("node name {}: malformed pair {}", Quote(name), Quote(pair)));
    }
    LTS_ASSIGN_OR_RETURN(std::string key, UnescapeValue(pair.substr(0, eq)));
    LTS_ASSIGN_OR_RETURN(std::string value, UnescapeValue(pair.substr(eq + 1)));
    if (!seen.insert(key).second) {
      return InvalidArgument(
          fmt::format("node name {}: duplicate key {}", Quote(name), Quote(key)));
    }
    if (key == "group") {
      node.group = std::move(value);
      has_group = true;
    } else if (key == "clusterName") {
      node.cluster = std::move(value);
      has_cluster = true;
    } else if (key == "identity") {
      node.identity = std::move(value);
      has_identity = true;
    } else if (key == "threads") {
      LTS_ASSIGN_OR_RETURN(int64_t threads, ParseBoundedInt("threads", value, 0, 1 << 20));
      node.threads = static_cast<int>(threads);
    } else if (key == "createTime") {
      LTS_ASSIGN_OR_RETURN(node.create_time_ms, ParseBoundedInt("createTime", value, 0, INT64_MAX));
    } else if (key == "isAvailable") {
      if (value != "true" && value != "false") {
        return InvalidArgument(
            fmt::format("node isAvailable: {} is not true or false", Quote(value)));
      }
      node.available = value == "true";
    } else {
      if (node.attributes.size() >= kMaxAttributes) {
        return InvalidArgument(fmt::format("node name: more than {} attributes", kMaxAttributes));
      }
      node.attributes.emplace(std::move(key), std::move(value));
    }
  }
  if (!has_group || !has_cluster || !has_identity) {
    return InvalidArgument(
        fmt::format("node name {}: group, clusterName and identity are required", Quote(name)));
  }
  LTS_RETURN_IF_ERROR(node.Validate());
  return node;
}

}  // namespace lts::registry
