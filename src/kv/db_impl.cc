// DBImpl: open/recovery, the group-commit write path, reads, snapshots, checkpoints.
// GC and retention are in kv/data/compactor.cc.

#include "kv/db_impl.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <mutex>

#include "base/clock.h"
#include "base/coding.h"
#include "base/logging.h"
#include "kv/data/compression.h"
#include "kv/file_names.h"
#include "kv/txlog/segment_reader.h"

namespace lts::kv {

using txlog::Codec;
using txlog::RecordType;

std::string SegmentFileName(uint32_t id) { return NumberedFileName("seg-", id, 10, ".log"); }

uint32_t ParseSegmentFileName(std::string_view name) {
  const uint64_t id = ParseNumberedFileName(name, "seg-", 10, ".log");
  return id > UINT32_MAX ? 0 : static_cast<uint32_t>(id);
}

namespace {

class DbIterator final : public Iterator {
 public:
  DbIterator(DBImpl* db, uint64_t snapshot, SegmentMap segments)
      : db_(db), snapshot_(snapshot), segments_(std::move(segments)) {}
  ~DbIterator() override { db_->ReleaseSnapshot(snapshot_); }

  bool Valid() const override { return pos_ < buf_.size(); }
  void SeekToFirst() override { Fill("", true); }
  void Seek(std::string_view target) override { Fill(target, true); }
  void SeekToLast() override {
    buf_.clear();
    pos_ = 0;
    exhausted_ = true;
    if (auto last = db_->LastAt(snapshot_)) buf_.push_back(std::move(*last));
  }
  void Next() override {
    ++pos_;
    if (pos_ == buf_.size() && !exhausted_) {
      std::string last = buf_.back().first;
      Fill(last, false);
    }
  }
  std::string_view key() const override { return buf_[pos_].first; }
  StatusOr<std::string> value() override {
    const IndexEntry& e = buf_[pos_].second;
    auto it = segments_.find(e.loc.segment);
    SegmentPtr seg = it != segments_.end() ? it->second : db_->FindSegment(e.loc.segment);
    if (seg == nullptr) {
      return Status(StatusCode::kInternal,
                    "segment " + std::to_string(e.loc.segment) + " vanished under an iterator");
    }
    return db_->ReadValue(*seg, e.loc, buf_[pos_].first);
  }
  Status status() const override { return Status::Ok(); }

 private:
  static constexpr size_t kChunk = 128;

  void Fill(std::string_view after, bool inclusive) {
    buf_.clear();
    pos_ = 0;
    db_->ScanAt(after, inclusive, snapshot_, kChunk, &buf_);
    exhausted_ = buf_.size() < kChunk;
  }

  DBImpl* const db_;
  const uint64_t snapshot_;
  const SegmentMap segments_;  // Files as of the snapshot (older versions live there).
  std::vector<std::pair<std::string, IndexEntry>> buf_;
  size_t pos_ = 0;
  bool exhausted_ = true;
};

}  // namespace

StatusOr<std::unique_ptr<DB>> DB::Open(const Options& options, const std::string& dir) {
  if (options.gc_live_ratio < 0 || options.gc_live_ratio > 1) {
    return Status(StatusCode::kInvalidArgument, "ltsdb: gc_live_ratio must be in [0, 1]");
  }
  if (options.segment_size < 4096) {
    return Status(StatusCode::kInvalidArgument, "ltsdb: segment_size must be >= 4096");
  }
  auto db = std::make_unique<DBImpl>(options, dir);
  LTS_RETURN_IF_ERROR(db->Recover());
  db->StartBackground();
  return std::unique_ptr<DB>(std::move(db));
}

DBImpl::DBImpl(const Options& options, std::string dir)
    : options_(options),
      env_(options.env != nullptr ? options.env : Env::Default()),
      dir_(std::move(dir)) {}

DBImpl::~DBImpl() { Close().IgnoreError(); }

std::string DBImpl::SegmentPath(uint32_t id) const { return dir_ + "/" + SegmentFileName(id); }

SegmentPtr DBImpl::FindSegment(uint32_t id) {
  std::shared_lock l(index_mu_);
  auto it = segments_.find(id);
  return it == segments_.end() ? nullptr : it->second;
}

Status DBImpl::NewSegmentFile(uint32_t id, SegmentPtr* out) {
  const std::string path = SegmentPath(id);
  LTS_ASSIGN_OR_RETURN(std::unique_ptr<File> file, env_->OpenFile(path, /*create=*/true));
  LTS_RETURN_IF_ERROR(file->Truncate(0));
  LTS_RETURN_IF_ERROR(file->Append(txlog::EncodeSegmentHeader(id)));
  LTS_RETURN_IF_ERROR(file->Sync());
  LTS_RETURN_IF_ERROR(env_->SyncDir(dir_));
  auto seg = std::make_shared<Segment>();
  seg->id = id;
  seg->file = std::move(file);
  *out = std::move(seg);
  return Status::Ok();
}

Status DBImpl::Recover() {
  if (options_.create_if_missing) {
    LTS_RETURN_IF_ERROR(env_->CreateDir(dir_));
  } else if (!env_->FileExists(dir_)) {
    return Status(StatusCode::kNotFound, "ltsdb " + dir_ + ": no such store");
  }
  LTS_ASSIGN_OR_RETURN(lock_, env_->LockFile(dir_ + "/LOCK"));
  LTS_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(dir_));
  std::vector<uint32_t> ids;
  std::vector<uint64_t> ckpts;
  for (const std::string& name : names) {
    if (uint32_t id = ParseSegmentFileName(name)) ids.push_back(id);
    if (uint64_t seq = ParseCheckpointFileName(name)) ckpts.push_back(seq);
  }
  std::sort(ids.begin(), ids.end());
  std::sort(ckpts.rbegin(), ckpts.rend());

