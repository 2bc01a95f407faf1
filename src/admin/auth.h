// Admin authentication: users with argon2id password hashes, API tokens, sessions with a
// CSRF token each, and the rate limit on failed logins. docs/http_api.md describes the
// rules as an operator sees them.
//
//   LTS_ASSIGN_OR_RETURN(AuthConfig config, LoadAuthConfig("/etc/lts/lts.yaml"));
//   Authenticator auth(config, clock);
//   LoginOutcome out = auth.Login("alice", "s3cret", "10.0.0.7");
//
// Thread safety: Authenticator is thread-safe; the free functions are pure (but for
// randomness).

#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "lts/status.h"
#include "lts/statusor.h"

namespace lts::admin {

// What a caller may do; each role includes the ones before it.
enum class Role { kViewer = 0, kOperator = 1, kAdmin = 2 };
std::string_view RoleName(Role role);  // "viewer", "operator", "admin".
// Errors: kInvalidArgument "'<text>' is not one of viewer, operator, admin".
StatusOr<Role> ParseRole(std::string_view text);

struct UserEntry {
  std::string name;
  std::string password_hash;  // "$argon2id$...".
  Role role = Role::kViewer;
};

struct TokenEntry {
  std::string name;
  std::string hash;  // "blake2b:<64 hex digits>" of the token.
  Role role = Role::kViewer;
};

struct AuthConfig {
  std::vector<UserEntry> users;
  std::vector<TokenEntry> tokens;
  int64_t session_ttl_ms = 480LL * 60 * 1000;
  // No users: the Admin runs open (loopback only, every caller is `local` with role admin).
  bool open() const { return users.empty(); }
};

// Reads the `admin` section of a YAML config file (users, tokens, session_ttl_minutes).
// A file without that section is an empty (open) config. Errors name the file and the
// entry: kInvalidArgument "lts.yaml: admin.users[1].password: not an argon2id hash (make
// one with `lts admin hash-password`)"; kNotFound / kIOError for the file.
StatusOr<AuthConfig> LoadAuthConfig(const std::string& path);
// The same from YAML text; `name` stands for the source in messages.
StatusOr<AuthConfig> ParseAuthConfig(std::string_view yaml, std::string_view name);

// argon2id hash of `password` (libsodium, interactive limits: 64 MiB, 2 passes).
// Errors: kResourceExhausted when the memory cannot be had; kInvalidArgument for an empty
// password or one over 4096 bytes.
StatusOr<std::string> HashPassword(std::string_view password);
bool VerifyPassword(std::string_view hash, std::string_view password);

// A new random API token ("lts_" + 43 base64url characters) and its config hash.
struct NewToken {
  std::string token;
  std::string hash;  // "blake2b:<hex>".
};
NewToken MakeToken();
std::string TokenHash(std::string_view token);

struct Principal {
  std::string user;
  Role role = Role::kViewer;
  std::string session_id;  // Empty for a token.
  std::string csrf_token;  // The session's; empty for a token.
  bool via_token = false;
};

struct LoginOutcome {
  // OK; kInvalidArgument "wrong user name or password" (the same words whether the user
  // exists or not); kResourceExhausted after too many failures, with retry_after_s set.
  Status status;
  int64_t retry_after_s = 0;
  Principal principal;  // On success: a new session.
};

class Authenticator {
 public:
  // Failed-login limits (docs/http_api.md).
  static constexpr int kMaxFailures = 5;
  static constexpr int64_t kFailureWindowMs = 5 * 60 * 1000;
  static constexpr int64_t kFirstBlockMs = 30 * 1000;
  static constexpr int64_t kMaxBlockMs = 15 * 60 * 1000;
  static constexpr size_t kMaxSessions = 10000;

  // `clock` is not owned; nullptr: the system clock.
  Authenticator(AuthConfig config, const Clock* clock);

  bool open() const { return config_.open(); }
  const AuthConfig& config() const { return config_; }

  // Checks the rate limit of `user` and `remote`, then the password. Success starts a
  // session and resets both failure counts.
  LoginOutcome Login(std::string_view user, std::string_view password, std::string_view remote)
      EXCLUDES(mu_);
  // Open mode only: a session for `local` with role admin.
  Principal OpenSession() EXCLUDES(mu_);
  // The principal of a live session (refreshing its idle timer); nullopt when unknown or
  // expired.
  std::optional<Principal> FromSession(std::string_view session_id) EXCLUDES(mu_);
  // The principal of an API token; nullopt when unknown.
  std::optional<Principal> FromToken(std::string_view token) const;
  void Logout(std::string_view session_id) EXCLUDES(mu_);

 private:
  struct Session {
    std::string user;
    Role role;
    std::string csrf;
    int64_t last_seen_ms;
  };
  struct Failures {
    std::vector<int64_t> times;  // Within the window.
    int strikes = 0;             // Blocks so far; each doubles the next.
    int64_t blocked_until_ms = 0;
  };

  int64_t NowMs() const;
  Principal StartSession(const std::string& user, Role role) REQUIRES(mu_);
  int64_t BlockedForMs(const std::string& key, int64_t now) REQUIRES(mu_);
  void RecordFailure(const std::string& key, int64_t now) REQUIRES(mu_);

  const AuthConfig config_;
  const Clock* const clock_;
  std::map<std::string, Role, std::less<>> token_roles_;  // hash -> role.
  std::map<std::string, std::string, std::less<>> token_names_;
  Mutex mu_;
  std::map<std::string, Session, std::less<>> sessions_ GUARDED_BY(mu_);
  std::map<std::string, Failures> failures_ GUARDED_BY(mu_);
};

}  // namespace lts::admin
