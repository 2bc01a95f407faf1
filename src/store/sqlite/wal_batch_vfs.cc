#include "store/sqlite/wal_batch_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace lts::store::internal {
namespace {

constexpr size_t kMaxBuffer = size_t{1} << 20;
constexpr size_t kKickBytes = size_t{256} << 10;
constexpr int kFrameHeaderBytes = 24;  // WAL frame header (the WAL header itself is 32).

// Our part of an open file; the underlying VFS's file follows it in the same allocation.
struct BatchFile {
  sqlite3_file base;   // pMethods: kWalMethods for a WAL file, kPassMethods otherwise.
  sqlite3_file* real;  // The underlying file (right after this struct).
  bool wal;
  bool commit_pending;  // The last buffered write was a commit frame's header.
  char* buf;            // Buffered bytes of file offsets [buf_off, buf_off + buf_len).
  size_t buf_len;
  size_t buf_cap;
  sqlite3_int64 buf_off;
  int kick_fd;      // Main database file: a second descriptor for sync_file_range.
  size_t unkicked;  // Bytes written since the last writeback kick.
};

sqlite3_vfs* g_real = nullptr;

BatchFile* AsBatch(sqlite3_file* f) { return reinterpret_cast<BatchFile*>(f); }
sqlite3_file* Real(sqlite3_file* f) { return AsBatch(f)->real; }

// The unix VFS writes at most 128 KiB - 1 per pwrite and takes a write of 0 bytes for a
// full disk: a longer xWrite whose remainder is a multiple of 128 KiB fails with
// SQLITE_FULL. So the buffer goes out in pieces below that size.
constexpr size_t kMaxWrite = 0x1f000;

int Flush(BatchFile* p) {
  int rc = SQLITE_OK;
  for (size_t done = 0; done < p->buf_len && rc == SQLITE_OK;) {
    const size_t n = std::min(kMaxWrite, p->buf_len - done);
    rc = p->real->pMethods->xWrite(p->real, p->buf + done, static_cast<int>(n),
                                   p->buf_off + static_cast<sqlite3_int64>(done));
    done += n;
  }
  p->buf_len = 0;
  p->commit_pending = false;
  return rc;
}

// --- Methods of every file: pass-through, after a flush of buffered WAL bytes. ------------

int xClose(sqlite3_file* f) {
  BatchFile* p = AsBatch(f);
  const int flushed = Flush(p);
  const int rc = p->real->pMethods != nullptr ? p->real->pMethods->xClose(p->real) : SQLITE_OK;
  std::free(p->buf);
  p->buf = nullptr;
  if (p->kick_fd >= 0) ::close(p->kick_fd);
  p->kick_fd = -1;
  return flushed != SQLITE_OK ? flushed : rc;
}
int xRead(sqlite3_file* f, void* out, int amt, sqlite3_int64 off) {
  if (int rc = Flush(AsBatch(f)); rc != SQLITE_OK) return rc;
  return Real(f)->pMethods->xRead(Real(f), out, amt, off);
}
int xWritePass(sqlite3_file* f, const void* data, int amt, sqlite3_int64 off) {
  BatchFile* p = AsBatch(f);
  const int rc = p->real->pMethods->xWrite(p->real, data, amt, off);
  if (rc == SQLITE_OK && p->kick_fd >= 0) {
    p->unkicked += static_cast<size_t>(amt);
    if (p->unkicked >= kKickBytes) {
      ::sync_file_range(p->kick_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
      p->unkicked = 0;
    }
  }
  return rc;
}
int xTruncate(sqlite3_file* f, sqlite3_int64 size) {
  if (int rc = Flush(AsBatch(f)); rc != SQLITE_OK) return rc;
  return Real(f)->pMethods->xTruncate(Real(f), size);
}
int xSync(sqlite3_file* f, int flags) {
  if (int rc = Flush(AsBatch(f)); rc != SQLITE_OK) return rc;
  AsBatch(f)->unkicked = 0;
  return Real(f)->pMethods->xSync(Real(f), flags);
}
int xFileSize(sqlite3_file* f, sqlite3_int64* size) {
  if (int rc = Flush(AsBatch(f)); rc != SQLITE_OK) return rc;
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int xLock(sqlite3_file* f, int level) { return Real(f)->pMethods->xLock(Real(f), level); }
int xUnlock(sqlite3_file* f, int level) { return Real(f)->pMethods->xUnlock(Real(f), level); }
int xCheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int xFileControl(sqlite3_file* f, int op, void* arg) {
  if (int rc = Flush(AsBatch(f)); rc != SQLITE_OK) return rc;
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int xSectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int xDeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int xShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), region, size, extend, out);
}
int xShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void xShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int xShmUnmap(sqlite3_file* f, int del) { return Real(f)->pMethods->xShmUnmap(Real(f), del); }
int xFetch(sqlite3_file* f, sqlite3_int64 off, int amt, void** out) {
  if (int rc = Flush(AsBatch(f)); rc != SQLITE_OK) return rc;
  return Real(f)->pMethods->xFetch(Real(f), off, amt, out);
}
int xUnfetch(sqlite3_file* f, sqlite3_int64 off, void* page) {
  return Real(f)->pMethods->xUnfetch(Real(f), off, page);
}

// --- The WAL's write: buffered. ------------------------------------------------------------

int xWriteWal(sqlite3_file* f, const void* data, int amt, sqlite3_int64 off) {
  BatchFile* p = AsBatch(f);
  const size_t n = static_cast<size_t>(amt);
  if (p->buf_len > 0 &&
      (off != p->buf_off + static_cast<sqlite3_int64>(p->buf_len) || p->buf_len + n > kMaxBuffer)) {
    if (int rc = Flush(p); rc != SQLITE_OK) return rc;
  }
  if (n > kMaxWrite) return Real(f)->pMethods->xWrite(Real(f), data, amt, off);
  if (p->buf_cap < p->buf_len + n) {
    size_t cap = p->buf_cap == 0 ? 64 * 1024 : p->buf_cap;
    while (cap < p->buf_len + n) cap *= 2;
    char* grown = static_cast<char*>(std::realloc(p->buf, cap));
    if (grown == nullptr) {
      // No memory for the buffer: write through.
      if (int rc = Flush(p); rc != SQLITE_OK) return rc;
      return Real(f)->pMethods->xWrite(Real(f), data, amt, off);
    }
    p->buf = grown;
    p->buf_cap = cap;
  }
  if (p->buf_len == 0) p->buf_off = off;
  std::memcpy(p->buf + p->buf_len, data, n);
  p->buf_len += n;
  if (p->commit_pending) return Flush(p);  // The commit frame's page: the commit is whole.
  if (amt == kFrameHeaderBytes && off >= 32) {
    // A frame header: bytes 4-7 are the database size after commit, zero unless the
    // frame ends a transaction.
    const unsigned char* h = static_cast<const unsigned char*>(data);
    p->commit_pending = (h[4] | h[5] | h[6] | h[7]) != 0;
  }
  return SQLITE_OK;
}

sqlite3_io_methods MakeMethods(int version, bool wal) {
  sqlite3_io_methods m{};
  m.iVersion = version;
  m.xClose = xClose;
  m.xRead = xRead;
  m.xWrite = wal ? xWriteWal : xWritePass;
  m.xTruncate = xTruncate;
  m.xSync = xSync;
  m.xFileSize = xFileSize;
  m.xLock = xLock;
  m.xUnlock = xUnlock;
  m.xCheckReservedLock = xCheckReservedLock;
  m.xFileControl = xFileControl;
  m.xSectorSize = xSectorSize;
  m.xDeviceCharacteristics = xDeviceCharacteristics;
  if (version >= 2) {
    m.xShmMap = xShmMap;
    m.xShmLock = xShmLock;
    m.xShmBarrier = xShmBarrier;
    m.xShmUnmap = xShmUnmap;
  }
  if (version >= 3) {
    m.xFetch = xFetch;
    m.xUnfetch = xUnfetch;
  }
  return m;
}

// One table per (version, WAL or not): files of one underlying VFS share a version.
sqlite3_io_methods g_methods[4][2];

int xOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  BatchFile* p = AsBatch(f);
  std::memset(p, 0, sizeof(BatchFile));
  p->kick_fd = -1;
  p->real = reinterpret_cast<sqlite3_file*>(p + 1);
  const int rc = g_real->xOpen(g_real, name, p->real, flags, out_flags);
  if (rc != SQLITE_OK || p->real->pMethods == nullptr) {
    p->base.pMethods = nullptr;  // Nothing to close.
    return rc;
  }
  p->wal = (flags & SQLITE_OPEN_WAL) != 0;
  if ((flags & SQLITE_OPEN_MAIN_DB) != 0 && name != nullptr) {
    p->kick_fd = ::open(name, O_RDONLY | O_CLOEXEC);
  }
  int version = p->real->pMethods->iVersion;
  if (version < 1) version = 1;
  if (version > 3) version = 3;
  p->base.pMethods = &g_methods[version][p->wal ? 1 : 0];
  return SQLITE_OK;
}
int xDelete(sqlite3_vfs*, const char* name, int sync_dir) {
  return g_real->xDelete(g_real, name, sync_dir);
}
int xAccess(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_real->xAccess(g_real, name, flags, out);
}
int xFullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_real->xFullPathname(g_real, name, n, out);
}
void* xDlOpen(sqlite3_vfs*, const char* name) { return g_real->xDlOpen(g_real, name); }
void xDlError(sqlite3_vfs*, int n, char* out) { g_real->xDlError(g_real, n, out); }
void (*xDlSym(sqlite3_vfs*, void* h, const char* sym))(void) {
  return g_real->xDlSym(g_real, h, sym);
}
void xDlClose(sqlite3_vfs*, void* h) { g_real->xDlClose(g_real, h); }
int xRandomness(sqlite3_vfs*, int n, char* out) { return g_real->xRandomness(g_real, n, out); }
int xSleep(sqlite3_vfs*, int us) { return g_real->xSleep(g_real, us); }
int xCurrentTime(sqlite3_vfs*, double* out) { return g_real->xCurrentTime(g_real, out); }
int xGetLastError(sqlite3_vfs*, int n, char* out) {
  return g_real->xGetLastError != nullptr ? g_real->xGetLastError(g_real, n, out) : 0;
}
int xCurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  if (g_real->iVersion >= 2 && g_real->xCurrentTimeInt64 != nullptr) {
    return g_real->xCurrentTimeInt64(g_real, out);
  }
  double days = 0;
  const int rc = g_real->xCurrentTime(g_real, &days);
  *out = static_cast<sqlite3_int64>(days * 86400000.0);
  return rc;
}

