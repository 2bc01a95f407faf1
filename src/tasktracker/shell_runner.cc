// ShellRunner (tasktracker/shell_runner.h).

#include "tasktracker/shell_runner.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <map>
#include <optional>
#include <vector>

#include "base/string_util.h"
#include "tasktracker/biz_log.h"

extern char** environ;

namespace lts::tasktracker {
namespace {

using SteadyClock = std::chrono::steady_clock;

// After the shell exited normally, how long to keep reading output that background
// processes may still write to the inherited pipes.
constexpr std::chrono::milliseconds kDrainAfterExit{1000};
constexpr std::chrono::milliseconds kPollStep{100};

// One output stream of the child, split into lines.
struct Stream {
  int fd = -1;
  BizLogLevel level = BizLogLevel::kInfo;
  std::string partial;
  bool discarding = false;  // The current line passed the limit; skip to its end.

  void Emit(BizLogger& logger, std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    logger.Log(level, CleanText(line, kMaxBizLogLineBytes));
  }

  void Feed(BizLogger& logger, std::string_view data) {
    while (!data.empty()) {
      const size_t nl = data.find('\n');
      const std::string_view chunk = data.substr(0, nl);
      if (!discarding) partial.append(chunk);
      if (partial.size() > kMaxBizLogLineBytes) {
        Emit(logger, std::string_view(partial).substr(0, kMaxBizLogLineBytes));
        partial.clear();
        discarding = true;
      }
      if (nl == std::string_view::npos) return;
      if (!discarding) Emit(logger, partial);
      partial.clear();
      discarding = false;
      data.remove_prefix(nl + 1);
    }
  }

  void Finish(BizLogger& logger) {
    if (!partial.empty() && !discarding) Emit(logger, partial);
    partial.clear();
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev != nullptr ? fmt::format("SIG{} ({})", abbrev, sig) : fmt::format("{}", sig);
}

// The child's environment: ours, with the job's params and LTS_* on top.
std::vector<std::string> BuildEnvironment(JobContext& ctx) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    vars[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
  }
  for (const auto& [key, value] : ctx.job().ext_params) {
    if (key == kCommandParam || key == kLaterExitCodesParam) continue;
    if (!IsValidEnvName(key) || value.find('\0') != std::string::npos) {
      ctx.biz_logger().Warn(fmt::format(
          "param '{}' is not passed as an environment variable: not a valid variable name",
          CleanText(key, 256)));
      continue;
    }
    vars[key] = value;
  }
  vars["LTS_JOB_ID"] = ctx.job_id();
  vars["LTS_TASK_ID"] = ctx.job().task_id;
  vars["LTS_NODE_GROUP"] = ctx.job().task_tracker_node_group;
  vars["LTS_ATTEMPT"] = std::to_string(ctx.attempt());
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [key, value] : vars) out.push_back(key + "=" + value);
  return out;
}

class SpawnAttributes {
 public:
  SpawnAttributes() {
    posix_spawnattr_init(&attr_);
    posix_spawn_file_actions_init(&actions_);
  }
  ~SpawnAttributes() {
    posix_spawnattr_destroy(&attr_);
    posix_spawn_file_actions_destroy(&actions_);
  }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;

  // Own session (and so process group), default signals, empty mask, stdio wired to the
  // pipes, nothing else inherited.
  int Prepare(int out_fd, int err_fd) {
    sigset_t empty;
    sigemptyset(&empty);
    sigset_t defaults;
    sigfillset(&defaults);
    int rc = posix_spawnattr_setflags(
        &attr_, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (rc == 0) rc = posix_spawnattr_setsigmask(&attr_, &empty);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr_, &defaults);
    if (rc == 0) rc = posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions_, out_fd, 1);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions_, err_fd, 2);
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions_, 3);
    return rc;
  }
  const posix_spawnattr_t* attr() const { return &attr_; }
  const posix_spawn_file_actions_t* actions() const { return &actions_; }

 private:
  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
};

}  // namespace

