#include "base/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace lts {
namespace {

TEST(Utf8Test, AcceptsAsciiAndMultiByteFormsAtEveryOffset) {
  EXPECT_TRUE(IsValidUtf8(""));
  // Every length and alignment around the eight-byte ASCII fast path.
  for (size_t prefix = 0; prefix < 20; ++prefix) {
    for (const std::string tail : {"", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\x7F"}) {
      const std::string text = std::string(prefix, 'a') + tail + std::string(prefix % 9, 'z');
      EXPECT_TRUE(IsValidUtf8(text)) << "prefix " << prefix;
    }
  }
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point.
}

TEST(Utf8Test, RefusesMalformedBytesWhereverTheyAre) {
  const std::string bad[] = {
      "\x80",              // A continuation byte alone.
      "\xC3",              // Truncated two-byte form.
      "\xE2\x82",          // Truncated three-byte form.
      "\xC0\xAF",          // Overlong '/'.
      "\xE0\x80\xAF",      // Overlong, three bytes.
      "\xED\xA0\x80",      // A surrogate (U+D800).
      "\xF4\x90\x80\x80",  // Above U+10FFFF.
      "\xFF",              // Never in UTF-8.
      "\xC3\x28",          // A lead byte followed by ASCII.
  };
  for (const std::string& b : bad) {
    for (size_t prefix = 0; prefix < 20; ++prefix) {
      const std::string text = std::string(prefix, 'a') + b + std::string(prefix % 9, 'z');
      EXPECT_FALSE(IsValidUtf8(text)) << "prefix " << prefix << ", bytes of size " << b.size();
    }
  }
}

}  // namespace
}  // namespace lts
