// Small string helpers shared by the modules: splitting, trimming, case-insensitive
// comparison, strict integer parsing, hex digits, human-readable sizes and quoting for
// messages.
//
// All functions are pure: thread-safe, and they never throw. Functions that return a
// std::string_view return a view into their argument, valid as long as it is.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lts/statusor.h"

namespace lts {

// Splits `text` at every `separator`. Empty pieces are kept: "a,,b" -> {"a", "", "b"},
// and "" -> {""}.
std::vector<std::string_view> Split(std::string_view text, char separator);

// `text` without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string_view Trim(std::string_view text);

// ASCII-only lower case; other bytes are copied unchanged.
std::string AsciiToLower(std::string_view text);

// True if `a` and `b` are equal ignoring ASCII case.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Parses a whole string as a base-10 signed 64-bit integer: an optional '+' or '-'
// followed by digits, nothing else (no spaces, no "0x", no trailing text).
// Errors: kInvalidArgument, "expected an integer, got \"12x\"" or
// "\"99999999999999999999\" is out of range for a 64-bit integer".
StatusOr<int64_t> ParseInt64(std::string_view text);

// The value of one hex digit ('0'-'9', 'a'-'f', 'A'-'F'), or -1 for any other char.
int HexDigitValue(char c);

// Appends the two hex digits of `byte`, upper case ("3F") when `upper`, else lower ("3f").
void AppendHexByte(std::string* out, uint8_t byte, bool upper);

// "0 B", "1023 B", "1.0 KiB", "1.5 MiB", ... "16.0 EiB" (powers of 1024).
std::string HumanBytes(uint64_t bytes);

// `text` in double quotes for error messages: '"' and '\' are escaped, control and
// non-ASCII bytes become \xNN, and text past `max_length` bytes is cut and marked
// with "...". Quote("a\"b") == "\"a\\\"b\"".
std::string Quote(std::string_view text, size_t max_length = 80);

}  // namespace lts
