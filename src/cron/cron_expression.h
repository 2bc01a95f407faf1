// CronExpression: Quartz 2.3-compatible cron expressions and their next fire time.
//
// Syntax (docs/scheduling.md): 6 or 7 fields separated by spaces or tabs,
//   second minute hour day-of-month month day-of-week [year]
// with `*`, `?` (exactly one of the two day fields), ranges `a-b` (wrapping, as in
// `22-2`), steps `a/b`, `*/b`, `a-b/c`, lists, JAN-DEC and SUN-SAT (any case), and the
// day specials `L`, `L-n`, `W`, `LW`, `nL` and `n#m`.
//
// Both the parser and the search follow Quartz 2.3.2 (org.quartz.CronExpression),
// including its leniencies (text after a complete value is ignored, as in `5X`) and
// its daylight-saving behaviour; tests/cron/quartz compares us with the real Quartz
// on a generated corpus. Where we deliberately differ (an expression Quartz accepts
// but then fails on at run time is rejected here), docs/scheduling.md says so.
//
// Thread safety: immutable after Parse(); share freely between threads.

#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cron/time_zone.h"
#include "lts/statusor.h"

namespace lts::cron {

// The longest expression we parse, in bytes.
inline constexpr size_t kMaxCronExpressionLength = 16 * 1024;

struct CronParseOptions {
  // Quartz's CronExpression.MAX_YEAR: the last year a schedule can fire in. 0 means
  // what Quartz uses: the current UTC year + 100.
  int max_year = 0;
};

// A sorted set of non-negative ints, tuned for cron fields (small values in a bitset).
class CronValueSet {
 public:
  void Insert(int value);
  bool Contains(int value) const;
  bool empty() const { return low_.none() && high_.empty(); }
  // The smallest value >= `value`, if any (Java's tailSet(value).first()).
  std::optional<int> LowerBound(int value) const;
  // REQUIRES: !empty().
  int First() const { return *LowerBound(0); }
  int Last() const;

 private:
  static constexpr int kLowLimit = 128;
  std::bitset<kLowLimit> low_;
  std::vector<int> high_;  // Sorted, unique, each >= kLowLimit.
};

class CronExpression {
 public:
  // Parses `text`. On error returns kInvalidArgument whose message names the field
  // and the reason, e.g. "day-of-month field '32': values must be between 1 and 31".
  static StatusOr<CronExpression> Parse(std::string_view text,
                                        const CronParseOptions& options = {});

  // The first fire time strictly after `after_seconds` (epoch seconds), computed on
  // wall-clock time in `zone`; nullopt if the schedule has no later fire time.
  std::optional<int64_t> NextFireAfter(int64_t after_seconds, const TimeZone& zone) const;

  const std::string& text() const { return text_; }

 private:
  friend class CronParser;
  CronExpression() = default;

  std::string text_;
  CronValueSet seconds_, minutes_, hours_, days_of_month_, months_, days_of_week_, years_;
  bool last_day_of_week_ = false;   // `nL`: the last given weekday of the month.
  int nth_day_of_week_ = 0;         // `n#m`: m; 0 when unused.
  bool last_day_of_month_ = false;  // `L`, `L-n`, `LW`.
  int last_day_offset_ = 0;         // n of `L-n`.
  bool nearest_weekday_ = false;    // `W`.
  int max_year_ = 0;
};

}  // namespace lts::cron
