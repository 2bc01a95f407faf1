// `lts jobtracker`: runs a JobTracker node in the foreground until SIGINT/SIGTERM.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>

#include "base/logging.h"
#include "cli/commands.h"
#include "cli/daemon.h"
#include "cli/node_flags.h"
#include "jobtracker/job_tracker.h"

namespace lts::cli {
namespace {

constexpr unsigned kJobTrackerFlags =
    kConfigFlag | kRegistryFlags | kGroupFlag | kIdentityFlag | kDataDirFlag;

struct JobTrackerArgs {
  NodeFlags node;
  std::string store;
  std::string listen = "127.0.0.1:35001";
  int64_t grace_ms = 2000;
  int64_t repair_ms = 5000;
  int64_t dispatch_ahead_ms = 50;
  std::string misfire = "fire-once";
  int processor_threads = 4;
  std::string pg_schema;
  std::string sqlite_sync = "relaxed-dispatch";
};

Status Resolve(const CLI::App& sub, JobTrackerArgs* a) {
  LTS_RETURN_IF_ERROR(ResolveNodeFlags(sub, "jobtracker", kJobTrackerFlags, &a->node));
  const Config& config = a->node.config;
  LTS_RETURN_IF_ERROR(
      ResolveSetting(sub, config, "--store", "LTS_STORE", "jobtracker.store", &a->store));
  LTS_RETURN_IF_ERROR(
      ResolveSetting(sub, config, "--listen", "LTS_LISTEN", "jobtracker.listen", &a->listen));
  LTS_RETURN_IF_ERROR(ResolveSetting(sub, config, "--misfire", "LTS_MISFIRE",
                                     "jobtracker.misfire.policy", &a->misfire));
  if (a->misfire != "fire-once" && a->misfire != "skip") {
    return InvalidArgument(
        fmt::format("--misfire: expected fire-once or skip, got \"{}\"", a->misfire));
  }
  if (a->store.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(a->node.data_dir, ec);
    if (ec) {
      return InvalidArgument(
          fmt::format("--data-dir: cannot create '{}': {}", a->node.data_dir, ec.message()));
    }
    a->store = "sqlite://" + std::filesystem::absolute(a->node.data_dir).string() + "/lts.db";
  }
  return Status::Ok();
}

}  // namespace

void AddJobTrackerCommand(CLI::App* app, CommandContext* ctx) {
  auto args = std::make_shared<JobTrackerArgs>();
  args->node.group = "jobtracker";
  args->node.data_dir = "lts-data";
  CLI::App* sub = app->add_subcommand(
      "jobtracker",
      "Run a JobTracker: stores submitted jobs, dispatches them to TaskTrackers of the job's "
      "node group the moment one has a free thread, retries, reschedules cron and repeat "
      "jobs, and re-dispatches the jobs of a TaskTracker that died.");
  AddNodeFlags(sub, &args->node, kJobTrackerFlags);
  sub->add_option("--store", args->store,
                  "Job store: sqlite:///abs/path.db, sqlite:rel/path.db or "
                  "postgresql://user@host:port/db (default: sqlite in --data-dir); env "
                  "LTS_STORE, key jobtracker.store");
  sub->add_option("--listen", args->listen,
                  "Address for TaskTrackers, JobClients and the CLI; env LTS_LISTEN, key "
                  "jobtracker.listen")
      ->capture_default_str();
  sub->add_option("--grace-ms", args->grace_ms,
                  "A TaskTracker whose connection dropped and that is not back within this "
                  "many ms has its running jobs dispatched to another")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{600000}));
  sub->add_option("--repair-ms", args->repair_ms,
                  "Master: period of the repair work (dead-job checks, feedback re-delivery, "
                  "instance generation)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{100}, int64_t{600000}));
  sub->add_option("--dispatch-ahead-ms", args->dispatch_ahead_ms,
                  "Claim jobs due within this many ms ahead of time and push them at their "
                  "trigger time (hides the store's round trip from the job's start; such a job "
                  "is executing from that early on); 0 claims due jobs only")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{1000}));
  sub->add_option("--misfire", args->misfire,
                  "Periodic jobs overdue after downtime: fire-once (run once now) or skip (wait "
                  "for the next cycle); key jobtracker.misfire.policy")
      ->capture_default_str();
  sub->add_option("--pg-schema", args->pg_schema,
                  "PostgreSQL schema for the job tables (created if missing; [a-z0-9_]); "
                  "default: the connection's search_path")
      ->check([](const std::string& v) {
        for (char c : v) {
          if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return std::string("only [a-z0-9_] is allowed");
          }
        }
        return v.size() <= 48 ? std::string() : std::string("at most 48 bytes");
      });
  sub->add_option("--sqlite-sync", args->sqlite_sync,
                  "SQLite store: relaxed-dispatch (submissions and other writes wait for their "
                  "fsync; claims, completions and job log entries are fsynced by a background "
                  "thread right after they commit: a power failure may lose the last few ms of "
                  "them, and those jobs run again) or every-commit (each commit waits for its "
                  "fsync; a slow disk then delays dispatch)")
      ->capture_default_str()
      ->check(CLI::IsMember({"relaxed-dispatch", "every-commit"}));
  sub->add_option("--processor-threads", args->processor_threads,
                  "Threads for submissions, completions and control requests")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  sub->footer(
      "Examples:\n"
      "  lts jobtracker --data-dir /var/lib/lts\n"
      "  lts jobtracker --registry zookeeper://10.0.0.5:2181 --cluster prod \\\n"
      "      --store postgresql://lts@db:5432/lts --listen 0.0.0.0:35001\n"
      "Runs until SIGINT or SIGTERM. Exit codes: 0 stopped by a signal; 1 could not start; "
      "2 bad usage.");
  sub->callback([sub, args, ctx] {
    Status s = Resolve(*sub, args.get());
    if (!s.ok()) {
      *ctx->err << "lts jobtracker: " << s.message() << "\n";
      ctx->exit_code = 2;
      return;
    }
    BlockTerminationSignals();
    jobtracker::JobTrackerOptions o;
    o.listen = args->listen;
    o.registry = args->node.registry;
    o.cluster = args->node.cluster;
    o.session_timeout_ms = args->node.session_timeout_ms;
    o.node_group = args->node.group;
    o.identity = args->node.identity;
    o.store_url = args->store;
    o.cluster_secret = args->node.secret;
    o.tasktracker_grace_ms = args->grace_ms;
    o.repair_interval_ms = args->repair_ms;
    o.dispatch_ahead_ms = args->dispatch_ahead_ms;
    o.misfire_skip = args->misfire == "skip";
    o.processor_threads = args->processor_threads;
    o.store_options.pg_schema = args->pg_schema;
    o.store_options.sqlite_relaxed_dispatch = args->sqlite_sync == "relaxed-dispatch";
    jobtracker::JobTracker tracker(o);
    s = tracker.Start();
    if (!s.ok()) {
      *ctx->err << "lts jobtracker: " << s.ToString() << "\n";
      tracker.Stop();
      ctx->exit_code = 1;
      return;
    }
    *ctx->out << "JobTracker " << tracker.identity() << " listening on " << tracker.listen_address()
              << std::endl;
    const int signo = WaitForTerminationSignal();
    LTS_LOG(INFO, "signal {} received; stopping the JobTracker", signo);
    tracker.Stop();
    ctx->exit_code = 0;
  });
}

}  // namespace lts::cli
