// AdminServer (admin/admin_server.h): routes, authentication and CSRF checks, the job and
// node handlers, static files, and the sampler behind the charts.

#include "admin/admin_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <httplib.h>
#include <sodium.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "base/json_limits.h"
#include "base/logging.h"
#include "base/mutex.h"
#include "client/control_client.h"
#include "job/job_json.h"
#include "protocol/messages.h"
#include "registry/registry.h"

namespace lts::admin {

using nlohmann::json;

namespace {

constexpr char kSessionCookie[] = "lts_session";
constexpr size_t kMaxPathSegment = 128;
constexpr int kMaxJsonDepth = 32;
constexpr int kDefaultListLimit = 50;

// Splits "host:port" (IPv6 in brackets). Errors name the option.
Status SplitHostPort(std::string_view text, std::string* host, int* port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return InvalidArgument(fmt::format("--http: expected host:port, got '{}'", text));
  }
  std::string h(text.substr(0, colon));
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  int p = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9' || p > 65535) {
      return InvalidArgument(fmt::format("--http: bad port in '{}'", text));
    }
    p = p * 10 + (c - '0');
  }
  if (p > 65535) return InvalidArgument(fmt::format("--http: port out of range in '{}'", text));
  *host = std::move(h);
  *port = p;
  return Status::Ok();
}

std::string Dump(const json& value) {
  // Replace rather than throw on invalid UTF-8 (a user's bytes echoed in a message).
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

void Reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(Dump(body), "application/json");
}

// "taskId: required" -> "taskId": the leading field path of an error message.
std::string FieldOf(std::string_view message) {
  const size_t colon = message.find(": ");
  if (colon == std::string_view::npos || colon == 0) return "";
  const std::string_view head = message.substr(0, colon);
  for (char c : head) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '[' || c == ']' || c == '_' || c == '-';
    if (!ok) return "";
  }
  return std::string(head);
}

void ReplyError(httplib::Response& res, int status, std::string_view message,
                std::string_view field = {}) {
  json body{{"error", message}};
  if (!field.empty()) body["field"] = field;
  Reply(res, status, body);
}

int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAborted:
      return 409;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
      return 503;
    case StatusCode::kNotSupported:
      return 501;
    default:
      return 500;
  }
}

void ReplyStatus(httplib::Response& res, const Status& s) {
  const std::string message(s.message());
  ReplyError(res, HttpStatusOf(s), message, FieldOf(message));
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string CookieValue(const httplib::Request& req, std::string_view name) {
  const std::string header = req.get_header_value("Cookie");
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string_view part(header.data() + pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name &&
        part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
    pos = end + 1;
  }
  return "";
}

// The host[:port] of an Origin header ("http://127.0.0.1:8080" -> "127.0.0.1:8080").
std::string OriginHost(std::string_view origin) {
  const size_t scheme = origin.find("://");
  if (scheme == std::string_view::npos) return std::string(origin);
  std::string_view rest = origin.substr(scheme + 3);
  const size_t slash = rest.find('/');
  if (slash != std::string_view::npos) rest = rest.substr(0, slash);
  return std::string(rest);
}

bool IsStateChanging(const httplib::Request& req) {
  return req.method == "POST" || req.method == "PUT" || req.method == "DELETE" ||
         req.method == "PATCH";
}

// A path capture, checked for length. Empty on error (the reply is sent).
std::optional<std::string> Segment(const httplib::Request& req, size_t index,
                                   httplib::Response& res, std::string_view what) {
  if (index >= req.matches.size()) return std::nullopt;
  std::string value = req.matches[index].str();
  if (value.empty() || value.size() > kMaxPathSegment) {
    ReplyError(res, 400, fmt::format("{}: 1 to {} bytes", what, kMaxPathSegment), what);
    return std::nullopt;
  }
  return value;
}

// The (group, taskId) of a path whose first two captures are those; nullopt when one is
// malformed (the reply is sent).
std::optional<protocol::JobKey> KeyOf(const httplib::Request& req, httplib::Response& res) {
  auto group = Segment(req, 1, res, "group");
  if (!group) return std::nullopt;
  auto task = Segment(req, 2, res, "taskId");
  if (!task) return std::nullopt;
  return protocol::JobKey{*group, *task};
}

// Sets the session cookie (an empty id clears it).
void SetSessionCookie(httplib::Response& res, const std::string& session_id) {
  res.set_header("Set-Cookie",
                 fmt::format("{}={}; HttpOnly; SameSite=Strict; Path=/{}", kSessionCookie,
                             session_id, session_id.empty() ? "; Max-Age=0" : ""));
}

// A non-negative integer query parameter in [min, max]; the default when absent.
std::optional<int64_t> IntParam(const httplib::Request& req, httplib::Response& res,
                                const char* name, int64_t def, int64_t min, int64_t max) {
  if (!req.has_param(name)) return def;
  const std::string text = req.get_param_value(name);
  int64_t value = 0;
  bool ok = !text.empty() && text.size() <= 18;
  for (char c : text) {
    if (c < '0' || c > '9') ok = false;
  }
  if (ok) value = std::stoll(text);
  if (!ok || value < min || value > max) {
    ReplyError(res, 400,
               fmt::format("{}: expected an integer in [{}, {}], got '{}'", name, min, max, text),
               name);
    return std::nullopt;
  }
  return value;
}

// Counters of JobTrackerStats the charts draw, by their JSON names.
constexpr const char* kRateCounters[] = {"succeeded", "failed", "later", "exception",
                                         "dispatched"};
constexpr const char* kDepthNames[] = {"executable", "executing", "cron",
                                       "repeat",     "suspended", "dead"};

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  in_addr addr{};
  const std::string h(host);
  if (inet_pton(AF_INET, h.c_str(), &addr) != 1) return false;
  return (ntohl(addr.s_addr) >> 24) == 127;
}

