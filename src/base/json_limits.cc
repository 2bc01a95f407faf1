#include "base/json_limits.h"

#include <string>

namespace lts {

Status CheckJsonLimits(std::string_view text, std::string_view what, size_t max_bytes,
                       int max_depth) {
  if (text.size() > max_bytes) {
    return InvalidArgument(std::string(what) + ": JSON of " + std::to_string(text.size()) +
                           " bytes exceeds the limit of " + std::to_string(max_bytes));
  }
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return InvalidArgument(std::string(what) + ": JSON nests deeper than " +
                               std::to_string(max_depth) + " levels (at byte " + std::to_string(i) +
                               ")");
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return Status::Ok();
}

}  // namespace lts
