#include "net/buffer.h"

#include <endian.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "base/check.h"

namespace lts::net {

Buffer::Buffer(size_t initial_size)
    : initial_size_(initial_size),
      data_(std::make_unique_for_overwrite<char[]>(kCheapPrepend + initial_size)),
      capacity_(kCheapPrepend + initial_size),
      reader_index_(kCheapPrepend),
      writer_index_(kCheapPrepend) {}

void Buffer::Swap(Buffer& other) noexcept {
  // initial_size_ stays with the object: it is a property of its owner, not the data.
  std::swap(data_, other.data_);
  std::swap(capacity_, other.capacity_);
  std::swap(reader_index_, other.reader_index_);
  std::swap(writer_index_, other.writer_index_);
}

void Buffer::Retrieve(size_t n) {
  LTS_CHECK(n <= readable_bytes()) << "retrieve " << n << " of " << readable_bytes();
  if (n < readable_bytes()) {
    reader_index_ += n;
  } else {
    RetrieveAll();
  }
}

void Buffer::RetrieveAll() {
  reader_index_ = kCheapPrepend;
  writer_index_ = kCheapPrepend;
}

std::string Buffer::RetrieveAsString(size_t n) {
  LTS_CHECK(n <= readable_bytes()) << "retrieve " << n << " of " << readable_bytes();
  std::string result(Peek(), n);
  Retrieve(n);
  return result;
}

std::string Buffer::RetrieveAllAsString() { return RetrieveAsString(readable_bytes()); }

void Buffer::Append(const void* data, size_t n) {
  EnsureWritable(n);
  if (n > 0) std::memcpy(BeginWrite(), data, n);
  writer_index_ += n;
}

void Buffer::EnsureWritable(size_t n) {
  if (writable_bytes() < n) MakeSpace(n);
}

void Buffer::HasWritten(size_t n) {
  LTS_CHECK(n <= writable_bytes()) << "wrote " << n << " of " << writable_bytes();
  writer_index_ += n;
}

void Buffer::Prepend(const void* data, size_t n) {
  LTS_CHECK(n <= prependable_bytes()) << "prepend " << n << " of " << prependable_bytes();
  reader_index_ -= n;
  std::memcpy(data_.get() + reader_index_, data, n);
}

void Buffer::Shrink() {
  const size_t wanted = kCheapPrepend + std::max(readable_bytes(), initial_size_);
  if (wanted < capacity_) Reallocate(wanted);
}

void Buffer::MakeSpace(size_t n) {
  const size_t readable = readable_bytes();
  if (capacity_ - readable - kCheapPrepend >= n) {
    // Enough room once the content slides to the front: no allocation.
    std::memmove(data_.get() + kCheapPrepend, Peek(), readable);
    reader_index_ = kCheapPrepend;
    writer_index_ = kCheapPrepend + readable;
    return;
  }
  // Double at least, so a stream of appends costs amortized O(1) per byte.
  Reallocate(std::max(kCheapPrepend + readable + n, capacity_ * 2));
}

void Buffer::Reallocate(size_t new_capacity) {
  const size_t readable = readable_bytes();
  LTS_CHECK(new_capacity >= kCheapPrepend + readable);
  auto fresh = std::make_unique_for_overwrite<char[]>(new_capacity);
  if (readable > 0) std::memcpy(fresh.get() + kCheapPrepend, Peek(), readable);
  data_ = std::move(fresh);
  capacity_ = new_capacity;
  reader_index_ = kCheapPrepend;
  writer_index_ = kCheapPrepend + readable;
}

void Buffer::AppendInt32(int32_t value) {
  const uint32_t be = htobe32(static_cast<uint32_t>(value));
  Append(&be, sizeof(be));
}

void Buffer::AppendInt64(int64_t value) {
  const uint64_t be = htobe64(static_cast<uint64_t>(value));
  Append(&be, sizeof(be));
}

void Buffer::PrependInt32(int32_t value) {
  const uint32_t be = htobe32(static_cast<uint32_t>(value));
  Prepend(&be, sizeof(be));
}

int32_t Buffer::PeekInt32() const {
  LTS_CHECK(readable_bytes() >= sizeof(uint32_t));
  uint32_t be;
  std::memcpy(&be, Peek(), sizeof(be));
  return static_cast<int32_t>(be32toh(be));
}

int64_t Buffer::PeekInt64() const {
  LTS_CHECK(readable_bytes() >= sizeof(uint64_t));
  uint64_t be;
  std::memcpy(&be, Peek(), sizeof(be));
  return static_cast<int64_t>(be64toh(be));
}

int32_t Buffer::ReadInt32() {
  const int32_t value = PeekInt32();
  Retrieve(sizeof(int32_t));
  return value;
}

int64_t Buffer::ReadInt64() {
  const int64_t value = PeekInt64();
  Retrieve(sizeof(int64_t));
  return value;
}

ssize_t Buffer::ReadFd(int fd, int* saved_errno) {
  // The stack buffer lets one readv() take up to 64 KiB more than the free space, so a
  // small idle buffer does not cost a syscall per KiB when a burst arrives, and the
  // buffer grows only by what was actually received.
  char extra[kExtraReadSize];
  const size_t writable = writable_bytes();
  iovec vec[2];
  vec[0].iov_base = BeginWrite();
  vec[0].iov_len = writable;
  vec[1].iov_base = extra;
  vec[1].iov_len = sizeof(extra);
  // With 64 KiB or more free already, the stack buffer would not add much.
  const int iovcnt = writable < sizeof(extra) ? 2 : 1;
  const ssize_t n = ::readv(fd, vec, iovcnt);
  if (n < 0) {
    *saved_errno = errno;
  } else if (static_cast<size_t>(n) <= writable) {
    writer_index_ += static_cast<size_t>(n);
  } else {
    writer_index_ = capacity_;
    Append(extra, static_cast<size_t>(n) - writable);
  }
  return n;
}

}  // namespace lts::net
