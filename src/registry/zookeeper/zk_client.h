// A thin layer over libzookeeper-mt (the official C client, sync API): a handle owner and the
// few operations the registry composes, each mapping the C error codes to Status exactly once.
//
//   ZNONODE -> kNotFound, ZNODEEXISTS -> kAlreadyExists, ZBADVERSION -> kAborted,
//   ZCONNECTIONLOSS, ZOPERATIONTIMEOUT, ZSESSIONEXPIRED, ZINVALIDSTATE, ZCLOSING -> kUnavailable,
//   anything else -> kInternal. Messages name the operation and the path.
//
// Thread safety: the sync calls of zookeeper_mt may be made from any thread except the
// client's completion thread (where watchers run): never call these from a watcher.

#pragma once

// zookeeper.h declares the sync API only for the multi-threaded library; the build defines
// THREADED through lts::zookeeper, a tool that parses this header alone (the clang
// thread-safety pass of scripts/test.sh) may not.
#ifndef THREADED
#define THREADED
#endif
#include <zookeeper/zookeeper.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lts/status.h"
#include "lts/statusor.h"

namespace lts::registry::zk {

// Owns one zhandle_t; the destructor closes it (which ends the session: its ephemeral nodes go
// at once). Shared by std::shared_ptr so a reader in flight keeps an old handle open while the
// owner swaps in a new session.
class Handle {
 public:
  explicit Handle(zhandle_t* zh) : zh_(zh) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle();

  zhandle_t* get() const { return zh_; }
  // The session id, 0 while no session is established.
  int64_t session_id() const;

 private:
  zhandle_t* const zh_;
};

// Maps a ZooKeeper return code (not ZOK) to a Status "<what> <path>: <zerror text>".
Status ZkStatus(int rc, std::string_view what, std::string_view path);

// Creates every missing znode of `path` (and its ancestors) as persistent, empty.
// An existing znode is fine.
Status EnsurePath(zhandle_t* zh, const std::string& path);

// Creates `path` as an ephemeral znode owned by session `session_id`, creating the parents.
// An existing znode owned by this session is kept; one owned by another session (a previous
// session of this node that the server has not reaped yet, or another process using the same
// name) is deleted and created again, so the record lives exactly as long as this session.
Status CreateOwnedEphemeral(zhandle_t* zh, const std::string& path, int64_t session_id);

// Deletes `path`; a missing znode is fine.
Status DeleteIfExists(zhandle_t* zh, const std::string& path);

// The child names of `path`; `watch` leaves a one-shot child watch for the handle's watcher.
StatusOr<std::vector<std::string>> GetChildren(zhandle_t* zh, const std::string& path, bool watch);

struct NodeData {
  std::string data;
  Stat stat;
};
// Up to 1 KiB of data of `path`, and its Stat.
StatusOr<NodeData> GetData(zhandle_t* zh, const std::string& path);

// Creates `path` + a sequence suffix as ephemeral-sequential with `data`; returns the name of
// the created child (without the parent path).
StatusOr<std::string> CreateEphemeralSequential(zhandle_t* zh, const std::string& path,
                                                std::string_view data);

}  // namespace lts::registry::zk
