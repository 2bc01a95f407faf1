#include "failstore/fail_store.h"

#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "base/logging.h"
#include "failstore/engine.h"
#include "kv/env.h"

namespace lts::failstore {
namespace {

constexpr char kLockFile[] = "___db.lock";  // The Java LTS's name.
constexpr std::string_view kDestroyingSuffix = ".destroying";

std::string SeqKey(uint64_t seq) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%020" PRIu64, seq);
  return buf;
}

StatusOr<uint64_t> ParseSeqKey(const std::string& key, const std::string& dir) {
  uint64_t seq = 0;
  if (key.size() != 20) {
    return Status(StatusCode::kCorruption, "failstore " + dir + ": foreign key '" + key + "'");
  }
  for (char c : key) {
    if (c < '0' || c > '9') {
      return Status(StatusCode::kCorruption, "failstore " + dir + ": foreign key '" + key + "'");
    }
    seq = seq * 10 + static_cast<uint64_t>(c - '0');
  }
  return seq;
}

Status CheckEngine(std::string_view engine) {
  if (engine == "ltsdb" || engine == "leveldb" || engine == "rocksdb") return Status::Ok();
  if (engine == "berkeleydb" || engine == "mapdb") {
    return Status(StatusCode::kNotSupported,
                  "job.fail.store: '" + std::string(engine) +
                      "' is a Java-only engine; use ltsdb, leveldb or rocksdb");
  }
  return Status(
      StatusCode::kInvalidArgument,
      "job.fail.store: unknown engine '" + std::string(engine) + "' (ltsdb, leveldb or rocksdb)");
}

}  // namespace

StatusOr<std::unique_ptr<FailStore>> FailStore::Open(std::string_view engine,
                                                     const std::string& dir, bool create) {
  LTS_RETURN_IF_ERROR(CheckEngine(engine));
  kv::Env* env = kv::Env::Default();
  if (!env->FileExists(dir)) {
    if (!create) return Status(StatusCode::kNotFound, "failstore " + dir + ": no such directory");
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status(StatusCode::kIOError, "failstore: mkdir " + dir + ": " + ec.message());
  }
  LTS_ASSIGN_OR_RETURN(std::unique_ptr<kv::FileLock> lock, env->LockFile(dir + "/" + kLockFile));
  std::unique_ptr<internal::Engine> e;
  if (engine == "ltsdb") {
    LTS_ASSIGN_OR_RETURN(e, internal::OpenLtsdbEngine(dir, create));
  } else if (engine == "leveldb") {
    LTS_ASSIGN_OR_RETURN(e, internal::OpenLevelDbEngine(dir, create));
  } else {
    LTS_ASSIGN_OR_RETURN(e, internal::OpenRocksDbEngine(dir, create));
  }
  LTS_ASSIGN_OR_RETURN(std::string last, e->LastKey());
  uint64_t next = 1;
  if (!last.empty()) {
    LTS_ASSIGN_OR_RETURN(uint64_t seq, ParseSeqKey(last, dir));
    next = seq + 1;
  }
  return std::unique_ptr<FailStore>(
      new FailStore(std::string(engine), dir, std::move(lock), std::move(e), next));
}

FailStore::FailStore(std::string engine_name, std::string dir, std::unique_ptr<kv::FileLock> lock,
                     std::unique_ptr<internal::Engine> engine, uint64_t next_seq)
    : engine_name_(std::move(engine_name)),
      dir_(std::move(dir)),
      lock_(std::move(lock)),
      engine_(std::move(engine)),
      next_seq_(next_seq) {}

FailStore::~FailStore() { Close().IgnoreError(); }

StatusOr<std::string> FailStore::Put(std::string_view value) {
  std::string v(value);
  LTS_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                       PutBatch(std::span<const std::string>(&v, 1)));
  return keys.front();
}

StatusOr<std::vector<std::string>> FailStore::PutBatch(std::span<const std::string> values) {
  MutexLock l(&mu_);
  if (engine_ == nullptr)
    return Status(StatusCode::kFailedPrecondition, "failstore " + dir_ + ": closed");
  std::vector<std::pair<std::string, std::string>> puts;
  std::vector<std::string> keys;
  puts.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    keys.push_back(SeqKey(next_seq_ + i));
    puts.emplace_back(keys.back(), values[i]);
  }
  LTS_RETURN_IF_ERROR(engine_->Write(puts, {}));
  next_seq_ += values.size();
  return keys;
}