class AdminServer::Impl {
 public:
  Impl(AdminServerOptions options, AuthConfig auth)
      : options_(std::move(options)),
        clock_(options_.clock != nullptr ? options_.clock : SystemClock::Default()),
        auth_(std::move(auth), clock_),
        control_(ControlOptions(options_)) {}

  ~Impl() { Stop(); }

  Status Start();
  void Stop();
  std::string http_address() const { return fmt::format("{}:{}", host_, port_); }

 private:
  using Handler =
      std::function<void(const httplib::Request&, httplib::Response&, const Principal&)>;

  static client::ControlClient::Options ControlOptions(const AdminServerOptions& o) {
    client::ControlClient::Options c;
    c.links = o.links;
    c.call_timeout = std::chrono::milliseconds(o.call_timeout_ms);
    return c;
  }

  // Registers a route: authentication, the CSRF check for state changes, the role.
  void Route(const std::string& method, const std::string& pattern, Role need,
             std::string action, Handler handler);
  std::optional<Principal> Authenticate(const httplib::Request& req, httplib::Response& res);
  std::optional<json> Body(const httplib::Request& req, httplib::Response& res);
  void Routes();

  // Handlers.
  void Login(const httplib::Request& req, httplib::Response& res);
  void Session(const httplib::Request& req, httplib::Response& res);
  void Nodes(const httplib::Request& req, httplib::Response& res);
  void NodeSwitch(const httplib::Request& req, httplib::Response& res, const Principal& who);
  void Groups(httplib::Response& res);
  void Query(httplib::Response& res, const protocol::QueryRequest& query);
  void JobBizLog(httplib::Response& res, const std::string& group, const std::string& task,
                 int32_t limit);
  void ListJobs(const httplib::Request& req, httplib::Response& res);
  void SubmitJobs(const httplib::Request& req, httplib::Response& res, const Principal& who);
  void EditJob(const httplib::Request& req, httplib::Response& res, const Principal& who);
  void Control(httplib::Response& res, const protocol::ControlRequest& request,
               const Principal& who);
  void Stats(const httplib::Request& req, httplib::Response& res);

  // The registry's nodes (with masters), or the JobTrackers' own view without one. With
  // `live`, each node carries the figures its JobTrackers report (one round trip to each);
  // without a registry the JobTrackers are asked in any case.
  StatusOr<json> NodeList(bool live);
  // JOB_QUERY "stats" answered by every reachable JobTracker.
  std::vector<client::ControlClient::EachAnswer> StatsEach();
  StatusOr<protocol::SubmitResponse> Submit(std::vector<Job> jobs);

  void SamplerLoop();
  void TakeSample();

  AdminServerOptions options_;
  const Clock* const clock_;
  Authenticator auth_;
  client::ControlClient control_;
  std::unique_ptr<registry::Registry> registry_;
  httplib::Server http_;
  std::string host_;
  int port_ = 0;
  std::thread listener_;
  std::thread sampler_;
  bool started_ = false;

  struct Sample {
    int64_t time_ms = 0;
    std::map<std::string, double> rates;    // Per minute.
    std::map<std::string, int64_t> depths;  // Queue depths.
  };
  Mutex mu_;
  CondVar stop_cv_;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::deque<Sample> samples_ GUARDED_BY(mu_);
  // Sampler thread only: the last counters per JobTracker address, and when.
  std::map<std::string, json> last_counters_;
  int64_t last_sample_ms_ = 0;
};

Status AdminServer::Impl::Start() {
  if (started_) return FailedPrecondition("admin server: started twice");
  LTS_RETURN_IF_ERROR(SplitHostPort(options_.http, &host_, &port_));
  if (auth_.open() && !IsLoopbackHost(host_)) {
    return InvalidArgument(fmt::format(
        "--http: {} is not a loopback address, and no users are configured (admin.users in "
        "--config): an Admin without users listens on 127.0.0.1 or ::1 only",
        host_));
  }
  if (!options_.links.registry.empty()) {
    registry::RegistryOptions ro;
    ro.address = options_.links.registry;
    ro.cluster = options_.links.cluster;
    ro.clock = clock_;
    LTS_ASSIGN_OR_RETURN(registry_, registry::StartRegistry(ro));
  }
  // Waits a little for a JobTracker, so that the first requests find one; without one the
  // API answers 503 until one is reachable.
  if (Status s = control_.Start(std::chrono::milliseconds(2000));
      !s.ok() && s.code() != StatusCode::kUnavailable) {
    return s;
  }

  Routes();
  if (!options_.web_dir.empty()) {
    const std::filesystem::path web(options_.web_dir);
    if (!http_.set_mount_point("/", (web / "public").string())) {
      LTS_LOG(WARN, "admin: no console files in {}; serving the API only",
              (web / "public").string());
    }
    if (!http_.set_mount_point("/vendor/chart.js", (web / "node_modules/chart.js/dist").string())) {
      LTS_LOG(WARN,
              "admin: {} is missing, so the console draws no charts; run `npm ci --prefix {}`",
              (web / "node_modules/chart.js/dist").string(), web.string());
    }
  }
  http_.set_payload_max_length(kMaxRequestBody);
  http_.set_read_timeout(10, 0);
  http_.set_write_timeout(10, 0);
  http_.set_keep_alive_max_count(100);
  const int threads = std::max(2, options_.http_threads);
  http_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_.set_default_headers({{"Content-Security-Policy", "default-src 'self'"},
                             {"X-Content-Type-Options", "nosniff"},
                             {"X-Frame-Options", "DENY"},
                             {"Referrer-Policy", "no-referrer"}});
  http_.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413) {
      ReplyError(res, 413, fmt::format("request body over {} bytes", kMaxRequestBody));
    } else if (res.status == 400) {
      ReplyError(res, 400,
                 "malformed HTTP request: a request line, header or body the server could not "
                 "read (a POST or PUT needs a Content-Length header; with curl, pass -d '')");
    } else if (res.status == 404) {
      ReplyError(res, 404, fmt::format("no such path: {} {}", req.method, req.path));
    } else {
      ReplyError(res, res.status, fmt::format("HTTP status {}", res.status));
    }
  });
  http_.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        LTS_LOG(ERROR, "admin: {} {} failed: {}", req.method, req.path, what);
        ReplyError(res, 500, "internal error: " + what);
      });
  if (port_ == 0) {
    port_ = http_.bind_to_any_port(host_);
    if (port_ < 0) port_ = 0;
  } else if (!http_.bind_to_port(host_, port_)) {
    port_ = 0;
  }
  if (port_ == 0) {
    control_.Stop();
    if (registry_ != nullptr) registry_->Stop();
    return Unavailable(fmt::format("--http: cannot listen on {} (in use, or not an address of "
                                   "this host)",
                                   options_.http));
  }
  listener_ = std::thread([this] { http_.listen_after_bind(); });
  sampler_ = std::thread([this] { SamplerLoop(); });
  started_ = true;
  if (auth_.open()) {
    LTS_LOG(WARN,
            "admin: console and API on http://{}: open mode, no users configured (admin.users "
            "in --config), so every caller acts as 'local' with the role admin; listening on "
            "loopback only",
            http_address());
  } else {
    LTS_LOG(INFO, "admin: console and API on http://{} ({} users, {} API tokens)",
            http_address(), auth_.config().users.size(), auth_.config().tokens.size());
  }
  return Status::Ok();
}

