// PostgreSQL backend of the store's SQL seam, over libpq: a pool of connections, each
// with its own cache of prepared statements (PQprepare once per connection), binary
// parameters and results, and pipeline mode for batches (one round trip for N
// statements).
//
// A broken connection (server stopped or restarted, network cut) turns the running call
// into kUnavailable; the next Acquire() reconnects, or returns kUnavailable while the
// server is still away. A COMMIT that fails this way is ambiguous, as with any client:
// the caller retries and the store's operations are written to be safe to repeat.
//
// Thread safety: thread-safe; each connection is used by one thread at a time.

#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "store/sql.h"

namespace lts::store::internal {

struct PgOptions {
  std::string url;            // libpq URI or conninfo ("postgresql://user@host:port/db").
  std::string schema;         // When set: created if missing and put first on search_path.
  int pool_size = 4;          // Connections opened on demand, at most this many.
  int connect_timeout_s = 5;  // connect_timeout for each (re)connect.
};

// Connects once to check the server; kUnavailable naming the server when it cannot.
StatusOr<std::unique_ptr<Database>> OpenPgDatabase(const PgOptions& options);

}  // namespace lts::store::internal
