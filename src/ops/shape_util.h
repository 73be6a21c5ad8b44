// Shape arithmetic and validation shared by the compute declarations and the
// reference implementations: each failure is a one-line bcd::Error naming the operator.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bcd::ops {

// "1x3x224x224", the way parameters spell shapes.
std::string dims_string(const std::vector<int64_t>& shape);

// Fails with "<op>: <what> shape 0x3 has a non-positive dimension", or when the
// shape has no dimensions (every operator works on tensors of rank >= 1).
void check_shape(const std::vector<int64_t>& shape, const std::string& what,
                 const std::string& op);
// Fails unless `shape` has exactly `rank` dimensions.
void check_rank(const std::vector<int64_t>& shape, size_t rank, const std::string& what,
                const std::string& op);

// Maps a possibly negative axis into [0, rank); fails when out of range.
int normalize_axis(int64_t axis, size_t rank, const std::string& op);

// Numpy broadcasting: shapes are aligned at the right; each pair of dimensions must
// be equal or one of them 1. Fails with "<op>: shapes AxB and CxD are not
// broadcastable".
std::vector<int64_t> broadcast_shape(const std::vector<int64_t>& a,
                                     const std::vector<int64_t>& b, const std::string& op);

// Resolves a reshape target (at most one -1, which is inferred) for `size` elements;
// fails when sizes disagree.
std::vector<int64_t> resolve_reshape(const std::vector<int64_t>& in_shape,
                                     const std::vector<int64_t>& new_shape,
                                     const std::string& op);

// Validates a permutation of [0, rank) (negative entries count from the end); an
// empty list means reversing the dimensions.
std::vector<int> resolve_permutation(const std::vector<int64_t>& axes, size_t rank,
                                     const std::string& op);

}  // namespace bcd::ops
