// Config: a YAML configuration file (lts.yaml), loaded once and read through typed
// getters addressed by dotted keys.
//
//   LTS_ASSIGN_OR_RETURN(Config config, Config::LoadFile("/etc/lts/lts.yaml"));
//   LTS_RETURN_IF_ERROR(config.CheckKnownKeys(kKnownKeys));   // Catches typos.
//   LTS_ASSIGN_OR_RETURN(int64_t port,
//                        config.GetInt64("jobtracker.port", 35001, 1, 65535));
//
// The root must be a mapping; nested mappings are addressed with dots, so the key
// "jobtracker.port" is `port` inside `jobtracker`. Keys themselves may not contain a
// dot. Sequences are leaves (read them with GetStringList()). An empty document (or one
// with only comments) is an empty config, in which every getter returns its default.
//
// Every error names the source and a 1-based position, "lts.yaml:7:3: ...", and for a
// value also the full key:
//   lts.yaml:7:3: jobtracker.port: expected an integer in [1, 65535], got "abc"
//
// Limits on untrusted input: at most kMaxConfigBytes of text, nesting at most
// kMaxConfigDepth levels, at most kMaxConfigNodes nodes after aliases are expanded.
//
// Thread safety: a Config is an immutable value (copies share their data); any number
// of threads may read the same Config concurrently.

#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lts/status.h"
#include "lts/statusor.h"

namespace lts {

inline constexpr size_t kMaxConfigBytes = 1 << 20;  // 1 MiB.
inline constexpr int kMaxConfigDepth = 32;          // The root mapping is level 1.
inline constexpr int kMaxConfigNodes = 100'000;

class Config {
 public:
  // An empty config: every getter returns its default.
  Config();

  // Reads and parses the file at `path`; messages name it by `path`.
  // Errors: kNotFound if the file does not exist, kIOError if it cannot be read,
  // kInvalidArgument if it is too large, not valid YAML, nested too deeply, has a root
  // that is not a mapping, a duplicate key, or a key that is not a plain string.
  static StatusOr<Config> LoadFile(const std::string& path);

  // Parses `text`; `name` stands for the source in messages (a file name, "<flag>").
  // Errors: as LoadFile(), minus the I/O ones.
  static StatusOr<Config> LoadString(std::string_view text, std::string_view name);

  // The name passed to LoadString(), or the path passed to LoadFile().
  const std::string& name() const;

  // True if `key` is present, whatever its value (even null, a mapping or a list).
  bool Has(std::string_view key) const;

  // The typed getters. A missing key, and a key whose value is null ("key:" or
  // "key: ~"), yield `default_value`. A value of the wrong type or out of range yields
  // kInvalidArgument naming the position, the key, what was expected and what was found.

  // Any scalar, as written (quotes removed).
  StatusOr<std::string> GetString(std::string_view key, std::string_view default_value) const;

  // A base-10 integer in [min, max].
  StatusOr<int64_t> GetInt64(std::string_view key, int64_t default_value, int64_t min,
                             int64_t max) const;

  // true/false, yes/no, on/off, in any case.
  StatusOr<bool> GetBool(std::string_view key, bool default_value) const;

  // A non-negative duration in milliseconds: "500ms", "30s", "2m", "1h", or a plain
  // integer, taken as milliseconds.
  StatusOr<int64_t> GetDurationMs(std::string_view key, int64_t default_ms) const;

  // A sequence of scalars ("[a, b]" or one "- item" per line).
  StatusOr<std::vector<std::string>> GetStringList(
      std::string_view key, const std::vector<std::string>& default_value) const;

  // Returns kInvalidArgument naming the first key in the document (with its position)
  // that is not in `known` and is not a mapping on the way to a known key; a close
  // known key is suggested. A known entry "labels.*" allows any key under "labels".
  Status CheckKnownKeys(const std::vector<std::string>& known) const;

  // Implementation detail: the parsed document, shared by copies (config.cc).
  struct Data;

 private:
  explicit Config(std::shared_ptr<const Data> data);

  std::shared_ptr<const Data> data_;  // Never null.
};

}  // namespace lts
