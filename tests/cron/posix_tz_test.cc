#include "cron/posix_tz.h"

#include <gtest/gtest.h>

#include "cron/time_zone.h"

namespace lts::cron {
namespace {

TEST(PosixTzRuleTest, ParsesUsEasternRule) {
  StatusOr<PosixTzRule> rule = PosixTzRule::Parse("EST5EDT,M3.2.0,M11.1.0");
  ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  EXPECT_TRUE(rule->has_dst());
  EXPECT_EQ(-5 * 3600, rule->std_offset());
  EXPECT_EQ(-4 * 3600, rule->dst_offset());
  // 2040-03-11 is the second Sunday of March: DST from 07:00Z.
  EXPECT_EQ(-5 * 3600, rule->OffsetAt(2215062000 - 1));
  EXPECT_EQ(-4 * 3600, rule->OffsetAt(2215062000));
  // 2040-11-04 06:00Z ends it.
  EXPECT_EQ(-4 * 3600, rule->OffsetAt(2235621600 - 1));
  EXPECT_EQ(-5 * 3600, rule->OffsetAt(2235621600));
}

TEST(PosixTzRuleTest, SouthernHemisphereAndOddOffsets) {
  StatusOr<PosixTzRule> chatham =
      PosixTzRule::Parse("<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45");
  ASSERT_TRUE(chatham.ok()) << chatham.status().ToString();
  EXPECT_EQ(12 * 3600 + 45 * 60, chatham->std_offset());
  EXPECT_EQ(13 * 3600 + 45 * 60, chatham->OffsetAt(2208988800));  // 2040-01-01: summer
  EXPECT_EQ(12 * 3600 + 45 * 60, chatham->OffsetAt(2224000000));  // 2040-06: winter
  StatusOr<PosixTzRule> lord_howe = PosixTzRule::Parse("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
  ASSERT_TRUE(lord_howe.ok());
  EXPECT_EQ(11 * 3600, lord_howe->OffsetAt(2208988800));
}

TEST(PosixTzRuleTest, AllYearDaylightTimeStaysInForce) {
  StatusOr<PosixTzRule> rule = PosixTzRule::Parse("<-03>3<-02>,0/0,J365/25");
  ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  for (int64_t t : {2208988800LL, 2224000000LL, 2240000000LL}) {
    EXPECT_EQ(-2 * 3600, rule->OffsetAt(t)) << t;
  }
}

TEST(PosixTzRuleTest, MalformedRulesAreRejected) {
  for (const char* spec :
       {"", "E", "EST", "EST5EDT", "EST5EDT,M3.2.0", "EST5EDT,M13.2.0,M11.1.0",
        "EST5EDT,M3.6.0,M11.1.0", "EST5EDT,M3.2.7,M11.1.0", "<EST5", "EST999",
        "EST5EDT,M3.2.0/200,M11.1.0", "EST5EDT,J0,J365", "EST5EDT,M3.2.0,M11.1.0junk"}) {
    EXPECT_FALSE(PosixTzRule::Parse(spec).ok()) << spec;
  }
  EXPECT_TRUE(PosixTzRule::Parse("<-03>3").ok());
}

TEST(TimeZoneTest, DaylightSavingContinuesAfter2037) {
  StatusOr<TimeZone> ny = TimeZone::Find("America/New_York");
  ASSERT_TRUE(ny.ok());
  EXPECT_EQ(-4 * 3600, ny->OffsetAt(2224000000));  // June 2040
  EXPECT_EQ(-5 * 3600, ny->OffsetAt(2208988800));  // January 2040
  StatusOr<TimeZone> sydney = TimeZone::Find("Australia/Sydney");
  ASSERT_TRUE(sydney.ok());
  EXPECT_EQ(11 * 3600, sydney->OffsetAt(2208988800));
  EXPECT_EQ(10 * 3600, sydney->OffsetAt(2224000000));
}

}  // namespace
}  // namespace lts::cron