bool IsValidEnvName(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

StatusOr<std::set<int>> ParseExitCodes(std::string_view text) {
  std::set<int> codes;
  std::vector<std::string_view> parts = Split(text, ',');
  if (parts.size() > 64) return InvalidArgument("laterExitCodes: more than 64 codes");
  for (std::string_view part : parts) {
    part = Trim(part);
    if (part.empty()) continue;
    StatusOr<int64_t> code = ParseInt64(part);
    if (!code.ok() || *code < 1 || *code > 255) {
      return InvalidArgument(
          fmt::format("laterExitCodes: '{}' is not an exit code in 1..255", Quote(part, 20)));
    }
    codes.insert(static_cast<int>(*code));
  }
  return codes;
}

ShellRunner::ShellRunner(ShellRunnerOptions options)
    : options_(std::move(options)), wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

ShellRunner::~ShellRunner() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void ShellRunner::Interrupt() {
  if (wake_fd_ < 0) return;
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
}

JobRunResult ShellRunner::Run(JobContext& ctx) {
  const auto command_it = ctx.job().ext_params.find(std::string(kCommandParam));
  if (command_it == ctx.job().ext_params.end() || command_it->second.empty()) {
    return {JobAction::kExecuteFailed, "no command param"};
  }
  std::set<int> later_codes;
  const auto later_it = ctx.job().ext_params.find(std::string(kLaterExitCodesParam));
  if (later_it != ctx.job().ext_params.end()) {
    StatusOr<std::set<int>> parsed = ParseExitCodes(later_it->second);
    if (parsed.ok()) {
      later_codes = std::move(*parsed);
    } else {
      ctx.biz_logger().Warn(std::string(parsed.status().message()) + "; ignored");
    }
  }

  std::array<int, 2> out_pipe{-1, -1};
  std::array<int, 2> err_pipe{-1, -1};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    const int e = errno;
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      if (fd >= 0) ::close(fd);
    }
    return {JobAction::kExecuteException, fmt::format("pipe: {}", strerror(e))};
  }
  std::vector<std::string> env = BuildEnvironment(ctx);
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (std::string& entry : env) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::string arg0 = "sh";
  std::string arg1 = "-c";
  std::string command = command_it->second;
  std::array<char*, 4> argv{arg0.data(), arg1.data(), command.data(), nullptr};

  pid_t pid = -1;
  int rc;
  {
    SpawnAttributes spawn;
    rc = spawn.Prepare(out_pipe[1], err_pipe[1]);
    if (rc == 0) {
      rc = ::posix_spawn(&pid, options_.shell.c_str(), spawn.actions(), spawn.attr(), argv.data(),
                         envp.data());
    }
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return {JobAction::kExecuteException,
            fmt::format("cannot start {}: {}", options_.shell, strerror(rc))};
  }
  BizLogger& logger = ctx.biz_logger();
  std::array<Stream, 2> streams;
  streams[0].fd = out_pipe[0];
  streams[0].level = BizLogLevel::kInfo;
  streams[1].fd = err_pipe[0];
  streams[1].level = BizLogLevel::kWarn;
  for (Stream& s : streams) ::fcntl(s.fd, F_SETFL, ::fcntl(s.fd, F_GETFL) | O_NONBLOCK);

  bool reaped = false;
  int wait_status = 0;
  bool interrupted = false;
  std::optional<SteadyClock::time_point> term_sent_at;
  bool kill_sent = false;
  std::optional<SteadyClock::time_point> exited_at;
  std::string buffer(64 * 1024, '\0');

  while (true) {
    if (!interrupted && ctx.interrupted()) {
      interrupted = true;
      ::kill(-pid, SIGTERM);
      term_sent_at = SteadyClock::now();
      logger.Warn(fmt::format("interrupted: sent SIGTERM to process group {}", pid));
    }
    if (term_sent_at && !kill_sent && SteadyClock::now() - *term_sent_at >= options_.kill_grace) {
      if (::kill(-pid, SIGKILL) == 0) {
        logger.Warn(fmt::format("process group {} still alive after {} ms: sent SIGKILL", pid,
                                options_.kill_grace.count()));
      }
      kill_sent = true;
    }
    if (!reaped) {
      const pid_t r = ::waitpid(pid, &wait_status, WNOHANG);
      if (r == pid || (r < 0 && errno == ECHILD)) {
        reaped = true;
        exited_at = SteadyClock::now();
      }
    }
    const bool pipes_open = streams[0].fd >= 0 || streams[1].fd >= 0;
    if (reaped) {
      // Terminated: the group must be gone too (grandchildren included) before we stop.
      const bool group_alive = interrupted && ::kill(-pid, 0) == 0;
      if (!pipes_open && !group_alive) break;
      if (!interrupted && SteadyClock::now() - *exited_at >= kDrainAfterExit) {
        logger.Warn(
            "the shell exited but background processes still hold its output; not "
            "waiting for them");
        break;
      }
      if (interrupted && kill_sent && SteadyClock::now() - *exited_at >= kDrainAfterExit) break;
    }

    std::array<pollfd, 3> fds{};
    nfds_t n = 0;
    std::array<Stream*, 3> owner{};
    for (Stream& s : streams) {
      if (s.fd < 0) continue;
      fds[n] = pollfd{s.fd, POLLIN, 0};
      owner[n++] = &s;
    }
    fds[n++] = pollfd{wake_fd_, POLLIN, 0};
    int timeout_ms = static_cast<int>(kPollStep.count());
    if (!reaped && !pipes_open) timeout_ms = 10;  // Only waiting for the exit status.
    if (::poll(fds.data(), n, timeout_ms) < 0 && errno != EINTR) break;
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == wake_fd_) {
        uint64_t value;
        (void)!::read(wake_fd_, &value, sizeof(value));
        continue;
      }
      Stream* s = owner[i];
      while (true) {
        const ssize_t got = ::read(s->fd, buffer.data(), buffer.size());
        if (got > 0) {
          s->Feed(logger, std::string_view(buffer.data(), static_cast<size_t>(got)));
          if (static_cast<size_t>(got) < buffer.size()) break;
          continue;
        }
        if (got < 0 && (errno == EAGAIN || errno == EINTR)) break;
        s->Finish(logger);  // EOF or error.
        break;
      }
    }
  }
  for (Stream& s : streams) s.Finish(logger);
  if (!reaped) {
    // Only after an unexpected poll failure: make sure no zombie is left behind.
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
    }
  }

  if (interrupted) return {JobAction::kExecuteFailed, "terminated"};
  if (WIFEXITED(wait_status)) {
    const int code = WEXITSTATUS(wait_status);
    if (code == 0) return {JobAction::kExecuteSuccess, "exit code 0"};
    if (later_codes.count(code) != 0) {
      return {JobAction::kExecuteLater, fmt::format("exit code {}", code)};
    }
    return {JobAction::kExecuteFailed, fmt::format("exit code {}", code)};
  }
  if (WIFSIGNALED(wait_status)) {
    return {JobAction::kExecuteException,
            fmt::format("killed by signal {}", SignalName(WTERMSIG(wait_status)))};
  }
  return {JobAction::kExecuteException, "the shell ended in an unknown way"};
}

}  // namespace lts::tasktracker
