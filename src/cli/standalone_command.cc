// `lts standalone`: a whole cluster in one process on the embedded defaults: an embedded
// registry, one JobTracker on a SQLite file, and a TaskTracker of node group `shell`
// running shell jobs. JobClients and `lts submit` / `lts job` reach it on --listen.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "admin/admin_server.h"
#include "base/logging.h"
#include "cli/admin_flags.h"
#include "cli/commands.h"
#include "cli/daemon.h"
#include "cli/node_flags.h"
#include "jobtracker/job_tracker.h"
#include "lts/task_tracker.h"
#include "tasktracker/shell_runner.h"

namespace lts::cli {
namespace {

constexpr unsigned kStandaloneFlags = kConfigFlag | kDataDirFlag | kThreadsFlag;

struct StandaloneArgs {
  NodeFlags node;
  std::string listen = "127.0.0.1:35001";
  std::string group = "shell";
  std::string store;
  std::string secret_file;
  AdminHttpFlags http;
  bool no_admin = false;
};

int Run(const CLI::App& sub, StandaloneArgs* a, CommandContext* ctx) {
  Status s = ResolveNodeFlags(sub, "standalone", kStandaloneFlags, &a->node);
  std::error_code ec;
  if (s.ok()) {
    std::filesystem::create_directories(a->node.data_dir, ec);
    if (ec) {
      s = InvalidArgument(
          fmt::format("--data-dir: cannot create '{}': {}", a->node.data_dir, ec.message()));
    }
  }
  if (s.ok()) s = ResolveAdminHttpFlags(sub, a->node, &a->http);
  StatusOr<admin::AuthConfig> auth = s.ok() ? LoadAdminAuth(a->node) : StatusOr<admin::AuthConfig>(s);
  if (!auth.ok()) {
    *ctx->err << "lts standalone: " << auth.status().message() << "\n";
    return 2;
  }
  const std::string data = std::filesystem::absolute(a->node.data_dir).string();
  if (a->store.empty()) a->store = "sqlite://" + data + "/lts.db";
  BlockTerminationSignals();

  const std::string registry = "embedded://standalone";
  jobtracker::JobTrackerOptions jo;
  jo.listen = a->listen;
  jo.registry = registry;
  jo.identity = "standalone-jobtracker";
  jo.store_url = a->store;
  jobtracker::JobTracker tracker(jo);
  s = tracker.Start();
  if (!s.ok()) {
    *ctx->err << "lts standalone: cannot start the JobTracker: " << s.ToString() << "\n";
    return 1;
  }
  TaskTracker::Options to;
  to.registry = registry;
  to.node_group = a->group;
  to.identity = "standalone-tasktracker";
  to.work_threads = a->node.threads;
  to.data_dir = data;
  to.log_each_job = true;
  tasktracker::ShellRunnerOptions shell;
  TaskTracker tasktracker(to, [shell](const Job&) -> std::unique_ptr<JobRunner> {
    return std::make_unique<tasktracker::ShellRunner>(shell);
  });
  s = tasktracker.Start();
  if (!s.ok()) {
    *ctx->err << "lts standalone: cannot start the TaskTracker: " << s.ToString() << "\n";
    tracker.Stop();
    return 1;
  }
  std::unique_ptr<admin::AdminServer> console;
  if (!a->no_admin) {
    admin::AdminServerOptions ao;
    ao.http = a->http.http;
    ao.web_dir = a->http.web_dir;
    ao.links.registry = registry;
    ao.links.jobtrackers = {tracker.listen_address()};
    console = std::make_unique<admin::AdminServer>(ao, *auth);
    s = console->Start();
    if (!s.ok()) {
      *ctx->err << "lts standalone: cannot start the admin console: " << s.message() << "\n";
      tasktracker.Stop();
      tracker.Stop();
      return s.code() == StatusCode::kInvalidArgument ? 2 : 1;
    }
  }
  *ctx->out << "lts standalone: JobTracker on " << tracker.listen_address()
            << ", store " << a->store << ", shell TaskTracker group '" << a->group << "' ("
            << a->node.threads << " threads)\n"
            << "  submit: lts submit --group " << a->group
            << " --task-id hello --param command='echo hello'\n"
            << "  watch:  lts job list --queue executable\n";
  if (console != nullptr) {
    *ctx->out << "  console: http://" << console->http_address() << "/"
              << (auth->open() ? " (open mode: no users configured, loopback only)"
                               : " (log in with a user of --config)")
              << "\n";
  }
  *ctx->out << std::flush;
  const int signo = WaitForTerminationSignal();
  LTS_LOG(INFO, "signal {} received; stopping the standalone cluster", signo);
  if (console != nullptr) console->Stop();
  tasktracker.Stop();
  tracker.Stop();
  return 0;
}

}  // namespace

void AddStandaloneCommand(CLI::App* app, CommandContext* ctx) {
  auto args = std::make_shared<StandaloneArgs>();
  args->node.data_dir = "lts-data";
  args->node.threads = 8;
  CLI::App* sub = app->add_subcommand(
      "standalone",
      "Run a whole cluster in one process on the embedded defaults: embedded registry, one "
      "JobTracker on SQLite, a shell TaskTracker of node group 'shell', and the web console "
      "and HTTP API on --http.");
  AddNodeFlags(sub, &args->node, kStandaloneFlags);
  sub->add_option("--listen", args->listen,
                  "JobTracker address for JobClients, `lts submit` and `lts job`")
      ->capture_default_str();
  sub->add_option("--group", args->group, "Node group of the shell TaskTracker")
      ->capture_default_str();
  sub->add_option("--store", args->store,
                  "Job store URL (default: sqlite in --data-dir)");
  AddAdminHttpFlags(sub, &args->http);
  sub->add_flag("--no-admin", args->no_admin, "Do not start the web console and HTTP API");
  sub->footer(
      "Examples:\n"
      "  lts standalone --data-dir /tmp/lts            # console on http://127.0.0.1:8080/\n"
      "  lts standalone --config lts.yaml --http 0.0.0.0:8080   # with users (docs/http_api.md)\n"
      "  lts submit --group shell --task-id tick --cron '*/10 * * * * ?' --param command=date\n"
      "Runs until SIGINT or SIGTERM. Exit codes: 0 stopped by a signal; 1 could not start; "
      "2 bad usage.");
  sub->callback([sub, args, ctx] { ctx->exit_code = Run(*sub, args.get(), ctx); });
}

}  // namespace lts::cli
