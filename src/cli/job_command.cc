// `lts job`: inspect and steer jobs through a JobTracker (JOB_QUERY, JOB_CONTROL):
// list a queue, show a job, pause/resume/trigger/cancel/terminate by key, retry a
// dead-letter job, show a job's execution and business logs, count the queues.
//
// The JobTracker's answers are read defensively: a value of an unexpected type is printed
// as JSON, and a response without the expected shape is an error (exit 1), never a crash.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/logging.h"
#include "cli/client_common.h"
#include "cli/commands.h"
#include "cli/node_flags.h"
#include "cli/table.h"
#include "client/control_client.h"
#include "client/links.h"

namespace lts::cli {
namespace {

constexpr unsigned kFlagSet = kConfigFlag | kRegistryFlags | kJobTrackerFlag;

struct JobArgs {
  NodeFlags node;
  int timeout_ms = 5000;
  std::string output = "table";
  // list
  std::string queue;
  std::string group;
  std::string task_prefix;
  int32_t limit = 100;
  int64_t offset = 0;
  // by key / id
  std::string key_group;
  std::string key_task;
  std::string job_id;
  bool biz = false;
};

std::string Dump(const nlohmann::json& value, int indent = -1) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The array `key` of a JOB_QUERY answer. Errors: kInternal describing the bad shape.
StatusOr<const nlohmann::json*> ArrayOf(const nlohmann::json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_array()) {
    return Internal(fmt::format("malformed JOB_QUERY response from the JobTracker: '{}' is {}", key,
                                it == doc.end() ? "missing" : "not an array"));
  }
  for (const nlohmann::json& item : *it) {
    if (!item.is_object()) {
      return Internal(fmt::format(
          "malformed JOB_QUERY response from the JobTracker: an element of '{}' is not an object",
          key));
    }
  }
  return &*it;
}

const nlohmann::json& JobOf(const nlohmann::json& view) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  auto it = view.find("job");
  return it != view.end() && it->is_object() ? *it : kEmpty;
}

// The kind of a job as its JSON fields say (Job::Kind's rules), for the table.
std::string KindOf(const nlohmann::json& job) {
  if (!JsonCell(job, "cronExpression").empty()) return "cron";
  auto interval = job.find("repeatInterval");
  auto count = job.find("repeatCount");
  if (interval != job.end() && interval->is_number() && interval->get<double>() > 0 &&
      count != job.end() && count->is_number() && count->get<double>() != 0) {
    return "repeat";
  }
  return JsonCell(job, "triggerTime").empty() ? "real-time" : "trigger-time";
}

void PrintJobList(const nlohmann::json& jobs, const nlohmann::json& doc, bool dead,
                  std::ostream& out) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"JOB_ID",       "GROUP",   "TASK_ID",    "KIND",
                                     "TRIGGER_TIME", "RETRIES", "TASKTRACKER"};
  if (dead) header.push_back("REASON");
  rows.push_back(header);
  for (const nlohmann::json& view : jobs) {
    const nlohmann::json& job = JobOf(view);
    std::vector<std::string> row = {
        JsonCell(view, "jobId"),       JsonCell(job, "taskTrackerNodeGroup"),
        JsonCell(job, "taskId"),       KindOf(job),
        TimeCell(view, "triggerTime"), JsonCell(view, "retryTimes"),
        JsonCell(view, "taskTracker")};
    if (dead) row.push_back(JsonCell(view, "reason"));
    rows.push_back(std::move(row));
  }
  PrintTable(rows, out);
  if (jobs.empty()) out << "(no jobs)\n";
  if (doc.contains("total") && doc["total"].is_number_integer()) {
    out << "total " << Dump(doc["total"]) << "\n";
  }
}