void AdminServer::Impl::Stop() {
  if (!started_) return;
  started_ = false;
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    stop_cv_.SignalAll();
  }
  http_.stop();
  if (listener_.joinable()) listener_.join();
  if (sampler_.joinable()) sampler_.join();
  control_.Stop();
  if (registry_ != nullptr) registry_->Stop();
}

std::optional<Principal> AdminServer::Impl::Authenticate(const httplib::Request& req,
                                                         httplib::Response& res) {
  std::optional<Principal> who;
  const std::string authorization = req.get_header_value("Authorization");
  if (!authorization.empty()) {
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization.rfind(kBearer, 0) != 0) {
      ReplyError(res, 401, "Authorization: expected 'Bearer <token>'", "Authorization");
      return std::nullopt;
    }
    who = auth_.FromToken(std::string_view(authorization).substr(kBearer.size()));
    if (!who) {
      ReplyError(res, 401, "unknown API token", "Authorization");
      return std::nullopt;
    }
    return who;  // No ambient authority: no CSRF check.
  }
  const std::string session = CookieValue(req, kSessionCookie);
  if (!session.empty()) who = auth_.FromSession(session);
  if (!who) {
    if (!auth_.open()) {
      ReplyError(res, 401,
                 session.empty() ? "not logged in" : "session expired or unknown; log in again");
      return std::nullopt;
    }
    if (IsStateChanging(req)) {
      ReplyError(res, 403,
                 "missing session: get one (and its CSRF token) from GET /api/session",
                 "X-CSRF-Token");
      return std::nullopt;
    }
    Principal local;
    local.user = "local";
    local.role = Role::kAdmin;
    return local;
  }
  if (IsStateChanging(req)) {
    const std::string origin = req.get_header_value("Origin");
    if (!origin.empty() && OriginHost(origin) != req.get_header_value("Host")) {
      ReplyError(res, 403, fmt::format("cross-origin request from {} refused", origin), "Origin");
      return std::nullopt;
    }
    if (!ConstantTimeEquals(req.get_header_value("X-CSRF-Token"), who->csrf_token)) {
      ReplyError(res, 403,
                 "missing or wrong X-CSRF-Token header (the token comes with POST /api/login "
                 "and GET /api/session)",
                 "X-CSRF-Token");
      return std::nullopt;
    }
  }
  return who;
}

void AdminServer::Impl::Route(const std::string& method, const std::string& pattern, Role need,
                              std::string action, Handler handler) {
  auto wrapped = [this, need, action = std::move(action), handler = std::move(handler)](
                     const httplib::Request& req, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    std::optional<Principal> who = Authenticate(req, res);
    if (!who) return;
    if (static_cast<int>(who->role) < static_cast<int>(need)) {
      ReplyError(res, 403, fmt::format("role {} may not {}", RoleName(who->role), action));
      return;
    }
    handler(req, res, *who);
  };
  if (method == "GET") {
    http_.Get(pattern, wrapped);
  } else if (method == "POST") {
    http_.Post(pattern, wrapped);
  } else if (method == "PUT") {
    http_.Put(pattern, wrapped);
  } else {
    http_.Delete(pattern, wrapped);
  }
}

std::optional<json> AdminServer::Impl::Body(const httplib::Request& req, httplib::Response& res) {
  const std::string type = req.get_header_value("Content-Type");
  if (type.rfind("application/json", 0) != 0) {
    ReplyError(res, 415, "the request body must be application/json", "Content-Type");
    return std::nullopt;
  }
  if (Status s = CheckJsonLimits(req.body, "request body", kMaxRequestBody, kMaxJsonDepth);
      !s.ok()) {
    ReplyError(res, 400, s.message());
    return std::nullopt;
  }
  json value = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    ReplyError(res, 400, "request body: malformed JSON");
    return std::nullopt;
  }
  return value;
}

