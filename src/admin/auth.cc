// Admin authentication (admin/auth.h).

#include "admin/auth.h"

#include <fmt/format.h>
#include <sodium.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "base/config.h"
#include "base/logging.h"

namespace lts::admin {
namespace {

constexpr size_t kMaxPasswordBytes = 4096;
constexpr size_t kMaxNameBytes = 64;

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

std::string RandomHex(size_t bytes) {
  SodiumReady();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                 raw.size());
  hex.pop_back();
  return hex;
}

// A YAML scalar as a string, or an error naming `where`.
StatusOr<std::string> Scalar(const YAML::Node& node, const std::string& where) {
  if (!node || node.IsNull()) return InvalidArgument(where + ": required");
  if (!node.IsScalar()) return InvalidArgument(where + ": expected a string");
  return node.Scalar();
}

StatusOr<std::string> Name(const YAML::Node& entry, const std::string& where) {
  LTS_ASSIGN_OR_RETURN(std::string name, Scalar(entry["name"], where + ".name"));
  if (name.empty() || name.size() > kMaxNameBytes) {
    return InvalidArgument(fmt::format("{}.name: 1 to {} bytes", where, kMaxNameBytes));
  }
  for (unsigned char c : name) {
    if (c < 0x21 || c == 0x7f) {
      return InvalidArgument(where + ".name: no spaces or control characters");
    }
  }
  return name;
}

StatusOr<Role> RoleOf(const YAML::Node& entry, const std::string& where) {
  LTS_ASSIGN_OR_RETURN(std::string text, Scalar(entry["role"], where + ".role"));
  auto role = ParseRole(text);
  if (!role.ok()) return InvalidArgument(where + ".role: " + std::string(role.status().message()));
  return *role;
}

Status ParseAdminSection(const YAML::Node& admin, const std::string& name, AuthConfig* out) {
  if (!admin || admin.IsNull()) return Status::Ok();
  if (!admin.IsMap()) return InvalidArgument(name + ": admin: expected a mapping");
  for (const auto& kv : admin) {
    const std::string key = kv.first.Scalar();
    if (key != "users" && key != "tokens" && key != "session_ttl_minutes" && key != "http" &&
        key != "web_dir") {
      return InvalidArgument(fmt::format(
          "{}: admin.{}: unknown key (known: users, tokens, session_ttl_minutes, http, web_dir)",
          name, key));
    }
  }
  if (const YAML::Node users = admin["users"]; users && !users.IsNull()) {
    if (!users.IsSequence()) return InvalidArgument(name + ": admin.users: expected a list");
    for (size_t i = 0; i < users.size(); ++i) {
      const std::string where = fmt::format("{}: admin.users[{}]", name, i);
      const YAML::Node entry = users[i];
      if (!entry.IsMap()) return InvalidArgument(where + ": expected a mapping");
      UserEntry user;
      LTS_ASSIGN_OR_RETURN(user.name, Name(entry, where));
      LTS_ASSIGN_OR_RETURN(user.password_hash, Scalar(entry["password"], where + ".password"));
      if (user.password_hash.rfind("$argon2id$", 0) != 0) {
        return InvalidArgument(where +
                               ".password: not an argon2id hash (make one with `lts admin "
                               "hash-password`)");
      }
      LTS_ASSIGN_OR_RETURN(user.role, RoleOf(entry, where));
      for (const UserEntry& other : out->users) {
        if (other.name == user.name) {
          return InvalidArgument(fmt::format("{}.name: user '{}' is listed twice", where,
                                             user.name));
        }
      }
      out->users.push_back(std::move(user));
    }
  }
  if (const YAML::Node tokens = admin["tokens"]; tokens && !tokens.IsNull()) {
    if (!tokens.IsSequence()) return InvalidArgument(name + ": admin.tokens: expected a list");
    for (size_t i = 0; i < tokens.size(); ++i) {
      const std::string where = fmt::format("{}: admin.tokens[{}]", name, i);
      const YAML::Node entry = tokens[i];
      if (!entry.IsMap()) return InvalidArgument(where + ": expected a mapping");
      TokenEntry token;
      LTS_ASSIGN_OR_RETURN(token.name, Name(entry, where));
      LTS_ASSIGN_OR_RETURN(token.hash, Scalar(entry["hash"], where + ".hash"));
      const bool hex = token.hash.size() == 8 + 64 && token.hash.rfind("blake2b:", 0) == 0 &&
                       std::all_of(token.hash.begin() + 8, token.hash.end(), [](char c) {
                         return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                       });
      if (!hex) {
        return InvalidArgument(where +
                               ".hash: expected blake2b:<64 hex digits> (make one with `lts "
                               "admin new-token`)");
      }
      LTS_ASSIGN_OR_RETURN(token.role, RoleOf(entry, where));
      out->tokens.push_back(std::move(token));
    }
  }
  if (const YAML::Node ttl = admin["session_ttl_minutes"]; ttl && !ttl.IsNull()) {
    int64_t minutes = 0;
    if (!ttl.IsScalar() || !YAML::convert<int64_t>::decode(ttl, minutes) || minutes < 1 ||
        minutes > 7 * 24 * 60) {
      return InvalidArgument(name +
                             ": admin.session_ttl_minutes: expected an integer in [1, 10080]");
    }
    out->session_ttl_ms = minutes * 60 * 1000;
  }
  return Status::Ok();
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "viewer";
}

StatusOr<Role> ParseRole(std::string_view text) {
  if (text == "viewer") return Role::kViewer;
  if (text == "operator") return Role::kOperator;
  if (text == "admin") return Role::kAdmin;
  return InvalidArgument(fmt::format("'{}' is not one of viewer, operator, admin", text));
}

StatusOr<AuthConfig> ParseAuthConfig(std::string_view yaml, std::string_view name) {
  // Config checks size, depth, node count and syntax first, with positions in its errors;
  // only then does yaml-cpp read the lists of mappings Config does not model.
  LTS_RETURN_IF_ERROR(Config::LoadString(yaml, name).status());
  AuthConfig out;
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    if (root.IsMap()) {
      LTS_RETURN_IF_ERROR(ParseAdminSection(root["admin"], std::string(name), &out));
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument(fmt::format("{}: {}", name, e.what()));
  }
  return out;
}

StatusOr<AuthConfig> LoadAuthConfig(const std::string& path) {
  LTS_ASSIGN_OR_RETURN(Config config, Config::LoadFile(path));  // Limits and errno messages.
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) return IOError(fmt::format("config file {}: read failed", path));
  return ParseAuthConfig(text.str(), path);
}