void PrintJobView(const nlohmann::json& view, std::ostream& out) {
  const nlohmann::json& job = JobOf(view);
  std::vector<std::vector<std::string>> rows = {{"FIELD", "VALUE"}};
  rows.push_back({"jobId", JsonCell(view, "jobId")});
  rows.push_back({"queue", JsonCell(view, "queue")});
  rows.push_back({"kind", KindOf(job)});
  for (const char* key : {"taskTrackerNodeGroup", "taskId", "submitNodeGroup", "priority",
                          "cronExpression", "timeZone", "repeatCount", "repeatInterval",
                          "maxRetryTimes", "timeoutSeconds", "needFeedback", "relyOnPrevCycle"}) {
    rows.push_back({key, JsonCell(job, key)});
  }
  rows.push_back({"triggerTime", TimeCell(view, "triggerTime")});
  for (const char* key : {"retryTimes", "repeatedCount", "taskTracker", "jobTracker"}) {
    rows.push_back({key, JsonCell(view, key)});
  }
  for (const char* key : {"startedAt", "gmtCreated", "gmtModified"}) {
    rows.push_back({key, TimeCell(view, key)});
  }
  if (view.contains("reason")) rows.push_back({"reason", JsonCell(view, "reason")});
  auto params = job.find("extParams");
  if (params != job.end() && params->is_object()) {
    for (auto it = params->begin(); it != params->end(); ++it) {
      rows.push_back(
          {"param " + it.key(), it->is_string() ? it->get_ref<const std::string&>() : Dump(*it)});
    }
  }
  PrintTable(rows, out);
}

class JobCommand {
 public:
  JobCommand(const JobArgs& args, const CLI::App& sub, std::string name, CommandContext* ctx)
      : args_(args), sub_(sub), name_(std::move(name)), ctx_(ctx) {}

  // Resolves flags and connects. Returns the exit code on failure, 0 on success.
  int Connect() {
    if (Status s = ResolveNodeFlags(sub_, "job", kFlagSet, &args_.node); !s.ok()) {
      return Fail(s, 2);
    }
    client::ControlClient::Options options;
    options.links = LinkSettingsFrom(args_.node, client::DefaultIdentity("lts-job"));
    options.call_timeout = std::chrono::milliseconds(args_.timeout_ms);
    client_ = std::make_unique<client::ControlClient>(options);
    if (Status s = client_->Start(std::chrono::milliseconds(args_.timeout_ms)); !s.ok()) {
      return Fail(s, s.code() == StatusCode::kInvalidArgument ? 2 : 1);
    }
    return 0;
  }

  int Fail(const Status& status, int code) {
    *ctx_->err << "lts job " << name_ << ": "
               << (status.code() == StatusCode::kInvalidArgument ||
                           status.code() == StatusCode::kUnavailable ||
                           status.code() == StatusCode::kInternal
                       ? std::string(status.message())
                       : status.ToString())
               << "\n";
    return code;
  }

