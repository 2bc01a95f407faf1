// DBImpl's segment garbage collection and retention (bak/).
//
// A sealed segment is a victim when its effective live bytes fall below
// Options::gc_live_ratio of its bytes, or are zero. Effective live bytes are the
// records the index points at, plus the deletion records that may still shadow a value
// in an older segment (none once the victim is the oldest segment). Live records are
// re-appended through the writer queue as kFlagMoved records (synced), then the victim
// is retired: renamed into bak/ or deleted. A crash before the retirement leaves
// duplicates that recovery resolves by version; after it, the moved copies are durable.

#include <algorithm>
#include <mutex>

#include "base/clock.h"
#include "base/logging.h"
#include "kv/db_impl.h"
#include "kv/txlog/segment_reader.h"

namespace lts::kv {

using txlog::RecordType;

Status DBImpl::RunGcOnce(bool all) {
  MutexLock c(&ckpt_mu_);
  struct Candidate {
    double ratio;
    SegmentPtr seg;
  };
  std::vector<Candidate> victims;
  size_t segment_count = 0;
  {
    std::shared_lock l(index_mu_);
    segment_count = segments_.size();
    const uint32_t oldest = segments_.begin()->first;
    for (const auto& [id, seg] : segments_) {
      if (seg == active_) continue;
      const uint64_t live = seg->live_bytes + (id == oldest ? 0 : seg->tomb_bytes);
      const double ratio = seg->total_bytes == 0
                               ? 0.0
                               : static_cast<double>(live) / static_cast<double>(seg->total_bytes);
      if (live == 0 || ratio < options_.gc_live_ratio) victims.push_back({ratio, seg});
    }
  }
  std::sort(victims.begin(), victims.end(),
            [](const Candidate& a, const Candidate& b) { return a.ratio < b.ratio; });
  for (const Candidate& v : victims) {
    if (static_cast<int>(segment_count) <= options_.retain_min_segments) break;
    if (stopping_) return Status::Ok();
    bool oldest = false;
    {
      std::shared_lock l(index_mu_);
      oldest = segments_.begin()->first == v.seg->id;
    }
    std::vector<GcMove> moves;
    LTS_RETURN_IF_ERROR(CollectMoves(v.seg, oldest, &moves));
    // Move in small groups so that writers queued behind GC wait for one small write.
    size_t i = 0;
    while (i < moves.size()) {
      // Closing: leave the victim; the copies already made are resolved at recovery.
      if (stopping_) return Status::Ok();
      std::vector<GcMove> chunk;
      size_t bytes = 0;
      while (i < moves.size() && (chunk.empty() || bytes < options_.gc_move_group_bytes)) {
        bytes += txlog::EncodedSize(moves[i].key.size(), moves[i].stored_value.size());
        chunk.push_back(std::move(moves[i++]));
      }
      Writer w;
      w.moves = &chunk;
      w.bytes = bytes;
      LTS_RETURN_IF_ERROR(WriteInternal(&w));
      gc_moved_bytes_ += bytes;
    }
    LTS_RETURN_IF_ERROR(RetireSegment(v.seg));
    --segment_count;
    if (!all && v.ratio > 0) break;  // One copying pass per tick; dead segments all at once.
  }
  return Status::Ok();
}

Status DBImpl::CollectMoves(const SegmentPtr& victim, bool victim_is_oldest,
                            std::vector<GcMove>* out) {
  std::vector<GcMove> found;
  LTS_ASSIGN_OR_RETURN(
      txlog::ScanResult scan,
      txlog::ScanSegment(*victim->file, victim->id, [&](std::span<const txlog::RecordAt> batch) {
        for (const txlog::RecordAt& at : batch) {
          const txlog::Record& r = at.record;
          if (r.type == RecordType::kDelete && victim_is_oldest) continue;
          found.push_back(GcMove{r.type, static_cast<uint8_t>(r.flags & txlog::kCodecMask),
                                 std::string(r.key), std::string(r.value), r.version,
                                 Location{victim->id, at.size, at.offset}});
        }
      }));
  if (!scan.stop_reason.empty()) {
    return Status(StatusCode::kCorruption,
                  "GC of " + SegmentFileName(victim->id) + ": " + scan.stop_reason);
  }
  // Checked in slices, so that writers (who need the index exclusively to apply a
  // commit) never wait for more than one slice.
  constexpr size_t kSlice = 1024;
  for (size_t i = 0; i < found.size(); i += kSlice) {
    std::shared_lock l(index_mu_);
    for (size_t j = i; j < std::min(found.size(), i + kSlice); ++j) {
      if (StillNeeded(found[j])) out->push_back(std::move(found[j]));
    }
  }
  return Status::Ok();
}

bool DBImpl::StillNeeded(const GcMove& mv) const {
  const std::optional<IndexEntry> cur = index_->FindNewest(mv.key);
  if (mv.type == RecordType::kPut) {
    return cur && !cur->deleted && cur->version == mv.version && cur->loc == mv.from;
  }
  // A deletion is needed while no newer value of its key exists (an older one may still
  // sit in an older segment).
  return !(cur && cur->version > mv.version);
}

Status DBImpl::RetireSegment(const SegmentPtr& seg) {
  {
    std::unique_lock l(index_mu_);
    segments_.erase(seg->id);
  }
  const std::string name = SegmentFileName(seg->id);
  if (options_.bak_max_files > 0) {
    const std::string bak = dir_ + "/bak";
    LTS_RETURN_IF_ERROR(env_->CreateDir(bak));
    LTS_RETURN_IF_ERROR(env_->RenameFile(dir_ + "/" + name, bak + "/" + name));
    LTS_RETURN_IF_ERROR(env_->SyncDir(bak));
    LTS_RETURN_IF_ERROR(env_->SyncDir(dir_));
    LTS_RETURN_IF_ERROR(PruneBak());
  } else {
    LTS_RETURN_IF_ERROR(env_->RemoveFile(dir_ + "/" + name));
    LTS_RETURN_IF_ERROR(env_->SyncDir(dir_));
  }
  ++gc_retired_;
  LTS_LOG(DEBUG, "ltsdb {}: retired {}", dir_, name);
  return Status::Ok();
}

Status DBImpl::PruneBak() {
  const std::string bak = dir_ + "/bak";
  if (!env_->FileExists(bak)) return Status::Ok();
  LTS_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(bak));
  std::vector<uint32_t> ids;
  for (const std::string& n : names) {
    if (uint32_t id = ParseSegmentFileName(n)) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  const Clock* clock = options_.clock != nullptr ? options_.clock : SystemClock::Default();
  const int64_t now_s = clock->NowMicros() / 1000000;
  const size_t keep = static_cast<size_t>(std::max(options_.bak_max_files, 0));
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string path = bak + "/" + SegmentFileName(ids[i]);
    bool remove = ids.size() - i > keep;
    if (!remove) {
      StatusOr<int64_t> mtime = env_->ModifiedSeconds(path);
      remove = mtime.ok() && now_s - *mtime > options_.bak_max_age_seconds;
    }
    if (remove) LTS_RETURN_IF_ERROR(env_->RemoveFile(path));
  }
  return Status::Ok();
}

}  // namespace lts::kv