sqlite3_vfs g_vfs;

}  // namespace

const char* WalBatchVfsName() {
  static std::once_flag once;
  static const char* name = nullptr;
  std::call_once(once, [] {
    g_real = sqlite3_vfs_find(nullptr);
    if (g_real == nullptr) return;
    for (int v = 1; v <= 3; ++v) {
      g_methods[v][0] = MakeMethods(v, false);
      g_methods[v][1] = MakeMethods(v, true);
    }
    g_vfs.iVersion = 2;
    g_vfs.szOsFile = static_cast<int>(sizeof(BatchFile)) + g_real->szOsFile;
    g_vfs.mxPathname = g_real->mxPathname;
    g_vfs.zName = "lts-wal-batch";
    g_vfs.xOpen = xOpen;
    g_vfs.xDelete = xDelete;
    g_vfs.xAccess = xAccess;
    g_vfs.xFullPathname = xFullPathname;
    g_vfs.xDlOpen = xDlOpen;
    g_vfs.xDlError = xDlError;
    g_vfs.xDlSym = xDlSym;
    g_vfs.xDlClose = xDlClose;
    g_vfs.xRandomness = xRandomness;
    g_vfs.xSleep = xSleep;
    g_vfs.xCurrentTime = xCurrentTime;
    g_vfs.xGetLastError = xGetLastError;
    g_vfs.xCurrentTimeInt64 = xCurrentTimeInt64;
    if (sqlite3_vfs_register(&g_vfs, /*makeDflt=*/0) == SQLITE_OK) name = g_vfs.zName;
  });
  return name;
}

}  // namespace lts::store::internal
