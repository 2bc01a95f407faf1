// The boundary between LTS and user runner code: runs JobRunner::Run() and turns a C++
// exception escaping it into EXECUTE_EXCEPTION with the exception's what() (LTS's
// behaviour for a runner that throws). Used by the TaskTracker and JobRunnerTester.

#pragma once

#include "lts/job_context.h"
#include "lts/job_runner.h"

namespace lts::tasktracker {

// Never throws. A null runner is EXECUTE_FAILED "no runner for this job".
JobRunResult CallRunner(JobRunner* runner, JobContext& ctx) noexcept;

// Sets the context's interruption flag, then calls runner->Interrupt() (exceptions from
// it are logged and swallowed).
void InterruptRunner(JobRunner* runner, JobContext& ctx) noexcept;

}  // namespace lts::tasktracker