void AdminServer::Impl::Routes() {
  using R = Role;
  http_.Post("/api/login",
             [this](const httplib::Request& req, httplib::Response& res) { Login(req, res); });
  http_.Get("/api/session",
            [this](const httplib::Request& req, httplib::Response& res) { Session(req, res); });
  Route("POST", "/api/logout", R::kViewer, "log out",
        [this](const httplib::Request&, httplib::Response& res, const Principal& who) {
          if (!who.session_id.empty()) auth_.Logout(who.session_id);
          SetSessionCookie(res, "");
          Reply(res, 200, {{"ok", true}});
        });
  Route("GET", "/api/nodes", R::kViewer, "read nodes",
        [this](const httplib::Request& req, httplib::Response& res, const Principal&) {
          Nodes(req, res);
        });
  Route("POST", R"(/api/nodes/([^/]+)/(disable|enable))", R::kAdmin, "disable or enable nodes",
        [this](const httplib::Request& req, httplib::Response& res, const Principal& who) {
          NodeSwitch(req, res, who);
        });
  Route("GET", "/api/groups", R::kViewer, "read node groups",
        [this](const httplib::Request&, httplib::Response& res, const Principal&) {
          Groups(res);
        });
  Route("GET", "/api/counts", R::kViewer, "read queues",
        [this](const httplib::Request&, httplib::Response& res, const Principal&) {
          protocol::QueryRequest q;
          q.kind = protocol::QueryKind::kCounts;
          Query(res, q);
        });
  Route("GET", "/api/stats", R::kViewer, "read statistics",
        [this](const httplib::Request& req, httplib::Response& res, const Principal&) {
          Stats(req, res);
        });
  Route("GET", "/api/jobs", R::kViewer, "read jobs",
        [this](const httplib::Request& req, httplib::Response& res, const Principal&) {
          ListJobs(req, res);
        });
  Route("POST", "/api/jobs", R::kOperator, "submit jobs",
        [this](const httplib::Request& req, httplib::Response& res, const Principal& who) {
          SubmitJobs(req, res, who);
        });
  Route("GET", R"(/api/jobs/by-id/([^/]+))", R::kViewer, "read jobs",
        [this](const httplib::Request& req, httplib::Response& res, const Principal&) {
          auto id = Segment(req, 1, res, "jobId");
          if (!id) return;
          protocol::QueryRequest q;
          q.kind = protocol::QueryKind::kGet;
          q.job_id = *id;
          Query(res, q);
        });
  Route("GET", R"(/api/bizlog/([^/]+))", R::kViewer, "read logs",
        [this](const httplib::Request& req, httplib::Response& res, const Principal&) {
          auto id = Segment(req, 1, res, "jobId");
          auto limit = IntParam(req, res, "limit", 100, 1, protocol::kMaxQueryLimit);
          if (!id || !limit) return;
          protocol::QueryRequest q;
          q.kind = protocol::QueryKind::kBizLog;
          q.job_id = *id;
          q.limit = static_cast<int32_t>(*limit);
          Query(res, q);
        });
  // /api/jobs/{group}/{taskId}[/logs|/bizlog]
  Route("GET", R"(/api/jobs/([^/]+)/([^/]+)(/logs|/bizlog)?)", R::kViewer, "read jobs",
        [this](const httplib::Request& req, httplib::Response& res, const Principal&) {
          auto key = KeyOf(req, res);
          if (!key) return;
          const std::string tail = req.matches.size() > 3 ? req.matches[3].str() : "";
          protocol::QueryRequest q;
          q.node_group = key->node_group;
          q.task_id = key->task_id;
          if (tail.empty()) {
            q.kind = protocol::QueryKind::kGet;
          } else if (tail == "/bizlog") {
            auto limit = IntParam(req, res, "limit", 100, 1, protocol::kMaxQueryLimit);
            if (!limit) return;
            JobBizLog(res, key->node_group, key->task_id, static_cast<int32_t>(*limit));
            return;
          } else {
            auto limit = IntParam(req, res, "limit", 100, 1, protocol::kMaxQueryLimit);
            auto before = IntParam(req, res, "before", 0, 0, INT64_MAX / 2);
            if (!limit || !before) return;
            q.kind = protocol::QueryKind::kLogs;
            q.limit = static_cast<int32_t>(*limit);
            q.offset = *before;
          }
          Query(res, q);
        });
  Route("PUT", R"(/api/jobs/([^/]+)/([^/]+))", R::kOperator, "edit jobs",
        [this](const httplib::Request& req, httplib::Response& res, const Principal& who) {
          EditJob(req, res, who);
        });
  Route("DELETE", R"(/api/jobs/([^/]+)/([^/]+))", R::kOperator, "cancel jobs",
        [this](const httplib::Request& req, httplib::Response& res, const Principal& who) {
          auto key = KeyOf(req, res);
          if (!key) return;
          protocol::ControlRequest c;
          c.op = protocol::ControlOp::kCancel;
          c.key = *key;
          Control(res, c, who);
        });
  Route("POST", R"(/api/jobs/([^/]+)/([^/]+)/(pause|resume|trigger|terminate|cancel))",
        R::kOperator, "change jobs",
        [this](const httplib::Request& req, httplib::Response& res, const Principal& who) {
          auto key = KeyOf(req, res);
          if (!key) return;
          protocol::ControlRequest c;
          c.op = *protocol::ParseControlOp(req.matches[3].str());
          c.key = *key;
          Control(res, c, who);
        });
  Route("POST", R"(/api/dead/([^/]+)/retry)", R::kOperator, "retry dead jobs",
        [this](const httplib::Request& req, httplib::Response& res, const Principal& who) {
          auto id = Segment(req, 1, res, "jobId");
          if (!id) return;
          protocol::ControlRequest c;
          c.op = protocol::ControlOp::kRetryDead;
          c.job_id = *id;
          Control(res, c, who);
        });
}

