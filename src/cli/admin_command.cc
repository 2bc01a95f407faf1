// `lts admin`: the web console and HTTP API (docs/http_api.md), and its two tools:
// `lts admin hash-password` and `lts admin new-token`.

#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "admin/admin_server.h"
#include "admin/auth.h"
#include "base/logging.h"
#include "cli/admin_flags.h"
#include "cli/client_common.h"
#include "cli/commands.h"
#include "cli/daemon.h"
#include "cli/node_flags.h"

namespace lts::cli {
namespace {

constexpr unsigned kAdminFlags = kRegistryFlags | kJobTrackerFlag | kConfigFlag;

struct AdminArgs {
  NodeFlags node;
  AdminHttpFlags http;
};

int RunAdmin(const CLI::App& sub, AdminArgs* a, CommandContext* ctx) {
  Status s = ResolveNodeFlags(sub, "admin", kAdminFlags, &a->node);
  if (s.ok()) s = ResolveAdminHttpFlags(sub, a->node, &a->http);
  if (!s.ok()) {
    *ctx->err << "lts admin: " << s.message() << "\n";
    return 2;
  }
  StatusOr<admin::AuthConfig> auth = LoadAdminAuth(a->node);
  if (!auth.ok()) {
    *ctx->err << "lts admin: " << auth.status().message() << "\n";
    return 2;
  }
  BlockTerminationSignals();
  admin::AdminServerOptions options;
  options.http = a->http.http;
  options.web_dir = a->http.web_dir;
  options.links = LinkSettingsFrom(a->node, client::DefaultIdentity("admin"));
  admin::AdminServer server(options, *auth);
  if (s = server.Start(); !s.ok()) {
    *ctx->err << "lts admin: " << s.message() << "\n";
    return s.code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  *ctx->out << "lts admin: console on http://" << server.http_address() << "/, cluster at "
            << client::DescribeTarget(options.links)
            << (auth->open() ? " (open mode: no users configured, loopback only)" : "")
            << std::endl;
  const int signo = WaitForTerminationSignal();
  LTS_LOG(INFO, "signal {} received; stopping the admin server", signo);
  server.Stop();
  return 0;
}

// Reads one line from standard input without echo when it is a terminal.
std::string ReadSecretLine(std::ostream& prompt_out, const char* prompt) {
  const bool tty = isatty(STDIN_FILENO) != 0;
  termios old{};
  if (tty) {
    prompt_out << prompt << std::flush;
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    prompt_out << "\n";
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

void AddHashPassword(CLI::App* admin_cmd, CommandContext* ctx) {
  CLI::App* sub = admin_cmd->add_subcommand(
      "hash-password",
      "Read a password from standard input (asked for without echo on a terminal) and print "
      "its argon2id hash for admin.users[].password in the config file.");
  sub->footer(
      "Example:\n"
      "  printf '%s' 's3cret' | lts admin hash-password\n"
      "  $argon2id$v=19$m=65536,t=2,p=1$...\n"
      "Exit codes: 0 printed; 2 empty or over-long password.");
  sub->callback([ctx] {
    const std::string password = ReadSecretLine(*ctx->err, "password: ");
    StatusOr<std::string> hash = admin::HashPassword(password);
    if (!hash.ok()) {
      *ctx->err << "lts admin hash-password: " << hash.status().message() << "\n";
      ctx->exit_code = 2;
      return;
    }
    *ctx->out << *hash << "\n";
  });
}

struct TokenArgs {
  std::string name;
  std::string role = "operator";
};

void AddNewToken(CLI::App* admin_cmd, CommandContext* ctx) {
  auto args = std::make_shared<TokenArgs>();
  CLI::App* sub = admin_cmd->add_subcommand(
      "new-token",
      "Make a random API token for scripts (Authorization: Bearer <token>). Prints the token "
      "once and the admin.tokens entry holding only its hash.");
  sub->add_option("--name", args->name, "Who or what uses the token (shown in logs)")
      ->required();
  sub->add_option("--role", args->role, "viewer, operator or admin")->capture_default_str();
  sub->footer(
      "Example:\n"
      "  lts admin new-token --name deploy-bot --role operator\n"
      "Exit codes: 0 printed; 2 bad usage.");
  sub->callback([args, ctx] {
    if (auto role = admin::ParseRole(args->role); !role.ok()) {
      *ctx->err << "lts admin new-token: --role: " << role.status().message() << "\n";
      ctx->exit_code = 2;
      return;
    }
    const admin::NewToken token = admin::MakeToken();
    *ctx->out << "token: " << token.token << "\n"
              << "# Add to the config file under admin.tokens (the token itself is not kept):\n"
              << "    - name: " << args->name << "\n"
              << "      hash: \"" << token.hash << "\"\n"
              << "      role: " << args->role << "\n";
  });
}

}  // namespace

void AddAdminCommand(CLI::App* app, CommandContext* ctx) {
  auto args = std::make_shared<AdminArgs>();
  CLI::App* sub = app->add_subcommand(
      "admin",
      "Run the Admin web console and HTTP API (nodes, job queues, pause/resume, trigger now, "
      "terminate, logs, charts), or one of its tools.");
  AddNodeFlags(sub, &args->node, kAdminFlags);
  AddAdminHttpFlags(sub, &args->http);
  sub->require_subcommand(0, 1);
  AddHashPassword(sub, ctx);
  AddNewToken(sub, ctx);
  sub->footer(
      "Users, roles and API tokens come from the admin section of --config (docs/http_api.md);\n"
      "with no users the Admin runs open and listens on loopback only.\n"
      "Examples:\n"
      "  lts admin --jobtracker 127.0.0.1:35001 --http 127.0.0.1:8080\n"
      "  lts admin --registry zookeeper://127.0.0.1:2181 --config /etc/lts/lts.yaml --http "
      "0.0.0.0:8080\n"
      "Runs until SIGINT or SIGTERM. Exit codes: 0 stopped by a signal; 1 could not start; 2 "
      "bad usage or config.");
  sub->callback([sub, args, ctx] {
    if (!sub->get_subcommands().empty()) return;  // A tool ran.
    ctx->exit_code = RunAdmin(*sub, args.get(), ctx);
  });
}

}  // namespace lts::cli
