// `lts kv`: the ltsdb tools: stat, dump, get, put, del, verify, compact, fill.

#include <CLI/CLI.hpp>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string>

#include "base/logging.h"
#include "cli/commands.h"
#include "kv/db.h"
#include "kv/env.h"
#include "kv/index/btree_index.h"

namespace lts::cli {
namespace {

struct KvArgs {
  std::string dir;
  std::string key;
  std::string value;
  int64_t count = 0;
  int64_t value_size = 100;
  int64_t keys = 0;  // fill: cycle over this many keys (0: every key is new).
  bool sync = false;
  int64_t segment_size = 64 << 20;
  int64_t checkpoint_bytes = 64 << 20;
  std::string compression = "none";
  std::string index = "auto";  // auto, memory or btree.
  int64_t btree_cache_mb = 32;
};

// The index kind for the store: --index, else the kind the store already has (a B+tree
// store is the one with an index.btree file), else the memory index.
Status ApplyIndex(const KvArgs& a, kv::Options* o) {
  if (a.btree_cache_mb < 1 || a.btree_cache_mb > (64 << 10)) {
    return Status(StatusCode::kInvalidArgument, "--btree-cache-mb must be in [1, 65536]");
  }
  o->btree_cache_bytes = static_cast<size_t>(a.btree_cache_mb) << 20;
  if (a.index == "btree" ||
      (a.index == "auto" && kv::Env::Default()->FileExists(a.dir + "/" + kv::kBTreeFileName))) {
    o->index = kv::IndexType::kBTree;
  } else if (a.index == "memory" || a.index == "auto") {
    o->index = kv::IndexType::kMemory;
  } else {
    return Status(StatusCode::kInvalidArgument,
                  "--index must be auto, memory or btree, not '" + a.index + "'");
  }
  return Status::Ok();
}

// Opens the store for a tool: no background GC, no checkpoint at close unless the
// command changes the store.
StatusOr<std::unique_ptr<kv::DB>> OpenStore(const KvArgs& a, bool create, bool writes) {
  kv::Options o;
  o.create_if_missing = create;
  o.background_gc = false;
  o.checkpoint_on_close = writes;
  o.sync_mode = kv::SyncMode::kSync;
  LTS_RETURN_IF_ERROR(ApplyIndex(a, &o));
  return kv::DB::Open(o, a.dir);
}

int Fail(CommandContext* ctx, std::string_view what, const Status& s) {
  *ctx->err << "lts kv " << what << ": " << s.ToString() << "\n";
  return 1;
}

int RunStat(const KvArgs& a, CommandContext* ctx) {
  StatusOr<std::unique_ptr<kv::DB>> db = OpenStore(a, false, false);
  if (!db.ok()) return Fail(ctx, "stat", db.status());
  kv::DbStats st = (*db)->GetStats();
  StatusOr<kv::CompressionStats> cs = (*db)->MeasureCompression();
  if (!cs.ok()) return Fail(ctx, "stat", cs.status());
  uint64_t total = 0, live = 0;
  std::ostream& out = *ctx->out;
  out << "store: " << a.dir << "\n"
      << "live keys: " << st.live_keys << "\n"
      << "last seq: " << st.last_seq << "\n"
      << "checkpoint seq: " << st.checkpoint_seq << "\n";
  if (st.index == kv::IndexType::kBTree) {
    const uint64_t lookups = st.btree_cache_hits + st.btree_cache_misses;
    char line[240];
    std::snprintf(
        line, sizeof(line),
        "index: B+tree (%s: %" PRIu64 " pages of %zu bytes, %" PRIu64 " free, height %" PRIu32
        ")\n"
        "page cache: %.1f of %.1f MiB, %" PRIu64 " hits, %" PRIu64 " misses, hit rate %.3f\n",
        kv::kBTreeFileName, st.btree_pages, kv::BTreeIndex::kPageSize, st.btree_free_pages,
        st.btree_height, static_cast<double>(st.btree_cache_bytes) / (1 << 20),
        static_cast<double>(st.btree_cache_capacity) / (1 << 20), st.btree_cache_hits,
        st.btree_cache_misses,
        lookups ? static_cast<double>(st.btree_cache_hits) / static_cast<double>(lookups) : 0.0);
    out << line;
  } else {
    out << "index: memory\n";
  }
  out << "blocks: " << st.segments.size() << "\n";
  for (const kv::SegmentStats& s : st.segments) {
    total += s.total_bytes;
    live += s.live_bytes;
    char line[160];
    std::snprintf(line, sizeof(line),
                  "  block %" PRIu32 ": %" PRIu64 " bytes, %" PRIu64 " live, %" PRIu64
                  " deletions, live ratio %.3f%s\n",
                  s.id, s.total_bytes, s.live_bytes, s.tomb_bytes,
                  s.total_bytes
                      ? static_cast<double>(s.live_bytes) / static_cast<double>(s.total_bytes)
                      : 0.0,
                  s.active ? " (active)" : "");
    out << line;
  }
  char line[200];
  std::snprintf(line, sizeof(line),
                "bytes: %" PRIu64 " in blocks, %" PRIu64
                " live\n"
                "values: %" PRIu64 " bytes raw, %" PRIu64 " stored, %" PRIu64
                " compressed; compression ratio %.3f\n",
                total, live, cs->raw_value_bytes, cs->stored_value_bytes, cs->compressed_values,
                cs->raw_value_bytes ? static_cast<double>(cs->stored_value_bytes) /
                                          static_cast<double>(cs->raw_value_bytes)
                                    : 1.0);
  out << line;
  return 0;
}

int RunDump(const KvArgs& a, CommandContext* ctx) {
  StatusOr<std::unique_ptr<kv::DB>> db = OpenStore(a, false, false);
  if (!db.ok()) return Fail(ctx, "dump", db.status());
  std::unique_ptr<kv::Iterator> it = (*db)->NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    StatusOr<std::string> v = it->value();
    if (!v.ok()) return Fail(ctx, "dump", v.status());
    *ctx->out << it->key() << "\t" << *v << "\n";
  }
  return 0;
}

int RunGet(const KvArgs& a, CommandContext* ctx) {
  StatusOr<std::unique_ptr<kv::DB>> db = OpenStore(a, false, false);
  if (!db.ok()) return Fail(ctx, "get", db.status());
  StatusOr<std::string> v = (*db)->Get(a.key);
  if (!v.ok()) return Fail(ctx, "get " + a.key, v.status());
  *ctx->out << *v << "\n";
  return 0;
}

int RunPut(const KvArgs& a, CommandContext* ctx, bool del) {
  StatusOr<std::unique_ptr<kv::DB>> db = OpenStore(a, !del, true);
  if (!db.ok()) return Fail(ctx, del ? "del" : "put", db.status());
  Status s = del ? (*db)->Delete(a.key) : (*db)->Put(a.key, a.value);
  if (s.ok()) s = (*db)->Close();
  if (!s.ok()) return Fail(ctx, del ? "del" : "put", s);
  return 0;
}

int RunVerify(const KvArgs& a, CommandContext* ctx) {
  std::string report;
  Status s = kv::VerifyStore(kv::Options(), a.dir, &report);
  *ctx->out << report;
  if (!s.ok()) return Fail(ctx, "verify", s);
  *ctx->out << "verify: ok\n";
  return 0;
}

int RunCompact(const KvArgs& a, CommandContext* ctx) {
  StatusOr<std::unique_ptr<kv::DB>> db = OpenStore(a, false, true);
  if (!db.ok()) return Fail(ctx, "compact", db.status());
  const size_t before = (*db)->GetStats().segments.size();
  Status s = (*db)->Compact();
  const size_t after = (*db)->GetStats().segments.size();
  if (s.ok()) s = (*db)->Close();
  if (!s.ok()) return Fail(ctx, "compact", s);
  *ctx->out << "compacted: " << before << " blocks -> " << after << "\n";
  return 0;
}

int RunFill(const KvArgs& a, CommandContext* ctx) {
  if (a.count < 0 || a.value_size < 0 || a.value_size > (16 << 20) || a.keys < 0) {
    *ctx->err << "lts kv fill: --count, --keys and --value-size must be >= 0 (value <= 16 MiB)\n";
    return 2;
  }
  kv::Options o;
  o.sync_mode = a.sync ? kv::SyncMode::kSync : kv::SyncMode::kNone;
  o.segment_size = static_cast<uint64_t>(a.segment_size);
  o.checkpoint_every_bytes = static_cast<uint64_t>(a.checkpoint_bytes);
  o.gc_interval_ms = 5;
  if (Status s = ApplyIndex(a, &o); !s.ok()) {
    *ctx->err << "lts kv fill: " << s.message() << "\n";
    return 2;
  }
  if (a.compression == "lz4") {
    o.compression = kv::txlog::Codec::kLz4;
  } else if (a.compression == "zstd") {
    o.compression = kv::txlog::Codec::kZstd;
  } else if (a.compression != "none") {
    *ctx->err << "lts kv fill: --compression must be none, lz4 or zstd\n";
    return 2;
  }
  StatusOr<std::unique_ptr<kv::DB>> db = kv::DB::Open(o, a.dir);
  if (!db.ok()) return Fail(ctx, "fill", db.status());
  for (int64_t i = 0; i < a.count; ++i) {
    char key[24];
    std::snprintf(key, sizeof(key), "k%09" PRId64, a.keys > 0 ? i % a.keys : i);
    std::string value = std::to_string(i) + ":";
    while (static_cast<int64_t>(value.size()) < a.value_size) {
      value.push_back(static_cast<char>('a' + (i + static_cast<int64_t>(value.size())) % 26));
    }
    Status s = (*db)->Put(key, value);
    if (!s.ok()) return Fail(ctx, "fill", s);
    *ctx->out << "acked " << key << std::endl;  // Flushed: a killer may read it at once.
  }
  Status s = (*db)->Close();
  if (!s.ok()) return Fail(ctx, "fill", s);
  return 0;
}

}  // namespace