  CheckpointInfo info;
  uint64_t max_seq = 0;
  if (options_.index == IndexType::kBTree) {
    // The B+tree file is its own checkpoint; ckpt-*.idx files are the memory index's.
    bool loaded = false;
    std::string why;
    LTS_ASSIGN_OR_RETURN(std::unique_ptr<BTreeIndex> tree,
                         BTreeIndex::Open(env_, dir_ + "/" + kBTreeFileName,
                                          options_.btree_cache_bytes, &info, &loaded, &why));
    if (!why.empty()) {
      LTS_LOG(WARN, "ltsdb {}: B+tree index unusable ({}); rebuilding it from the log", dir_, why);
    }
    btree_ = tree.get();
    index_ = std::move(tree);
    if (loaded) {
      recovery_.recovery_used_checkpoint = true;
      checkpoint_seq_ = info.seq;
    }
    Status s = ReplayLog(&ids, info, &max_seq);
    if (s.ok() && !index_->status().ok()) {
      // A damaged page met during the replay: the log is the data, so start over.
      LTS_LOG(WARN, "ltsdb {}: B+tree index damaged ({}); rebuilding it from the log", dir_,
              index_->status().ToString());
      LTS_RETURN_IF_ERROR(btree_->Reset());
      segments_.clear();
      recovery_ = DbStats();
      checkpoint_seq_ = 0;
      info = CheckpointInfo();
      s = ReplayLog(&ids, info, &max_seq);
      if (s.ok()) s = index_->status();
    }
    LTS_RETURN_IF_ERROR(s);
  } else {
    index_ = std::make_unique<MemIndex>();
    LTS_RETURN_IF_ERROR(LoadMemCheckpoint(ckpts, &info));
    LTS_RETURN_IF_ERROR(ReplayLog(&ids, info, &max_seq));
  }
  visible_seq_ = max_seq;
  {
    MutexLock l(&mu_);
    last_seq_ = max_seq;
  }
  if (segments_.empty()) {
    SegmentPtr seg;
    LTS_RETURN_IF_ERROR(NewSegmentFile(ids.empty() ? 1 : ids.back() + 1, &seg));
    segments_[seg->id] = seg;
  }
  active_ = segments_.rbegin()->second;
  applied_end_ = active_->file->Size();
  LTS_LOG(INFO,
          "ltsdb {}: opened: {} keys ({} index), {} segments, seq {}, checkpoint {}, {} records "
          "replayed",
          dir_, index_->live_keys(), btree_ != nullptr ? "B+tree" : "memory", segments_.size(),
          max_seq, info.seq, recovery_.recovery_records_replayed);
  return Status::Ok();
}

