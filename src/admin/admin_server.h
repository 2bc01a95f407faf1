// AdminServer: the Admin's HTTP server (cpp-httplib): the JSON API of docs/http_api.md and
// the web console's static files. It is a client of the cluster: nodes come from the
// registry (or the JobTrackers' own view when there is none), queries and operations go to
// a JobTracker over the job protocol (ControlClient, JobClient), and a sampler thread keeps
// the figures behind the console's charts.
//
//   AdminServerOptions o;
//   o.http = "127.0.0.1:8080";
//   o.links.jobtrackers = {"127.0.0.1:35001"};
//   AdminServer server(o, auth_config);
//   LTS_RETURN_IF_ERROR(server.Start());
//   ...
//   server.Stop();
//
// Threads: cpp-httplib's listener and its worker pool (blocking handlers: every job
// protocol call is one round trip), and the sampler. Nothing runs on an event loop.

#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "admin/auth.h"
#include "base/clock.h"
#include "client/links.h"
#include "lts/status.h"

namespace lts::admin {

struct AdminServerOptions {
  // host:port to listen on; port 0 picks a free one (see http_address()).
  std::string http = "127.0.0.1:8080";
  // Where the JobTrackers are: a registry, or a fixed list (links.jobtrackers).
  client::LinkSettings links;
  // Directory holding public/ (the console) and node_modules/ (its npm packages). Empty:
  // the API only; the console's paths answer 404.
  std::string web_dir;
  int http_threads = 8;
  // Charts: how often the sampler reads the JobTrackers' counters and the queue depths,
  // and how many samples it keeps (360 minutes of 10 s samples by default).
  int64_t sample_interval_ms = 10000;
  size_t max_samples = 2160;
  // Deadline of each call to a JobTracker.
  int64_t call_timeout_ms = 10000;
  const Clock* clock = nullptr;  // nullptr: the system clock.
};

// Largest request body (413 beyond).
inline constexpr size_t kMaxRequestBody = 1 << 20;

class AdminServer {
 public:
  AdminServer(AdminServerOptions options, AuthConfig auth);
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;
  ~AdminServer();

  // Checks the options (an open Admin must listen on a loopback address), connects to
  // the cluster (waits up to 2 s for a JobTracker, then goes on: the API answers 503 until
  // one is reachable), binds and starts serving. Errors: kInvalidArgument naming the option;
  // kUnavailable when the address cannot be bound or the registry cannot be reached.
  Status Start();
  // Stops serving and joins every thread. Idempotent.
  void Stop();

  // "host:port" actually bound.
  std::string http_address() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(std::string_view host);

}  // namespace lts::admin
