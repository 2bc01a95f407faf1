#include "kv/file_names.h"

namespace lts::kv {

std::string NumberedFileName(std::string_view prefix, uint64_t number, int digits,
                             std::string_view suffix) {
  std::string n = std::to_string(number);
  std::string out(prefix);
  if (static_cast<int>(n.size()) < digits) out.append(static_cast<size_t>(digits) - n.size(), '0');
  out += n;
  out += suffix;
  return out;
}

uint64_t ParseNumberedFileName(std::string_view name, std::string_view prefix, int digits,
                               std::string_view suffix) {
  const size_t d = static_cast<size_t>(digits);
  if (name.size() != prefix.size() + d + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix)) {
    return 0;
  }
  uint64_t n = 0;
  for (char c : name.substr(prefix.size(), d)) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

}  // namespace lts::kv
