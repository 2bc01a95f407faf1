// `lts submit`: submits one job built from flags, or the jobs of a JSON file, to a
// JobTracker through a JobClient (without a FailStore: a command line reports failure
// instead of keeping jobs for later), and optionally waits for their feedback.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/logging.h"
#include "base/mutex.h"
#include "cli/client_common.h"
#include "cli/commands.h"
#include "cli/node_flags.h"
#include "client/links.h"
#include "lts/job_client.h"

namespace lts::cli {
namespace {

constexpr unsigned kFlagSet = kConfigFlag | kRegistryFlags | kJobTrackerFlag;
constexpr size_t kMaxJsonFileBytes = 64 * 1024 * 1024;
constexpr size_t kMaxJsonJobs = 100000;

struct SubmitArgs {
  NodeFlags node;
  std::string group;
  std::string task_id;
  std::vector<std::string> params;
  std::string cron;
  std::string trigger_time;
  int32_t repeat_count = 0;
  int64_t repeat_interval_ms = 0;
  int32_t priority = 100;
  int32_t max_retries = 0;
  std::string retry_backoff;
  int64_t retry_delay_ms = 0;
  int64_t timeout_s = 0;
  std::string time_zone;
  bool replace = false;
  bool no_rely = false;
  bool need_feedback = false;
  int64_t wait_ms = 60000;
  std::string json_file;
  std::string output = "text";
  std::string client_group = "lts-cli";
  int timeout_ms = 5000;
};

// The flag that sets each Job field, so that Validate()'s messages name what the user typed.
constexpr std::pair<const char*, const char*> kFieldFlags[] = {
    {"taskId", "--task-id"},
    {"taskTrackerNodeGroup", "--group"},
    {"priority", "--priority"},
    {"submitNodeGroup", "--client-group"},
    {"extParams", "--param"},
    {"maxRetryTimes", "--max-retries"},
    {"cronExpression", "--cron"},
    {"repeatCount", "--repeat-count"},
    {"repeatInterval", "--repeat-interval"},
    {"triggerTime", "--trigger-time"},
    {"timeoutSeconds", "--timeout"},
    {"timeZone", "--time-zone"},
    {"retryBackoff", "--retry-backoff/--retry-delay-ms"},
};

std::string NameFlag(std::string_view message) {
  for (const auto& [field, flag] : kFieldFlags) {
    if (message.starts_with(field) && message.size() > std::string_view(field).size() &&
        (message[std::string_view(field).size()] == ':' ||
         message[std::string_view(field).size()] == '.')) {
      return fmt::format("{} ({})", flag, message);
    }
  }
  return std::string(message);
}

// The job the flags describe. Errors name the flag.
StatusOr<Job> JobFromFlags(const SubmitArgs& args, const CLI::App& sub) {
  if (args.group.empty()) return InvalidArgument("--group: required (or give --json)");
  if (args.task_id.empty()) return InvalidArgument("--task-id: required (or give --json)");
  Job job;
  job.task_id = args.task_id;
  job.task_tracker_node_group = args.group;
  for (const std::string& param : args.params) {
    const size_t eq = param.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument(
          fmt::format("--param '{}': expected key=value with a non-empty key", param));
    }
    job.ext_params[param.substr(0, eq)] = param.substr(eq + 1);
  }
  job.cron_expression = args.cron;
  if (!args.trigger_time.empty()) {
    StatusOr<int64_t> ms = ParseTimeMs(args.trigger_time);
    if (!ms.ok()) return InvalidArgument(fmt::format("--trigger-time: {}", ms.status().message()));
    job.trigger_time_ms = *ms;
  }
  job.repeat_count = args.repeat_count;
  if (sub.count("--repeat-interval") > 0) job.repeat_interval_ms = args.repeat_interval_ms;
  job.priority = args.priority;
  job.max_retry_times = args.max_retries;
  if (!args.retry_backoff.empty()) {
    job.retry_backoff.kind = args.retry_backoff == "exponential" ? RetryBackoff::Kind::kExponential
                                                                 : RetryBackoff::Kind::kFixed;
  }
  if (sub.count("--retry-delay-ms") > 0) {
    job.retry_backoff.initial_ms = args.retry_delay_ms;
    job.retry_backoff.max_ms = std::max(job.retry_backoff.max_ms, args.retry_delay_ms);
  }
  job.timeout_seconds = args.timeout_s;
  if (!args.time_zone.empty()) job.time_zone = args.time_zone;
  job.replace_on_exist = args.replace;
  job.rely_on_prev_cycle = !args.no_rely;
  job.need_feedback = args.need_feedback;
  if (Status s = job.Validate(); !s.ok()) return InvalidArgument(NameFlag(s.message()));
  return job;
}

StatusOr<std::vector<Job>> JobsFromFlags(const SubmitArgs& args, const CLI::App& sub) {
  LTS_ASSIGN_OR_RETURN(Job job, JobFromFlags(args, sub));
  return std::vector<Job>{std::move(job)};
}

StatusOr<std::string> ReadInput(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return NotFound(fmt::format("--json: cannot read '{}'", path));
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  if (text.size() > kMaxJsonFileBytes) {
    return InvalidArgument(fmt::format("--json {}: larger than {} bytes", path, kMaxJsonFileBytes));
  }
  return text;
}

// The jobs of a JSON file: one Job object or an array of them. A job without
// "taskTrackerNodeGroup" gets --group. Errors name the file and the job's index.
StatusOr<std::vector<Job>> JobsFromJson(const SubmitArgs& args) {
  LTS_ASSIGN_OR_RETURN(std::string text, ReadInput(args.json_file));
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return InvalidArgument(fmt::format("--json {}: not valid JSON", args.json_file));
  }
  const bool single = doc.is_object();
  if (!single && !doc.is_array()) {
    return InvalidArgument(
        fmt::format("--json {}: expected a job object or an array of jobs", args.json_file));
  }
  if (single) doc = nlohmann::json::array({std::move(doc)});
  if (doc.empty()) return InvalidArgument(fmt::format("--json {}: no jobs", args.json_file));
  if (doc.size() > kMaxJsonJobs) {
    return InvalidArgument(
        fmt::format("--json {}: more than {} jobs", args.json_file, kMaxJsonJobs));
  }
  std::vector<Job> jobs;
  jobs.reserve(doc.size());
  for (size_t i = 0; i < doc.size(); ++i) {
    nlohmann::json& value = doc[i];
    const std::string where = single ? fmt::format("--json {}", args.json_file)
                                     : fmt::format("--json {}: job[{}]", args.json_file, i);
    if (!value.is_object()) return InvalidArgument(where + ": expected a job object");
    if (!value.contains("taskTrackerNodeGroup") && !args.group.empty()) {
      value["taskTrackerNodeGroup"] = args.group;
    }
    if (args.need_feedback) value["needFeedback"] = true;
    if (args.replace) value["replaceOnExist"] = true;
    StatusOr<Job> job =
        Job::FromJson(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    if (!job.ok()) return InvalidArgument(fmt::format("{}: {}", where, job.status().message()));
    jobs.push_back(std::move(*job));
  }
  return jobs;
}

// Feedback results collected by the handler, for --need-feedback.
struct FeedbackBox {
  Mutex mu;
  CondVar cv;
  std::map<std::string, JobResult> by_job_id GUARDED_BY(mu);
};

std::string Key(const Job& job) {
  return fmt::format("{}/{}", job.task_tracker_node_group, job.task_id);
}

int RunSubmit(const SubmitArgs& args_in, const CLI::App& sub, CommandContext* ctx) {
  SubmitArgs args = args_in;
  std::ostream& out = *ctx->out;
  std::ostream& err = *ctx->err;
  if (Status s = ResolveNodeFlags(sub, "submit", kFlagSet, &args.node); !s.ok()) {
    err << "lts submit: " << s.message() << "\n";
    return 2;
  }
  if (!args.json_file.empty() && !args.task_id.empty()) {
    err << "lts submit: --task-id and --json exclude each other (the file names its jobs)\n";
    return 2;
  }
  StatusOr<std::vector<Job>> jobs =
      args.json_file.empty() ? JobsFromFlags(args, sub) : JobsFromJson(args);
  if (!jobs.ok()) {
    err << "lts submit: " << jobs.status().message() << "\n";
    return 2;
  }

  JobClient::Options options;
  const client::LinkSettings links = LinkSettingsFrom(args.node, "");
  options.registry = links.registry;
  options.cluster = links.cluster;
  options.jobtrackers = links.jobtrackers;
  options.cluster_secret = links.cluster_secret;
  options.node_group = args.client_group;
  options.identity = client::DefaultIdentity("lts-submit");
  options.use_fail_store = false;
  options.call_timeout = std::chrono::milliseconds(args.timeout_ms);
  auto box = std::make_shared<FeedbackBox>();
  JobClient client(options);
  client.SetFeedbackHandler([box](const std::vector<JobResult>& results) {
    MutexLock lock(&box->mu);
    for (const JobResult& result : results) box->by_job_id[result.job_id] = result;
    box->cv.SignalAll();
  });
  if (Status s = client.Start(); !s.ok()) {
    err << "lts submit: " << s.message() << "\n";
    return s.code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  if (!client.WaitForJobTracker(std::chrono::milliseconds(args.timeout_ms))) {
    err << "lts submit: no JobTracker reachable at " << client::DescribeTarget(links) << " within "
        << args.timeout_ms << " ms; nothing was submitted\n";
    return 1;
  }
  std::vector<SubmitResult> results = client.SubmitBatch(*jobs);

  bool all_ok = true;
  std::map<std::string, size_t> waiting;  // job_id -> index, for feedback.
  nlohmann::json doc = nlohmann::json::array();
  for (size_t i = 0; i < results.size(); ++i) {
    const Job& job = (*jobs)[i];
    const SubmitResult& r = results[i];
    if (!r.status.ok()) all_ok = false;
    if (r.status.ok() && job.need_feedback && !r.job_id.empty()) waiting[r.job_id] = i;
    if (args.output == "json") {
      nlohmann::json entry = {{"group", job.task_tracker_node_group},
                              {"taskId", job.task_id},
                              {"status", StatusCodeName(r.status.code())}};
      if (!r.status.ok()) entry["message"] = r.status.message();
      if (!r.job_id.empty()) entry["jobId"] = r.job_id;
      entry["replaced"] = r.replaced;
      doc.push_back(std::move(entry));
    } else if (r.status.ok()) {
      out << "submitted " << Key(job) << " job_id=" << r.job_id << (r.replaced ? " (replaced)" : "")
          << "\n";
    } else {
      out << "refused " << Key(job) << ": " << StatusCodeName(r.status.code()) << ": "
          << r.status.message() << "\n";
    }
  }

  bool feedback_complete = true;
  if (!waiting.empty()) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(args.wait_ms);
    MutexLock lock(&box->mu);
    while (true) {
      size_t have = 0;
      for (const auto& [id, index] : waiting) have += box->by_job_id.count(id);
      if (have == waiting.size()) break;
      if (!box->cv.WaitUntil(&box->mu, deadline) && std::chrono::steady_clock::now() >= deadline) {
        break;
      }
    }
    for (const auto& [id, index] : waiting) {
      const Job& job = (*jobs)[index];
      auto it = box->by_job_id.find(id);
      if (it == box->by_job_id.end()) {
        feedback_complete = false;
        err << "lts submit: no feedback for " << Key(job) << " job_id=" << id << " within "
            << args.wait_ms << " ms\n";
        continue;
      }
      const JobResult& result = it->second;
      if (args.output == "json") {
        for (nlohmann::json& entry : doc) {
          if (entry.value("jobId", "") != id) continue;
          entry["feedback"] = {{"action", JobActionName(result.action)},
                               {"success", result.success},
                               {"terminated", result.terminated},
                               {"message", result.message},
                               {"attempts", result.attempts},
                               {"finishedMs", result.finished_ms}};
        }
      } else {
        out << "feedback " << Key(job) << " job_id=" << id
            << " action=" << JobActionName(result.action) << " attempts=" << result.attempts
            << (result.terminated ? " terminated" : "") << " message=" << result.message << "\n";
      }
    }
  }
  if (args.output == "json") {
    out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  client.Stop();
  return all_ok && feedback_complete ? 0 : 1;
}

}  // namespace

void AddSubmitCommand(CLI::App* app, CommandContext* ctx) {
  auto args = std::make_shared<SubmitArgs>();
  CLI::App* sub = app->add_subcommand(
      "submit",
      "Submit a job built from flags, or the jobs of a JSON file, to a JobTracker. Prints one "
      "line per job: 'submitted <group>/<taskId> job_id=<id>' or 'refused <group>/<taskId>: "
      "<reason>'. Nothing is kept for later: when no JobTracker is reachable the command "
      "fails. Exit status: 0 every job accepted, 1 a job refused, no JobTracker reachable or "
      "feedback missing, 2 bad usage or an invalid job (the message names the flag or field).");
  AddNodeFlags(sub, &args->node, kFlagSet);
  // The command reports what failed itself; the client library's INFO/WARN lines are noise.
  sub->preparse_callback([](size_t) { SetLogLevel(LogLevel::kError); });
  sub->add_option("--group", args->group,
                  "The TaskTracker node group that runs the job (required unless every job of "
                  "--json names its taskTrackerNodeGroup; then it is the default for those "
                  "that do not)");
  sub->add_option("--task-id", args->task_id,
                  "The job's key, unique per node group (required without --json)");
  sub->add_option("--param", args->params,
                  "A job parameter key=value, repeatable (the shell runner reads 'command')");
  sub->add_option("--cron", args->cron,
                  "Quartz cron expression (6 or 7 fields, e.g. '0 0/5 * * * ?'): a cron job");
  sub->add_option("--trigger-time", args->trigger_time,
                  "When to run: epoch milliseconds (1795514400000) or ISO-8601 with a zone "
                  "(2026-11-24T10:00:00Z, 2026-11-24T11:00:00+01:00); default now");
  sub->add_option("--repeat-count", args->repeat_count,
                  "Repeat job: number of runs, -1 = forever (needs --repeat-interval)")
      ->check(CLI::Range(-1, 2147483647));
  sub->add_option("--repeat-interval", args->repeat_interval_ms,
                  "Repeat job: period in milliseconds (>= 1000)");
  sub->add_option("--priority", args->priority, "Smaller runs first (default 100)")
      ->capture_default_str();
  sub->add_option("--max-retries", args->max_retries,
                  "Retries after EXECUTE_LATER or EXECUTE_EXCEPTION (0..1000, default 0)")
      ->check(CLI::Range(0, 1000));
  sub->add_option("--retry-backoff", args->retry_backoff,
                  "Delay between retries: fixed (every retry waits --retry-delay-ms) or "
                  "exponential (doubling from --retry-delay-ms)")
      ->check(CLI::IsMember({"fixed", "exponential"}));
  sub->add_option("--retry-delay-ms", args->retry_delay_ms,
                  "First (fixed: every) retry delay in milliseconds (default 30000)")
      ->check(CLI::Range(int64_t{0}, int64_t{86400000}));
  sub->add_option("--timeout", args->timeout_s,
                  "Seconds a run may take before it is terminated; 0 = no limit")
      ->check(CLI::Range(int64_t{0}, kMaxTimeoutSeconds));
  sub->add_option("--time-zone", args->time_zone,
                  "IANA zone the cron expression is read in (default UTC)");
  sub->add_flag("--replace", args->replace,
                "Replace an existing job with the same (group, taskId) instead of refusing");
  sub->add_flag("--no-rely-on-prev-cycle", args->no_rely,
                "Cron/repeat: generate cycles on the time grid even while one still runs");
  sub->add_flag("--need-feedback", args->need_feedback,
                "Ask for the job's final result, wait up to --wait-ms for it and print it");
  sub->add_option("--wait-ms", args->wait_ms, "How long --need-feedback waits (default 60000)")
      ->check(CLI::Range(int64_t{1}, int64_t{86400000}));
  sub->add_option("--json", args->json_file,
                  "Read the jobs from a JSON file ('-' = stdin): one Job object or an array "
                  "(the field names of docs/scheduling.md: taskId, taskTrackerNodeGroup, "
                  "extParams, cronExpression, triggerTime, ...)");
  sub->add_option("--client-group", args->client_group,
                  "The JobClient node group this command submits as (feedback goes there)")
      ->capture_default_str();
  sub->add_option("--output", args->output, "text (one line per job) or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  sub->add_option("--timeout-ms", args->timeout_ms,
                  "How long to wait for a JobTracker connection, and for each call")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();
  sub->footer(
      "Examples:\n"
      "  lts submit --group shell --task-id hello --param 'command=echo hello'\n"
      "  lts submit --group shell --task-id nightly --cron '0 0 2 * * ?' --time-zone "
      "Europe/Paris --param command=/usr/local/bin/backup\n"
      "  lts submit --group shell --task-id later --trigger-time 2026-11-24T10:00:00Z "
      "--param command=date\n"
      "  lts submit --group shell --task-id ping --repeat-count 10 --repeat-interval 60000 "
      "--param command='ping -c1 db'\n"
      "  lts submit --group shell --task-id once --need-feedback --wait-ms 30000 "
      "--param command=true\n"
      "  lts submit --json jobs.json --jobtracker 10.0.0.5:35001 --output json\n"
      "  lts submit --registry zookeeper://zk:2181 --cluster prod --json - < jobs.json");
  sub->callback([args, sub, ctx] { ctx->exit_code = RunSubmit(*args, *sub, ctx); });
}

}  // namespace lts::cli
