// The `lts` binary: every node kind and tool as a subcommand (src/cli).

#include <iostream>
#include <string>
#include <vector>

#include "cli/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  return lts::cli::RunCli(args, std::cout, std::cerr);
}
