// FailStore engine adapters over ltsdb, LevelDB and RocksDB.

#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "failstore/engine.h"
#include "kv/db.h"

namespace lts::failstore::internal {
namespace {

class LtsdbEngine final : public Engine {
 public:
  explicit LtsdbEngine(std::unique_ptr<kv::DB> db) : db_(std::move(db)) {}

  Status Write(std::span<const std::pair<std::string, std::string>> puts,
               std::span<const std::string> deletes) override {
    kv::WriteBatch b;
    for (const auto& [k, v] : puts) b.Put(k, v);
    for (const std::string& k : deletes) b.Delete(k);
    return db_->Write(b);
  }
  Status Scan(size_t max, std::vector<FailStoreEntry>* out) override {
    std::unique_ptr<kv::Iterator> it = db_->NewIterator();
    for (it->SeekToFirst(); it->Valid() && out->size() < max; it->Next()) {
      LTS_ASSIGN_OR_RETURN(std::string v, it->value());
      out->push_back({std::string(it->key()), std::move(v)});
    }
    return it->status();
  }
  StatusOr<std::string> LastKey() override {
    std::unique_ptr<kv::Iterator> it = db_->NewIterator();
    it->SeekToLast();
    return it->Valid() ? std::string(it->key()) : std::string();
  }
  Status Close() override { return db_->Close(); }

 private:
  std::unique_ptr<kv::DB> db_;
};

// LevelDB and RocksDB share their API shape; one adapter serves both.
template <typename DBT, typename BatchT, typename OptionsT, typename WriteOptionsT,
          typename ReadOptionsT, typename StatusT>
class LsmEngine final : public Engine {
 public:
  // Takes ownership of `db` (the libraries hand out a raw pointer the caller deletes).
  LsmEngine(std::string name, DBT* db) : name_(std::move(name)), db_(db) {}

  Status Write(std::span<const std::pair<std::string, std::string>> puts,
               std::span<const std::string> deletes) override {
    BatchT b;
    for (const auto& [k, v] : puts) b.Put(k, v);
    for (const std::string& k : deletes) b.Delete(k);
    WriteOptionsT wo;
    wo.sync = true;
    return Convert(db_->Write(wo, &b));
  }
  Status Scan(size_t max, std::vector<FailStoreEntry>* out) override {
    std::unique_ptr<typename std::remove_pointer_t<decltype(db_->NewIterator(ReadOptionsT()))>> it(
        db_->NewIterator(ReadOptionsT()));
    for (it->SeekToFirst(); it->Valid() && out->size() < max; it->Next()) {
      out->push_back({it->key().ToString(), it->value().ToString()});
    }
    return Convert(it->status());
  }
  StatusOr<std::string> LastKey() override {
    std::unique_ptr<typename std::remove_pointer_t<decltype(db_->NewIterator(ReadOptionsT()))>> it(
        db_->NewIterator(ReadOptionsT()));
    it->SeekToLast();
    if (!it->Valid()) return std::string();
    return it->key().ToString();
  }
  Status Close() override {
    db_.reset();
    return Status::Ok();
  }

  static StatusOr<std::unique_ptr<Engine>> Open(std::string name, const std::string& dir,
                                                bool create) {
    OptionsT o;
    o.create_if_missing = create;
    DBT* db = nullptr;
    StatusT s = DBT::Open(o, dir, &db);
    if (!s.ok()) {
      return Status(
          s.IsNotFound() || s.IsInvalidArgument() ? StatusCode::kNotFound : StatusCode::kIOError,
          name + " " + dir + ": " + s.ToString());
    }
    return std::unique_ptr<Engine>(std::make_unique<LsmEngine>(std::move(name), db));
  }

 private:
  Status Convert(const StatusT& s) const {
    if (s.ok()) return Status::Ok();
    return Status(s.IsCorruption() ? StatusCode::kCorruption : StatusCode::kIOError,
                  name_ + ": " + s.ToString());
  }

  const std::string name_;
  std::unique_ptr<DBT> db_;
};

using LevelDbEngine = LsmEngine<leveldb::DB, leveldb::WriteBatch, leveldb::Options,
                                leveldb::WriteOptions, leveldb::ReadOptions, leveldb::Status>;
using RocksDbEngine = LsmEngine<rocksdb::DB, rocksdb::WriteBatch, rocksdb::Options,
                                rocksdb::WriteOptions, rocksdb::ReadOptions, rocksdb::Status>;

}  // namespace

StatusOr<std::unique_ptr<Engine>> OpenLtsdbEngine(const std::string& dir, bool create) {
  kv::Options o;
  o.create_if_missing = create;
  o.sync_mode = kv::SyncMode::kSync;
  LTS_ASSIGN_OR_RETURN(std::unique_ptr<kv::DB> db, kv::DB::Open(o, dir));
  return std::unique_ptr<Engine>(std::make_unique<LtsdbEngine>(std::move(db)));
}

StatusOr<std::unique_ptr<Engine>> OpenLevelDbEngine(const std::string& dir, bool create) {
  return LevelDbEngine::Open("leveldb", dir, create);
}

StatusOr<std::unique_ptr<Engine>> OpenRocksDbEngine(const std::string& dir, bool create) {
  return RocksDbEngine::Open("rocksdb", dir, create);
}

}  // namespace lts::failstore::internal
