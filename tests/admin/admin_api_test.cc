// Black-box tests of the Admin HTTP API (docs/http_api.md) over real HTTP: an in-process
// cluster (embedded registry, a JobTracker on SQLite, a TaskTracker with a C++ runner) and
// an AdminServer on 127.0.0.1, driven with cpp-httplib's client.

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "admin/admin_server.h"
#include "admin/auth.h"
#include "base/fake_clock.h"
#include "gtest/gtest.h"
#include "jobtracker/job_tracker.h"
#include "lts/job_context.h"
#include "lts/job_runner.h"
#include "lts/task_tracker.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace lts::admin {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Succeeds at once, logging a line; jobs whose taskId starts with "sleep" run until
// interrupted.
class TestRunner : public JobRunner {
 public:
  JobRunResult Run(JobContext& ctx) override {
    ctx.biz_logger().Info("hello from " + ctx.job().task_id);
    if (ctx.job().task_id.rfind("sleep", 0) == 0) {
      while (!ctx.interrupted()) std::this_thread::sleep_for(5ms);
      return {JobAction::kExecuteFailed, "interrupted"};
    }
    return {JobAction::kExecuteSuccess, "done"};
  }
};

// Passwords are hashed once for the whole suite (argon2id is slow on purpose).
struct Hashes {
  std::string admin, op, viewer;
};
const Hashes& TestHashes() {
  static const Hashes h = [] {
    Hashes out;
    out.admin = *HashPassword("admin-pw");
    out.op = *HashPassword("operator-pw");
    out.viewer = *HashPassword("viewer-pw");
    return out;
  }();
  return h;
}

std::atomic<int> registry_seq{0};

// One HTTP client with a cookie jar and the session's CSRF token.
struct Session {
  httplib::Client* http;
  std::string cookie;
  std::string csrf;

  httplib::Headers Headers(bool with_csrf = true) const {
    httplib::Headers h;
    if (!cookie.empty()) h.emplace("Cookie", cookie);
    if (with_csrf && !csrf.empty()) h.emplace("X-CSRF-Token", csrf);
    return h;
  }
  httplib::Result Get(const std::string& path) const { return http->Get(path, Headers(false)); }
  httplib::Result Post(const std::string& path, const json& body = json::object()) const {
    return http->Post(path, Headers(), body.dump(), "application/json");
  }
};

json Body(const httplib::Result& r) {
  if (!r) return json();
  json j = json::parse(r->body, nullptr, false);
  return j.is_discarded() ? json() : j;
}

class AdminApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string registry = "embedded://admin-test-" + std::to_string(++registry_seq);
    jobtracker::JobTrackerOptions jo;
    jo.listen = "127.0.0.1:0";
    jo.registry = registry;
    jo.identity = "jt-1";
    jo.store_url = "sqlite::memory:";
    jo.job_log_flush_ms = 0;
    tracker_ = std::make_unique<jobtracker::JobTracker>(jo);
    ASSERT_OK(tracker_->Start());

    TaskTracker::Options to;
    to.registry = registry;
    to.node_group = "test";
    to.identity = "tt-1";
    to.work_threads = 4;
    to.data_dir = dir_.Join("tt");
    to.stop_grace_ms = 100;
    tasktracker_ = std::make_unique<TaskTracker>(
        to, [](const Job&) -> std::unique_ptr<JobRunner> { return std::make_unique<TestRunner>(); });
    ASSERT_OK(tasktracker_->Start());

    AuthConfig auth;
    auth.users = {{"alice", TestHashes().admin, Role::kAdmin},
                  {"olga", TestHashes().op, Role::kOperator},
                  {"victor", TestHashes().viewer, Role::kViewer}};
    token_ = MakeToken();
    auth.tokens = {{"bot", token_.hash, Role::kOperator}};
    StartAdmin(registry, auth, "127.0.0.1:0");
  }

  void StartAdmin(const std::string& registry, AuthConfig auth, const std::string& http) {
    AdminServerOptions ao;
    ao.http = http;
    ao.links.registry = registry;
    ao.sample_interval_ms = 100;
    ao.clock = &clock_;
    admin_ = std::make_unique<AdminServer>(ao, std::move(auth));
    ASSERT_OK(admin_->Start());
    const std::string address = admin_->http_address();
    const size_t colon = address.rfind(':');
    client_ = std::make_unique<httplib::Client>(address.substr(0, colon),
                                                std::stoi(address.substr(colon + 1)));
    client_->set_read_timeout(15, 0);
    host_header_ = address;
  }

  void TearDown() override {
    if (admin_) admin_->Stop();
    if (tasktracker_) tasktracker_->Stop();
    if (tracker_) tracker_->Stop();
  }

  Session Login(const std::string& user, const std::string& password) {
    Session s{client_.get(), "", ""};
    auto r = client_->Post("/api/login", json{{"username", user}, {"password", password}}.dump(),
                           "application/json");
    EXPECT_TRUE(r);
    if (!r) return s;
    EXPECT_EQ(r->status, 200) << r->body;
    const std::string set_cookie = r->get_header_value("Set-Cookie");
    EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos) << set_cookie;
    EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos) << set_cookie;
    s.cookie = set_cookie.substr(0, set_cookie.find(';'));
    s.csrf = Body(r).value("csrfToken", "");
    return s;
  }

  // Polls `path` until `pred(body)` holds (up to 20 s).
  template <typename Pred>
  json WaitFor(const Session& s, const std::string& path, Pred pred) {
    json last;
    for (int i = 0; i < 400; ++i) {
      auto r = s.Get(path);
      if (r && r->status == 200) {
        last = Body(r);
        if (pred(last)) return last;
      }
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "timed out waiting on " << path << "; last: " << last.dump();
    return last;
  }

  static json CronJob(const std::string& task_id) {
    return {{"taskId", task_id},
            {"taskTrackerNodeGroup", "test"},
            {"cronExpression", "0 0 3 * * ?"},
            {"extParams", {{"k", "v"}}}};
  }

  testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<jobtracker::JobTracker> tracker_;
  std::unique_ptr<TaskTracker> tasktracker_;
  std::unique_ptr<AdminServer> admin_;
  std::unique_ptr<httplib::Client> client_;
  std::string host_header_;
  NewToken token_;
};

