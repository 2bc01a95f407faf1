// Command codes: the u16 in every frame header that says what a request is (a response
// carries the code of its request). One table for the whole product, grouped by range;
// docs/rpc_protocol.md lists the same table (a test keeps the two in step).
//
// The job commands keep the numbers of Java LTS's JobProtos.RequestCode (10-19), so the
// Java documentation maps onto them. Java's *response* codes (JOB_PUSH_SUCCESS 19,
// NO_AVAILABLE_JOB_RUNNER 18, ...) are not commands here: a response carries a status
// (rpc/status_codes.h) and its body says the rest. "Busy" is the status
// RESOURCE_EXHAUSTED, not a command.
//
// Ranges:
//   0            invalid; never sent
//   1-9          connection: liveness, tests, authentication, shutdown
//   10-19        job protocol, numbered and named as in Java LTS
//   20-39        job protocol, additions of LTS C++ (Java used HTTP commands for these)
//   40-49        monitoring
//   50-0xEFFF    unassigned
//   0xF000-      private use: experiments and tests, never in a release
//
// Rules: a code is never reused for another meaning; a retired command's code stays
// reserved. A receiver answers a request with an unknown code NOT_SUPPORTED (or drops
// it, if oneway) and keeps the connection.
//
// Thread safety: constants and pure functions.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lts::rpc {

enum class Command : uint16_t {
  kInvalid = 0,

  // Connection (1-9).
  kPing = 1,           // Either way. Empty body; the response is empty. Liveness, benches.
  kEcho = 2,           // Either way. The response body is the request body, byte for byte.
  kAuthChallenge = 3,  // Server -> client, oneway, first frame: the server nonce (auth.h).
  kAuthResponse = 4,   // Client -> server: client nonce, identity, proof; the response
                       // carries the server's proof (mutual authentication).
  kGoAway = 5,         // Either way, oneway: the sender closes the connection; body says why.

  // Job protocol (10-19), Java LTS JobProtos.RequestCode numbers.
  kHeartbeat = 10,  // TaskTracker/JobClient -> JobTracker: node identity and liveness.
  kSubmitJob = 11,  // JobClient -> JobTracker: jobs to store and schedule.
  // 12: Java ASK_JOB_PROGRESS, never used; reserved.
  kPushJob = 13,       // JobTracker -> TaskTracker: jobs to run.
  kJobCompleted = 14,  // TaskTracker -> JobTracker: run results; the response may carry a
                       // new job.
  kJobAsk = 15,        // JobTracker -> TaskTracker: which of these jobs are still running?
  kJobPull = 16,       // TaskTracker -> JobTracker: free runner threads; jobs follow as
                       // PUSH_JOB.
  kBizLogSend = 17,    // TaskTracker -> JobTracker: business log lines of running jobs.
  kCancelJob = 18,     // JobClient -> JobTracker: cancel a job that has not run.
  // 19: Java SUBMIT_DEP_JOB_GROUP, declared but never implemented; reserved.

  // Job protocol, LTS C++ additions (20-39).
  kJobFeedback = 20,    // JobTracker -> JobClient: results of jobs that asked for
                        // feedback (Java sent these as JOB_COMPLETED too).
  kTerminateJob = 21,   // JobTracker -> TaskTracker: interrupt a running job (Java: HTTP
                        // job_terminate_cmd).
  kTriggerJobNow = 22,  // Admin -> JobTracker: run a scheduled job now (Java: HTTP
                        // trigger_job_manually_cmd).
  kLoadJobs = 23,       // Admin -> JobTracker: reload a node group's queue from the store
                        // (Java: HTTP job_load_cmd).
  kJobControl = 24,     // CLI/Admin -> JobTracker: pause, resume, trigger, cancel,
                        // terminate a job by key; retry a dead-letter job.
  kJobQuery = 25,       // CLI/Admin -> JobTracker: list queues, get a job, job logs.

  // Monitoring (40-49).
  kNodeStats = 40,  // Any node -> Monitor: periodic statistics (Java: HTTP
                    // monitor_data_add_cmd).
};

// One row of the command table.
struct CommandInfo {
  Command command;
  std::string_view name;       // Stable upper-case name, as in logs and docs.
  std::string_view direction;  // Who sends it to whom.
};

inline constexpr CommandInfo kCommandTable[] = {
    {Command::kPing, "PING", "any -> any"},
    {Command::kEcho, "ECHO", "any -> any"},
    {Command::kAuthChallenge, "AUTH_CHALLENGE", "server -> client"},
    {Command::kAuthResponse, "AUTH_RESPONSE", "client -> server"},
    {Command::kGoAway, "GO_AWAY", "any -> any"},
    {Command::kHeartbeat, "HEART_BEAT", "TaskTracker, JobClient -> JobTracker"},
    {Command::kSubmitJob, "SUBMIT_JOB", "JobClient -> JobTracker"},
    {Command::kPushJob, "PUSH_JOB", "JobTracker -> TaskTracker"},
    {Command::kJobCompleted, "JOB_COMPLETED", "TaskTracker -> JobTracker"},
    {Command::kJobAsk, "JOB_ASK", "JobTracker -> TaskTracker"},
    {Command::kJobPull, "JOB_PULL", "TaskTracker -> JobTracker"},
    {Command::kBizLogSend, "BIZ_LOG_SEND", "TaskTracker -> JobTracker"},
    {Command::kCancelJob, "CANCEL_JOB", "JobClient -> JobTracker"},
    {Command::kJobFeedback, "JOB_FEEDBACK", "JobTracker -> JobClient"},
    {Command::kTerminateJob, "TERMINATE_JOB", "JobTracker -> TaskTracker"},
    {Command::kTriggerJobNow, "TRIGGER_JOB_NOW", "Admin -> JobTracker"},
    {Command::kLoadJobs, "LOAD_JOBS", "Admin -> JobTracker"},
    {Command::kJobControl, "JOB_CONTROL", "CLI, Admin -> JobTracker"},
    {Command::kJobQuery, "JOB_QUERY", "CLI, Admin -> JobTracker"},
    {Command::kNodeStats, "NODE_STATS", "any node -> Monitor"},
};

// First code of the private-use range.
inline constexpr uint16_t kFirstPrivateCommand = 0xF000;

constexpr uint16_t ToWire(Command command) { return static_cast<uint16_t>(command); }

// The table row of `code`, or nullptr for an unassigned code.
constexpr const CommandInfo* FindCommand(uint16_t code) {
  for (const CommandInfo& info : kCommandTable) {
    if (ToWire(info.command) == code) return &info;
  }
  return nullptr;
}

constexpr bool IsKnownCommand(uint16_t code) {
  for (const CommandInfo& info : kCommandTable) {
    if (ToWire(info.command) == code) return true;
  }
  return false;
}

// "SUBMIT_JOB", or "UNKNOWN" for an unassigned code.
constexpr std::string_view CommandName(uint16_t code) {
  for (const CommandInfo& info : kCommandTable) {
    if (ToWire(info.command) == code) return info.name;
  }
  return "UNKNOWN";
}

// "SUBMIT_JOB(11)", "UNKNOWN(999)": for logs and error messages.
inline std::string CommandToString(uint16_t code) {
  return std::string(CommandName(code)) + "(" + std::to_string(code) + ")";
}

}  // namespace lts::rpc
