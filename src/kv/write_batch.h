// WriteBatch: puts and deletes that kv::DB::Write applies atomically (all or none, also
// across a crash) and in order.
//
// Thread safety: none; a batch is built by one thread and then passed to Write().

#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kv/txlog/record_format.h"

namespace lts::kv {

class WriteBatch {
 public:
  struct Op {
    txlog::RecordType type;
    std::string key;
    std::string value;
  };

  void Put(std::string_view key, std::string_view value) {
    bytes_ += key.size() + value.size() + txlog::kRecordHeaderSize;
    ops_.push_back({txlog::RecordType::kPut, std::string(key), std::string(value)});
  }
  void Delete(std::string_view key) {
    bytes_ += key.size() + txlog::kRecordHeaderSize;
    ops_.push_back({txlog::RecordType::kDelete, std::string(key), {}});
  }
  void Clear() {
    ops_.clear();
    bytes_ = 0;
  }

  const std::vector<Op>& ops() const { return ops_; }
  size_t size() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }
  // Approximate encoded bytes (record headers included).
  size_t ApproximateBytes() const { return bytes_; }

 private:
  std::vector<Op> ops_;
  size_t bytes_ = 0;
};

}  // namespace lts::kv
