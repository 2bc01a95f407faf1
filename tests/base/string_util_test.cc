#include "base/string_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "testing/status_matchers.h"

namespace lts {
namespace {

using ::lts::testing::StatusIs;
using ::testing::ElementsAre;

TEST(SplitTest, KeepsEmptyPieces) {
  EXPECT_THAT(Split("a,,b", ','), ElementsAre("a", "", "b"));
  EXPECT_THAT(Split(",a,", ','), ElementsAre("", "a", ""));
  EXPECT_THAT(Split("", ','), ElementsAre(""));
  EXPECT_THAT(Split("abc", ','), ElementsAre("abc"));
}

TEST(TrimTest, RemovesAsciiWhitespaceAtBothEnds) {
  EXPECT_EQ("a b", Trim(" \t\r\n a b \v\f"));
  EXPECT_EQ("", Trim("   "));
  EXPECT_EQ("", Trim(""));
  EXPECT_EQ("x", Trim("x"));
}

TEST(CaseTest, LowerAndCompareIgnoreOnlyAsciiCase) {
  EXPECT_EQ("hello, world! \xc3\x89", AsciiToLower("HeLLo, World! \xc3\x89"));
  EXPECT_TRUE(EqualsIgnoreCase("INFO", "info"));
  EXPECT_FALSE(EqualsIgnoreCase("info", "infos"));
  EXPECT_FALSE(EqualsIgnoreCase("[", "{"));  // 0x5b vs 0x7b: not letters.
}

TEST(ParseInt64Test, AcceptsSignedDecimalIntegers) {
  EXPECT_EQ(0, ParseInt64("0").value());
  EXPECT_EQ(42, ParseInt64("+42").value());
  EXPECT_EQ(-42, ParseInt64("-42").value());
  EXPECT_EQ(7, ParseInt64("007").value());
  EXPECT_EQ(std::numeric_limits<int64_t>::max(), ParseInt64("9223372036854775807").value());
  EXPECT_EQ(std::numeric_limits<int64_t>::min(), ParseInt64("-9223372036854775808").value());
}

TEST(ParseInt64Test, RejectsGarbageWithTheOffendingText) {
  for (const char* text : {"", "+", "-", "12x", " 1", "1 ", "0x10", "1.0", "+-1", "--1", "1e3"}) {
    EXPECT_THAT(ParseInt64(text),
                StatusIs(StatusCode::kInvalidArgument, "expected an integer, got " + Quote(text)))
        << text;
  }
}

TEST(ParseInt64Test, RejectsOverflowWithAClearMessage) {
  EXPECT_THAT(ParseInt64("9223372036854775808"),
              StatusIs(StatusCode::kInvalidArgument,
                       "\"9223372036854775808\" is out of range for a 64-bit integer"));
  EXPECT_THAT(ParseInt64("-9223372036854775809"),
              StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("out of range")));
}

TEST(HumanBytesTest, UsesBinaryUnitsWithOneDecimal) {
  EXPECT_EQ("0 B", HumanBytes(0));
  EXPECT_EQ("1023 B", HumanBytes(1023));
  EXPECT_EQ("1.0 KiB", HumanBytes(1024));
  EXPECT_EQ("1.5 KiB", HumanBytes(1536));
  EXPECT_EQ("1.0 MiB", HumanBytes(1 << 20));
  EXPECT_EQ("1.0 MiB", HumanBytes((1 << 20) - 1));
  EXPECT_EQ("16.0 EiB", HumanBytes(std::numeric_limits<uint64_t>::max()));
}

TEST(QuoteTest, EscapesQuotesBackslashesAndControlBytes) {
  EXPECT_EQ("\"abc\"", Quote("abc"));
  EXPECT_EQ("\"a\\\"b\\\\c\"", Quote("a\"b\\c"));
  EXPECT_EQ("\"\\x00\\x0a\\xff\"", Quote(std::string_view("\0\n\xff", 3)));
}

TEST(QuoteTest, TruncatesLongText) {
  EXPECT_EQ("\"abc\"...", Quote("abcdef", 3));
  EXPECT_EQ("\"abc\"", Quote("abc", 3));
}

TEST(HexDigitValueTest, AcceptsBothCasesAndRejectsTheRest) {
  EXPECT_EQ(0, HexDigitValue('0'));
  EXPECT_EQ(9, HexDigitValue('9'));
  EXPECT_EQ(10, HexDigitValue('a'));
  EXPECT_EQ(15, HexDigitValue('F'));
  for (char c : std::string_view("gG/:@`xz %\0", 11)) EXPECT_EQ(-1, HexDigitValue(c)) << c;
}

TEST(AppendHexByteTest, TwoDigitsInTheAskedCase) {
  std::string out = "%";
  AppendHexByte(&out, 0x3f, /*upper=*/true);
  AppendHexByte(&out, 0x0a, /*upper=*/false);
  AppendHexByte(&out, 0xff, /*upper=*/false);
  EXPECT_EQ("%3F0aff", out);
}

}  // namespace
}  // namespace lts