StatusOr<std::vector<FailStoreEntry>> FailStore::Take(size_t max) {
  MutexLock l(&mu_);
  if (engine_ == nullptr)
    return Status(StatusCode::kFailedPrecondition, "failstore " + dir_ + ": closed");
  std::vector<FailStoreEntry> out;
  LTS_RETURN_IF_ERROR(engine_->Scan(max, &out));
  return out;
}

Status FailStore::Delete(std::span<const std::string> keys) {
  MutexLock l(&mu_);
  if (engine_ == nullptr)
    return Status(StatusCode::kFailedPrecondition, "failstore " + dir_ + ": closed");
  if (keys.empty()) return Status::Ok();
  return engine_->Write({}, keys);
}

Status FailStore::Close() {
  MutexLock l(&mu_);
  Status s;
  if (engine_ != nullptr) s = engine_->Close();
  engine_.reset();
  lock_.reset();
  return s;
}

Status FailStore::Destroy() {
  MutexLock l(&mu_);
  Status s;
  if (engine_ != nullptr) s = engine_->Close();
  engine_.reset();
  // Rename first (atomic), so that no taker can create a fresh lock file in a directory
  // that is half removed; release the lock only when everything is gone.
  const std::string doomed = dir_ + std::string(kDestroyingSuffix);
  std::error_code ec;
  std::filesystem::rename(dir_, doomed, ec);
  if (ec) {
    lock_.reset();
    return Status(StatusCode::kIOError, "failstore: rename " + dir_ + ": " + ec.message());
  }
  std::filesystem::remove_all(doomed, ec);
  lock_.reset();
  if (ec) return Status(StatusCode::kIOError, "failstore: remove " + doomed + ": " + ec.message());
  return s;
}

StatusOr<std::string> FailStoreEngineFromConfig(const Config& config) {
  LTS_ASSIGN_OR_RETURN(std::string engine, config.GetString("job.fail.store", "ltsdb"));
  LTS_RETURN_IF_ERROR(CheckEngine(engine));
  return engine;
}

std::string FailStorePath(std::string_view data_path, std::string_view node_type,
                          std::string_view node_group, std::string_view kind,
                          std::string_view engine, std::string_view identity) {
  std::string p(data_path);
  for (std::string_view part : {std::string_view(".lts"), node_type, node_group}) {
    p += "/";
    p += part;
  }
  p += "/";
  p += kind;
  p += "_failstore/";
  p += engine;
  p += "/";
  p += identity;
  return p;
}

StatusOr<std::vector<std::unique_ptr<FailStore>>> OpenDeadFailStores(std::string_view engine,
                                                                     const std::string& engine_dir,
                                                                     const std::string& own_dir) {
  LTS_RETURN_IF_ERROR(CheckEngine(engine));
  std::vector<std::unique_ptr<FailStore>> dead;
  kv::Env* env = kv::Env::Default();
  if (!env->FileExists(engine_dir)) return dead;
  LTS_ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(engine_dir));
  const std::filesystem::path own = std::filesystem::path(own_dir).lexically_normal();
  for (const std::string& name : names) {
    const std::string dir = engine_dir + "/" + name;
    if (std::filesystem::path(dir).lexically_normal() == own) continue;
    if (name.ends_with(kDestroyingSuffix)) {
      // A Destroy() that died half-way: the data was delivered; finish the removal.
      std::error_code rm;
      StatusOr<std::unique_ptr<kv::FileLock>> held = env->LockFile(dir + "/" + kLockFile);
      if (held.ok()) std::filesystem::remove_all(dir, rm);
      continue;
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) continue;
    if (!env->FileExists(dir + "/" + kLockFile)) continue;  // Not a store (or being removed).
    // create=false: a directory removed by another taker since the listing stays gone.
    StatusOr<std::unique_ptr<FailStore>> store = FailStore::Open(engine, dir, /*create=*/false);
    if (store.ok()) {
      LTS_LOG(INFO, "failstore: took over {}", dir);
      dead.push_back(std::move(*store));
    } else if (store.status().code() != StatusCode::kUnavailable) {
      LTS_LOG(WARN, "failstore: cannot take over {}: {}", dir, store.status().ToString());
    }
  }
  return dead;
}

}  // namespace lts::failstore