TEST_F(AdminApiTest, EveryApiPathNeedsALogin) {
  for (const char* path : {"/api/jobs?queue=cron", "/api/nodes", "/api/counts", "/api/stats",
                           "/api/jobs/test/x", "/api/session"}) {
    auto r = client_->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 401) << path;
    EXPECT_TRUE(Body(r).contains("error")) << path << ": " << r->body;
  }
  auto r = client_->Post("/api/jobs", CronJob("a").dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

TEST_F(AdminApiTest, LoginSetsASessionAndWrongPasswordsAreRefusedAlike) {
  auto wrong = client_->Post("/api/login", R"({"username":"alice","password":"nope"})",
                             "application/json");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto nobody = client_->Post("/api/login", R"({"username":"mallory","password":"nope"})",
                              "application/json");
  ASSERT_TRUE(nobody);
  EXPECT_EQ(nobody->status, 401);
  EXPECT_EQ(Body(wrong)["error"], Body(nobody)["error"]);

  Session s = Login("alice", "admin-pw");
  ASSERT_FALSE(s.csrf.empty());
  auto me = s.Get("/api/session");
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 200);
  EXPECT_EQ(Body(me)["user"], "alice");
  EXPECT_EQ(Body(me)["role"], "admin");
  EXPECT_EQ(Body(me)["authRequired"], true);
  EXPECT_EQ(Body(me)["csrfToken"], s.csrf);

  ASSERT_EQ(s.Post("/api/logout")->status, 200);
  EXPECT_EQ(s.Get("/api/session")->status, 401);
}

TEST_F(AdminApiTest, FailedLoginsAreRateLimitedThenForgiven) {
  for (int i = 0; i < Authenticator::kMaxFailures; ++i) {
    auto r = client_->Post("/api/login", R"({"username":"olga","password":"bad"})",
                           "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
  }
  // Even the right password is refused while blocked.
  auto blocked = client_->Post("/api/login", R"({"username":"olga","password":"operator-pw"})",
                               "application/json");
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->status, 429) << blocked->body;
  EXPECT_EQ(blocked->get_header_value("Retry-After"), "30");
  clock_.Advance(31s);
  Session s = Login("olga", "operator-pw");
  EXPECT_FALSE(s.csrf.empty());
}