StatusOr<std::string> HashPassword(std::string_view password) {
  if (password.empty()) return InvalidArgument("password: empty");
  if (password.size() > kMaxPasswordBytes) {
    return InvalidArgument(fmt::format("password: longer than {} bytes", kMaxPasswordBytes));
  }
  if (!SodiumReady()) return Internal("libsodium failed to initialise");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return ResourceExhausted("argon2id: not enough memory to hash the password");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  if (!SodiumReady() || password.size() > kMaxPasswordBytes ||
      hash.size() >= crypto_pwhash_STRBYTES) {
    return false;
  }
  const std::string h(hash);  // NUL-terminated.
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

std::string TokenHash(std::string_view token) {
  SodiumReady();
  unsigned char digest[32];
  crypto_generichash(digest, sizeof(digest), reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  char hex[65];
  sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
  return std::string("blake2b:") + hex;
}

NewToken MakeToken() {
  SodiumReady();
  unsigned char raw[32];
  randombytes_buf(raw, sizeof(raw));
  char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  NewToken t;
  t.token = std::string("lts_") + b64;
  t.hash = TokenHash(t.token);
  return t;
}

Authenticator::Authenticator(AuthConfig config, const Clock* clock)
    : config_(std::move(config)), clock_(clock != nullptr ? clock : SystemClock::Default()) {
  for (const TokenEntry& t : config_.tokens) {
    token_roles_[t.hash] = t.role;
    token_names_[t.hash] = t.name;
  }
}

int64_t Authenticator::NowMs() const { return clock_->MonotonicMicros() / 1000; }

Principal Authenticator::StartSession(const std::string& user, Role role) {
  const int64_t now = NowMs();
  // Drop expired sessions; at the cap, the least recently used one.
  std::erase_if(sessions_, [&](const auto& kv) {
    return now - kv.second.last_seen_ms > config_.session_ttl_ms;
  });
  if (sessions_.size() >= kMaxSessions) {
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a,
                                                                           const auto& b) {
      return a.second.last_seen_ms < b.second.last_seen_ms;
    });
    sessions_.erase(oldest);
  }
  Principal p;
  p.user = user;
  p.role = role;
  p.session_id = RandomHex(32);
  p.csrf_token = RandomHex(32);
  sessions_[p.session_id] = Session{user, role, p.csrf_token, now};
  return p;
}

