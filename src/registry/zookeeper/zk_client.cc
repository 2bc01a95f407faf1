#include "registry/zookeeper/zk_client.h"

#include <fmt/format.h>

namespace lts::registry::zk {
namespace {

// A bounded loop for create/delete races with other sessions; each round means another
// client changed the znode between our two calls.
constexpr int kMaxRaceRounds = 8;

}  // namespace

Handle::~Handle() { zookeeper_close(zh_); }

int64_t Handle::session_id() const {
  const clientid_t* id = zoo_client_id(zh_);
  return id == nullptr ? 0 : id->client_id;
}

Status ZkStatus(int rc, std::string_view what, std::string_view path) {
  const std::string message = fmt::format("zookeeper {} {}: {}", what, path, zerror(rc));
  switch (rc) {
    case ZNONODE:
      return NotFound(message);
    case ZNODEEXISTS:
      return AlreadyExists(message);
    case ZBADVERSION:
      return Aborted(message);
    case ZCONNECTIONLOSS:
    case ZOPERATIONTIMEOUT:
    case ZSESSIONEXPIRED:
    case ZINVALIDSTATE:
    case ZCLOSING:
      return Unavailable(message);
    default:
      return Internal(message);
  }
}

Status EnsurePath(zhandle_t* zh, const std::string& path) {
  // Cheap path first: the whole path usually exists.
  Stat stat;
  int rc = zoo_exists(zh, path.c_str(), 0, &stat);
  if (rc == ZOK) return Status::Ok();
  if (rc != ZNONODE) return ZkStatus(rc, "exists", path);
  for (size_t pos = path.find('/', 1);; pos = path.find('/', pos + 1)) {
    const std::string prefix = path.substr(0, pos);
    rc = zoo_create(zh, prefix.c_str(), nullptr, -1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, nullptr,
                    0);
    if (rc != ZOK && rc != ZNODEEXISTS) return ZkStatus(rc, "create", prefix);
    if (pos == std::string::npos) break;
  }
  return Status::Ok();
}

Status CreateOwnedEphemeral(zhandle_t* zh, const std::string& path, int64_t session_id) {
  for (int round = 0; round < kMaxRaceRounds; ++round) {
    int rc =
        zoo_create(zh, path.c_str(), nullptr, -1, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, nullptr, 0);
    if (rc == ZOK) return Status::Ok();
    if (rc == ZNONODE) {
      const size_t slash = path.rfind('/');
      LTS_RETURN_IF_ERROR(EnsurePath(zh, path.substr(0, slash)));
      continue;
    }
    if (rc != ZNODEEXISTS) return ZkStatus(rc, "create", path);
    Stat stat;
    rc = zoo_exists(zh, path.c_str(), 0, &stat);
    if (rc == ZNONODE) continue;  // Gone in between: create again.
    if (rc != ZOK) return ZkStatus(rc, "exists", path);
    if (stat.ephemeralOwner == session_id) return Status::Ok();
    // Left by another session: it would vanish when that session is reaped, taking our
    // registration with it. Replace it by one we own.
    rc = zoo_delete(zh, path.c_str(), stat.version);
    if (rc != ZOK && rc != ZNONODE && rc != ZBADVERSION) return ZkStatus(rc, "delete", path);
  }
  return Aborted(
      fmt::format("zookeeper create {}: still raced after {} rounds", path, kMaxRaceRounds));
}

Status DeleteIfExists(zhandle_t* zh, const std::string& path) {
  const int rc = zoo_delete(zh, path.c_str(), -1);
  if (rc == ZOK || rc == ZNONODE) return Status::Ok();
  return ZkStatus(rc, "delete", path);
}

StatusOr<std::vector<std::string>> GetChildren(zhandle_t* zh, const std::string& path, bool watch) {
  String_vector children{0, nullptr};
  Stat stat;
  const int rc = zoo_get_children2(zh, path.c_str(), watch ? 1 : 0, &children, &stat);
  if (rc != ZOK) return ZkStatus(rc, "get_children", path);
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(children.count));
  for (int32_t i = 0; i < children.count; ++i) out.emplace_back(children.data[i]);
  deallocate_String_vector(&children);
  return out;
}

StatusOr<NodeData> GetData(zhandle_t* zh, const std::string& path) {
  char buffer[1024];
  int length = sizeof(buffer);
  NodeData out;
  const int rc = zoo_get(zh, path.c_str(), 0, buffer, &length, &out.stat);
  if (rc != ZOK) return ZkStatus(rc, "get", path);
  if (length > 0) out.data.assign(buffer, static_cast<size_t>(length));
  return out;
}

StatusOr<std::string> CreateEphemeralSequential(zhandle_t* zh, const std::string& path,
                                                std::string_view data) {
  char created[1024];
  const int rc =
      zoo_create(zh, path.c_str(), data.data(), static_cast<int>(data.size()), &ZOO_OPEN_ACL_UNSAFE,
                 ZOO_EPHEMERAL_SEQUENTIAL, created, sizeof(created));
  if (rc != ZOK) return ZkStatus(rc, "create", path);
  std::string full(created);
  return full.substr(full.rfind('/') + 1);
}

}  // namespace lts::registry::zk