void AdminServer::Impl::Login(const httplib::Request& req, httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  std::optional<json> body = Body(req, res);
  if (!body) return;
  if (!body->is_object() || !(*body)["username"].is_string() ||
      !(*body)["password"].is_string()) {
    ReplyError(res, 400, "expected {\"username\": string, \"password\": string}",
               body->is_object() && (*body)["username"].is_string() ? "password" : "username");
    return;
  }
  const std::string user = (*body)["username"].get<std::string>();
  Principal who;
  if (auth_.open()) {
    who = auth_.OpenSession();
  } else {
    LoginOutcome out = auth_.Login(user, (*body)["password"].get<std::string>(), req.remote_addr);
    if (!out.status.ok()) {
      LTS_LOG(WARN, "admin: login of '{}' from {} refused: {}", user, req.remote_addr,
              out.status.message());
      if (out.status.code() == StatusCode::kResourceExhausted) {
        res.set_header("Retry-After", std::to_string(out.retry_after_s));
        ReplyError(res, 429, out.status.message());
      } else {
        ReplyError(res, 401, out.status.message());
      }
      return;
    }
    who = out.principal;
    LTS_LOG(INFO, "admin: '{}' ({}) logged in from {}", who.user, RoleName(who.role),
            req.remote_addr);
  }
  SetSessionCookie(res, who.session_id);
  Reply(res, 200, {{"user", who.user}, {"role", RoleName(who.role)}, {"csrfToken", who.csrf_token}});
}

void AdminServer::Impl::Session(const httplib::Request& req, httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  std::optional<Principal> who;
  const std::string session = CookieValue(req, kSessionCookie);
  if (!session.empty()) who = auth_.FromSession(session);
  if (!who && auth_.open()) {
    who = auth_.OpenSession();
    SetSessionCookie(res, who->session_id);
  }
  if (!who) {
    ReplyError(res, 401, "not logged in");
    return;
  }
  Reply(res, 200,
        {{"user", who->user},
         {"role", RoleName(who->role)},
         {"csrfToken", who->csrf_token},
         {"authRequired", !auth_.open()}});
}

void AdminServer::Impl::Query(httplib::Response& res, const protocol::QueryRequest& query) {
  StatusOr<json> answer = control_.Query(query);
  if (!answer.ok()) {
    ReplyStatus(res, answer.status());
    return;
  }
  Reply(res, 200, *answer);
}

// The BizLog is kept by job id, and the runs of one key have several (a triggered run of a
// cron job, retries after a replace): the lines of the runs in the key's recent execution
// history, newest first.
void AdminServer::Impl::JobBizLog(httplib::Response& res, const std::string& group,
                                  const std::string& task, int32_t limit) {
  constexpr size_t kMaxRuns = 10;
  protocol::QueryRequest q;
  q.node_group = group;
  q.task_id = task;
  q.kind = protocol::QueryKind::kGet;
  StatusOr<json> job = control_.Query(q);
  q.kind = protocol::QueryKind::kLogs;
  q.limit = 200;
  StatusOr<json> history = control_.Query(q);
  if (!job.ok() && !history.ok()) {
    ReplyStatus(res, job.status());
    return;
  }
  std::vector<std::string> ids;
  auto add = [&ids](const json& id) {
    if (id.is_string() && !id.get<std::string>().empty() &&
        std::find(ids.begin(), ids.end(), id.get<std::string>()) == ids.end()) {
      ids.push_back(id.get<std::string>());
    }
  };
  if (job.ok() && (*job)["job"].is_object()) add((*job)["job"]["jobId"]);
  if (history.ok() && (*history)["logs"].is_array()) {
    for (const json& entry : (*history)["logs"]) {
      if (ids.size() >= kMaxRuns) break;
      if (entry.is_object() && entry.contains("jobId")) add(entry["jobId"]);
    }
  }
  json lines = json::array();
  for (const std::string& id : ids) {
    protocol::QueryRequest b;
    b.kind = protocol::QueryKind::kBizLog;
    b.job_id = id;
    b.limit = limit;
    StatusOr<json> got = control_.Query(b);
    if (!got.ok()) {
      if (got.status().code() == StatusCode::kNotFound) continue;
      ReplyStatus(res, got.status());
      return;
    }
    if (!(*got)["logs"].is_array()) continue;
    for (json& line : (*got)["logs"]) lines.push_back(std::move(line));
  }
  std::stable_sort(lines.begin(), lines.end(), [](const json& a, const json& b) {
    return a.value("time", int64_t{0}) > b.value("time", int64_t{0});
  });
  if (static_cast<int32_t>(lines.size()) > limit) lines.erase(lines.begin() + limit, lines.end());
  Reply(res, 200, {{"logs", lines}});
}

