// ShellRunner: the built-in runner of `lts tasktracker --runner shell`. Runs the job's
// `command` param with /bin/sh -c. The contract (docs/tasktracker.md):
//
//   - the shell runs in its own session and process group (setsid), stdin /dev/null,
//     no descriptor of the TaskTracker inherited (close_range from 3), signal mask and
//     dispositions reset;
//   - environment: the TaskTracker's, plus every other param whose name is a valid
//     variable name ([A-Za-z_][A-Za-z0-9_]*; others are skipped with a WARN business log
//     line), plus LTS_JOB_ID, LTS_TASK_ID, LTS_NODE_GROUP and LTS_ATTEMPT;
//   - each stdout line becomes an INFO business log line, each stderr line a WARN one
//     (lines cut at 64 KiB, invalid UTF-8 replaced);
//   - exit 0 = EXECUTE_SUCCESS; an exit code listed in the `laterExitCodes` param
//     ("75,76") = EXECUTE_LATER; any other exit code = EXECUTE_FAILED "exit code N";
//     killed by a signal = EXECUTE_EXCEPTION naming the signal; no `command` param =
//     EXECUTE_FAILED "no command param";
//   - on Interrupt() (terminate or timeout): SIGTERM to the whole process group, SIGKILL
//     after `kill_grace`; the result is then EXECUTE_FAILED "terminated".
// Both pipes are read with poll(), so a run never blocks another; the child is always
// reaped.
//
// Thread safety: Run() on one work thread; Interrupt() from any thread.

#pragma once

#include <chrono>
#include <set>
#include <string>
#include <string_view>

#include "lts/job_context.h"
#include "lts/job_runner.h"
#include "lts/statusor.h"

namespace lts::tasktracker {

inline constexpr std::string_view kCommandParam = "command";
inline constexpr std::string_view kLaterExitCodesParam = "laterExitCodes";

struct ShellRunnerOptions {
  std::chrono::milliseconds kill_grace{5000};  // SIGTERM to SIGKILL.
  std::string shell = "/bin/sh";
};

class ShellRunner : public JobRunner {
 public:
  explicit ShellRunner(ShellRunnerOptions options = {});
  ~ShellRunner() override;
  ShellRunner(const ShellRunner&) = delete;
  ShellRunner& operator=(const ShellRunner&) = delete;

  JobRunResult Run(JobContext& ctx) override;
  void Interrupt() override;

 private:
  const ShellRunnerOptions options_;
  int wake_fd_ = -1;  // eventfd: Interrupt() wakes the poll loop.
};

// [A-Za-z_][A-Za-z0-9_]*, at most 256 bytes.
bool IsValidEnvName(std::string_view name);

// "75, 76" -> {75, 76}. Errors: kInvalidArgument for anything but exit codes 1..255
// separated by commas (at most 64 of them).
StatusOr<std::set<int>> ParseExitCodes(std::string_view text);

}  // namespace lts::tasktracker
