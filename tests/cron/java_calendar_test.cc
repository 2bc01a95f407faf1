#include "cron/java_calendar.h"

#include <gtest/gtest.h>

namespace lts::cron {
namespace {

TEST(JavaCalendarTest, DaysFromCivilMatchesKnownDates) {
  EXPECT_EQ(0, DaysFromCivil(1970, 1, 1));
  EXPECT_EQ(19723, DaysFromCivil(2024, 1, 1));
  EXPECT_EQ(-1, DaysFromCivil(1969, 12, 31));
  EXPECT_EQ(11016, DaysFromCivil(2000, 2, 29));
}

TEST(JavaCalendarTest, DaysInMonthKnowsLeapYears) {
  EXPECT_EQ(29, DaysInMonth(2024, 2));
  EXPECT_EQ(28, DaysInMonth(2100, 2));
  EXPECT_EQ(29, DaysInMonth(2000, 2));
  EXPECT_EQ(30, DaysInMonth(2024, 4));
}

TEST(JavaCalendarTest, OutOfRangeFieldsRollOverLikeALenientCalendar) {
  TimeZone utc;
  JavaCalendar cal(&utc, 1704067200);  // 2024-01-01T00:00:00Z, a Monday
  EXPECT_EQ(2, cal.DayOfWeek());
  cal.Set(JavaCalendar::kMinute, 60);
  EXPECT_EQ(1, cal.Get(JavaCalendar::kHourOfDay));
  EXPECT_EQ(0, cal.Get(JavaCalendar::kMinute));
  cal.Set(JavaCalendar::kDayOfMonth, 32);
  EXPECT_EQ(1, cal.Get(JavaCalendar::kMonth));  // February (0-based)
  EXPECT_EQ(1, cal.Get(JavaCalendar::kDayOfMonth));
  cal.Set(JavaCalendar::kMonth, 12);
  EXPECT_EQ(2025, cal.Get(JavaCalendar::kYear));
  EXPECT_EQ(0, cal.Get(JavaCalendar::kMonth));
}

TEST(JavaCalendarTest, AddYearsPinsTheDayOfMonth) {
  TimeZone utc;
  JavaCalendar cal(&utc, 1709164800);  // 2024-02-29T00:00:00Z
  cal.AddYears(1);
  EXPECT_EQ(2025, cal.Get(JavaCalendar::kYear));
  EXPECT_EQ(1, cal.Get(JavaCalendar::kMonth));
  EXPECT_EQ(28, cal.Get(JavaCalendar::kDayOfMonth));
}

TEST(JavaCalendarTest, WallTimeInASpringForwardGapMovesForward) {
  StatusOr<TimeZone> ny = TimeZone::Find("America/New_York");
  ASSERT_TRUE(ny.ok()) << ny.status().ToString();
  JavaCalendar cal(&*ny, 1710054000);  // 2024-03-10T07:00:00Z = 03:00 EDT
  cal.Set(JavaCalendar::kHourOfDay, 2);
  cal.Set(JavaCalendar::kMinute, 30);
  // 02:30 does not exist; the pre-gap offset (EST) maps it to 07:30Z = 03:30 EDT.
  EXPECT_EQ(3, cal.Get(JavaCalendar::kHourOfDay));
  EXPECT_EQ(1710055800, cal.GetTime());
}

TEST(JavaCalendarTest, AmbiguousWallTimeResolvesToTheLaterInstant) {
  StatusOr<TimeZone> ny = TimeZone::Find("America/New_York");
  ASSERT_TRUE(ny.ok());
  // 2024-11-03 01:30 happens twice; Calendar picks 01:30 EST = 06:30Z.
  EXPECT_EQ(1730615400, ny->LocalToUtc(1730597400));
}

TEST(TimeZoneTest, UnknownZoneIsRejectedByName) {
  StatusOr<TimeZone> zone = TimeZone::Find("Mars/Olympus_Mons");
  ASSERT_FALSE(zone.ok());
  EXPECT_EQ(StatusCode::kInvalidArgument, zone.status().code());
  EXPECT_NE(std::string::npos, zone.status().message().find("Mars/Olympus_Mons"));
}

}  // namespace
}  // namespace lts::cron
