// UTF-8 validation for text that crosses a trust boundary (job fields, JSON, HTTP).

#pragma once

#include <string_view>

namespace lts {

// True if `text` is well-formed UTF-8 (no overlong forms, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view text);

// True if `text` contains an ASCII control character (0x00-0x1F or 0x7F).
bool HasControlChars(std::string_view text);

}  // namespace lts