Status DBImpl::LoadMemCheckpoint(const std::vector<uint64_t>& ckpts, CheckpointInfo* info) {
  // The newest checkpoint that verifies; older ones, then a full replay, as fallbacks.
  for (uint64_t seq : ckpts) {
    const std::string name = CheckpointFileName(seq);
    StatusOr<std::string> data = env_->ReadFile(dir_ + "/" + name);
    Status s = data.status();
    CheckpointInfo candidate;
    auto loaded = std::make_unique<MemIndex>();
    if (s.ok()) s = DecodeCheckpoint(name, *data, &candidate, loaded.get());
    if (s.ok() && candidate.seq != seq) {
      s = Status(StatusCode::kCorruption, "checkpoint " + name + ": seq does not match its name");
    }
    if (s.ok()) {
      *info = std::move(candidate);
      index_ = std::move(loaded);
      recovery_.recovery_used_checkpoint = true;
      checkpoint_seq_ = seq;
      break;
    }
    LTS_LOG(WARN, "ltsdb {}: ignoring checkpoint: {}", dir_, s.ToString());
  }
  return Status::Ok();
}

Status DBImpl::ReplayLog(std::vector<uint32_t>* ids, const CheckpointInfo& info,
                         uint64_t* max_seq_out) {
  std::map<uint32_t, SegmentMeta> metas;
  for (const SegmentMeta& m : info.segments) metas[m.id] = m;

  uint64_t max_seq = info.seq;
  Index& index = *index_;
  index.set_keep_tombstones(true);
  for (size_t i = 0; i < ids->size(); ++i) {
    const uint32_t id = (*ids)[i];
    const bool last = i + 1 == ids->size();
    LTS_ASSIGN_OR_RETURN(std::unique_ptr<File> file, env_->OpenFile(SegmentPath(id), false));
    auto seg = std::make_shared<Segment>();
    seg->id = id;
    auto meta = metas.find(id);
    // Stats of segments wholly before the checkpoint's cut come from the checkpoint.
    if (id < info.replay_from && meta != metas.end()) {
      seg->total_bytes = meta->second.total_bytes;
      seg->tomb_bytes = meta->second.tomb_bytes;
      seg->file = std::move(file);
      segments_[id] = std::move(seg);
      continue;
    }
    const bool replay = id >= info.replay_from;
    // In the segment of the cut, only the records after it need reading.
    uint64_t start = 0;
    if (id == info.replay_from && meta != metas.end() && info.replay_offset > 0) {
      start = info.replay_offset;
      seg->total_bytes = meta->second.total_bytes;
      seg->tomb_bytes = meta->second.tomb_bytes;
    }
    LTS_ASSIGN_OR_RETURN(txlog::ScanResult scan,
                         txlog::ScanSegment(
                             *file, id,
                             [&](std::span<const txlog::RecordAt> batch) {
                               for (const txlog::RecordAt& at : batch) {
                                 const txlog::Record& r = at.record;
                                 seg->total_bytes += at.size;
                                 if (r.type == RecordType::kDelete) seg->tomb_bytes += at.size;
                                 max_seq = std::max(max_seq, r.seq);
                                 if (!replay || r.seq <= info.seq) continue;
                                 std::optional<IndexEntry> cur = index.FindNewest(r.key);
                                 if (cur && cur->version > r.version) continue;
                                 index.Apply(r.key,
                                             IndexEntry{r.version, Location{id, at.size, at.offset},
                                                        r.type == RecordType::kDelete});
                                 ++recovery_.recovery_records_replayed;
                               }
                             },
                             start));
    if (!scan.stop_reason.empty()) {
      if (!last) {
        return Status(StatusCode::kCorruption,
                      "ltsdb segment " + SegmentPath(id) + ": " + scan.stop_reason +
                          " (a sealed segment is damaged; `lts kv verify` names every bad file)");
      }
      LTS_LOG(WARN, "ltsdb {}: torn tail of {}: {}; truncating {} bytes to {}", dir_,
              SegmentFileName(id), scan.stop_reason, scan.file_size - scan.valid_end,
              scan.valid_end);
      recovery_.recovery_truncated_bytes += scan.file_size - scan.valid_end;
      if (!scan.header_ok) {
        file.reset();
        LTS_RETURN_IF_ERROR(env_->RemoveFile(SegmentPath(id)));
        LTS_RETURN_IF_ERROR(env_->SyncDir(dir_));
        ids->erase(ids->begin() + static_cast<ptrdiff_t>(i));
        --i;
        continue;
      }
      LTS_RETURN_IF_ERROR(file->Truncate(scan.valid_end));
      LTS_RETURN_IF_ERROR(file->Sync());
    }
    seg->file = std::move(file);
    segments_[id] = std::move(seg);
  }
  if (recovery_.recovery_records_replayed > 0) index.DropTombstones();
  index.set_keep_tombstones(false);
  // One pass: entries of retired segments go (see docs/kv_format.md, GC), the others
  // count towards their segment's live bytes.
  Segment* last_seg = nullptr;
  size_t dangling = index.EraseIf([&](const IndexEntry& e) {
    if (last_seg == nullptr || last_seg->id != e.loc.segment) {
      auto it = segments_.find(e.loc.segment);
      if (it == segments_.end()) return true;
      last_seg = it->second.get();
    }
    last_seg->live_bytes += e.loc.size;
    return false;
  });
  if (dangling > 0) {
    LTS_LOG(INFO, "ltsdb {}: dropped {} checkpoint entries of retired segments", dir_, dangling);
  }
  *max_seq_out = max_seq;
  return Status::Ok();
}