TEST_F(AdminApiTest, StateChangesNeedTheCsrfTokenAndTheSameOrigin) {
  Session s = Login("alice", "admin-pw");
  const std::string body = CronJob("csrf").dump();
  httplib::Headers no_token{{"Cookie", s.cookie}};
  auto r = client_->Post("/api/jobs", no_token, body, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Body(r)["field"], "X-CSRF-Token");

  httplib::Headers wrong{{"Cookie", s.cookie}, {"X-CSRF-Token", std::string(64, 'a')}};
  r = client_->Post("/api/jobs", wrong, body, "application/json");
  EXPECT_EQ(r->status, 403);

  httplib::Headers foreign{
      {"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}, {"Origin", "http://evil.example"}};
  r = client_->Post("/api/jobs", foreign, body, "application/json");
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Body(r)["field"], "Origin");

  httplib::Headers same{
      {"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}, {"Origin", "http://" + host_header_}};
  r = client_->Post("/api/jobs", same, body, "application/json");
  EXPECT_EQ(r->status, 200) << r->body;
  // Nothing was stored by the refused attempts: the one accepted job is the only one.
  json list = Body(s.Get("/api/jobs?queue=cron&taskId=csrf"));
  EXPECT_EQ(list["jobs"].size(), 1u) << list.dump();
}

TEST_F(AdminApiTest, ViewerReadsButChangesNothing) {
  Session op = Login("olga", "operator-pw");
  ASSERT_EQ(op.Post("/api/jobs", CronJob("v1"))->status, 200);
  Session viewer = Login("victor", "viewer-pw");
  auto list = viewer.Get("/api/jobs?queue=cron");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 200);
  for (const char* path : {"/api/jobs/test/v1/pause", "/api/jobs/test/v1/trigger",
                           "/api/jobs/test/v1/cancel", "/api/dead/x/retry"}) {
    auto r = viewer.Post(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << path;
    EXPECT_NE(Body(r).value("error", "").find("role viewer may not"), std::string::npos)
        << r->body;
  }
  EXPECT_EQ(viewer.Post("/api/jobs", CronJob("v2"))->status, 403);
  auto del = client_->Delete("/api/jobs/test/v1", viewer.Headers());
  EXPECT_EQ(del->status, 403);
  // An operator may not disable nodes; an admin may.
  EXPECT_EQ(op.Post("/api/nodes/tt-1/disable")->status, 403);
  // Still there, still a cron job.
  EXPECT_EQ(Body(viewer.Get("/api/jobs/test/v1"))["job"]["queue"], "cron");
}

TEST_F(AdminApiTest, BearerTokensNeedNoCsrfAndUnknownOnesAreRefused) {
  httplib::Headers bearer{{"Authorization", "Bearer " + token_.token}};
  auto r = client_->Post("/api/jobs", bearer, CronJob("bot").dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  httplib::Headers unknown{{"Authorization", "Bearer lts_not-a-token"}};
  r = client_->Get("/api/counts", unknown);
  EXPECT_EQ(r->status, 401);
  httplib::Headers basic{{"Authorization", "Basic YTpi"}};
  r = client_->Get("/api/counts", basic);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(Body(r)["field"], "Authorization");
  // The operator token may not disable nodes.
  r = client_->Post("/api/nodes/tt-1/disable", bearer, "", "application/json");
  EXPECT_EQ(r->status, 403);
}

TEST_F(AdminApiTest, MalformedAndOversizedRequestsGetClearErrors) {
  Session s = Login("alice", "admin-pw");
  httplib::Headers h = s.Headers();
  auto r = client_->Post("/api/jobs", h, "{\"taskId\": ", "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(Body(r).value("error", "").find("malformed JSON"), std::string::npos);
  r = client_->Post("/api/jobs", h, CronJob("x").dump(), "text/plain");
  EXPECT_EQ(r->status, 415);
  r = client_->Post("/api/jobs", h, std::string(100, '[') + std::string(100, ']'),
                    "application/json");
  EXPECT_EQ(r->status, 400);
  r = client_->Post("/api/jobs", h, std::string(2 << 20, ' '), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(Body(r).contains("error")) << r->body.substr(0, 200);
  // An invalid job names its field.
  json bad = CronJob("bad");
  bad["cronExpression"] = "not a cron";
  r = s.Post("/api/jobs", bad);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_EQ(Body(r)["field"], "cronExpression") << r->body;
  bad = CronJob("bad");
  bad.erase("taskId");
  r = s.Post("/api/jobs", bad);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r)["field"], "taskId") << r->body;
  // Query parameters.
  EXPECT_EQ(s.Get("/api/jobs")->status, 400);
  r = s.Get("/api/jobs?queue=nope");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r)["field"], "queue") << r->body;
  r = s.Get("/api/jobs?queue=cron&limit=0");
  EXPECT_EQ(Body(r)["field"], "limit");
  r = s.Get("/api/jobs?queue=cron&limit=abc");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(s.Get("/api/jobs/test/" + std::string(200, 'x'))->status, 400);
  // Unknown paths and jobs.
  r = s.Get("/api/nope");
  EXPECT_EQ(r->status, 404);
  EXPECT_TRUE(Body(r).contains("error"));
  EXPECT_EQ(s.Get("/api/jobs/test/no-such-job")->status, 404);
  EXPECT_EQ(s.Post("/api/jobs/test/no-such-job/pause")->status, 404);
  EXPECT_EQ(s.Post("/api/dead/no-such-id/retry")->status, 404);
  // Hostile strings come back unchanged or as a clear error, and nothing crashes.
  json odd = CronJob("quote'\"<script>");
  odd["extParams"] = {{"p", std::string("a\0b", 3) + "\xe2\x82\xac"}};
  r = s.Post("/api/jobs", odd);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  json got = Body(s.Get("/api/jobs?queue=cron&taskId=quote"));
  ASSERT_EQ(got["jobs"].size(), 1u);
  EXPECT_EQ(got["jobs"][0]["job"]["extParams"]["p"], std::string("a\0b", 3) + "\xe2\x82\xac");
  // Security headers on every answer.
  EXPECT_EQ(r->get_header_value("Content-Security-Policy"), "default-src 'self'");
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
}

// Sends raw bytes to the server and returns the start of its answer (at least the status
// line, unless it closed the connection or said nothing for 5 s).
std::string RawExchange(const std::string& address, const std::string& bytes) {
  const size_t colon = address.rfind(':');
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &sa.sin_addr);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    // The status line is all the tests look at (the connection may stay open).
    char buffer[4096];
    ssize_t n;
    while (answer.find("\r\n") == std::string::npos &&
           (n = recv(fd, buffer, sizeof(buffer), 0)) > 0) {
      answer.append(buffer, static_cast<size_t>(n));
    }
    if (answer.empty()) answer = "(nothing: errno " + std::to_string(errno) + ")";
  }
  close(fd);
  return answer;
}

