#include "cli/cli.h"

#include <CLI/CLI.hpp>

#include "cli/commands.h"

#ifndef LTS_VERSION_STRING
#define LTS_VERSION_STRING "0.0.0"
#endif

namespace lts::cli {
namespace {

struct PlannedCommand {
  const char* name;
  const char* description;
  const char* status;  // Why it is not runnable yet.
};

// Node kinds and tools whose implementation lands in later issues. Each still has a
// complete --help, and running it says plainly that it is not built yet.
constexpr PlannedCommand kPlanned[] = {
    {"monitor", "Run a Monitor: collects node statistics and raises alarms (email, webhook).",
     "the Monitor node"},
};

}  // namespace

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "LTS, the Light Task Scheduler: a distributed job scheduler.\n"
      "One binary runs every node kind (jobtracker, tasktracker, admin, monitor), a whole\n"
      "cluster in one process (standalone), and the operator tools (submit, job, nodes, cron,\n"
      "kv). Run 'lts <command> --help' for the options of a command. Docs: docs/ in the "
      "source tree.",
      "lts"};
  app.require_subcommand(1);
  app.fallthrough(false);
  CommandContext ctx{&out, &err};

  CLI::App* version = app.add_subcommand("version", "Print the version of this build and exit.");
  version->callback([&] { out << "lts " << LTS_VERSION_STRING << "\n"; });

  for (const PlannedCommand& planned : kPlanned) {
    CLI::App* sub = app.add_subcommand(planned.name, planned.description);
    sub->allow_extras();
    sub->footer("Status: not built yet in this version.");
    sub->callback([&ctx, &planned] {
      *ctx.err << "lts " << planned.name << ": " << planned.status
               << " is not built yet in this version of LTS\n";
      ctx.exit_code = 2;
    });
  }
  AddCronCommand(&app, &ctx);
  AddNodesCommand(&app, &ctx);
  AddKvCommand(&app, &ctx);
  AddJobTrackerCommand(&app, &ctx);
  AddTaskTrackerCommand(&app, &ctx);
  AddStandaloneCommand(&app, &ctx);
  AddSubmitCommand(&app, &ctx);
  AddJobCommand(&app, &ctx);
  AddAdminCommand(&app, &ctx);

  std::vector<std::string> reversed(args.rbegin(), args.rend() - (args.empty() ? 0 : 1));
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    // Usage errors: CLI11 names the option at fault; we add where to look.
    err << "lts: " << e.what() << "\nRun 'lts --help' or 'lts <command> --help'.\n";
    return 2;
  }
  return ctx.exit_code;
}

}  // namespace lts::cli