void DBImpl::StartBackground() {
  bg_thread_ = std::jthread([this](std::stop_token stop) { BackgroundMain(stop); });
}

void DBImpl::BackgroundMain(std::stop_token stop) {
  const bool interval = options_.sync_mode == SyncMode::kInterval;
  int tick_ms = options_.gc_interval_ms;
  if (interval) tick_ms = std::min(tick_ms, options_.sync_interval_ms);
  tick_ms = std::max(tick_ms, 1);
  while (true) {
    {
      MutexLock l(&bg_mu_);
      if (stop.stop_requested()) break;
      bg_cv_.WaitFor(&bg_mu_, std::chrono::milliseconds(tick_ms));
      if (stop.stop_requested()) break;
    }
    Status s;
    if (interval && unsynced_.exchange(false)) {
      SegmentPtr seg;
      {
        std::shared_lock l(index_mu_);
        seg = active_;
      }
      s = seg->file->Sync();
      if (!s.ok()) {
        LTS_LOG(ERROR, "ltsdb {}: interval sync failed: {}", dir_, s.ToString());
        MutexLock l(&mu_);
        if (bg_error_.ok()) bg_error_ = s;
      }
    }
    if (options_.background_gc) {
      s = RunGcOnce(/*all=*/false);
      if (!s.ok()) LTS_LOG(ERROR, "ltsdb {}: GC failed: {}", dir_, s.ToString());
    }
    if (options_.checkpoint_every_bytes > 0 &&
        bytes_since_checkpoint_.load() >= options_.checkpoint_every_bytes) {
      s = Checkpoint();
      if (!s.ok()) LTS_LOG(ERROR, "ltsdb {}: checkpoint failed: {}", dir_, s.ToString());
    }
  }
}

Status DBImpl::Put(std::string_view key, std::string_view value) {
  WriteBatch b;
  b.Put(key, value);
  return Write(b);
}

Status DBImpl::Delete(std::string_view key) {
  WriteBatch b;
  b.Delete(key);
  return Write(b);
}

Status DBImpl::Write(const WriteBatch& batch) {
  if (batch.empty()) return Status::Ok();
  std::vector<PreparedOp> ops;
  ops.reserve(batch.size());
  size_t bytes = 0;
  for (const WriteBatch::Op& op : batch.ops()) {
    const size_t max_key = btree_ != nullptr ? BTreeIndex::kMaxKeySize : txlog::kMaxKeySize;
    if (op.key.empty() || op.key.size() > max_key) {
      return Status(StatusCode::kInvalidArgument,
                    "ltsdb: key of " + std::to_string(op.key.size()) + " bytes (1 to " +
                        std::to_string(max_key) + " allowed" +
                        (btree_ != nullptr ? " with the B+tree index)" : ")"));
    }
    if (op.value.size() > txlog::kMaxValueSize) {
      return Status(StatusCode::kInvalidArgument,
                    "ltsdb: value of " + std::to_string(op.value.size()) + " bytes (max " +
                        std::to_string(txlog::kMaxValueSize) + ")");
    }
    PreparedOp p{op.type, 0, op.key, {}};
    if (op.type == RecordType::kPut) {
      Codec c = CompressValue(options_.compression, options_.compression_threshold,
                              options_.zstd_level, op.value, &p.stored_value);
      p.codec_flags = static_cast<uint8_t>(static_cast<uint8_t>(c) << txlog::kCodecShift);
    }
    bytes += txlog::EncodedSize(op.key.size(), p.stored_value.size());
    ops.push_back(std::move(p));
  }
  Writer w;
  w.ops = &ops;
  w.bytes = bytes;
  return WriteInternal(&w);
}

