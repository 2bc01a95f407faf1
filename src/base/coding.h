// Binary encoding of integers and byte strings for disk and wire formats (leveldb's
// coding.h): little-endian fixed-width integers, LEB128 varints, and length-prefixed
// strings (a varint32 length followed by the bytes).
//
// Decoding functions take untrusted input: they never read past the end of the input
// and report truncated, over-long or overflowing encodings by returning false, leaving
// `*input` and the outputs unchanged. Non-minimal varints whose value fits (0x80 0x00
// for 0) are accepted, as leveldb does.
//
// Thread safety: all functions are pure and may be called from any thread.

#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lts {

// Longest encodings: 5 bytes for a varint32, 10 for a varint64.
inline constexpr int kMaxVarint32Length = 5;
inline constexpr int kMaxVarint64Length = 10;

// REQUIRES: `dst` has room for 4 (8) bytes.
void EncodeFixed32(char* dst, uint32_t value);
void EncodeFixed64(char* dst, uint64_t value);

// REQUIRES: `ptr` points at 4 (8) readable bytes.
uint32_t DecodeFixed32(const char* ptr);
uint64_t DecodeFixed64(const char* ptr);

// Append the encoding of `value` to `*dst`.
void PutFixed32(std::string* dst, uint32_t value);
void PutFixed64(std::string* dst, uint64_t value);
void PutVarint32(std::string* dst, uint32_t value);
void PutVarint64(std::string* dst, uint64_t value);

// Appends the varint32 length of `value` followed by its bytes.
// REQUIRES: value.size() <= UINT32_MAX.
void PutLengthPrefixedSlice(std::string* dst, std::string_view value);

// Number of bytes PutVarint64(value) appends (1 to 10).
int VarintLength(uint64_t value);

// Decode a value from the front of `*input` and advance `*input` past it. Return
// false (changing nothing) if the input is truncated, the varint is longer than
// kMaxVarint32Length / kMaxVarint64Length bytes, or its value overflows the type.
bool GetFixed32(std::string_view* input, uint32_t* value);
bool GetFixed64(std::string_view* input, uint64_t* value);
bool GetVarint32(std::string_view* input, uint32_t* value);
bool GetVarint64(std::string_view* input, uint64_t* value);

// Reads a varint32 length and that many bytes; `*result` points into the input.
bool GetLengthPrefixedSlice(std::string_view* input, std::string_view* result);

}  // namespace lts
