#include "store/postgres/pg_database.h"

#include <libpq-fe.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/coding.h"
#include "base/mutex.h"
#include "fmt/format.h"

namespace lts::store::internal {
namespace {

// Type OIDs (pg_type.dat); stable across server versions.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kNameOid = 19;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kTextOid = 25;
constexpr Oid kVarcharOid = 1043;
constexpr Oid kVoidOid = 2278;

// Statements per pipeline sync: keeps both socket buffers far from full, so blocking
// sends cannot deadlock against unread results.
constexpr size_t kPipelineChunk = 128;

void IgnoreNotice(void*, const char*) {}

// Strips the password from a URL for messages.
std::string Redact(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  const size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + ":***" + url.substr(at);
}

bool IsConnectionState(std::string_view sqlstate) {
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

class PgConnection final : public Connection {
 public:
  PgConnection(const PgOptions& options, std::string name)
      : options_(options), name_(std::move(name)) {}
  ~PgConnection() override { Close(); }

  // (Re)connects; forgets every prepared statement.
  Status Connect() {
    Close();
    const std::string timeout = std::to_string(options_.connect_timeout_s);
    const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
    const char* values[] = {options_.url.c_str(), timeout.c_str(), "lts-store", nullptr};
    conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
      Status s = Unavailable(fmt::format("{}: cannot connect: {}", name_,
                                         conn_ ? PQerrorMessage(conn_) : "out of memory"));
      Close();
      return s;
    }
    PQsetNoticeProcessor(conn_, IgnoreNotice, nullptr);
    if (!options_.schema.empty()) {
      // Concurrent "IF NOT EXISTS" can still collide on the catalog; the loser retries.
      for (int attempt = 0;; ++attempt) {
        Status s = Execute(fmt::format("CREATE SCHEMA IF NOT EXISTS \"{}\"", options_.schema));
        if (s.ok() || attempt >= 3) {
          LTS_RETURN_IF_ERROR(s);
          break;
        }
      }
      LTS_RETURN_IF_ERROR(Execute(fmt::format("SET search_path TO \"{}\"", options_.schema)));
    }
    broken_ = false;
    return Status::Ok();
  }

  StatusOr<QueryResult> Query(std::string_view sql, std::span<const Value> params) override {
    if (pending_begin_) {
      // Send BEGIN in the same round trip as the transaction's first statement.
      const std::vector<Value> one(params.begin(), params.end());
      LTS_ASSIGN_OR_RETURN(std::vector<QueryResult> r, QueryBatch(sql, {&one, 1}));
      return std::move(r[0]);
    }
    LTS_ASSIGN_OR_RETURN(const std::string* stmt, Prepare(sql, params));
    Params p(params);
    PGresult* res = PQexecPrepared(conn_, stmt->c_str(), p.n(), p.values.data(), p.lengths.data(),
                                   p.formats.data(), /*resultFormat=*/1);
    QueryResult result;
    Status s = Consume(res, sql, &result);
    if (!s.ok()) return s;
    return result;
  }

  StatusOr<std::vector<QueryResult>> QueryBatch(
      std::string_view sql, std::span<const std::vector<Value>> params) override {
    std::vector<QueryResult> results(params.size());
    if (params.empty()) return results;
    LTS_ASSIGN_OR_RETURN(const std::string* stmt, Prepare(sql, params[0]));
    for (size_t begin = 0; begin < params.size(); begin += kPipelineChunk) {
      const size_t end = std::min(params.size(), begin + kPipelineChunk);
      LTS_RETURN_IF_ERROR(RunPipeline(*stmt, sql, params, begin, end, &results));
    }
    return results;
  }

  Status Execute(std::string_view sql) override {
    if (conn_ == nullptr) return Unavailable(fmt::format("{}: not connected", name_));
    std::string text(sql);
    if (pending_begin_) {
      pending_begin_ = false;
      text = "BEGIN; " + text;
    }
    PGresult* res = PQexec(conn_, text.c_str());
    QueryResult ignored;
    return Consume(res, sql, &ignored);
  }

  // BEGIN is sent lazily with the first statement: one round trip less per transaction.
  Status Begin() override {
    if (conn_ == nullptr || broken_) return Unavailable(fmt::format("{}: not connected", name_));
    pending_begin_ = true;
    return Status::Ok();
  }
  Status Commit() override {
    if (pending_begin_) {  // Nothing ran.
      pending_begin_ = false;
      return Status::Ok();
    }
    return Execute("COMMIT");
  }
  void Rollback() override {
    pending_begin_ = false;
    if (conn_ != nullptr && !broken_ && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
      Execute("ROLLBACK").IgnoreError();
    }
  }
  bool healthy() const override { return conn_ != nullptr && !broken_; }

  void ForgetStatementsOn(std::string_view table) override {
    for (auto it = statements_.begin(); it != statements_.end();) {
      if (it->first.find(table) != std::string::npos) {
        if (conn_ != nullptr && !broken_) {
          PQclear(PQexec(conn_, fmt::format("DEALLOCATE {}", it->second).c_str()));
        }
        it = statements_.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  // Binary parameters: int8 in network order, text and bytea as raw bytes.
  struct Params {
    explicit Params(std::span<const Value> params) {
      ints.resize(params.size());
      for (size_t i = 0; i < params.size(); ++i) {
        const Value& v = params[i];
        switch (v.kind) {
          case Value::Kind::kNull:
            values.push_back(nullptr);
            lengths.push_back(0);
            break;
          case Value::Kind::kInt:
            EncodeFixed64(ints[i].data(), __builtin_bswap64(static_cast<uint64_t>(v.i)));
            values.push_back(ints[i].data());
            lengths.push_back(8);
            break;
          default:
            values.push_back(v.bytes.data());
            lengths.push_back(static_cast<int>(v.bytes.size()));
            break;
        }
        formats.push_back(1);
      }
    }
    int n() const { return static_cast<int>(values.size()); }
    std::vector<std::array<char, 8>> ints;
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
  };

  void Close() {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = nullptr;
    statements_.clear();
  }

  StatusOr<const std::string*> Prepare(std::string_view sql, std::span<const Value> params) {
    if (conn_ == nullptr || broken_) return Unavailable(fmt::format("{}: not connected", name_));
    auto it = statements_.find(std::string(sql));
    if (it != statements_.end()) return &it->second;
    std::vector<Oid> types;
    for (const Value& v : params) {
      switch (v.kind) {
        case Value::Kind::kNull:
          types.push_back(0);
          break;
        case Value::Kind::kInt:
          types.push_back(kInt8Oid);
          break;
        case Value::Kind::kText:
          types.push_back(kTextOid);
          break;
        case Value::Kind::kBlob:
          types.push_back(kByteaOid);
          break;
      }
    }
    std::string name = fmt::format("lts{}", next_statement_++);
    PGresult* res = PQprepare(conn_, name.c_str(), std::string(sql).c_str(),
                              static_cast<int>(types.size()), types.data());
    QueryResult ignored;
    LTS_RETURN_IF_ERROR(Consume(res, sql, &ignored));
    auto [pos, inserted] = statements_.emplace(std::string(sql), std::move(name));
    return &pos->second;
  }

  Status RunPipeline(const std::string& stmt, std::string_view sql,
                     std::span<const std::vector<Value>> params, size_t begin, size_t end,
                     std::vector<QueryResult>* results) {
    if (PQenterPipelineMode(conn_) != 1) return Broken(sql, "cannot enter pipeline mode");
    Status first_error;
    // Results before index `begin` belong to a lazily sent BEGIN.
    size_t index = begin;
    if (pending_begin_) {
      pending_begin_ = false;
      if (PQsendQueryParams(conn_, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 1) != 1) {
        first_error = Broken(sql, PQerrorMessage(conn_));
      }
      --index;  // Wraps for begin == 0; only compared for equality and incremented.
    }
    for (size_t i = begin; first_error.ok() && i < end; ++i) {
      Params p(params[i]);
      if (PQsendQueryPrepared(conn_, stmt.c_str(), p.n(), p.values.data(), p.lengths.data(),
                              p.formats.data(), 1) != 1) {
        first_error = Broken(sql, PQerrorMessage(conn_));
        break;
      }
    }
    if (first_error.ok() && PQpipelineSync(conn_) != 1)
      first_error = Broken(sql, PQerrorMessage(conn_));
    if (!first_error.ok()) {
      PQexitPipelineMode(conn_);
      return first_error;
    }
    // Results come as: for each query one result then NULL; finally PIPELINE_SYNC.
    while (true) {
      PGresult* res = PQgetResult(conn_);
      if (res == nullptr) {
        if (PQstatus(conn_) != CONNECTION_OK) {
          return first_error.ok() ? Broken(sql, PQerrorMessage(conn_)) : first_error;
        }
        ++index;  // End of one query's results.
        continue;
      }
      const ExecStatusType st = PQresultStatus(res);
      if (st == PGRES_PIPELINE_SYNC) {
        PQclear(res);
        break;
      }
      if (st == PGRES_PIPELINE_ABORTED) {
        PQclear(res);
        continue;
      }
      QueryResult scratch;
      const bool mine = index >= begin && index < end;
      Status s = Consume(res, sql, mine ? &(*results)[index] : &scratch);
      if (!s.ok() && first_error.ok()) first_error = s;
      if (broken_) return first_error;
    }
    PQexitPipelineMode(conn_);
    return first_error;
  }

  Status Broken(std::string_view sql, std::string_view why) {
    broken_ = true;
    return Unavailable(fmt::format("{}: connection lost ({}) running {}", name_,
                                   std::string(why).substr(0, why.find_last_not_of('\n') + 1),
                                   sql.substr(0, 60)));
  }

  // Takes ownership of `res`.
  Status Consume(PGresult* res, std::string_view sql, QueryResult* out) {
    if (res == nullptr) return Broken(sql, PQerrorMessage(conn_));
    const ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
      Status s = Decode(res, out);
      PQclear(res);
      return s;
    }
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const std::string sqlstate = state != nullptr ? state : "";
    std::string msg = PQresultErrorMessage(res);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    PQclear(res);
    if (PQstatus(conn_) != CONNECTION_OK || sqlstate.empty() || IsConnectionState(sqlstate)) {
      return Broken(sql, msg);
    }
    const std::string text =
        fmt::format("{}: {} [{}] running {}", name_, msg, sqlstate, sql.substr(0, 80));
    if (sqlstate == "23505") return AlreadyExists(text);
    if (sqlstate == "40001" || sqlstate == "40P01") return Aborted(text);
    if (sqlstate == "42P01") return NotFound(text);
    if (sqlstate.starts_with("22")) return InvalidArgument(text);
    if (sqlstate == "53100") return ResourceExhausted(text);
    if (sqlstate.starts_with("53") || sqlstate == "55P03" || sqlstate == "57014") {
      return Unavailable(text);
    }
    return Internal(text);
  }

  Status Decode(PGresult* res, QueryResult* out) {
    const char* tuples = PQcmdTuples(res);
    out->affected = (tuples != nullptr && *tuples != '\0') ? std::atoll(tuples) : 0;
    const int nrows = PQntuples(res);
    const int ncols = PQnfields(res);
    out->rows.reserve(static_cast<size_t>(nrows));
    for (int r = 0; r < nrows; ++r) {
      Row row(static_cast<size_t>(ncols));
      for (int c = 0; c < ncols; ++c) {
        if (PQgetisnull(res, r, c)) continue;
        Value& v = row[static_cast<size_t>(c)];
        const char* p = PQgetvalue(res, r, c);
        const int len = PQgetlength(res, r, c);
        switch (PQftype(res, c)) {
          case kInt8Oid:
            v.kind = Value::Kind::kInt;
            v.i = static_cast<int64_t>(__builtin_bswap64(DecodeFixed64(p)));
            break;
          case kInt4Oid:
            v.kind = Value::Kind::kInt;
            v.i = static_cast<int32_t>(__builtin_bswap32(DecodeFixed32(p)));
            break;
          case kInt2Oid:
            v.kind = Value::Kind::kInt;
            v.i = static_cast<int16_t>((static_cast<uint8_t>(p[0]) << 8) |
                                       static_cast<uint8_t>(p[1]));
            break;
          case kBoolOid:
            v.kind = Value::Kind::kInt;
            v.i = p[0] != 0 ? 1 : 0;
            break;
          case kTextOid:
          case kVarcharOid:
          case kNameOid:
            v.kind = Value::Kind::kText;
            v.bytes.assign(p, static_cast<size_t>(len));
            break;
          case kByteaOid:
            v.kind = Value::Kind::kBlob;
            v.bytes.assign(p, static_cast<size_t>(len));
            break;
          case kVoidOid:
            break;
          default:
            return Internal(
                fmt::format("{}: unsupported result column type {}", name_, PQftype(res, c)));
        }
      }
      out->rows.push_back(std::move(row));
    }
    return Status::Ok();
  }

  const PgOptions& options_;
  const std::string name_;
  PGconn* conn_ = nullptr;
  bool broken_ = false;
  bool pending_begin_ = false;  // Begin() was called and BEGIN is not sent yet.
  uint64_t next_statement_ = 0;
  std::unordered_map<std::string, std::string> statements_;  // SQL text -> statement name.
};

class PgDatabase final : public Database {
 public:
  explicit PgDatabase(PgOptions options)
      : options_(std::move(options)), name_(Redact(options_.url)) {}

  Dialect dialect() const override { return Dialect::kPostgres; }
  const std::string& name() const override { return name_; }

  StatusOr<ConnectionLease> Acquire() override {
    PgConnection* conn = nullptr;
    {
      MutexLock lock(&mu_);
      while (free_.empty() && static_cast<int>(all_.size()) >= options_.pool_size) cv_.Wait(&mu_);
      if (!free_.empty()) {
        conn = free_.back();
        free_.pop_back();
      } else {
        all_.push_back(std::make_unique<PgConnection>(options_, name_));
        conn = all_.back().get();
      }
    }
    if (!conn->healthy()) {
      Status s = conn->Connect();
      if (!s.ok()) {
        Release(conn);
        return s;
      }
    }
    return ConnectionLease(this, conn);
  }

 protected:
  void Release(Connection* conn) override {
    MutexLock lock(&mu_);
    free_.push_back(static_cast<PgConnection*>(conn));
    cv_.Signal();
  }

 private:
  const PgOptions options_;
  const std::string name_;
  Mutex mu_;
  CondVar cv_;
  std::vector<std::unique_ptr<PgConnection>> all_ GUARDED_BY(mu_);
  std::vector<PgConnection*> free_ GUARDED_BY(mu_);
};

}  // namespace

StatusOr<std::unique_ptr<Database>> OpenPgDatabase(const PgOptions& options) {
  auto db = std::make_unique<PgDatabase>(options);
  LTS_ASSIGN_OR_RETURN(ConnectionLease lease, db->Acquire());
  (void)lease;
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace lts::store::internal
