#include "base/crc32c.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace lts::crc32c {
namespace {

using ExtendFunction = uint32_t (*)(uint32_t, const void*, size_t);

uint32_t ValueWith(ExtendFunction extend, const void* data, size_t n) { return extend(0, data, n); }

// Known answers, each checked against both implementations.
class Crc32cImplementationTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam() && !IsHardwareAccelerated()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  }
  ExtendFunction extend() const {
    return GetParam() ? &ExtendHardwareForTest : &ExtendPortableForTest;
  }
};

TEST_P(Crc32cImplementationTest, MatchesTheCheckValue) {
  EXPECT_EQ(0xe3069283u, ValueWith(extend(), "123456789", 9));
}

TEST_P(Crc32cImplementationTest, EmptyInputIsZero) {
  EXPECT_EQ(0u, ValueWith(extend(), "", 0));
  EXPECT_EQ(0u, ValueWith(extend(), nullptr, 0));
}

// RFC 3720 (iSCSI) appendix B.4.
TEST_P(Crc32cImplementationTest, MatchesRfc3720Vectors) {
  std::array<uint8_t, 32> buf{};
  EXPECT_EQ(0x8a9136aau, ValueWith(extend(), buf.data(), buf.size()));

  buf.fill(0xff);
  EXPECT_EQ(0x62a8ab43u, ValueWith(extend(), buf.data(), buf.size()));

  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(0x46dd794eu, ValueWith(extend(), buf.data(), buf.size()));

  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<uint8_t>(31 - i);
  EXPECT_EQ(0x113fdb5cu, ValueWith(extend(), buf.data(), buf.size()));

  const std::array<uint8_t, 48> iscsi_read_command = {
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
      0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(0xd9963a56u, ValueWith(extend(), iscsi_read_command.data(), iscsi_read_command.size()));
}

TEST_P(Crc32cImplementationTest, ExtendingEqualsHashingTheConcatenation) {
  const std::string data = "hello world, this is a longer message for crc32c";
  const uint32_t whole = ValueWith(extend(), data.data(), data.size());
  for (size_t split = 0; split <= data.size(); ++split) {
    const uint32_t prefix = ValueWith(extend(), data.data(), split);
    EXPECT_EQ(whole, extend()(prefix, data.data() + split, data.size() - split)) << split;
  }
}

INSTANTIATE_TEST_SUITE_P(PortableAndHardware, Crc32cImplementationTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return param_info.param ? "Sse42" : "Portable";
                         });

TEST(Crc32cTest, ValueUsesAnImplementationThatMatchesTheCheckValue) {
  EXPECT_EQ(0xe3069283u, Value("123456789", 9));
  EXPECT_EQ(0xe3069283u, Value(std::string_view("123456789")));
}

TEST(Crc32cTest, ImplementationsAgreeOnRandomDataOfEveryLengthAndAlignment) {
  if (!IsHardwareAccelerated()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  const uint32_t seed = std::random_device()();
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  std::mt19937 rng(seed);
  std::vector<uint8_t> buffer(300 + 16);
  for (uint8_t& byte : buffer) byte = static_cast<uint8_t>(rng());
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t length = 0; length <= 300; ++length) {
      const uint8_t* data = buffer.data() + offset;
      const uint32_t init = static_cast<uint32_t>(rng());
      ASSERT_EQ(ExtendPortableForTest(init, data, length),
                ExtendHardwareForTest(init, data, length))
          << "offset " << offset << " length " << length;
      ASSERT_EQ(ExtendPortableForTest(0, data, length), Value(data, length))
          << "offset " << offset << " length " << length;
    }
  }
}

TEST(Crc32cTest, DifferentInputsGiveDifferentValues) {
  EXPECT_NE(Value("a", 1), Value("foo", 3));
  EXPECT_NE(Value("a", 1), Value("b", 1));
}

TEST(Crc32cMaskTest, MaskChangesTheValueAndUnmaskRestoresIt) {
  const uint32_t crc = Value("foo", 3);
  EXPECT_NE(crc, Mask(crc));
  EXPECT_NE(crc, Mask(Mask(crc)));
  EXPECT_EQ(crc, Unmask(Mask(crc)));
  EXPECT_EQ(crc, Unmask(Unmask(Mask(Mask(crc)))));
}

TEST(Crc32cMaskTest, UnmaskInvertsMaskForEdgeValues) {
  for (uint32_t crc : {0u, 1u, 0x7fffffffu, 0x80000000u, 0xffffffffu, kMaskDelta}) {
    EXPECT_EQ(crc, Unmask(Mask(crc))) << crc;
  }
}

}  // namespace
}  // namespace lts::crc32c
