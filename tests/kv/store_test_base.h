// StoreTest: the fixture the ltsdb tests share: a temp dir, Options, an open DB, and
// helpers that read like the spec (Open, Reopen, Get, Contents).

#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "kv/db.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace lts::kv::testing {

// "k000000042": the keys `lts kv fill` writes, in numeric order.
inline std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "k%09d", i);
  return buf;
}

class StoreTest : public ::testing::Test {
 protected:
  StoreTest() { options_.background_gc = false; }

  void Open() {
    db_.reset();
    StatusOr<std::unique_ptr<DB>> db = DB::Open(options_, dir_.path());
    ASSERT_OK(db.status());
    db_ = std::move(*db);
  }
  void Reopen() {
    if (db_) {
      ASSERT_OK(db_->Close());
    }
    Open();
  }
  std::string Get(std::string_view key) {
    StatusOr<std::string> v = db_->Get(key);
    if (v.status().code() == StatusCode::kNotFound) return "NOT_FOUND";
    if (!v.ok()) return v.status().ToString();
    return *v;
  }
  // Everything an iterator sees, values read and checked.
  std::map<std::string, std::string> Contents() {
    std::map<std::string, std::string> out;
    std::unique_ptr<Iterator> it = db_->NewIterator();
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      StatusOr<std::string> v = it->value();
      EXPECT_OK(v.status());
      out[std::string(it->key())] = v.ok() ? *v : "";
    }
    return out;
  }

  ::lts::testing::TempDir dir_;
  Options options_;
  std::unique_ptr<DB> db_;
};

}  // namespace lts::kv::testing