Status DBImpl::WriteInternal(Writer* w) {
  MutexLock l(&mu_);
  if (closed_) return Status(StatusCode::kFailedPrecondition, "ltsdb " + dir_ + ": closed");
  writers_.push_back(w);
  while (!w->done && w != writers_.front()) w->cv.Wait(&mu_);
  if (w->done) return w->status;

  Status s = bg_error_;
  std::vector<Writer*> group{w};
  if (w->moves == nullptr) {
    size_t bytes = w->bytes;
    for (auto it = writers_.begin() + 1; it != writers_.end(); ++it) {
      if ((*it)->moves != nullptr || bytes + (*it)->bytes > options_.max_group_bytes) break;
      bytes += (*it)->bytes;
      group.push_back(*it);
    }
  }
  if (s.ok()) {
    uint64_t seq = last_seq_;
    mu_.Unlock();
    s = CommitGroup(group, &seq);
    mu_.Lock();
    if (s.ok()) {
      last_seq_ = seq;
    } else if (bg_error_.ok()) {
      LTS_LOG(ERROR, "ltsdb {}: write failed, the store refuses writes until reopened: {}", dir_,
              s.ToString());
      bg_error_ = s;
    }
  }
  for (Writer* g : group) {
    writers_.pop_front();
    if (g != w) {
      g->status = s;
      g->done = true;
      g->cv.Signal();
    }
  }
  if (!writers_.empty()) writers_.front()->cv.Signal();
  return s;
}

Status DBImpl::RollSegment() {
  LTS_RETURN_IF_ERROR(active_->file->Sync());  // Sealed segments are whole on disk.
  SegmentPtr seg;
  LTS_RETURN_IF_ERROR(NewSegmentFile(active_->id + 1, &seg));
  std::unique_lock l(index_mu_);
  segments_[seg->id] = seg;
  active_ = seg;
  applied_end_ = txlog::kSegmentHeaderSize;
  return Status::Ok();
}

Status DBImpl::CommitGroup(const std::vector<Writer*>& group, uint64_t* seq) {
  size_t bytes = 0;
  for (const Writer* g : group) bytes += g->bytes;
  // Only the leader changes active_, so reading it without index_mu_ is safe here.
  if (active_->file->Size() > txlog::kSegmentHeaderSize &&
      active_->file->Size() + bytes > options_.segment_size) {
    LTS_RETURN_IF_ERROR(RollSegment());
  }
  const SegmentPtr seg = active_;
  const uint64_t base = seg->file->Size();
  std::string buf;
  buf.reserve(bytes);
  std::vector<Applied> applied;
  bool must_sync = options_.sync_mode == SyncMode::kSync;
  // Encodes `r` at the end of `buf` and remembers where it lands, for the index.
  auto emit = [&](const txlog::Record& r, const GcMove* move) {
    const uint64_t offset = base + buf.size();
    txlog::EncodeRecord(r, &buf);
    const Location loc{seg->id, static_cast<uint32_t>(base + buf.size() - offset), offset};
    applied.push_back({r.key, IndexEntry{r.version, loc, r.type == RecordType::kDelete}, move});
  };
  for (const Writer* g : group) {
    if (g->ops != nullptr) {
      const std::vector<PreparedOp>& ops = *g->ops;
      for (size_t i = 0; i < ops.size(); ++i) {
        const PreparedOp& op = ops[i];
        txlog::Record r;
        r.type = op.type;
        r.flags =
            static_cast<uint8_t>(op.codec_flags | (i + 1 == ops.size() ? txlog::kFlagBatchEnd : 0));
        r.seq = r.version = ++*seq;
        r.key = op.key;
        r.value = op.stored_value;
        emit(r, nullptr);
      }
      continue;
    }
    must_sync = true;  // A moved record must be durable before its old file is retired.
    std::shared_lock l(index_mu_);
    for (const GcMove& mv : *g->moves) {
      if (!StillNeeded(mv)) continue;
      txlog::Record r;
      r.type = mv.type;
      r.flags = static_cast<uint8_t>(mv.codec_flags | txlog::kFlagMoved | txlog::kFlagBatchEnd);
      r.seq = ++*seq;
      r.version = mv.version;
      r.key = mv.key;
      r.value = mv.stored_value;
      emit(r, &mv);
    }
  }
  if (buf.empty()) return Status::Ok();
  LTS_RETURN_IF_ERROR(seg->file->Append(buf));
  if (must_sync) {
    LTS_RETURN_IF_ERROR(seg->file->Sync());
  } else if (options_.sync_mode == SyncMode::kInterval) {
    unsynced_.store(true);
  }
  std::unique_lock l(index_mu_);
  for (const Applied& a : applied) {
    seg->total_bytes += a.entry.loc.size;
    if (a.entry.deleted) seg->tomb_bytes += a.entry.loc.size;
    if (a.move != nullptr) {
      if (!a.entry.deleted && index_->Relocate(a.key, a.entry.version, a.move->from, a.entry.loc)) {
        auto old = segments_.find(a.move->from.segment);
        if (old != segments_.end()) old->second->live_bytes -= a.move->from.size;
        seg->live_bytes += a.entry.loc.size;
      }
      continue;
    }
    std::optional<IndexEntry> prev = index_->Apply(a.key, a.entry);
    if (!a.entry.deleted) seg->live_bytes += a.entry.loc.size;
    if (prev) {
      auto old = segments_.find(prev->loc.segment);
      if (old != segments_.end()) old->second->live_bytes -= prev->loc.size;
    }
  }
  visible_seq_ = *seq;
  applied_end_ = base + buf.size();
  bytes_since_checkpoint_ += buf.size();
  return IndexError();
}

