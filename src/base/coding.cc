#include "base/coding.h"

#include <algorithm>

#include "base/check.h"

namespace lts {
namespace {

uint8_t ByteAt(const char* p, int i) { return static_cast<uint8_t>(p[i]); }

// Decodes a varint of at most `max_length` bytes whose value must fit in `bits` bits.
// Returns the number of bytes used, or 0 for a truncated, over-long or overflowing
// encoding.
int DecodeVarint(std::string_view input, int max_length, int bits, uint64_t* value) {
  uint64_t result = 0;
  const int limit = static_cast<int>(std::min(input.size(), static_cast<size_t>(max_length)));
  for (int i = 0; i < limit; ++i) {
    const uint64_t byte = static_cast<uint8_t>(input[static_cast<size_t>(i)]);
    const int shift = 7 * i;
    const uint64_t payload = byte & 0x7f;
    // The last allowed byte may only carry the bits that are left.
    if (shift + 7 > bits && (payload >> (bits - shift)) != 0) return 0;
    result |= payload << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return i + 1;
    }
  }
  return 0;  // Truncated, or the continuation bit was set on the last allowed byte.
}

}  // namespace

void EncodeFixed32(char* dst, uint32_t value) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>(static_cast<uint8_t>(value >> (8 * i)));
}

void EncodeFixed64(char* dst, uint64_t value) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>(static_cast<uint8_t>(value >> (8 * i)));
}

uint32_t DecodeFixed32(const char* ptr) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= static_cast<uint32_t>(ByteAt(ptr, i)) << (8 * i);
  return value;
}

uint64_t DecodeFixed64(const char* ptr) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= static_cast<uint64_t>(ByteAt(ptr, i)) << (8 * i);
  return value;
}

void PutFixed32(std::string* dst, uint32_t value) {
  char buf[4];
  EncodeFixed32(buf, value);
  dst->append(buf, sizeof(buf));
}

void PutFixed64(std::string* dst, uint64_t value) {
  char buf[8];
  EncodeFixed64(buf, value);
  dst->append(buf, sizeof(buf));
}

void PutVarint64(std::string* dst, uint64_t value) {
  char buf[kMaxVarint64Length];
  int length = 0;
  while (value >= 0x80) {
    buf[length++] = static_cast<char>(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  buf[length++] = static_cast<char>(static_cast<uint8_t>(value));
  dst->append(buf, static_cast<size_t>(length));
}

void PutVarint32(std::string* dst, uint32_t value) { PutVarint64(dst, value); }

void PutLengthPrefixedSlice(std::string* dst, std::string_view value) {
  LTS_CHECK(value.size() <= UINT32_MAX) << "slice of " << value.size() << " bytes";
  PutVarint32(dst, static_cast<uint32_t>(value.size()));
  dst->append(value);
}

int VarintLength(uint64_t value) {
  int length = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++length;
  }
  return length;
}

bool GetFixed32(std::string_view* input, uint32_t* value) {
  if (input->size() < 4) return false;
  *value = DecodeFixed32(input->data());
  input->remove_prefix(4);
  return true;
}

bool GetFixed64(std::string_view* input, uint64_t* value) {
  if (input->size() < 8) return false;
  *value = DecodeFixed64(input->data());
  input->remove_prefix(8);
  return true;
}

bool GetVarint32(std::string_view* input, uint32_t* value) {
  uint64_t decoded = 0;
  const int length = DecodeVarint(*input, kMaxVarint32Length, 32, &decoded);
  if (length == 0) return false;
  *value = static_cast<uint32_t>(decoded);
  input->remove_prefix(static_cast<size_t>(length));
  return true;
}

bool GetVarint64(std::string_view* input, uint64_t* value) {
  uint64_t decoded = 0;
  const int length = DecodeVarint(*input, kMaxVarint64Length, 64, &decoded);
  if (length == 0) return false;
  *value = decoded;
  input->remove_prefix(static_cast<size_t>(length));
  return true;
}

bool GetLengthPrefixedSlice(std::string_view* input, std::string_view* result) {
  std::string_view rest = *input;
  uint32_t length = 0;
  if (!GetVarint32(&rest, &length) || rest.size() < length) return false;
  *result = rest.substr(0, length);
  rest.remove_prefix(length);
  *input = rest;
  return true;
}

}  // namespace lts