TEST_F(AdminApiTest, MalformedHttpIsAnsweredAndTheServerLivesOn) {
  const std::string address = admin_->http_address();
  EXPECT_NE(RawExchange(address, "GARBAGE\r\n\r\n").find(" 400 "), std::string::npos);
  EXPECT_NE(RawExchange(address, "GET /api/counts HTTP/1.1\r\nHost: x\r\nX: " +
                                     std::string(100000, 'a') + "\r\n\r\n")
                .find("HTTP/1.1 4"),
            std::string::npos);
  EXPECT_NE(RawExchange(address,
                        "POST /api/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                        "chunked\r\n\r\nzz\r\n")
                .find("HTTP/1.1 400"),
            std::string::npos);
  RawExchange(address, std::string("\0\xff\xfe GET / HTTP/1.1\r\n\r\n", 22));
  // Still serving.
  auto r = client_->Get("/api/session");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

TEST_F(AdminApiTest, CronJobPauseResumeTriggerAndLogs) {
  Session s = Login("olga", "operator-pw");
  auto r = s.Post("/api/jobs", CronJob("nightly"));
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r)["results"][0]["ok"], true);
  // The same key again is a conflict.
  r = s.Post("/api/jobs", CronJob("nightly"));
  EXPECT_EQ(r->status, 409) << r->body;

  json list = Body(s.Get("/api/jobs?queue=cron&group=test&taskId=night"));
  ASSERT_EQ(list["jobs"].size(), 1u) << list.dump();
  EXPECT_EQ(list["more"], false);

  r = s.Post("/api/jobs/test/nightly/pause");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(s.Get("/api/jobs/test/nightly"))["job"]["queue"], "suspended");
  EXPECT_EQ(Body(s.Get("/api/jobs?queue=suspended"))["jobs"].size(), 1u);
  r = s.Post("/api/jobs/test/nightly/resume");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(s.Get("/api/jobs/test/nightly"))["job"]["queue"], "cron");

  r = s.Post("/api/jobs/test/nightly/trigger");
  ASSERT_EQ(r->status, 200) << r->body;
  // The triggered run shows in the execution log and its line in the BizLog.
  WaitFor(s, "/api/jobs/test/nightly/logs", [](const json& j) {
    for (const json& l : j["logs"]) {
      if (l["type"] == "FINISHED" && l["success"] == true) return true;
    }
    return false;
  });
  WaitFor(s, "/api/jobs/test/nightly/bizlog", [](const json& j) {
    for (const json& l : j["logs"]) {
      if (l["message"] == "hello from nightly") return true;
    }
    return false;
  });

  // Edit: the path names the job; a body for another job is refused.
  json edited = CronJob("nightly");
  edited["priority"] = 5;
  r = client_->Put("/api/jobs/test/nightly", s.Headers(), edited.dump(), "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(s.Get("/api/jobs/test/nightly"))["job"]["job"]["priority"], 5);
  r = client_->Put("/api/jobs/test/nightly", s.Headers(), CronJob("other").dump(),
                   "application/json");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r)["field"], "taskId");
  r = client_->Put("/api/jobs/test/ghost", s.Headers(), CronJob("ghost").dump(),
                   "application/json");
  EXPECT_EQ(r->status, 404);

  r = client_->Delete("/api/jobs/test/nightly", s.Headers());
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(s.Get("/api/jobs/test/nightly")->status, 404);
}