void AddKvCommand(CLI::App* app, CommandContext* ctx) {
  CLI::App* kv = app->add_subcommand(
      "kv",
      "Inspect and change an ltsdb key-value store directory (the FailStore's engine): stat, "
      "dump, get, put, del, verify, compact, fill. Every command takes the store's lock: it "
      "fails, naming the holder's pid, while a process has the store open.");
  kv->require_subcommand(1);
  // Tools print results; recovery's INFO lines would only be noise on stderr.
  kv->preparse_callback([](size_t) { SetLogLevel(LogLevel::kWarn); });
  auto args = std::make_shared<KvArgs>();
  auto add = [&](const char* name, const char* help) {
    CLI::App* sub = kv->add_subcommand(name, help);
    sub->add_option("dir", args->dir, "The store's directory")->required();
    sub->add_option("--index", args->index,
                    "Index kind: memory, btree (on-disk B+tree, for stores whose keys do not "
                    "fit in memory; keys up to 1 KiB), or auto: the kind the store has (a "
                    "store with an index.btree file is a B+tree store), memory for a new one")
        ->default_val("auto");
    sub->add_option("--btree-cache-mb", args->btree_cache_mb, "Page cache of the B+tree index, MiB")
        ->default_val(32);
    return sub;
  };

  add("stat",
      "Print live keys, the index kind (and for a B+tree its pages and page cache size and "
      "hit rate), bytes, blocks (log segments) with the live ratio of each, and the "
      "compression ratio of the live values (stored/raw).")
      ->callback([args, ctx] { ctx->exit_code = RunStat(*args, ctx); });
  add("dump", "Print every live key and its value, in key order, one per line: key<TAB>value.")
      ->callback([args, ctx] { ctx->exit_code = RunDump(*args, ctx); });
  CLI::App* get = add("get", "Print the value of a key; exit 1 if it is absent.");
  get->add_option("key", args->key, "The key")->required();
  get->callback([args, ctx] { ctx->exit_code = RunGet(*args, ctx); });
  CLI::App* put = add("put", "Set a key to a value (sync commit; creates the store if missing).");
  put->add_option("key", args->key, "The key (1 to 65535 bytes)")->required();
  put->add_option("value", args->value, "The value")->required();
  put->callback([args, ctx] { ctx->exit_code = RunPut(*args, ctx, false); });
  CLI::App* del = add("del", "Delete a key (sync commit).");
  del->add_option("key", args->key, "The key")->required();
  del->callback([args, ctx] { ctx->exit_code = RunPut(*args, ctx, true); });
  add("verify",
      "Check every checksum of every block and checkpoint; print one line per file. Exit 1 "
      "if anything is damaged (a torn tail of the newest block is reported, not an error).")
      ->callback([args, ctx] { ctx->exit_code = RunVerify(*args, ctx); });
  add("compact",
      "Garbage-collect now: move the live entries of blocks below the live ratio, retire dead "
      "blocks, then write an index checkpoint.")
      ->callback([args, ctx] { ctx->exit_code = RunCompact(*args, ctx); });
  CLI::App* fill =
      add("fill",
          "Write keys k000000000, k000000001, ... one commit each, and print 'acked <key>' "
          "(flushed) after each commit returns: a crash test can SIGKILL this process and check "
          "that every acknowledged key survived. Values are '<i>:' followed by filler letters.");
  fill->add_option("--count", args->count, "Number of commits")->required();
  fill->add_option("--value-size", args->value_size, "Bytes per value")->default_val(100);
  fill->add_flag("--sync", args->sync, "fdatasync every commit (default: no sync)");
  fill->add_option("--keys", args->keys,
                   "Cycle over this many keys (commit i writes key i mod N), so that old "
                   "blocks die and GC runs; 0 = every key new")
      ->default_val(0);
  fill->add_option("--segment-size", args->segment_size, "Block (segment) size in bytes")
      ->default_val(64 << 20);
  fill->add_option("--checkpoint-bytes", args->checkpoint_bytes,
                   "Write an index checkpoint after this many bytes")
      ->default_val(64 << 20);
  fill->add_option("--compression", args->compression, "none, lz4 or zstd")->default_val("none");
  fill->callback([args, ctx] { ctx->exit_code = RunFill(*args, ctx); });
}

}  // namespace lts::cli
