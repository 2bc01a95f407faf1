#include "net/inet_address.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace lts::net {
namespace {

using ::lts::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(InetAddressTest, ParsesDottedQuadAndPort) {
  ASSERT_OK_AND_ASSIGN(InetAddress address, InetAddress::Parse("10.1.2.3:8080"));
  EXPECT_EQ("10.1.2.3:8080", address.ToString());
  EXPECT_EQ("10.1.2.3", address.ip_string());
  EXPECT_EQ(8080, address.port());
  EXPECT_EQ(0x0a010203u, address.ip());
}

TEST(InetAddressTest, LocalhostMeansLoopback) {
  ASSERT_OK_AND_ASSIGN(InetAddress address, InetAddress::Parse("localhost:1"));
  EXPECT_EQ(InetAddress::Loopback(1), address);
}

TEST(InetAddressTest, LoopbackAndAnyFormat) {
  EXPECT_EQ("127.0.0.1:0", InetAddress::Loopback(0).ToString());
  EXPECT_EQ("0.0.0.0:35001", InetAddress::Any(35001).ToString());
}

TEST(InetAddressTest, MissingPortIsNamed) {
  EXPECT_THAT(InetAddress::Parse("127.0.0.1"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("missing ':port'")));
}

TEST(InetAddressTest, BadPortIsNamed) {
  for (const char* text : {"127.0.0.1:", "127.0.0.1:70000", "127.0.0.1:8x", "127.0.0.1:-1"}) {
    EXPECT_THAT(InetAddress::Parse(text),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("bad port")))
        << text;
  }
}

TEST(InetAddressTest, BadHostIsNamed) {
  EXPECT_THAT(InetAddress::Parse("300.1.1.1:80"),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("bad host \"300.1.1.1\""), HasSubstr("IPv4"))));
  EXPECT_THAT(InetAddress::Parse(":80"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("bad host")));
  EXPECT_THAT(InetAddress::Parse("jobtracker.example:80"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("bad host")));
}

}  // namespace
}  // namespace lts::net