  int Query(const protocol::QueryRequest& request) {
    if (int code = Connect(); code != 0) return code;
    StatusOr<nlohmann::json> doc = client_->Query(request);
    if (!doc.ok()) return Fail(doc.status(), 1);
    std::ostream& out = *ctx_->out;
    if (args_.output == "json") {
      out << Dump(*doc, 2) << "\n";
      return 0;
    }
    switch (request.kind) {
      case protocol::QueryKind::kList: {
        StatusOr<const nlohmann::json*> jobs = ArrayOf(*doc, "jobs");
        if (!jobs.ok()) return Fail(jobs.status(), 1);
        PrintJobList(**jobs, *doc, request.queue == "dead", out);
        return 0;
      }
      case protocol::QueryKind::kGet: {
        auto it = doc->find("job");
        if (it == doc->end() || !it->is_object()) {
          return Fail(Internal("malformed JOB_QUERY response from the JobTracker: 'job' is "
                               "missing or not an object"),
                      1);
        }
        PrintJobView(*it, out);
        return 0;
      }
      case protocol::QueryKind::kLogs:
      case protocol::QueryKind::kBizLog: {
        StatusOr<const nlohmann::json*> logs = ArrayOf(*doc, "logs");
        if (!logs.ok()) return Fail(logs.status(), 1);
        const bool biz = request.kind == protocol::QueryKind::kBizLog;
        std::vector<std::vector<std::string>> rows;
        if (biz) {
          rows.push_back({"TIME", "LEVEL", "JOB_ID", "MESSAGE"});
        } else {
          rows.push_back({"TIME", "TYPE", "SUCCESS", "LEVEL", "TRACKER", "MESSAGE"});
        }
        for (const nlohmann::json& log : **logs) {
          if (biz) {
            rows.push_back({TimeCell(log, "time"), JsonCell(log, "level"), JsonCell(log, "jobId"),
                            JsonCell(log, "message")});
          } else {
            rows.push_back({TimeCell(log, "time"), JsonCell(log, "type"), JsonCell(log, "success"),
                            JsonCell(log, "level"), JsonCell(log, "tracker"),
                            JsonCell(log, "message")});
          }
        }
        PrintTable(rows, out);
        if ((*logs)->empty()) out << "(no logs)\n";
        return 0;
      }
      case protocol::QueryKind::kCounts: {
        auto it = doc->find("counts");
        if (it == doc->end() || !it->is_object()) {
          return Fail(Internal("malformed JOB_QUERY response from the JobTracker: 'counts' is "
                               "missing or not an object"),
                      1);
        }
        std::vector<std::vector<std::string>> rows = {{"QUEUE", "JOBS"}};
        for (const char* queue :
             {"executable", "executing", "cron", "repeat", "suspended", "dead"}) {
          rows.push_back({queue, JsonCell(*it, queue)});
        }
        PrintTable(rows, out);
        return 0;
      }
      case protocol::QueryKind::kStats:  // Not asked by `lts job`: printed as JSON.
        out << Dump(*doc, 2) << "\n";
        return 0;
    }
    return 0;
  }

  int Control(const protocol::ControlRequest& request) {
    if (int code = Connect(); code != 0) return code;
    StatusOr<protocol::ControlResponse> response = client_->Control(request);
    if (!response.ok()) return Fail(response.status(), 1);
    std::string what = request.key.node_group + "/" + request.key.task_id;
    if (request.op == protocol::ControlOp::kRetryDead) what = request.job_id;
    if (protocol::IsNodeControlOp(request.op)) what = request.identity;
    if (args_.output == "json") {
      *ctx_->out << Dump({{"op", protocol::ControlOpName(request.op)},
                          {"target", what},
                          {"message", response->message},
                          {"affected", response->affected}},
                         2)
                 << "\n";
    } else {
      *ctx_->out << protocol::ControlOpName(request.op) << " " << what << ": "
                 << (response->message.empty() ? "done" : response->message) << " (affected "
                 << response->affected << ")\n";
    }
    return 0;
  }

 private:
  JobArgs args_;
  const CLI::App& sub_;
  std::string name_;
  CommandContext* ctx_;
  std::unique_ptr<client::ControlClient> client_;
};

// Adds the flags every `lts job` subcommand takes.
void AddCommon(CLI::App* sub, JobArgs* args) {
  AddNodeFlags(sub, &args->node, kFlagSet);
  sub->add_option("--timeout-ms", args->timeout_ms,
                  "How long to wait for a JobTracker connection, and for the answer")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();
  sub->add_option("--output", args->output, "table or json (the JobTracker's answer as is)")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
}

// Node groups are [A-Za-z0-9_.-]{1,64}: a typo is a usage error, not a JobTracker round trip.
const CLI::Validator kNodeGroup(
    [](std::string& value) -> std::string {
      const bool ok = !value.empty() && value.size() <= kMaxNodeGroupBytes &&
                      value.find_first_not_of(
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                          "0123456789_.-") == std::string::npos;
      return ok ? std::string() : "a node group is 1 to 64 of [A-Za-z0-9_.-]";
    },
    "GROUP");

