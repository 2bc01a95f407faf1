// Shared Admin settings (cli/admin_flags.h).

#include "cli/admin_flags.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <system_error>

namespace lts::cli {
namespace {

// The console's files next to the binary (installed or in a build tree), else ./web.
std::string FindWebDir() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  std::vector<std::filesystem::path> candidates;
  if (!ec) {
    candidates.push_back(exe.parent_path() / ".." / "share" / "lts" / "web");
    candidates.push_back(exe.parent_path() / ".." / ".." / "web");
  }
  candidates.emplace_back("web");
  for (const auto& dir : candidates) {
    if (std::filesystem::is_directory(dir / "public", ec)) {
      return std::filesystem::weakly_canonical(dir, ec).string();
    }
  }
  return "";
}

}  // namespace

void AddAdminHttpFlags(CLI::App* sub, AdminHttpFlags* flags) {
  sub->add_option("--http", flags->http,
                  "host:port of the web console and HTTP API (env LTS_HTTP, config admin.http)")
      ->capture_default_str();
  sub->add_option("--web-dir", flags->web_dir,
                  "Directory with the console's public/ and node_modules/ (env LTS_WEB_DIR, "
                  "config admin.web_dir; default: found next to the binary, else ./web)");
}

Status ResolveAdminHttpFlags(const CLI::App& sub, const NodeFlags& node, AdminHttpFlags* flags) {
  LTS_RETURN_IF_ERROR(
      ResolveSetting(sub, node.config, "--http", "LTS_HTTP", "admin.http", &flags->http));
  LTS_RETURN_IF_ERROR(ResolveSetting(sub, node.config, "--web-dir", "LTS_WEB_DIR",
                                     "admin.web_dir", &flags->web_dir));
  if (flags->web_dir.empty()) flags->web_dir = FindWebDir();
  return Status::Ok();
}

StatusOr<admin::AuthConfig> LoadAdminAuth(const NodeFlags& node) {
  if (node.config_path.empty()) return admin::AuthConfig{};
  return admin::LoadAuthConfig(node.config_path);
}

}  // namespace lts::cli