Status DBImpl::IndexError() {
  Status s = index_->status();
  if (s.ok()) return s;
  return Status(s.code(), "ltsdb " + dir_ + ": index: " + std::string(s.message()) +
                              " (reopening the store rebuilds the index from the log)");
}

StatusOr<std::string> DBImpl::ReadValue(const Segment& seg, const Location& loc,
                                        std::string_view key) const {
  std::string buf;
  LTS_RETURN_IF_ERROR(seg.file->Read(loc.offset, loc.size, &buf));
  txlog::Record r;
  size_t size = 0;
  const std::string where =
      "ltsdb " + SegmentFileName(seg.id) + " offset " + std::to_string(loc.offset);
  if (txlog::DecodeRecord(buf, &r, &size) != txlog::DecodeResult::kOk || size != loc.size) {
    return Status(StatusCode::kCorruption, where + ": record fails its checksum");
  }
  if (r.key != key || r.type != RecordType::kPut) {
    return Status(StatusCode::kCorruption, where + ": record is not the value of the key");
  }
  std::string value;
  LTS_RETURN_IF_ERROR(DecompressValue(r.codec(), r.value, &value, where));
  return value;
}

StatusOr<std::string> DBImpl::Get(std::string_view key) {
  Location loc;
  SegmentPtr seg;
  {
    std::shared_lock l(index_mu_);
    std::optional<IndexEntry> e = index_->FindNewest(key);
    if (!e || e->deleted) {
      LTS_RETURN_IF_ERROR(IndexError());
      return Status(StatusCode::kNotFound, "ltsdb: no such key");
    }
    loc = e->loc;
    auto it = segments_.find(loc.segment);
    if (it == segments_.end()) {
      return Status(StatusCode::kInternal, "ltsdb: index points at a retired segment");
    }
    seg = it->second;
  }
  return ReadValue(*seg, loc, key);
}

std::unique_ptr<Iterator> DBImpl::NewIterator() {
  std::unique_lock l(index_mu_);
  index_->AddSnapshot(visible_seq_);
  return std::make_unique<DbIterator>(this, visible_seq_, segments_);
}

void DBImpl::ReleaseSnapshot(uint64_t seq) {
  std::unique_lock l(index_mu_);
  index_->RemoveSnapshot(seq);
}

std::optional<std::pair<std::string, IndexEntry>> DBImpl::LastAt(uint64_t snapshot) {
  std::shared_lock l(index_mu_);
  return index_->LastAt(snapshot);
}

void DBImpl::ScanAt(std::string_view after, bool inclusive, uint64_t snapshot, size_t n,
                    std::vector<std::pair<std::string, IndexEntry>>* out) {
  std::shared_lock l(index_mu_);
  index_->ScanAt(after, inclusive, snapshot, n, out);
}

