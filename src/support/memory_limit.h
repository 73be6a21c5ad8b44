// The most memory bcd allocates for one array or one model's constants, checked
// before allocating: a size declared by input (an ONNX initializer's dims, a
// folded ConstantOfShape, a .npy header) must never make bcd allocate first and
// fail later, or take the machine's memory. $BCD_MEMORY_LIMIT sets it ("512M",
// "8G", bytes without a unit); by default it is the machine's physical memory.
#pragma once
#include <cstdint>
#include <string>

namespace bcd {

// The limit in bytes (read once per process). Fails with one line on a malformed
// $BCD_MEMORY_LIMIT.
uint64_t memory_limit_bytes();

// Parses "512M", "8G", "1.5T", "4096": a byte count with an optional K/M/G/T
// (powers of 1024). Fails with one line naming `what` on anything else.
uint64_t parse_byte_count(const std::string& text, const std::string& what);

// Fails with one line naming `what` when `bytes` exceed the limit.
void check_allocation(uint64_t bytes, const std::string& what);

}  // namespace bcd