void AdminServer::Impl::ListJobs(const httplib::Request& req, httplib::Response& res) {
  if (!req.has_param("queue")) {
    ReplyError(res, 400,
               "queue: required, one of executable, executing, cron, repeat, suspended, dead",
               "queue");
    return;
  }
  auto limit = IntParam(req, res, "limit", kDefaultListLimit, 1, protocol::kMaxQueryLimit);
  if (!limit) return;
  auto offset = IntParam(req, res, "offset", 0, 0, INT64_MAX / 2);
  if (!offset) return;
  protocol::QueryRequest q;
  q.kind = protocol::QueryKind::kList;
  q.queue = req.get_param_value("queue");
  q.node_group = req.get_param_value("group");
  q.task_id = req.get_param_value("taskId");
  if (q.node_group.size() > kMaxPathSegment || q.task_id.size() > kMaxPathSegment) {
    ReplyError(res, 400, fmt::format("group and taskId: at most {} bytes", kMaxPathSegment),
               q.node_group.size() > kMaxPathSegment ? "group" : "taskId");
    return;
  }
  q.offset = *offset;
  // One more than asked for tells whether there is a next page.
  q.limit = static_cast<int32_t>(std::min<int64_t>(*limit + 1, protocol::kMaxQueryLimit));
  StatusOr<json> answer = control_.Query(q);
  if (!answer.ok()) {
    const std::string message(answer.status().message());
    // The JobTracker names its own field (query.queue); the caller knows it as `queue`.
    ReplyError(res, HttpStatusOf(answer.status()), message,
               message.rfind("query.queue", 0) == 0 ? "queue" : FieldOf(message));
    return;
  }
  json jobs = (*answer)["jobs"].is_array() ? (*answer)["jobs"] : json::array();
  const bool more = static_cast<int64_t>(jobs.size()) > *limit ||
                    (*limit == protocol::kMaxQueryLimit &&
                     static_cast<int64_t>(jobs.size()) == *limit);
  if (static_cast<int64_t>(jobs.size()) > *limit) jobs.erase(jobs.begin() + *limit, jobs.end());
  Reply(res, 200,
        {{"queue", q.queue}, {"jobs", jobs}, {"offset", *offset}, {"limit", *limit}, {"more", more}});
}

StatusOr<protocol::SubmitResponse> AdminServer::Impl::Submit(std::vector<Job> jobs) {
  protocol::SubmitRequest request;
  request.client_group = "admin";
  request.identity = "admin-" + http_address();
  request.jobs = std::move(jobs);
  return control_.Submit(request);
}

void AdminServer::Impl::SubmitJobs(const httplib::Request& req, httplib::Response& res,
                                   const Principal& who) {
  std::optional<json> body = Body(req, res);
  if (!body) return;
  const bool single = body->is_object();
  if (!single && !body->is_array()) {
    ReplyError(res, 400, "expected a job object or an array of jobs");
    return;
  }
  const json items = single ? json::array({*body}) : *body;
  if (items.empty() || items.size() > protocol::kMaxJobsPerMessage) {
    ReplyError(res, 400,
               fmt::format("1 to {} jobs per request, got {}", protocol::kMaxJobsPerMessage,
                           items.size()));
    return;
  }
  // Parse each; only the valid ones go to the JobTracker, the others keep their error.
  std::vector<Status> parsed(items.size());
  std::vector<Job> valid;
  for (size_t i = 0; i < items.size(); ++i) {
    StatusOr<Job> job =
        JobFromJsonValue(items[i], single ? std::string("job") : fmt::format("jobs[{}]", i));
    parsed[i] = job.status();
    if (job.ok()) valid.push_back(std::move(*job));
  }
  std::vector<protocol::SubmitItem> stored;
  if (!valid.empty()) {
    StatusOr<protocol::SubmitResponse> response = Submit(std::move(valid));
    if (!response.ok()) {
      ReplyStatus(res, response.status());
      return;
    }
    stored = std::move(response->results);
  }
  json results = json::array();
  size_t next = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    Status s = parsed[i];
    protocol::SubmitItem item;
    if (s.ok()) {
      item = next < stored.size() ? stored[next] : protocol::SubmitItem{};
      if (next >= stored.size()) item.status = Internal("the JobTracker gave no result");
      ++next;
      s = item.status;
    }
    if (s.ok()) {
      results.push_back({{"ok", true}, {"jobId", item.job_id}, {"replaced", item.replaced}});
      LTS_LOG(INFO, "admin: '{}' submitted {}/{} ({})", who.user,
              items[i].value("taskTrackerNodeGroup", ""), items[i].value("taskId", ""),
              item.job_id);
    } else {
      json r{{"ok", false}, {"error", s.message()}, {"code", StatusCodeName(s.code())}};
      if (const std::string field = FieldOf(s.message()); !field.empty()) r["field"] = field;
      results.push_back(std::move(r));
    }
  }
  if (single && !results[0]["ok"].get<bool>()) {
    const Status& s = parsed[0].ok() ? stored[0].status : parsed[0];
    ReplyError(res, HttpStatusOf(s), s.message(), FieldOf(s.message()));
    return;
  }
  Reply(res, 200, {{"results", results}});
}

void AdminServer::Impl::EditJob(const httplib::Request& req, httplib::Response& res,
                                const Principal& who) {
  auto key = KeyOf(req, res);
  if (!key) return;
  const std::string& group = key->node_group;
  const std::string& task = key->task_id;
  std::optional<json> body = Body(req, res);
  if (!body) return;
  StatusOr<Job> job = JobFromJsonValue(*body, "job");
  if (!job.ok()) {
    ReplyStatus(res, job.status());
    return;
  }
  if (job->task_id != task) {
    ReplyError(res, 400, fmt::format("taskId: '{}' is not the job's '{}' of the path",
                                     job->task_id, task),
               "taskId");
    return;
  }
  if (job->task_tracker_node_group != group) {
    ReplyError(res, 400,
               fmt::format("taskTrackerNodeGroup: '{}' is not the group '{}' of the path",
                           job->task_tracker_node_group, group),
               "taskTrackerNodeGroup");
    return;
  }
  protocol::QueryRequest get;
  get.kind = protocol::QueryKind::kGet;
  get.node_group = group;
  get.task_id = task;
  if (StatusOr<json> found = control_.Query(get); !found.ok()) {
    ReplyStatus(res, found.status());
    return;
  }
  job->replace_on_exist = true;
  StatusOr<protocol::SubmitResponse> response = Submit({*job});
  if (!response.ok()) {
    ReplyStatus(res, response.status());
    return;
  }
  if (response->results.empty() || !response->results[0].status.ok()) {
    ReplyStatus(res, response->results.empty() ? Internal("the JobTracker gave no result")
                                               : response->results[0].status);
    return;
  }
  LTS_LOG(INFO, "admin: '{}' edited {}/{}", who.user, group, task);
  Reply(res, 200, {{"ok", true}, {"jobId", response->results[0].job_id}, {"replaced", true}});
}

