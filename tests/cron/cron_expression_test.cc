#include "cron/cron_expression.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lts::cron {
namespace {

// The next `count` fire times after `from` in `zone`, "END" once the schedule ends;
// the same output as `lts cron next`.
std::string Next(std::string_view expr, int64_t from, int count,
                 std::string_view zone_name = "UTC") {
  StatusOr<CronExpression> e = CronExpression::Parse(expr);
  if (!e.ok()) return "INVALID " + e.status().ToString();
  StatusOr<TimeZone> zone = TimeZone::Find(zone_name);
  if (!zone.ok()) return "BAD ZONE";
  std::string out;
  int64_t t = from;
  for (int i = 0; i < count; ++i) {
    std::optional<int64_t> n = e->NextFireAfter(t, *zone);
    if (!out.empty()) out += ' ';
    if (!n) return out + "END";
    out += std::to_string(*n);
    t = *n;
  }
  return out;
}

std::string ParseError(std::string_view expr) {
  StatusOr<CronExpression> e = CronExpression::Parse(expr);
  return e.ok() ? "OK" : std::string(e.status().message());
}

constexpr int64_t k2024 = 1704067200;  // 2024-01-01T00:00:00Z, a Monday.

TEST(CronExpressionTest, EverySecondFiresOnTheNextSecond) {
  EXPECT_EQ("1704067201 1704067202", Next("* * * * * ?", k2024, 2));
}

TEST(CronExpressionTest, DailyAtNoon) {
  EXPECT_EQ("1704110400 1704196800", Next("0 0 12 * * ?", k2024, 2));
}

TEST(CronExpressionTest, StepsAndRangesAndLists) {
  // Minutes 0,15,30,45 of hours 9-10 on weekdays.
  EXPECT_EQ("1704099600 1704100500 1704101400", Next("0 0/15 9-10 ? * MON-FRI", k2024, 3));
  EXPECT_EQ("1704067205 1704067210", Next("5,10 * * * * ?", k2024, 2));
}

TEST(CronExpressionTest, YearFieldEndsTheSchedule) {
  // 2025-12-31T12:00:00Z is the last noon of 2025.
  EXPECT_EQ("1767182400 END", Next("0 0 12 * * ? 2025", 1767096000, 3));
}

TEST(CronExpressionTest, NamesAreCaseInsensitive) {
  EXPECT_EQ(Next("0 0 0 ? jan,Feb mon", k2024, 4), Next("0 0 0 ? 1,2 2", k2024, 4));
}

TEST(CronExpressionTest, LastDayOfMonth) {
  // 2024-01-31, 2024-02-29, 2024-03-31 at 00:00Z.
  EXPECT_EQ("1706659200 1709164800 1711843200", Next("0 0 0 L * ?", k2024, 3));
}

TEST(CronExpressionTest, NthWeekdayOfMonth) {
  // Second Monday: 2024-01-08, 2024-02-12.
  EXPECT_EQ("1704672000 1707696000", Next("0 0 0 ? * MON#2", k2024, 2));
}

TEST(CronExpressionTest, LastFridayOfMonth) {
  // 2024-01-26, 2024-02-23.
  EXPECT_EQ("1706227200 1708646400", Next("0 0 0 ? * 6L", k2024, 2));
}

TEST(CronExpressionTest, ErrorsNameTheFieldAndTheReason) {
  EXPECT_EQ("second field '60': values must be between 0 and 59", ParseError("60 * * * * ?"));
  EXPECT_EQ("day-of-month field '32': values must be between 1 and 31", ParseError("0 0 0 32 * ?"));
  EXPECT_EQ("month field 'FOO': 'FOO' is not a month (JAN-DEC) name", ParseError("0 0 0 ? FOO *"));
  EXPECT_NE(std::string::npos, ParseError("0 0 0 * *").find("expected 6 or 7"));
  EXPECT_NE(std::string::npos, ParseError("0 0 0 1 * MON").find("exactly one"));
  EXPECT_NE(std::string::npos, ParseError("0 0 0 ? * MON#6").find("1-5"));
  EXPECT_NE(std::string::npos, ParseError("0 0 0 L,1 * ?").find("'L'"));
  EXPECT_NE(std::string::npos, ParseError("0 ? 0 * * ?").find("'?'"));
}

TEST(CronExpressionTest, MalformedInputNeverCrashes) {
  const std::vector<std::string> inputs = {"",
                                           " ",
                                           "\t\t",
                                           "*",
                                           "? ? ? ? ? ?",
                                           "0 0 0 ? * #",
                                           "0 0 0 ? * 1#",
                                           "0 0 0 L- * ?",
                                           "0 0 0 ? * -",
                                           "0-",
                                           "0/",
                                           "/",
                                           "*/",
                                           "0 0 0 ? * MON-",
                                           "0 0 0 ? J *",
                                           "99999999999 * * * * ?",
                                           "0 0 0 ? * 1-99999999999",
                                           std::string(20000, '*'),
                                           std::string("0 0 0 \0 * ?", 11),
                                           "\xff\xfe * * * * ?",
                                           ", , , , , ,",
                                           "L L L L L L"};
  for (const std::string& input : inputs) {
    StatusOr<CronExpression> e = CronExpression::Parse(input);
    if (e.ok()) {
      (void)e->NextFireAfter(k2024, TimeZone());
    } else {
      EXPECT_EQ(StatusCode::kInvalidArgument, e.status().code()) << input;
      EXPECT_FALSE(e.status().message().empty());
    }
  }
}

TEST(CronExpressionTest, ImpossibleDateHasNoFireTime) {
  EXPECT_EQ("END", Next("0 0 0 30 2 ?", k2024, 1));
}

// The expectations below are the answers of Quartz 2.3.2 itself
// (tests/cron/quartz/quartz_next.sh), including its daylight-saving behaviour.

TEST(CronExpressionTest, SpringForwardDaySkipsAWallTimeInTheGap) {
  // 02:30 does not exist on 2024-03-10 in New York; Quartz moves on to 2024-03-11.
  EXPECT_EQ("1710138600 1710225000 1710311400",
            Next("0 30 2 * * ?", 1710028800, 3, "America/New_York"));
}

TEST(CronExpressionTest, SpringForwardKeepsTheHoursAroundTheGap) {
  EXPECT_EQ(Next("0 0/30 1-3 * * ?", 1709985600, 6, "America/New_York"),
            "1710050400 1710052200 1710054000 1710055800 1710133200 1710135000");
}

TEST(CronExpressionTest, FallBackFiresAnAmbiguousTimeOnce) {
  // 2024-11-03 01:30 happens twice in New York; Quartz fires once, at 01:30 EST.
  EXPECT_EQ("1730615400 1730701800", Next("0 30 1 * * ?", 1730548800, 2, "America/New_York"));
}

TEST(CronExpressionTest, HalfHourDstOfLordHowe) {
  EXPECT_EQ(Next("0 0/15 1-2 * * ?", 1712361600, 10, "Australia/Lord_Howe"),
            "1712412000 1712412900 1712415600 1712416500 1712417400 1712418300 1712419200 "
            "1712420100 1712500200 1712501100");
}

TEST(CronExpressionTest, QuartzQuirksAreKept) {
  // Trailing text after a complete value is ignored; a negative step means 1.
  EXPECT_EQ(Next("5 * * * * ?", k2024, 2), Next("5X * * * * ?", k2024, 2));
  EXPECT_EQ(Next("* * * * * ?", k2024, 2), Next("*/-5 * * * * ?", k2024, 2));
  // A day-name range ignores a step after it.
  EXPECT_EQ(Next("0 0 0 ? * SUN-SAT", k2024, 3), Next("0 0 0 ? * SUN-SAT/2", k2024, 3));
}

TEST(CronExpressionTest, SchedulesThatNeverEndInQuartzEndHere) {
  // Quartz 2.3.2 loops forever on these (docs/scheduling.md); we answer END.
  EXPECT_EQ("END", Next("0 0 0 L-30W * ?", k2024, 1));
  EXPECT_EQ("END", Next("0 0 0 0W * ?", k2024, 1));
}

}  // namespace
}  // namespace lts::cron