void AddKeyArgs(CLI::App* sub, JobArgs* args) {
  sub->add_option("group", args->key_group, "The TaskTracker node group of the job")
      ->required()
      ->check(kNodeGroup);
  sub->add_option("taskId", args->key_task, "The job's taskId")->required();
}

// The footer of a subcommand's --help: its examples and the exit status.
void Footer(CLI::App* sub, const std::string& examples) {
  sub->footer(examples +
              "\nExit status: 0 done, 1 the JobTracker refused (e.g. NOT_FOUND) or could not be "
              "reached, 2 bad usage.");
}

}  // namespace

void AddJobCommand(CLI::App* app, CommandContext* ctx) {
  CLI::App* job = app->add_subcommand(
      "job",
      "Inspect and steer jobs through a JobTracker: list a queue, show a job, pause, resume, "
      "trigger now, cancel, terminate, retry a dead-letter job, show logs, count the queues. "
      "Reaches the cluster through --registry/--cluster or straight through --jobtracker "
      "host:port (default 127.0.0.1:35001, which also reaches `lts standalone`).");
  job->require_subcommand(1);
  // The command reports what failed itself; the client library's INFO/WARN lines are noise.
  job->preparse_callback([](size_t) { SetLogLevel(LogLevel::kError); });
  job->footer(
      "Examples:\n"
      "  lts job list --queue executable --group shell\n"
      "  lts job list --queue dead --output json\n"
      "  lts job get shell nightly\n"
      "  lts job pause shell nightly && lts job resume shell nightly\n"
      "  lts job trigger shell nightly\n"
      "  lts job terminate shell long-export\n"
      "  lts job retry-dead 5f0c2a...\n"
      "  lts job logs shell nightly --limit 20\n"
      "  lts job logs shell nightly --biz\n"
      "  lts job counts --registry zookeeper://zk:2181 --cluster prod");

  {
    auto args = std::make_shared<JobArgs>();
    CLI::App* sub =
        job->add_subcommand("list", "List the jobs of one queue, oldest trigger time first.");
    AddCommon(sub, args.get());
    sub->add_option("--queue", args->queue,
                    "executable (waiting), executing, cron, repeat, suspended (paused) or dead")
        ->required()
        ->check(CLI::IsMember({"executable", "executing", "cron", "repeat", "suspended", "dead"}));
    sub->add_option("--group", args->group, "Only this TaskTracker node group");
    sub->add_option("--task-id", args->task_prefix, "Only taskIds starting with this prefix");
    sub->add_option("--limit", args->limit, "At most this many jobs (1..1000)")
        ->check(CLI::Range(1, protocol::kMaxQueryLimit))
        ->capture_default_str();
    sub->add_option("--offset", args->offset, "Skip this many jobs first")
        ->check(CLI::Range(int64_t{0}, int64_t{1} << 40))
        ->capture_default_str();
    Footer(sub, "Example: lts job list --queue executing --group shell --limit 20");
    sub->callback([args, sub, ctx] {
      protocol::QueryRequest request;
      request.kind = protocol::QueryKind::kList;
      request.queue = args->queue;
      request.node_group = args->group;
      request.task_id = args->task_prefix;
      request.limit = args->limit;
      request.offset = args->offset;
      ctx->exit_code = JobCommand(*args, *sub, "list", ctx).Query(request);
    });
  }
  {
    auto args = std::make_shared<JobArgs>();
    CLI::App* sub = job->add_subcommand("get", "Show one job: its definition, queue and state.");
    AddCommon(sub, args.get());
    AddKeyArgs(sub, args.get());
    Footer(sub, "Example: lts job get shell nightly --output json");
    sub->callback([args, sub, ctx] {
      protocol::QueryRequest request;
      request.kind = protocol::QueryKind::kGet;
      request.node_group = args->key_group;
      request.task_id = args->key_task;
      ctx->exit_code = JobCommand(*args, *sub, "get", ctx).Query(request);
    });
  }
  struct ControlSpec {
    const char* name;
    protocol::ControlOp op;
    const char* help;
  };
  static constexpr ControlSpec kControls[] = {
      {"pause", protocol::ControlOp::kPause,
       "Pause a cron, repeat or waiting job: it moves to the suspended queue; a running "
       "instance finishes, nothing new starts until resume."},
      {"resume", protocol::ControlOp::kResume,
       "Resume a paused job: it is scheduled again from now."},
      {"trigger", protocol::ControlOp::kTrigger,
       "Run a job now: a cron or repeat job gets one extra immediate run without changing its "
       "schedule; a waiting job runs next."},
      {"cancel", protocol::ControlOp::kCancel,
       "Cancel a job that is not running: its waiting instances and its cron or repeat "
       "definition are removed."},
      {"terminate", protocol::ControlOp::kTerminate,
       "Interrupt a running job: its TaskTracker stops it (the interruption flag for C++ "
       "runners, SIGTERM then SIGKILL for shell jobs)."},
  };
  for (const ControlSpec& spec : kControls) {
    auto args = std::make_shared<JobArgs>();
    CLI::App* sub = job->add_subcommand(spec.name, spec.help);
    AddCommon(sub, args.get());
    AddKeyArgs(sub, args.get());
    Footer(sub, fmt::format("Example: lts job {} shell nightly", spec.name));
    sub->callback([args, sub, ctx, &spec] {
      protocol::ControlRequest request;
      request.op = spec.op;
      request.key = {args->key_group, args->key_task};
      ctx->exit_code = JobCommand(*args, *sub, spec.name, ctx).Control(request);
    });
  }
  {
    auto args = std::make_shared<JobArgs>();
    CLI::App* sub = job->add_subcommand(
        "retry-dead", "Move a dead-letter job back to the executable queue with fresh retries.");
    AddCommon(sub, args.get());
    sub->add_option("jobId", args->job_id, "The dead job's jobId (see lts job list --queue dead)")
        ->required();
    Footer(sub, "Example: lts job retry-dead 7c9e6679f2a44c0c8d3e0b1f5a7d2c11");
    sub->callback([args, sub, ctx] {
      protocol::ControlRequest request;
      request.op = protocol::ControlOp::kRetryDead;
      request.job_id = args->job_id;
      ctx->exit_code = JobCommand(*args, *sub, "retry-dead", ctx).Control(request);
    });
  }
  {
    auto args = std::make_shared<JobArgs>();
    CLI::App* sub = job->add_subcommand(
        "logs",
        "Show a job's execution history (newest first), or with --biz the business "
        "log lines its runs wrote.");
    AddCommon(sub, args.get());
    AddKeyArgs(sub, args.get());
    sub->add_flag("--biz", args->biz, "Business log lines (BizLogger, shell output) instead");
    sub->add_option("--limit", args->limit, "At most this many lines (1..1000)")
        ->check(CLI::Range(1, protocol::kMaxQueryLimit))
        ->capture_default_str();
    Footer(sub,
           "Examples:\n  lts job logs shell nightly --limit 20\n  lts job logs shell "
           "nightly --biz");
    sub->callback([args, sub, ctx] {
      protocol::QueryRequest request;
      request.kind = args->biz ? protocol::QueryKind::kBizLog : protocol::QueryKind::kLogs;
      request.node_group = args->key_group;
      request.task_id = args->key_task;
      request.limit = args->limit;
      ctx->exit_code = JobCommand(*args, *sub, "logs", ctx).Query(request);
    });
  }
  {
    auto args = std::make_shared<JobArgs>();
    CLI::App* sub = job->add_subcommand("counts", "Count the jobs in each queue.");
    AddCommon(sub, args.get());
    Footer(sub, "Example: lts job counts --jobtracker 127.0.0.1:35001");
    sub->callback([args, sub, ctx] {
      protocol::QueryRequest request;
      request.kind = protocol::QueryKind::kCounts;
      ctx->exit_code = JobCommand(*args, *sub, "counts", ctx).Query(request);
    });
  }
}

}  // namespace lts::cli
