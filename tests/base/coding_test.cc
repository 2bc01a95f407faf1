#include "base/coding.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace lts {
namespace {

// 0, 1, and each power of two with its neighbours, up to the type's maximum.
template <typename T>
std::vector<T> BoundaryValues() {
  std::vector<T> values = {0, 1};
  for (int bit = 1; bit < std::numeric_limits<T>::digits; ++bit) {
    const T power = static_cast<T>(T{1} << bit);
    values.push_back(power - 1);
    values.push_back(power);
    values.push_back(power + 1);
  }
  values.push_back(std::numeric_limits<T>::max() - 1);
  values.push_back(std::numeric_limits<T>::max());
  return values;
}

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

TEST(CodingTest, FixedEncodingsAreLittleEndian) {
  std::string s;
  PutFixed32(&s, 0x04030201u);
  PutFixed64(&s, 0x0807060504030201ull);
  EXPECT_EQ(Bytes({1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8}), s);
}

TEST(CodingTest, Fixed32RoundTripsAtBoundaries) {
  for (uint32_t v : BoundaryValues<uint32_t>()) {
    char buf[4];
    EncodeFixed32(buf, v);
    ASSERT_EQ(v, DecodeFixed32(buf));
    std::string s;
    PutFixed32(&s, v);
    std::string_view input = s;
    uint32_t decoded = 0;
    ASSERT_TRUE(GetFixed32(&input, &decoded));
    ASSERT_EQ(v, decoded);
    ASSERT_TRUE(input.empty());
  }
}

TEST(CodingTest, Fixed64RoundTripsAtBoundaries) {
  for (uint64_t v : BoundaryValues<uint64_t>()) {
    char buf[8];
    EncodeFixed64(buf, v);
    ASSERT_EQ(v, DecodeFixed64(buf));
    std::string s;
    PutFixed64(&s, v);
    std::string_view input = s;
    uint64_t decoded = 0;
    ASSERT_TRUE(GetFixed64(&input, &decoded));
    ASSERT_EQ(v, decoded);
  }
}

TEST(CodingTest, TruncatedFixedValuesAreRejected) {
  const std::string s = Bytes({1, 2, 3, 4, 5, 6, 7});
  std::string_view input = s;
  uint64_t v64 = 99;
  EXPECT_FALSE(GetFixed64(&input, &v64));
  EXPECT_EQ(99u, v64);
  EXPECT_EQ(7u, input.size());
  std::string_view short_input = std::string_view(s).substr(0, 3);
  uint32_t v32 = 99;
  EXPECT_FALSE(GetFixed32(&short_input, &v32));
  EXPECT_EQ(3u, short_input.size());
}

TEST(CodingTest, Varint32RoundTripsAtBoundariesAndHasTheAdvertisedLength) {
  std::string s;
  const std::vector<uint32_t> values = BoundaryValues<uint32_t>();
  for (uint32_t v : values) {
    const size_t before = s.size();
    PutVarint32(&s, v);
    ASSERT_EQ(static_cast<size_t>(VarintLength(v)), s.size() - before) << v;
  }
  std::string_view input = s;
  for (uint32_t expected : values) {
    uint32_t actual = 0;
    ASSERT_TRUE(GetVarint32(&input, &actual));
    ASSERT_EQ(expected, actual);
  }
  EXPECT_TRUE(input.empty());
}

TEST(CodingTest, Varint64RoundTripsAtBoundariesAndHasTheAdvertisedLength) {
  std::string s;
  const std::vector<uint64_t> values = BoundaryValues<uint64_t>();
  for (uint64_t v : values) {
    const size_t before = s.size();
    PutVarint64(&s, v);
    ASSERT_EQ(static_cast<size_t>(VarintLength(v)), s.size() - before) << v;
  }
  std::string_view input = s;
  for (uint64_t expected : values) {
    uint64_t actual = 0;
    ASSERT_TRUE(GetVarint64(&input, &actual));
    ASSERT_EQ(expected, actual);
  }
  EXPECT_TRUE(input.empty());
}

TEST(CodingTest, VarintLengthsAtTheSevenBitSteps) {
  EXPECT_EQ(1, VarintLength(0));
  EXPECT_EQ(1, VarintLength(127));
  EXPECT_EQ(2, VarintLength(128));
  EXPECT_EQ(5, VarintLength(std::numeric_limits<uint32_t>::max()));
  EXPECT_EQ(kMaxVarint64Length, VarintLength(std::numeric_limits<uint64_t>::max()));
}

TEST(CodingTest, EveryTruncationOfAVarintIsRejectedWithoutConsumingInput) {
  for (uint64_t v : BoundaryValues<uint64_t>()) {
    std::string s;
    PutVarint64(&s, v);
    for (size_t length = 0; length < s.size(); ++length) {
      // A copy of exactly `length` bytes, so that ASan catches any read past the end.
      const std::string truncated = s.substr(0, length);
      std::string_view input(truncated.data(), truncated.size());
      uint64_t value = 12345;
      ASSERT_FALSE(GetVarint64(&input, &value)) << v << " cut to " << length;
      ASSERT_EQ(length, input.size());
      ASSERT_EQ(12345u, value);
      if (v <= std::numeric_limits<uint32_t>::max()) {
        uint32_t value32 = 12345;
        ASSERT_FALSE(GetVarint32(&input, &value32));
        ASSERT_EQ(length, input.size());
      }
    }
  }
}

TEST(CodingTest, Varint32LongerThanFiveBytesIsRejected) {
  const std::string s = Bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x00});
  std::string_view input = s;
  uint32_t value = 0;
  EXPECT_FALSE(GetVarint32(&input, &value));
  EXPECT_EQ(s.size(), input.size());
}