void AdminServer::Impl::Control(httplib::Response& res, const protocol::ControlRequest& request,
                                const Principal& who) {
  StatusOr<protocol::ControlResponse> answer = control_.Control(request);
  const std::string target = request.op == protocol::ControlOp::kRetryDead
                                 ? request.job_id
                                 : request.key.node_group + "/" + request.key.task_id;
  if (!answer.ok()) {
    LTS_LOG(INFO, "admin: '{}' could not {} {}: {}", who.user, protocol::ControlOpName(request.op),
            target, answer.status().message());
    ReplyStatus(res, answer.status());
    return;
  }
  LTS_LOG(INFO, "admin: '{}' {} {}: {}", who.user, protocol::ControlOpName(request.op), target,
          answer->message);
  Reply(res, 200, {{"message", answer->message}, {"affected", answer->affected}});
}

std::vector<client::ControlClient::EachAnswer> AdminServer::Impl::StatsEach() {
  // Built from JSON so that this file does not depend on the kind's enum value.
  StatusOr<protocol::QueryRequest> query = protocol::QueryRequest::FromJson({{"kind", "stats"}});
  if (!query.ok()) return {};
  return control_.QueryEach(*query);
}

StatusOr<json> AdminServer::Impl::NodeList(bool live) {
  json nodes = json::array();
  // Live figures by identity, merged over the JobTrackers.
  std::map<std::string, json> tasktracker_stats;
  std::map<std::string, json> jobtracker_stats;
  std::vector<json> jobtracker_selves;
  std::vector<client::ControlClient::EachAnswer> answers;
  if (live || registry_ == nullptr) answers = StatsEach();
  for (auto& each : answers) {
    if (!each.answer.ok()) continue;
    const json& a = *each.answer;
    if (a.contains("jobTracker") && a["jobTracker"].is_object()) {
      json self = a["jobTracker"];
      if (!self.contains("listen")) self["listen"] = each.address;
      jobtracker_stats[self.value("identity", each.address)] = a.value("stats", json::object());
      jobtracker_selves.push_back(std::move(self));
    }
    if (a.contains("taskTrackers") && a["taskTrackers"].is_array()) {
      for (const json& t : a["taskTrackers"]) {
        if (!t.is_object()) continue;
        const std::string id = t.value("identity", "");
        json& merged = tasktracker_stats[id];
        const bool connected = t.value("connected", false);
        if (merged.is_null() || (connected && !merged.value("connected", false))) merged = t;
        if (t.value("disabled", false)) merged["disabled"] = true;
      }
    }
  }
  auto stats_of = [&](const std::string& type, const std::string& identity) -> json {
    const auto& table = type == "JOB_TRACKER" ? jobtracker_stats : tasktracker_stats;
    auto it = table.find(identity);
    if (it == table.end()) return nullptr;
    json s = it->second;
    s.erase("identity");
    s.erase("group");
    return s;
  };
  if (registry_ != nullptr) {
    std::map<std::pair<registry::NodeType, std::string>, std::string> masters;
    for (registry::NodeType type : registry::kAllNodeTypes) {
      LTS_ASSIGN_OR_RETURN(std::vector<registry::Node> list, registry_->List(type));
      for (const registry::Node& node : list) {
        const auto key = std::make_pair(type, node.group);
        if (!masters.contains(key)) {
          auto m = registry_->Master(type, node.group);
          masters[key] = m.ok() && m->has_value() ? (*m)->identity : "";
        }
        const std::string type_name(registry::NodeTypeName(type));
        json entry{{"type", type_name},
                   {"group", node.group},
                   {"identity", node.identity},
                   {"address", node.Address()},
                   {"threads", node.threads},
                   {"available", node.available},
                   {"master", masters[key] == node.identity},
                   {"createTime", node.create_time_ms}};
        if (json s = stats_of(type_name, node.identity); !s.is_null()) entry["stats"] = s;
        nodes.push_back(std::move(entry));
      }
    }
  } else {
    // No registry: the JobTrackers the Admin reaches and the TaskTrackers they know.
    for (const json& self : jobtracker_selves) {
      const std::string id = self.value("identity", "");
      json entry{{"type", "JOB_TRACKER"},
                 {"group", "jobtracker"},
                 {"identity", id},
                 {"address", self.value("listen", "")},
                 {"threads", 0},
                 {"available", true},
                 {"master", self.value("master", false)},
                 {"createTime", 0}};
      if (json s = stats_of("JOB_TRACKER", id); !s.is_null()) entry["stats"] = s;
      nodes.push_back(std::move(entry));
    }
    for (const auto& [id, t] : tasktracker_stats) {
      json entry{{"type", "TASK_TRACKER"},
                 {"group", t.value("group", "")},
                 {"identity", id},
                 {"address", ""},
                 {"threads", 0},
                 {"available", !t.value("disabled", false)},
                 {"master", false},
                 {"createTime", 0}};
      entry["stats"] = stats_of("TASK_TRACKER", id);
      nodes.push_back(std::move(entry));
    }
  }
  return nodes;
}

void AdminServer::Impl::Nodes(const httplib::Request& req, httplib::Response& res) {
  StatusOr<json> nodes = NodeList(/*live=*/true);
  if (!nodes.ok()) {
    ReplyStatus(res, nodes.status());
    return;
  }
  const std::string type = req.get_param_value("type");
  const std::string group = req.get_param_value("group");
  json filtered = json::array();
  for (json& node : *nodes) {
    if (!type.empty() && node["type"] != type) continue;
    if (!group.empty() && node["group"] != group) continue;
    filtered.push_back(std::move(node));
  }
  Reply(res, 200,
        {{"registry", options_.links.registry},
         {"cluster", options_.links.cluster},
         {"nodes", std::move(filtered)}});
}

