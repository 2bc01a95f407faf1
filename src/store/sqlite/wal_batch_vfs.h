// A SQLite VFS over the platform's default one ("unix") that gathers the writes to a
// write-ahead log into one write per commit.
//
// SQLite appends a commit to the WAL as two writes per page (the 24-byte frame header,
// then the page), each a pwrite(2) system call: a claim or completion of 100 jobs writes
// 15-20 pages, so 30-40 system calls before the fdatasync. On this project's virtual
// machines a system call costs microseconds (122 us for 34 frames written one call per
// header and page, 16 us as one call), a sixth of the CPU time of a claim+complete cycle.
//
// The VFS keeps the contiguous WAL appends of a transaction in memory and writes them
// with one call:
//   - after the page of a commit frame (a frame header whose "database size after
//     commit" field is not zero), so that every commit is in the file before SQLite
//     updates the wal-index and before it returns, whatever the synchronous setting;
//   - before any other operation on the WAL file (xSync, xRead, xTruncate, xFileSize,
//     xFileControl, xClose, ...), so that fdatasync covers exactly what it covered before
//     and SQLite reads back what it wrote;
//   - when a write is not contiguous with the buffered ones, or the buffer would exceed
//     1 MiB.
// Only the WAL file is buffered; the database file, the journal and the wal-index (shm)
// go straight to the underlying VFS. What reaches the disk and when it is synced is
// unchanged: every byte SQLite wrote is written before the xSync that makes it durable.
//
// Writes to the main database file (in WAL mode: checkpoints) start the kernel's
// writeback every 256 KiB (sync_file_range(2), SYNC_FILE_RANGE_WRITE, which does not
// wait for it). Without it a checkpoint of 16 MiB left all of it dirty for its final
// fsync, and on ext4 the WAL's fdatasync of a commit made meanwhile waited for the same
// journal commit: commits stalled 20-60 ms (measured with bench_e2e's lateness phase).
// The kick changes no ordering or durability: the fsync still follows.

#pragma once

namespace lts::store::internal {

// The name of the VFS, registered (not as the default) on first call; nullptr when
// SQLite has no default VFS to wrap (then callers open with the default).
const char* WalBatchVfsName();

}  // namespace lts::store::internal