TEST_F(AdminApiTest, TerminateStopsARunningJob) {
  Session s = Login("olga", "operator-pw");
  json job{{"taskId", "sleeper"}, {"taskTrackerNodeGroup", "test"}};
  job["taskId"] = "sleep-1";
  ASSERT_EQ(s.Post("/api/jobs", job)->status, 200);
  WaitFor(s, "/api/jobs?queue=executing", [](const json& j) { return j["jobs"].size() == 1; });
  auto r = s.Post("/api/jobs/test/sleep-1/terminate");
  ASSERT_EQ(r->status, 200) << r->body;
  WaitFor(s, "/api/jobs?queue=executing", [](const json& j) { return j["jobs"].empty(); });
  json logs = WaitFor(s, "/api/jobs/test/sleep-1/logs", [](const json& j) {
    for (const json& l : j["logs"]) {
      if (l["type"] == "FINISHED") return true;
    }
    return false;
  });
  bool terminated = false;
  for (const json& l : logs["logs"]) {
    if (l.value("message", "").find("terminat") != std::string::npos) terminated = true;
  }
  EXPECT_TRUE(terminated) << logs.dump();
}

TEST_F(AdminApiTest, NodesListTheClusterWithLiveFigures) {
  Session s = Login("alice", "admin-pw");
  json nodes = WaitFor(s, "/api/nodes", [](const json& j) {
    bool jt = false, tt = false;
    for (const json& n : j["nodes"]) {
      if (n["type"] == "JOB_TRACKER" && n["identity"] == "jt-1" && n["master"] == true) jt = true;
      if (n["type"] == "TASK_TRACKER" && n["identity"] == "tt-1" && n.contains("stats")) {
        tt = n["stats"].value("connected", false);
      }
    }
    return jt && tt;
  });
  json groups = Body(s.Get("/api/groups"));
  bool found = false;
  for (const json& g : groups["groups"]) {
    if (g["type"] == "TASK_TRACKER" && g["group"] == "test" && g["nodes"] == 1) found = true;
  }
  EXPECT_TRUE(found) << groups.dump();
  EXPECT_EQ(Body(s.Get("/api/nodes?type=TASK_TRACKER"))["nodes"].size(), 1u);

  // Disable: the TaskTracker gets nothing new until enabled.
  auto r = s.Post("/api/nodes/tt-1/disable");
  ASSERT_EQ(r->status, 200) << r->body;
  WaitFor(s, "/api/nodes?type=TASK_TRACKER",
          [](const json& j) { return j["nodes"][0]["stats"].value("disabled", false); });
  ASSERT_EQ(s.Post("/api/jobs", json{{"taskId", "held"}, {"taskTrackerNodeGroup", "test"}})->status,
            200);
  std::this_thread::sleep_for(300ms);  // Time in which an enabled tracker would have run it.
  EXPECT_EQ(Body(s.Get("/api/jobs/test/held"))["job"]["queue"], "executable");
  ASSERT_EQ(s.Post("/api/nodes/tt-1/enable")->status, 200);
  WaitFor(s, "/api/jobs/test/held/logs", [](const json& j) {
    for (const json& l : j["logs"]) {
      if (l["type"] == "FINISHED") return true;
    }
    return false;
  });
  EXPECT_EQ(s.Post("/api/nodes/no-such-node/disable")->status, 404);
}

