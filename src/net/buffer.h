// Buffer: the growable byte buffer of every TcpConnection's input and output.
//
// Layout (muduo's):
//
//   +-------------------+------------------+------------------+
//   | prependable bytes |  readable bytes  |  writable bytes  |
//   |                   |    (content)     |                  |
//   +-------------------+------------------+------------------+
//   0           reader_index       writer_index          capacity
//
// Reading consumes from the front (Peek/Retrieve), writing appends at the back
// (Append or BeginWrite/HasWritten). kCheapPrepend bytes are kept free in front so a
// codec can prepend a length header to a body it has already appended without copying.
// When space runs out the buffer first slides its content to the front, and only grows
// (geometrically) when that is not enough.
//
// Memory: a connection keeps two buffers for its whole life, so an idle buffer must be
// small. Shrink() gives back what is not needed; TcpConnection calls it when a buffer
// has been drained and holds more than kMaxIdleCapacity.
//
// Thread safety: none; a Buffer belongs to one thread at a time (a connection's buffers
// to its loop thread). Not copyable; Swap() exchanges contents in O(1).

#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace lts::net {

class Buffer {
 public:
  static constexpr size_t kCheapPrepend = 8;
  static constexpr size_t kInitialSize = 1024;
  // TcpConnection shrinks a drained buffer whose capacity exceeds this (bytes).
  static constexpr size_t kMaxIdleCapacity = 4096;
  // Size of the stack buffer ReadFd() reads into beyond the buffer's free space.
  static constexpr size_t kExtraReadSize = size_t{64} * 1024;

  // Allocates kCheapPrepend + `initial_size` bytes.
  explicit Buffer(size_t initial_size = kInitialSize);
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() = default;

  void Swap(Buffer& other) noexcept;

  size_t readable_bytes() const { return writer_index_ - reader_index_; }
  size_t writable_bytes() const { return capacity_ - writer_index_; }
  size_t prependable_bytes() const { return reader_index_; }
  // Total allocated bytes, prepend area included.
  size_t capacity() const { return capacity_; }

  // The first readable byte; valid until the next non-const call.
  const char* Peek() const { return data_.get() + reader_index_; }
  std::string_view ToStringView() const { return {Peek(), readable_bytes()}; }

  // Consumes `n` readable bytes. REQUIRES: n <= readable_bytes().
  void Retrieve(size_t n);
  void RetrieveAll();
  // Consumes `n` bytes and returns them. REQUIRES: n <= readable_bytes().
  std::string RetrieveAsString(size_t n);
  std::string RetrieveAllAsString();

  void Append(const void* data, size_t n);
  void Append(std::string_view data) { Append(data.data(), data.size()); }

  // Makes room for at least `n` more bytes at BeginWrite(), sliding or growing.
  void EnsureWritable(size_t n);
  // Where the next appended byte goes; writable_bytes() bytes are available.
  char* BeginWrite() { return data_.get() + writer_index_; }
  // Marks `n` bytes written at BeginWrite() as readable. REQUIRES: n <= writable_bytes().
  void HasWritten(size_t n);

  // Puts `n` bytes in front of the readable bytes. REQUIRES: n <= prependable_bytes()
  // (at least kCheapPrepend after construction, RetrieveAll() or Shrink()).
  void Prepend(const void* data, size_t n);

  // Reallocates to fit the readable bytes (but not below the initial size), releasing
  // the rest of the memory.
  void Shrink();

  // Big-endian (network order) integers, as the rpc frame format uses.
  void AppendInt32(int32_t value);
  void AppendInt64(int64_t value);
  void PrependInt32(int32_t value);
  // REQUIRES: readable_bytes() >= 4 (8 for Int64).
  int32_t PeekInt32() const;
  int64_t PeekInt64() const;
  int32_t ReadInt32();
  int64_t ReadInt64();

  // Reads from `fd` with one readv() into the free space plus a kExtraReadSize stack
  // buffer, so a single call can take far more than the current free space; what lands
  // in the stack buffer is appended. Returns what read(2) returns: bytes read, 0 at end
  // of stream, or -1 with the error in `*saved_errno`.
  ssize_t ReadFd(int fd, int* saved_errno);

 private:
  void MakeSpace(size_t n);
  void Reallocate(size_t new_capacity);

  const size_t initial_size_;
  std::unique_ptr<char[]> data_;
  size_t capacity_;
  // Invariant: kCheapPrepend <= reader_index_ <= writer_index_ <= capacity_, except
  // that Prepend() may move reader_index_ below kCheapPrepend (down to 0).
  size_t reader_index_;
  size_t writer_index_;
};

}  // namespace lts::net
