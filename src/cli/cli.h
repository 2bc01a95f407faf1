// The `lts` command: one binary, every node kind and tool as a subcommand.
//
//   lts --help | lts version | lts cron next "<expr>" --from <s> --count <n> [--tz <zone>]
//   lts jobtracker | tasktracker | admin | monitor | standalone | submit | job | nodes | kv
//
// Exit status: 0 success; 2 bad usage, bad input, or a subcommand that is not built
// yet (it says so); 1 a runtime failure. apps/lts.cc is only main() around RunCli.

#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace lts::cli {

// Runs the command line `args` (args[0] is the program name), writing normal output
// to `out` and diagnostics to `err`. Returns the process exit status.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace lts::cli
