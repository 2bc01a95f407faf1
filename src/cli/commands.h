// Registration of the `lts` subcommands on the CLI11 application (internal to src/cli).
// Each Add*Command adds one subcommand with its options and help text and a callback
// that stores its exit status in `*exit_code`.

#pragma once

#include <ostream>

namespace CLI {
class App;
}  // namespace CLI

namespace lts::cli {

struct CommandContext {
  std::ostream* out;
  std::ostream* err;
  int exit_code = 0;
};

void AddCronCommand(CLI::App* app, CommandContext* ctx);
void AddNodesCommand(CLI::App* app, CommandContext* ctx);
void AddKvCommand(CLI::App* app, CommandContext* ctx);
void AddJobTrackerCommand(CLI::App* app, CommandContext* ctx);
void AddTaskTrackerCommand(CLI::App* app, CommandContext* ctx);
void AddStandaloneCommand(CLI::App* app, CommandContext* ctx);
void AddSubmitCommand(CLI::App* app, CommandContext* ctx);
void AddJobCommand(CLI::App* app, CommandContext* ctx);
void AddAdminCommand(CLI::App* app, CommandContext* ctx);

}  // namespace lts::cli