TEST(CodingTest, Varint64LongerThanTenBytesIsRejected) {
  const std::string s = Bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00});
  std::string_view input = s;
  uint64_t value = 0;
  EXPECT_FALSE(GetVarint64(&input, &value));
  EXPECT_EQ(s.size(), input.size());
}

TEST(CodingTest, Varint32ThatOverflowsIsRejected) {
  const std::string max = Bytes({0xff, 0xff, 0xff, 0xff, 0x0f});
  std::string_view input = max;
  uint32_t value = 0;
  ASSERT_TRUE(GetVarint32(&input, &value));
  EXPECT_EQ(std::numeric_limits<uint32_t>::max(), value);

  for (int last : {0x10, 0x1f, 0x7f}) {
    const std::string s = Bytes({0xff, 0xff, 0xff, 0xff, last});
    std::string_view overflowing = s;
    EXPECT_FALSE(GetVarint32(&overflowing, &value)) << last;
    EXPECT_EQ(5u, overflowing.size());
  }
}

TEST(CodingTest, Varint64ThatOverflowsIsRejected) {
  const std::string max = Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01});
  std::string_view input = max;
  uint64_t value = 0;
  ASSERT_TRUE(GetVarint64(&input, &value));
  EXPECT_EQ(std::numeric_limits<uint64_t>::max(), value);

  const std::string s = Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02});
  std::string_view overflowing = s;
  EXPECT_FALSE(GetVarint64(&overflowing, &value));
  EXPECT_EQ(10u, overflowing.size());
}

TEST(CodingTest, NonMinimalVarintIsAcceptedWhenItFits) {
  const std::string s = Bytes({0x80, 0x00});
  std::string_view input = s;
  uint32_t value = 7;
  ASSERT_TRUE(GetVarint32(&input, &value));
  EXPECT_EQ(0u, value);
  EXPECT_TRUE(input.empty());
}

TEST(CodingTest, DecodingStopsAtTheEndOfTheVarint) {
  std::string s;
  PutVarint32(&s, 300);
  s += "rest";
  std::string_view input = s;
  uint32_t value = 0;
  ASSERT_TRUE(GetVarint32(&input, &value));
  EXPECT_EQ(300u, value);
  EXPECT_EQ("rest", input);
}

TEST(CodingTest, LengthPrefixedSlicesRoundTrip) {
  const std::vector<std::string> values = {"",
                                           "a",
                                           std::string(127, 'x'),
                                           std::string(128, 'y'),
                                           std::string(70000, 'z'),
                                           std::string("\0\1\2", 3)};
  std::string s;
  for (const std::string& v : values) PutLengthPrefixedSlice(&s, v);
  std::string_view input = s;
  for (const std::string& expected : values) {
    std::string_view actual;
    ASSERT_TRUE(GetLengthPrefixedSlice(&input, &actual));
    EXPECT_EQ(expected, actual);
  }
  EXPECT_TRUE(input.empty());
}

TEST(CodingTest, EveryTruncationOfALengthPrefixedSliceIsRejectedWithoutConsumingInput) {
  std::string s;
  PutLengthPrefixedSlice(&s, std::string(200, 'q'));
  for (size_t length = 0; length < s.size(); ++length) {
    const std::string truncated = s.substr(0, length);
    std::string_view input(truncated.data(), truncated.size());
    std::string_view result = "unchanged";
    ASSERT_FALSE(GetLengthPrefixedSlice(&input, &result)) << length;
    ASSERT_EQ(length, input.size());
    ASSERT_EQ("unchanged", result);
  }
}

TEST(CodingTest, LengthPrefixWithAMalformedVarintIsRejected) {
  const std::string s = Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 'a'});
  std::string_view input = s;
  std::string_view result;
  EXPECT_FALSE(GetLengthPrefixedSlice(&input, &result));
  EXPECT_EQ(s.size(), input.size());
}

}  // namespace
}  // namespace lts