Status DBImpl::CheckpointBTree() {
  // The tree is written under the shared index lock: writers wait to apply (readers go
  // on), so the tree on disk is exactly the index at visible_seq_.
  std::shared_lock l(index_mu_);
  if (visible_seq_ == checkpoint_seq_.load()) return Status::Ok();  // Nothing new.
  CheckpointInfo info;
  info.seq = visible_seq_;
  info.replay_from = active_->id;
  info.replay_offset = applied_end_;
  for (const auto& [id, seg] : segments_) {
    info.segments.push_back(SegmentMeta{id, seg->total_bytes, seg->tomb_bytes});
  }
  // Every record the checkpoint reflects must be on disk before the checkpoint is.
  LTS_RETURN_IF_ERROR(active_->file->Sync());
  LTS_RETURN_IF_ERROR(btree_->Commit(info));
  checkpoint_seq_ = info.seq;
  bytes_since_checkpoint_ = 0;
  ++checkpoints_written_;
  return Status::Ok();
}

Status DBImpl::Checkpoint() {
  MutexLock c(&ckpt_mu_);
  if (btree_ != nullptr) return CheckpointBTree();
  CheckpointInfo info;
  std::vector<std::pair<std::string, IndexEntry>> entries;
  SegmentPtr active;
  {
    std::shared_lock l(index_mu_);
    if (visible_seq_ == checkpoint_seq_.load()) return Status::Ok();  // Nothing new.
    info.seq = visible_seq_;
    info.replay_from = active_->id;
    info.replay_offset = applied_end_;
    active = active_;
    for (const auto& [id, seg] : segments_) {
      info.segments.push_back(SegmentMeta{id, seg->total_bytes, seg->tomb_bytes});
    }
    entries.reserve(index_->live_keys());
    index_->ForEach([&](const std::string& k, const IndexEntry& e) { entries.emplace_back(k, e); });
  }
  // Every record the checkpoint reflects must be on disk before the checkpoint is.
  LTS_RETURN_IF_ERROR(active->file->Sync());
  const std::string name = CheckpointFileName(info.seq);
  LTS_RETURN_IF_ERROR(env_->WriteFileAtomic(dir_, name, EncodeCheckpoint(info, entries)));
  checkpoint_seq_ = info.seq;
  bytes_since_checkpoint_ = 0;
  ++checkpoints_written_;
  LTS_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(dir_));
  std::vector<uint64_t> seqs;
  for (const std::string& n : names) {
    if (uint64_t s = ParseCheckpointFileName(n)) seqs.push_back(s);
  }
  std::sort(seqs.rbegin(), seqs.rend());
  for (size_t i = static_cast<size_t>(std::max(options_.checkpoints_to_keep, 1)); i < seqs.size();
       ++i) {
    LTS_RETURN_IF_ERROR(env_->RemoveFile(dir_ + "/" + CheckpointFileName(seqs[i])));
  }
  return Status::Ok();
}

Status DBImpl::Compact() {
  LTS_RETURN_IF_ERROR(RunGcOnce(/*all=*/true));
  return Checkpoint();
}

Status VerifyStore(const Options& options, const std::string& dir, std::string* report) {
  Env* env = options.env != nullptr ? options.env : Env::Default();
  LTS_ASSIGN_OR_RETURN(std::unique_ptr<FileLock> lock, env->LockFile(dir + "/LOCK"));
  LTS_ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(dir));
  std::sort(names.begin(), names.end());
  uint32_t newest = 0;
  for (const std::string& name : names) newest = std::max(newest, ParseSegmentFileName(name));
  Status first;
  auto fail = [&](Status s) {
    if (first.ok()) first = std::move(s);
  };
  for (const std::string& name : names) {
    const std::string path = dir + "/" + name;
    if (const uint32_t id = ParseSegmentFileName(name)) {
      LTS_ASSIGN_OR_RETURN(std::unique_ptr<File> file, env->OpenFile(path, false));
      uint64_t records = 0;
      LTS_ASSIGN_OR_RETURN(txlog::ScanResult scan,
                           txlog::ScanSegment(*file, id, [&](std::span<const txlog::RecordAt> b) {
                             records += b.size();
                           }));
      std::string verdict = "ok";
      if (!scan.stop_reason.empty() && id == newest) {
        verdict = "torn tail: " + scan.stop_reason + " (" +
                  std::to_string(scan.file_size - scan.valid_end) + " bytes; Open truncates them)";
      } else if (!scan.stop_reason.empty()) {
        verdict = "CORRUPT: " + scan.stop_reason;
        fail(Status(StatusCode::kCorruption, path + ": " + scan.stop_reason));
      }
      *report += name + ": " + std::to_string(records) + " records, " +
                 std::to_string(scan.file_size) + " bytes: " + verdict + "\n";
    } else if (ParseCheckpointFileName(name) != 0) {
      StatusOr<std::string> data = env->ReadFile(path);
      Status s = data.status();
      CheckpointInfo info;
      MemIndex scratch;
      if (s.ok()) s = DecodeCheckpoint(name, *data, &info, &scratch);
      *report += name + ": " +
                 (s.ok() ? std::to_string(scratch.live_keys()) + " keys: ok"
                         : "CORRUPT: " + s.ToString()) +
                 "\n";
      if (!s.ok()) fail(s);
    } else if (name == kBTreeFileName) {
      uint64_t keys = 0;
      Status s = BTreeIndex::Verify(env, path, &keys);
      // The index is derived: a damaged one is rebuilt at open, so it is no error here.
      *report += name + ": " +
                 (s.ok() ? std::to_string(keys) + " entries: ok"
                         : "damaged (" + s.ToString() + "); Open rebuilds it from the log") +
                 "\n";
    }
  }
  return first;
}