void AdminServer::Impl::NodeSwitch(const httplib::Request& req, httplib::Response& res,
                                   const Principal& who) {
  auto identity = Segment(req, 1, res, "identity");
  if (!identity) return;
  const std::string op = req.matches[2].str() + "-node";
  StatusOr<protocol::ControlRequest> request =
      protocol::ControlRequest::FromJson({{"op", op}, {"identity", *identity}});
  if (!request.ok()) {
    ReplyStatus(res, NotSupported(fmt::format("the JobTracker protocol of this build cannot {}: {}",
                                              op, request.status().message())));
    return;
  }
  std::vector<client::ControlClient::EachAnswer> answers = control_.ControlEach(*request);
  if (answers.empty()) {
    ReplyStatus(res, Unavailable("no JobTracker reachable at " + control_.target()));
    return;
  }
  int64_t affected = 0;
  int known = 0;
  Status last = NotFound(fmt::format("no JobTracker knows a TaskTracker '{}'", *identity));
  for (const auto& each : answers) {
    if (each.answer.ok()) {
      ++known;
      affected += each.answer->value("affected", int64_t{0});
    } else if (each.answer.status().code() != StatusCode::kNotFound) {
      last = each.answer.status();
    }
  }
  if (known == 0) {
    ReplyStatus(res, last);
    return;
  }
  LTS_LOG(INFO, "admin: '{}' {}d TaskTracker {} on {} JobTracker(s)", who.user,
          req.matches[2].str(), *identity, known);
  Reply(res, 200,
        {{"message", fmt::format("{}d TaskTracker {} on {} JobTracker(s)", req.matches[2].str(),
                                 *identity, known)},
         {"affected", affected}});
}

void AdminServer::Impl::Groups(httplib::Response& res) {
  StatusOr<json> nodes = NodeList(/*live=*/false);
  if (!nodes.ok()) {
    ReplyStatus(res, nodes.status());
    return;
  }
  std::map<std::pair<std::string, std::string>, int> counts;
  for (const json& node : *nodes) {
    const std::string type = node.value("type", "");
    if (type == "TASK_TRACKER" || type == "JOB_CLIENT") ++counts[{type, node.value("group", "")}];
  }
  json groups = json::array();
  for (const auto& [key, n] : counts) {
    groups.push_back({{"type", key.first}, {"group", key.second}, {"nodes", n}});
  }
  Reply(res, 200, {{"groups", groups}});
}

void AdminServer::Impl::Stats(const httplib::Request& req, httplib::Response& res) {
  auto minutes = IntParam(req, res, "minutes", 60, 1, 360);
  if (!minutes) return;
  const int64_t since = clock_->NowMicros() / 1000 - *minutes * 60000;
  json samples = json::array();
  {
    MutexLock lock(&mu_);
    for (const Sample& s : samples_) {
      if (s.time_ms < since) continue;
      json j{{"time", s.time_ms}};
      for (const auto& [k, v] : s.rates) j[k] = v;
      for (const auto& [k, v] : s.depths) j[k] = v;
      samples.push_back(std::move(j));
    }
  }
  Reply(res, 200, {{"intervalMs", options_.sample_interval_ms}, {"samples", samples}});
}

void AdminServer::Impl::TakeSample() {
  Sample sample;
  sample.time_ms = clock_->NowMicros() / 1000;
  const int64_t mono = clock_->MonotonicMicros() / 1000;
  protocol::QueryRequest counts;
  counts.kind = protocol::QueryKind::kCounts;
  if (StatusOr<json> c = control_.Query(counts); c.ok() && (*c)["counts"].is_object()) {
    for (const char* name : kDepthNames) sample.depths[name] = (*c)["counts"].value(name, 0);
  }
  for (const char* name : kRateCounters) sample.rates[name] = 0.0;
  const double minutes = last_sample_ms_ > 0 ? (mono - last_sample_ms_) / 60000.0 : 0.0;
  std::map<std::string, json> current;
  for (auto& each : StatsEach()) {
    if (!each.answer.ok() || !(*each.answer)["stats"].is_object()) continue;
    const json& now = (*each.answer)["stats"];
    current[each.address] = now;
    auto prev = last_counters_.find(each.address);
    if (prev == last_counters_.end() || minutes <= 0) continue;
    for (const char* name : kRateCounters) {
      int64_t delta = now.value(name, int64_t{0}) - prev->second.value(name, int64_t{0});
      // A restarted JobTracker counts from zero again.
      if (delta < 0) delta = now.value(name, int64_t{0});
      sample.rates[name] += static_cast<double>(delta) / minutes;
    }
  }
  last_counters_ = std::move(current);
  last_sample_ms_ = mono;
  MutexLock lock(&mu_);
  samples_.push_back(std::move(sample));
  while (samples_.size() > options_.max_samples) samples_.pop_front();
}

void AdminServer::Impl::SamplerLoop() {
  while (true) {
    TakeSample();
    MutexLock lock(&mu_);
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(std::max<int64_t>(100, options_.sample_interval_ms));
    while (!stopping_ && stop_cv_.WaitUntil(&mu_, deadline)) {
    }
    if (stopping_) return;
  }
}

AdminServer::AdminServer(AdminServerOptions options, AuthConfig auth)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(auth))) {}

AdminServer::~AdminServer() { Stop(); }

Status AdminServer::Start() { return impl_->Start(); }

void AdminServer::Stop() { impl_->Stop(); }

std::string AdminServer::http_address() const { return impl_->http_address(); }

}  // namespace lts::admin
