// example_hello_runner: a TaskTracker with a C++ JobRunner, and the same runner checked
// with JobRunnerTester first.
//
//   build/bin/example_hello_runner --test                  # JobRunnerTester only
//   build/bin/example_hello_runner [host:port] [group]     # a TaskTracker (Ctrl-C stops)
//
// The runner greets the job's "name" param, asks for a retry when the param "flaky" is
// "true" on the first attempt, and stops early when it is interrupted.

#include <signal.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "lts/job_context.h"
#include "lts/job_runner.h"
#include "lts/job_runner_tester.h"
#include "lts/task_tracker.h"

namespace {

class HelloRunner : public lts::JobRunner {
 public:
  lts::JobRunResult Run(lts::JobContext& ctx) override {
    const std::string name = ctx.param("name", "world");
    ctx.biz_logger().Info("hello, " + name + " (attempt " + std::to_string(ctx.attempt()) + ")");
    if (ctx.param("flaky") == "true" && ctx.attempt() == 1) {
      return {lts::JobAction::kExecuteLater, "flaky: try again"};
    }
    for (int i = 0; i < 10; ++i) {  // Some work, interruptible.
      if (ctx.interrupted()) return {lts::JobAction::kExecuteLater, "interrupted"};
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return {lts::JobAction::kExecuteSuccess, "greeted " + name};
  }
};

int SelfTest() {
  lts::JobRunnerTester tester;
  HelloRunner runner;
  lts::Job job;
  job.task_id = "hello-1";
  job.task_tracker_node_group = "hello";
  job.ext_params["name"] = "LTS";
  lts::JobRunResult result = tester.Run(runner, job);
  std::cout << "JobRunnerTester: " << lts::JobActionName(result.action) << " \"" << result.message
            << "\"\n";
  for (const lts::BizLogRecord& line : tester.biz_logs()) {
    std::cout << "  biz log " << lts::BizLogLevelName(line.level) << ": " << line.message << "\n";
  }
  return result.action == lts::JobAction::kExecuteSuccess ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--test") return SelfTest();
  if (SelfTest() != 0) return 1;

  lts::TaskTracker::Options options;
  options.jobtrackers = {argc > 1 ? argv[1] : "127.0.0.1:35001"};
  options.node_group = argc > 2 ? argv[2] : "hello";
  options.work_threads = 4;
  options.data_dir = "./lts-data";
  options.log_each_job = true;

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  lts::TaskTracker tracker(options,
                           [](const lts::Job&) { return std::make_unique<HelloRunner>(); });
  lts::Status s = tracker.Start();
  if (!s.ok()) {
    std::cerr << "cannot start the TaskTracker: " << s.ToString() << "\n";
    return 1;
  }
  std::cout << "TaskTracker " << tracker.identity() << " runs jobs of node group "
            << options.node_group << "; Ctrl-C stops it\n";
  int sig = 0;
  sigwait(&signals, &sig);
  tracker.Stop();
  return 0;
}
