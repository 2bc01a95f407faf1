// RunLts: runs the `lts` command line in-process and captures its exit code and output.

#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.h"

namespace lts::cli {

struct Result {
  int code;
  std::string out;
  std::string err;
};

// `args` without the program name.
inline Result RunLts(std::vector<std::string> args) {
  args.insert(args.begin(), "lts");
  std::ostringstream out, err;
  const int code = RunCli(args, out, err);
  return {code, out.str(), err.str()};
}

}  // namespace lts::cli
