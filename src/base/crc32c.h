// CRC32C (Castagnoli, polynomial 0x1EDC6F41, as in iSCSI and ext4) for checksums on
// disk and on the wire.
//
// Uses the SSE4.2 crc32 instruction when the CPU has it (checked once at run time) and
// a table-driven (slicing-by-8) implementation otherwise; both give identical results.
//
// Thread safety: all functions are pure and may be called from any thread.

#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lts::crc32c {

// Returns the CRC32C of data[0, n) appended to a message whose CRC32C is `init_crc`:
// Extend(Value(a), b, len(b)) == Value(a + b).
uint32_t Extend(uint32_t init_crc, const void* data, size_t n);

// The CRC32C of data[0, n).
inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view data) { return Extend(0, data.data(), data.size()); }

// A CRC stored next to the data it covers is masked (leveldb): computing the CRC of a
// string that contains embedded CRCs is otherwise problematic.
inline constexpr uint32_t kMaskDelta = 0xa282ead8u;

inline uint32_t Mask(uint32_t crc) {
  // Rotate right by 15 bits and add a constant.
  return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}

// Inverse of Mask().
inline uint32_t Unmask(uint32_t masked_crc) {
  const uint32_t rotated = masked_crc - kMaskDelta;
  return (rotated >> 17) | (rotated << 15);
}

// True if Extend() uses the SSE4.2 instruction on this machine.
bool IsHardwareAccelerated();

// The two implementations, for tests that compare them.
uint32_t ExtendPortableForTest(uint32_t init_crc, const void* data, size_t n);
// REQUIRES: IsHardwareAccelerated().
uint32_t ExtendHardwareForTest(uint32_t init_crc, const void* data, size_t n);

}  // namespace lts::crc32c
