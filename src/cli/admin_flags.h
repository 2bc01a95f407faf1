// The Admin settings `lts admin` and `lts standalone` share: where the console listens
// (--http), where its files are (--web-dir), and the users and tokens of --config.
//
// Thread safety: pure functions (but for reading the environment and files).

#pragma once

#include <string>

#include "admin/auth.h"
#include "cli/node_flags.h"
#include "lts/statusor.h"

namespace CLI {
class App;
}  // namespace CLI

namespace lts::cli {

struct AdminHttpFlags {
  std::string http = "127.0.0.1:8080";
  // Empty until resolved: LTS_WEB_DIR, the config key admin.web_dir, else the first of
  // <exe>/../share/lts/web, <exe>/../../web (a build tree) and ./web holding public/.
  std::string web_dir;
};

void AddAdminHttpFlags(CLI::App* sub, AdminHttpFlags* flags);
// Fills what the command line did not give (LTS_HTTP / admin.http, LTS_WEB_DIR /
// admin.web_dir, then the search above). Errors: the Config's, naming the file and key.
Status ResolveAdminHttpFlags(const CLI::App& sub, const NodeFlags& node, AdminHttpFlags* flags);
// The users and tokens of --config (an open config without one). Errors name the file
// and entry.
StatusOr<admin::AuthConfig> LoadAdminAuth(const NodeFlags& node);

}  // namespace lts::cli