int64_t Authenticator::BlockedForMs(const std::string& key, int64_t now) {
  auto it = failures_.find(key);
  if (it == failures_.end()) return 0;
  return std::max<int64_t>(0, it->second.blocked_until_ms - now);
}

void Authenticator::RecordFailure(const std::string& key, int64_t now) {
  if (failures_.size() > 100000) {  // Forget quiet entries rather than grow without bound.
    std::erase_if(failures_, [&](const auto& kv) {
      return kv.second.blocked_until_ms < now &&
             (kv.second.times.empty() || now - kv.second.times.back() > kFailureWindowMs);
    });
  }
  Failures& f = failures_[key];
  std::erase_if(f.times, [&](int64_t t) { return now - t > kFailureWindowMs; });
  f.times.push_back(now);
  if (static_cast<int>(f.times.size()) >= kMaxFailures) {
    const int64_t block = kFirstBlockMs << std::min(f.strikes, 10);
    f.blocked_until_ms = now + std::min(block, kMaxBlockMs);
    ++f.strikes;
  }
}

LoginOutcome Authenticator::Login(std::string_view user, std::string_view password,
                                  std::string_view remote) {
  LoginOutcome out;
  const std::string user_key = "user:" + std::string(user.substr(0, kMaxNameBytes));
  const std::string addr_key = "addr:" + std::string(remote);
  {
    MutexLock lock(&mu_);
    const int64_t now = NowMs();
    const int64_t wait = std::max(BlockedForMs(user_key, now), BlockedForMs(addr_key, now));
    if (wait > 0) {
      out.retry_after_s = (wait + 999) / 1000;
      out.status = ResourceExhausted(
          fmt::format("too many failed logins; try again in {} s", out.retry_after_s));
      return out;
    }
  }
  // The hash check (tens of milliseconds) runs without the lock. An unknown user costs
  // the same as a known one, so timing does not tell which names exist.
  static const std::string kDummyHash = [] {
    auto h = HashPassword("lts-no-such-user");
    return h.ok() ? *h : std::string();
  }();
  const UserEntry* found = nullptr;
  for (const UserEntry& u : config_.users) {
    if (u.name == user) found = &u;
  }
  const bool ok = VerifyPassword(found != nullptr ? found->password_hash : kDummyHash, password) &&
                  found != nullptr;
  MutexLock lock(&mu_);
  const int64_t now = NowMs();
  if (!ok) {
    RecordFailure(user_key, now);
    RecordFailure(addr_key, now);
    out.status = InvalidArgument("wrong user name or password");
    return out;
  }
  failures_.erase(user_key);
  failures_.erase(addr_key);
  out.principal = StartSession(found->name, found->role);
  return out;
}

Principal Authenticator::OpenSession() {
  MutexLock lock(&mu_);
  return StartSession("local", Role::kAdmin);
}

std::optional<Principal> Authenticator::FromSession(std::string_view session_id) {
  MutexLock lock(&mu_);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return std::nullopt;
  const int64_t now = NowMs();
  if (now - it->second.last_seen_ms > config_.session_ttl_ms) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_seen_ms = now;
  Principal p;
  p.user = it->second.user;
  p.role = it->second.role;
  p.session_id = it->first;
  p.csrf_token = it->second.csrf;
  return p;
}

std::optional<Principal> Authenticator::FromToken(std::string_view token) const {
  if (token.empty() || token.size() > 256) return std::nullopt;
  const std::string hash = TokenHash(token);
  auto it = token_roles_.find(hash);
  if (it == token_roles_.end()) return std::nullopt;
  Principal p;
  p.user = "token:" + token_names_.find(hash)->second;
  p.role = it->second;
  p.via_token = true;
  return p;
}

void Authenticator::Logout(std::string_view session_id) {
  MutexLock lock(&mu_);
  auto it = sessions_.find(session_id);
  if (it != sessions_.end()) sessions_.erase(it);
}

}  // namespace lts::admin