TEST_F(AdminApiTest, StatsSampleQueueDepthsAndRates) {
  Session s = Login("alice", "admin-pw");
  ASSERT_EQ(s.Post("/api/jobs", CronJob("depth"))->status, 200);
  json stats = WaitFor(s, "/api/stats", [](const json& j) {
    return !j["samples"].empty() && j["samples"].back().value("cron", 0) == 1;
  });
  EXPECT_EQ(stats["intervalMs"], 100);
  const json& last = stats["samples"].back();
  for (const char* key : {"succeeded", "failed", "later", "exception", "executable", "dead"}) {
    EXPECT_TRUE(last.contains(key)) << key << " in " << last.dump();
  }
  EXPECT_EQ(s.Get("/api/stats?minutes=9999")->status, 400);
}

TEST(AdminOpenModeTest, ListensOnLoopbackOnlyAndStillNeedsCsrf) {
  {
    AdminServerOptions ao;
    ao.http = "0.0.0.0:0";
    ao.links.jobtrackers = {"127.0.0.1:1"};
    AdminServer server(ao, AuthConfig{});
    Status s = server.Start();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("loopback"), std::string::npos) << s.message();
  }
  AdminServerOptions ao;
  ao.http = "127.0.0.1:0";
  ao.links.jobtrackers = {"127.0.0.1:1"};  // Nothing there: the API answers 503.
  AdminServer server(ao, AuthConfig{});
  ASSERT_OK(server.Start());
  const std::string address = server.http_address();
  httplib::Client http(address.substr(0, address.rfind(':')),
                       std::stoi(address.substr(address.rfind(':') + 1)));
  auto r = http.Get("/api/session");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["authRequired"], false);
  EXPECT_EQ(Body(r)["role"], "admin");
  r = http.Get("/api/counts");
  EXPECT_EQ(r->status, 503) << r->body;
  r = http.Post("/api/jobs/a/b/pause", "", "application/json");
  EXPECT_EQ(r->status, 403);
  server.Stop();
}

TEST(AuthConfigTest, ParsesUsersAndTokensAndNamesTheFaultyEntry) {
  const std::string hash = TestHashes().viewer;
  auto ok = ParseAuthConfig("admin:\n  users:\n    - {name: a, password: \"" + hash +
                                "\", role: viewer}\n  tokens:\n    - {name: t, hash: \"" +
                                TokenHash("x") + "\", role: admin}\n  session_ttl_minutes: 5\n",
                            "lts.yaml");
  ASSERT_OK(ok.status());
  EXPECT_EQ(ok->users.size(), 1u);
  EXPECT_EQ(ok->tokens[0].role, Role::kAdmin);
  EXPECT_EQ(ok->session_ttl_ms, 5 * 60 * 1000);
  EXPECT_TRUE(ParseAuthConfig("jobtracker: {}\n", "lts.yaml")->open());

  auto bad = ParseAuthConfig("admin:\n  users:\n    - {name: a, password: plain, role: viewer}\n",
                             "lts.yaml");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("lts.yaml: admin.users[0].password"), std::string::npos)
      << bad.status().message();
  bad = ParseAuthConfig("admin:\n  users:\n    - {name: a, password: \"" + hash +
                            "\", role: root}\n",
                        "lts.yaml");
  EXPECT_NE(bad.status().message().find("admin.users[0].role"), std::string::npos);
  bad = ParseAuthConfig("admin:\n  usres: []\n", "lts.yaml");
  EXPECT_NE(bad.status().message().find("admin.usres: unknown key"), std::string::npos);
  bad = ParseAuthConfig("admin:\n  tokens:\n    - {name: t, hash: abc, role: admin}\n", "lts.yaml");
  EXPECT_NE(bad.status().message().find("admin.tokens[0].hash"), std::string::npos);
  bad = ParseAuthConfig("admin: [\n", "lts.yaml");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(AuthTest, PasswordsAndTokensVerify) {
  const std::string hash = TestHashes().admin;
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(VerifyPassword(hash, "admin-pw"));
  EXPECT_FALSE(VerifyPassword(hash, "admin-pw "));
  EXPECT_FALSE(VerifyPassword("garbage", "admin-pw"));
  EXPECT_EQ(HashPassword("").status().code(), StatusCode::kInvalidArgument);
  NewToken a = MakeToken(), b = MakeToken();
  EXPECT_NE(a.token, b.token);
  EXPECT_EQ(TokenHash(a.token), a.hash);
  EXPECT_EQ(a.hash.size(), 8u + 64u);
}

}  // namespace
}  // namespace lts::admin
