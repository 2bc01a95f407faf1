// `lts tasktracker`: a TaskTracker node running the built-in shell runner until SIGINT or
// SIGTERM, then stopping gracefully (docs/tasktracker.md).

#include <fmt/format.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <memory>
#include <string>

#include "base/logging.h"
#include "base/string_util.h"
#include "cli/commands.h"
#include "cli/daemon.h"
#include "cli/node_flags.h"
#include "failstore/fail_store.h"
#include "lts/task_tracker.h"
#include "tasktracker/shell_runner.h"

namespace lts::cli {
namespace {

constexpr unsigned kFlags = kConfigFlag | kRegistryFlags | kJobTrackerFlag | kGroupFlag |
                            kIdentityFlag | kDataDirFlag | kThreadsFlag;

struct TaskTrackerArgs {
  NodeFlags node;
  std::string runner = "shell";
  int heartbeat_ms = 3000;
  std::string fail_store = "ltsdb";
  std::string biz_log_level = "INFO";
  bool res_check = false;
  double max_cpu = 90;
  double max_memory = 90;
  int kill_grace_ms = 5000;
  int stop_grace_ms = 10000;
  int prefetch = 0;
  bool quiet_jobs = false;
};

StatusOr<BizLogLevel> ParseBizLogLevel(std::string_view text) {
  const std::string upper = AsciiToLower(text);
  if (upper == "debug") return BizLogLevel::kDebug;
  if (upper == "info") return BizLogLevel::kInfo;
  if (upper == "warn") return BizLogLevel::kWarn;
  if (upper == "error") return BizLogLevel::kError;
  return InvalidArgument(
      fmt::format("expected DEBUG, INFO, WARN or ERROR, got '{}'", Quote(text, 20)));
}

bool Given(const CLI::App& sub, const char* flag) { return sub.count(flag) > 0; }

// Command-specific settings: flag > config key > default.
Status ResolveTaskTrackerArgs(const CLI::App& sub, TaskTrackerArgs* args) {
  const Config& config = args->node.config;
  if (!Given(sub, "--fail-store")) {
    LTS_ASSIGN_OR_RETURN(args->fail_store, failstore::FailStoreEngineFromConfig(config));
  }
  if (!Given(sub, "--heartbeat-ms") && config.Has("heartbeatInterval")) {
    LTS_ASSIGN_OR_RETURN(int64_t ms, config.GetDurationMs("heartbeatInterval", 3000));
    args->heartbeat_ms = static_cast<int>(std::min<int64_t>(ms, 3600000));
  }
  if (!Given(sub, "--biz-log-level")) {
    LTS_ASSIGN_OR_RETURN(args->biz_log_level, config.GetString("bizLoggerLevel", "INFO"));
  }
  if (!Given(sub, "--res-check")) {
    LTS_ASSIGN_OR_RETURN(args->res_check, config.GetBool("lb.machine.res.check.enable", false));
  }
  if (!Given(sub, "--max-cpu")) {
    LTS_ASSIGN_OR_RETURN(int64_t v, config.GetInt64("lb.cpuUsedRate.max", 90, 1, 100));
    args->max_cpu = static_cast<double>(v);
  }
  if (!Given(sub, "--max-memory")) {
    LTS_ASSIGN_OR_RETURN(int64_t v, config.GetInt64("lb.memoryUsedRate.max", 90, 1, 100));
    args->max_memory = static_cast<double>(v);
  }
  if (args->heartbeat_ms < 100) return InvalidArgument("--heartbeat-ms: at least 100");
  if (!(args->max_cpu > 0 && args->max_cpu <= 100)) {
    return InvalidArgument("--max-cpu: expected a percent in (0, 100]");
  }
  if (!(args->max_memory > 0 && args->max_memory <= 100)) {
    return InvalidArgument("--max-memory: expected a percent in (0, 100]");
  }
  if (args->runner != "shell") {
    return InvalidArgument(fmt::format(
        "--runner: '{}' is not a built-in runner; the only one is 'shell' (C++ runners are "
        "programs linking the TaskTracker SDK, see examples/hello_runner.cc)",
        args->runner));
  }
  return Status::Ok();
}

int RunTaskTracker(const CLI::App& sub, TaskTrackerArgs* args, CommandContext* ctx) {
  Status s = ResolveNodeFlags(sub, "tasktracker", kFlags, &args->node);
  if (s.ok()) s = ResolveTaskTrackerArgs(sub, args);
  StatusOr<BizLogLevel> level = ParseBizLogLevel(args->biz_log_level);
  if (s.ok() && !level.ok())
    s = InvalidArgument(fmt::format("--biz-log-level: {}", level.status().message()));
  if (!s.ok()) {
    *ctx->err << "lts tasktracker: " << s.message() << "\n";
    return 2;
  }
  TaskTracker::Options options;
  options.registry = args->node.registry;
  options.cluster = args->node.cluster;
  options.session_timeout_ms = args->node.session_timeout_ms;
  options.jobtrackers = args->node.jobtrackers;
  options.node_group = args->node.group;
  options.identity = args->node.identity;
  options.work_threads = args->node.threads;
  options.prefetch = args->prefetch;
  options.data_dir = args->node.data_dir;
  options.fail_store = args->fail_store;
  options.biz_log_level = *level;
  options.heartbeat_interval_ms = args->heartbeat_ms;
  options.resource_check.enabled = args->res_check;
  options.resource_check.max_cpu_percent = args->max_cpu;
  options.resource_check.max_memory_percent = args->max_memory;
  options.cluster_secret = args->node.secret;
  options.stop_grace_ms = args->stop_grace_ms;
  options.log_each_job = !args->quiet_jobs;
  tasktracker::ShellRunnerOptions shell;
  shell.kill_grace = std::chrono::milliseconds(args->kill_grace_ms);

  // SIGINT/SIGTERM are taken with sigwait(); block them before any thread starts so
  // every thread inherits the mask (the shell runner resets it for its children).
  BlockTerminationSignals();

  TaskTracker tracker(options, [shell](const Job&) -> std::unique_ptr<JobRunner> {
    return std::make_unique<tasktracker::ShellRunner>(shell);
  });
  s = tracker.Start();
  if (!s.ok()) {
    *ctx->err << "lts tasktracker: cannot start: " << s.ToString() << "\n";
    return 1;
  }
  LTS_LOG(INFO, "lts tasktracker {} running shell jobs of node group {} ({}); Ctrl-C stops it",
          tracker.identity(), options.node_group,
          options.registry.empty()
              ? "JobTrackers " + fmt::format("{}", fmt::join(options.jobtrackers, ", "))
              : "registry " + options.registry);
  const int sig = WaitForTerminationSignal();
  LTS_LOG(INFO, "received {}; stopping (running jobs get {} ms to finish)",
          sig == SIGINT ? "SIGINT" : "SIGTERM", options.stop_grace_ms);
  tracker.Stop();
  return 0;
}

}  // namespace

void AddTaskTrackerCommand(CLI::App* app, CommandContext* ctx) {
  auto args = std::make_shared<TaskTrackerArgs>();
  args->node.threads = 8;
  args->node.data_dir = "./lts-data";
  CLI::App* sub = app->add_subcommand(
      "tasktracker",
      "Run a TaskTracker: executes the jobs of its node group on a pool of work threads with "
      "the built-in shell runner, and reports results and business logs to the JobTrackers.");
  AddNodeFlags(sub, &args->node, kFlags);
  sub->add_option("--runner", args->runner, "Job runner; the only built-in one is 'shell'")
      ->capture_default_str();
  sub->add_option("--heartbeat-ms", args->heartbeat_ms,
                  "Heartbeat interval to every JobTracker, in ms; key heartbeatInterval")
      ->capture_default_str();
  sub->add_option("--fail-store", args->fail_store,
                  "FailStore engine for undelivered results and business logs: ltsdb, "
                  "leveldb or rocksdb; key job.fail.store")
      ->capture_default_str()
      ->check(CLI::IsMember({"ltsdb", "leveldb", "rocksdb"}));
  sub->add_option("--biz-log-level", args->biz_log_level,
                  "Business log lines below this level are dropped: DEBUG, INFO, WARN, ERROR; "
                  "key bizLoggerLevel")
      ->capture_default_str();
  sub->add_flag("--res-check", args->res_check,
                "Take no new jobs while CPU or memory use is above --max-cpu/--max-memory; "
                "key lb.machine.res.check.enable");
  sub->add_option("--max-cpu", args->max_cpu,
                  "CPU use threshold, percent of the CPUs available; key lb.cpuUsedRate.max")
      ->capture_default_str();
  sub->add_option("--max-memory", args->max_memory,
                  "Memory use threshold, percent (cgroup limit or MemTotal); key "
                  "lb.memoryUsedRate.max")
      ->capture_default_str();
  sub->add_option("--kill-grace-ms", args->kill_grace_ms,
                  "Shell jobs: SIGTERM to SIGKILL of the job's process group on terminate or "
                  "timeout, in ms")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600000));
  sub->add_option("--stop-grace-ms", args->stop_grace_ms,
                  "On SIGINT/SIGTERM: how long running jobs may finish before they are "
                  "interrupted, in ms")
      ->capture_default_str()
      ->check(CLI::Range(0, 86400000));
  sub->add_option("--prefetch", args->prefetch,
                  "Jobs taken beyond --threads, queued for the next free thread (short jobs: "
                  "no JobTracker round trip between two runs); queued jobs count as running")
      ->capture_default_str()
      ->check(CLI::Range(0, 65536));
  sub->add_flag("--quiet-jobs", args->quiet_jobs,
                "Do not log the start and end of every job (they are logged at DEBUG)");
  sub->footer(
      "Shell jobs: the job's 'command' param runs with /bin/sh -c in its own process group;\n"
      "the other params are environment variables (plus LTS_JOB_ID, LTS_TASK_ID,\n"
      "LTS_NODE_GROUP, LTS_ATTEMPT); stdout lines are INFO and stderr lines WARN business\n"
      "log lines. Exit 0 = EXECUTE_SUCCESS; a code listed in the 'laterExitCodes' param\n"
      "(e.g. \"75,76\") = EXECUTE_LATER (retried); other codes = EXECUTE_FAILED; killed by a\n"
      "signal = EXECUTE_EXCEPTION. See docs/tasktracker.md.\n\n"
      "Example:\n"
      "  lts tasktracker --group shell --jobtracker 127.0.0.1:35001 --threads 4");
  sub->callback([sub, args, ctx] { ctx->exit_code = RunTaskTracker(*sub, args.get(), ctx); });
}

}  // namespace lts::cli
