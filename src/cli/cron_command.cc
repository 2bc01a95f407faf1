// `lts cron next`: the next fire times of a Quartz cron expression.

#include <CLI/CLI.hpp>
#include <string>

#include "cli/commands.h"
#include "cron/cron_expression.h"
#include "cron/time_zone.h"

namespace lts::cli {
namespace {

// Inputs are limited to years 1970-2999, where Quartz's search is defined.
constexpr int64_t kMinFrom = 0;
constexpr int64_t kMaxFrom = 32503680000;  // 3000-01-01T00:00:00Z
constexpr int kMaxCount = 10000;

struct CronNextArgs {
  std::string expression;
  int64_t from = 0;
  bool from_set = false;
  int count = 1;
  std::string tz = "UTC";
};

int RunCronNext(const CronNextArgs& a, CommandContext* ctx) {
  if (!a.from_set) {
    *ctx->err << "lts cron next: --from <epoch-seconds> is required\n";
    return 2;
  }
  if (a.from < kMinFrom || a.from >= kMaxFrom) {
    *ctx->err << "lts cron next: --from " << a.from << " is outside [" << kMinFrom << ", "
              << kMaxFrom << ") (1970 to 2999)\n";
    return 2;
  }
  if (a.count < 1 || a.count > kMaxCount) {
    *ctx->err << "lts cron next: --count " << a.count << " is outside [1, " << kMaxCount << "]\n";
    return 2;
  }
  StatusOr<cron::TimeZone> zone = cron::TimeZone::Find(a.tz);
  if (!zone.ok()) {
    *ctx->err << "lts cron next: --tz: " << zone.status().message() << "\n";
    return 2;
  }
  StatusOr<cron::CronExpression> expr = cron::CronExpression::Parse(a.expression);
  if (!expr.ok()) {
    *ctx->err << "lts cron next: invalid cron expression: " << expr.status().message() << "\n";
    return 2;
  }
  std::string line;
  int64_t t = a.from;
  for (int i = 0; i < a.count; ++i) {
    std::optional<int64_t> next = expr->NextFireAfter(t, *zone);
    if (!line.empty()) line += ' ';
    if (!next) {
      line += "END";
      break;
    }
    line += std::to_string(*next);
    t = *next;
  }
  *ctx->out << line << "\n";
  return 0;
}

}  // namespace

void AddCronCommand(CLI::App* app, CommandContext* ctx) {
  CLI::App* cron = app->add_subcommand(
      "cron", "Work with Quartz cron expressions (6 or 7 fields, seconds first, optional year).");
  cron->require_subcommand(1);

  auto args = std::make_shared<CronNextArgs>();
  CLI::App* next = cron->add_subcommand(
      "next",
      "Print the next fire times of a cron expression as epoch seconds on one line, separated "
      "by spaces. If the schedule ends first, prints the times it has, then END. An invalid "
      "expression exits with status 2 and one line on stderr naming the field and the reason.");
  next->add_option("expression", args->expression,
                   "The cron expression, quoted: \"sec min hour day-of-month month "
                   "day-of-week [year]\", e.g. \"0 0/15 9-17 ? * MON-FRI\"")
      ->required();
  next->add_option_function<int64_t>(
          "--from",
          [args](const int64_t& v) {
            args->from = v;
            args->from_set = true;
          },
          "Start instant in epoch seconds; the first time printed is strictly after it")
      ->required();
  next->add_option("--count", args->count, "How many fire times to print (1-10000)")
      ->default_val(1);
  next->add_option("--tz", args->tz, "IANA time zone the expression is read in, e.g. Europe/Berlin")
      ->default_val("UTC");
  next->callback([args, ctx] { ctx->exit_code = RunCronNext(*args, ctx); });
}

}  // namespace lts::cli
