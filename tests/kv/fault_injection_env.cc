#include "kv/fault_injection_env.h"

namespace lts::kv::testing {
namespace {

class FaultFile final : public File {
 public:
  FaultFile(FaultInjectionEnv* env, std::unique_ptr<File> base)
      : env_(env), base_(std::move(base)) {}

  Status Append(std::string_view data) override {
    if (!env_->active()) return Status::Ok();
    if (env_->ShouldFailAppend()) {
      base_->Append(data.substr(0, data.size() / 2)).IgnoreError();
      return Status(StatusCode::kIOError, "injected write failure on " + path());
    }
    return base_->Append(data);
  }
  Status WriteAt(uint64_t offset, std::string_view data) override {
    if (!env_->active()) return Status::Ok();
    return base_->WriteAt(offset, data);
  }
  Status Sync() override {
    if (!env_->active()) return Status::Ok();
    if (env_->ShouldFailSync())
      return Status(StatusCode::kIOError, "injected fsync failure on " + path());
    LTS_RETURN_IF_ERROR(base_->Sync());
    env_->RecordSynced(path(), base_->Size());
    return Status::Ok();
  }
  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    return base_->Read(offset, n, out);
  }
  Status Truncate(uint64_t size) override {
    if (!env_->active()) return Status::Ok();
    return base_->Truncate(size);
  }
  uint64_t Size() const override { return base_->Size(); }
  const std::string& path() const override { return base_->path(); }

 private:
  FaultInjectionEnv* const env_;
  std::unique_ptr<File> base_;
};

}  // namespace

StatusOr<std::unique_ptr<File>> FaultInjectionEnv::OpenFile(const std::string& path, bool create) {
  const bool existed = base_->FileExists(path);
  LTS_ASSIGN_OR_RETURN(std::unique_ptr<File> f, base_->OpenFile(path, create));
  {
    std::lock_guard l(mu_);
    if (!synced_.count(path)) synced_[path] = existed ? f->Size() : 0;
  }
  return std::unique_ptr<File>(std::make_unique<FaultFile>(this, std::move(f)));
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  if (!active_) return Status::Ok();
  std::lock_guard l(mu_);
  synced_.erase(path);
  return base_->RemoveFile(path);
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  if (!active_) return Status::Ok();
  std::lock_guard l(mu_);
  auto it = synced_.find(from);
  if (it != synced_.end()) {
    synced_[to] = it->second;
    synced_.erase(from);
  }
  return base_->RenameFile(from, to);
}

Status FaultInjectionEnv::CreateDir(const std::string& dir) {
  if (!active_) return Status::Ok();
  return base_->CreateDir(dir);
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  if (!active_) return Status::Ok();
  if (ShouldFailSync()) return Status(StatusCode::kIOError, "injected fsync failure on " + dir);
  return base_->SyncDir(dir);
}

void FaultInjectionEnv::RecordSynced(const std::string& path, uint64_t size) {
  std::lock_guard l(mu_);
  synced_[path] = size;
}

Status FaultInjectionEnv::DropUnsyncedData() {
  std::lock_guard l(mu_);
  for (const auto& [path, size] : synced_) {
    if (!base_->FileExists(path)) continue;
    LTS_ASSIGN_OR_RETURN(std::unique_ptr<File> f, base_->OpenFile(path, false));
    if (f->Size() > size) LTS_RETURN_IF_ERROR(f->Truncate(size));
  }
  return Status::Ok();
}

}  // namespace lts::kv::testing
