// The small ordered-KV surface FailStore needs from an engine (internal to failstore).
// One adapter per engine: ltsdb, LevelDB, RocksDB. Every write is synced.
//
// Thread safety: none; FailStore serialises calls with its mutex.

#pragma once

#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "failstore/fail_store.h"

namespace lts::failstore::internal {

class Engine {
 public:
  virtual ~Engine() = default;
  // Applies `puts` and `deletes` in one synced atomic commit.
  virtual Status Write(std::span<const std::pair<std::string, std::string>> puts,
                       std::span<const std::string> deletes) = 0;
  // Appends up to `max` entries in key order to `*out`.
  virtual Status Scan(size_t max, std::vector<FailStoreEntry>* out) = 0;
  // The greatest key, or "" if the store is empty.
  virtual StatusOr<std::string> LastKey() = 0;
  virtual Status Close() = 0;
};

StatusOr<std::unique_ptr<Engine>> OpenLtsdbEngine(const std::string& dir, bool create);
StatusOr<std::unique_ptr<Engine>> OpenLevelDbEngine(const std::string& dir, bool create);
StatusOr<std::unique_ptr<Engine>> OpenRocksDbEngine(const std::string& dir, bool create);

}  // namespace lts::failstore::internal