DbStats DBImpl::GetStats() {
  DbStats st = recovery_;
  {
    MutexLock l(&mu_);
    st.last_seq = last_seq_;
  }
  std::shared_lock l(index_mu_);
  st.index = options_.index;
  st.live_keys = index_->live_keys();
  st.index_slots = index_->slots();
  if (btree_ != nullptr) {
    const BTreeStats b = btree_->GetStats();
    st.btree_pages = b.pages;
    st.btree_free_pages = b.free_pages;
    st.btree_height = b.height;
    st.btree_cache_bytes = b.cache_bytes;
    st.btree_cache_capacity = b.cache_capacity;
    st.btree_cache_hits = b.cache_hits;
    st.btree_cache_misses = b.cache_misses;
    st.btree_pages_written = b.pages_written;
  }
  for (const auto& [id, seg] : segments_) {
    st.segments.push_back(
        SegmentStats{id, seg->total_bytes, seg->live_bytes, seg->tomb_bytes, seg == active_});
  }
  st.checkpoint_seq = checkpoint_seq_.load();
  st.gc_segments_retired = gc_retired_.load();
  st.gc_bytes_moved = gc_moved_bytes_.load();
  st.checkpoints_written = checkpoints_written_.load();
  return st;
}

StatusOr<CompressionStats> DBImpl::MeasureCompression() {
  std::vector<std::pair<SegmentPtr, Location>> locs;
  {
    std::shared_lock l(index_mu_);
    index_->ForEach([&](const std::string&, const IndexEntry& e) {
      locs.emplace_back(segments_[e.loc.segment], e.loc);
    });
  }
  CompressionStats cs;
  std::string buf;
  for (const auto& [seg, loc] : locs) {
    LTS_RETURN_IF_ERROR(seg->file->Read(loc.offset, loc.size, &buf));
    txlog::Record r;
    size_t size = 0;
    if (txlog::DecodeRecord(buf, &r, &size) != txlog::DecodeResult::kOk) {
      return Status(StatusCode::kCorruption, "ltsdb " + SegmentFileName(seg->id) + " offset " +
                                                 std::to_string(loc.offset) + ": bad record");
    }
    cs.stored_value_bytes += r.value.size();
    if (r.codec() != Codec::kNone && r.value.size() >= 4) {
      cs.raw_value_bytes += DecodeFixed32(r.value.data());
      ++cs.compressed_values;
    } else {
      cs.raw_value_bytes += r.value.size();
    }
  }
  return cs;
}

Status DBImpl::Close() {
  {
    MutexLock l(&mu_);
    if (closed_) return Status::Ok();
  }
  // The background thread first (a GC pass in progress stops between two groups), then
  // the writer queue closes.
  stopping_ = true;
  if (bg_thread_.joinable()) {
    {
      MutexLock l(&bg_mu_);
      bg_thread_.request_stop();
    }
    bg_cv_.SignalAll();
    bg_thread_.join();
  }
  {
    MutexLock l(&mu_);
    closed_ = true;
  }
  Status s;
  {
    MutexLock l(&mu_);
    s = bg_error_;
  }
  if (s.ok() && active_ != nullptr) s = active_->file->Sync();
  if (s.ok() && active_ != nullptr && options_.checkpoint_on_close) s = Checkpoint();
  lock_.reset();
  return s;
}

}  // namespace lts::kv
