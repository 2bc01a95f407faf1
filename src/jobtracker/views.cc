// JSON views for JOB_QUERY (jobtracker/views.h).

#include "jobtracker/views.h"

#include <fmt/format.h>

#include "job/job_json.h"

namespace lts::jobtracker {

using nlohmann::json;

namespace {

constexpr std::string_view kLogTypeNames[] = {"RECEIVE",    "SENT",   "FINISHED",    "RESEND",
                                              "FIXED_DEAD", "BIZ",    "UPDATE",      "DELETE",
                                              "SUSPEND",    "RESUME", "DEAD_LETTER", "RETRY"};

std::string_view LogTypeName(store::JobLogType type) {
  const auto i = static_cast<size_t>(type);
  return i < std::size(kLogTypeNames) ? kLogTypeNames[i] : "UNKNOWN";
}

StatusOr<store::Queue> ParseQueue(std::string_view name) {
  if (name == "executable") return store::Queue::kExecutable;
  if (name == "executing") return store::Queue::kExecuting;
  if (name == "cron") return store::Queue::kCron;
  if (name == "repeat") return store::Queue::kRepeat;
  if (name == "suspended") return store::Queue::kSuspended;
  if (name == "dead") return store::Queue::kDeadLetter;
  return InvalidArgument(fmt::format(
      "query.queue: '{}' is not one of executable, executing, cron, repeat, suspended, dead",
      name));
}

std::string_view QueueOf(const store::JobRecord& rec) {
  if (rec.is_definition) {
    if (rec.suspended) return "suspended";
    return rec.job.IsCron() ? "cron" : "repeat";
  }
  switch (rec.state) {
    case store::JobState::kExecutable:
      return "executable";
    case store::JobState::kExecuting:
      return "executing";
    case store::JobState::kSuspended:
      return "suspended";
  }
  return "executable";
}

}  // namespace

json JobView(const store::JobRecord& rec, std::string_view queue) {
  Job job = rec.job;
  json j{{"job", JobToJsonValue(job)},
         {"jobId", rec.job_id},
         {"taskId", std::string(rec.effective_real_task_id())},
         {"instanceTaskId", rec.job.task_id},
         {"queue", queue},
         {"retryTimes", rec.retry_times},
         {"repeatedCount", rec.repeated_count},
         {"triggerTime", rec.trigger_time_ms},
         {"gmtCreated", rec.gmt_created_ms},
         {"gmtModified", rec.gmt_modified_ms}};
  if (!rec.task_tracker.empty()) j["taskTracker"] = rec.task_tracker;
  if (!rec.job_tracker.empty()) j["jobTracker"] = rec.job_tracker;
  if (rec.started_at_ms > 0) j["startedAt"] = rec.started_at_ms;
  return j;
}

StatusOr<json> RunQuery(store::JobStore* store, const protocol::QueryRequest& query) {
  switch (query.kind) {
    case protocol::QueryKind::kStats:
      return InvalidArgument("query.kind: 'stats' is answered by the JobTracker, not the store");
    case protocol::QueryKind::kCounts: {
      LTS_ASSIGN_OR_RETURN(store::QueueCounts c, store->Counts());
      return json{{"counts",
                   {{"executable", c.executable},
                    {"executing", c.executing},
                    {"cron", c.cron},
                    {"repeat", c.repeat},
                    {"suspended", c.suspended},
                    {"dead", c.dead_letter}}}};
    }
    case protocol::QueryKind::kList: {
      LTS_ASSIGN_OR_RETURN(store::Queue queue, ParseQueue(query.queue));
      store::ListFilter filter;
      filter.node_group = query.node_group;
      filter.task_id_prefix = query.task_id;
      filter.offset = query.offset;
      filter.limit = query.limit;
      json jobs = json::array();
      if (queue == store::Queue::kDeadLetter) {
        LTS_ASSIGN_OR_RETURN(auto dead, store->ListDeadLetters(filter));
        for (const auto& d : dead) {
          json v = JobView(d.record, "dead");
          v["reason"] = d.reason;
          v["deadAt"] = d.dead_at_ms;
          jobs.push_back(std::move(v));
        }
      } else {
        LTS_ASSIGN_OR_RETURN(auto list, store->List(queue, filter));
        for (const auto& rec : list) jobs.push_back(JobView(rec, query.queue));
      }
      return json{{"jobs", jobs}};
    }
    case protocol::QueryKind::kGet: {
      if (!query.job_id.empty()) {
        auto rec = store->GetJob(query.job_id);
        if (rec.ok()) return json{{"job", JobView(*rec, QueueOf(*rec))}};
        auto def = store->GetDefinition(query.job_id);
        if (def.ok()) return json{{"job", JobView(*def, QueueOf(*def))}};
        LTS_ASSIGN_OR_RETURN(auto dead, store->GetDeadLetter(query.job_id));
        json v = JobView(dead.record, "dead");
        v["reason"] = dead.reason;
        return json{{"job", v}};
      }
      if (query.node_group.empty() || query.task_id.empty()) {
        return InvalidArgument("query: get needs a jobId, or a nodeGroup and a taskId");
      }
      store::ListFilter filter;
      filter.node_group = query.node_group;
      filter.task_id_prefix = query.task_id;
      filter.limit = 1000;
      // Definitions first: a cron or repeat job is its definition, not its next instance.
      for (store::Queue q :
           {store::Queue::kCron, store::Queue::kRepeat, store::Queue::kSuspended,
            store::Queue::kExecuting, store::Queue::kExecutable}) {
        LTS_ASSIGN_OR_RETURN(auto list, store->List(q, filter));
        for (const auto& rec : list) {
          if (rec.job.task_id == query.task_id || rec.effective_real_task_id() == query.task_id) {
            return json{{"job", JobView(rec, QueueOf(rec))}};
          }
        }
      }
      LTS_ASSIGN_OR_RETURN(auto dead, store->ListDeadLetters(filter));
      for (const auto& d : dead) {
        if (d.record.effective_real_task_id() == query.task_id) {
          json v = JobView(d.record, "dead");
          v["reason"] = d.reason;
          return json{{"job", v}};
        }
      }
      return NotFound(fmt::format("{}/{}: no such job", query.node_group, query.task_id));
    }
    case protocol::QueryKind::kLogs: {
      if (query.node_group.empty() || query.task_id.empty()) {
        return InvalidArgument("query: logs needs a nodeGroup and a taskId");
      }
      LTS_ASSIGN_OR_RETURN(auto logs, store->QueryJobLog(query.node_group, query.task_id,
                                                         query.offset, query.limit));
      json out = json::array();
      for (const auto& l : logs) {
        out.push_back({{"id", l.id},
                       {"time", l.log_time_ms},
                       {"type", LogTypeName(l.type)},
                       {"success", l.success},
                       {"level", l.level},
                       {"jobId", l.job_id},
                       {"tracker", l.tracker},
                       {"message", l.message}});
      }
      return json{{"logs", out}};
    }
    case protocol::QueryKind::kBizLog: {
      std::string job_id = query.job_id;
      if (job_id.empty()) {
        if (query.node_group.empty() || query.task_id.empty()) {
          return InvalidArgument("query: bizlog needs a jobId, or a nodeGroup and a taskId");
        }
        // The job's id by its key (a cron or repeat job keeps one id across its cycles).
        protocol::QueryRequest get = query;
        get.kind = protocol::QueryKind::kGet;
        LTS_ASSIGN_OR_RETURN(json found, RunQuery(store, get));
        job_id = found["job"].value("jobId", "");
      }
      LTS_ASSIGN_OR_RETURN(auto logs, store->QueryBizLog(job_id, query.limit));
      json out = json::array();
      for (const auto& l : logs) {
        out.push_back({{"id", l.id},
                       {"time", l.log_time_ms},
                       {"level", l.level},
                       {"jobId", l.job_id},
                       {"taskId", l.task_id},
                       {"message", l.message}});
      }
      return json{{"logs", out}};
    }
  }
  return InvalidArgument("query: unknown kind");
}

}  // namespace lts::jobtracker
