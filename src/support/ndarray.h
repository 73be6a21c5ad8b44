// A dense float32 host array with 64-byte aligned storage (so generated kernels may
// use aligned vector loads). Used by the reference implementations and the runtime.
#pragma once
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace bcd {

class NDArray {
 public:
  NDArray() = default;
  explicit NDArray(std::vector<int64_t> shape);

  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t size() const { return size_; }
  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  float& operator[](int64_t i) { return data_.get()[i]; }
  float operator[](int64_t i) const { return data_.get()[i]; }

  // Row-major flat offset of a multi-index.
  int64_t offset(const std::vector<int64_t>& index) const;
  float& at(const std::vector<int64_t>& index) { return data_.get()[offset(index)]; }
  float at(const std::vector<int64_t>& index) const { return data_.get()[offset(index)]; }

  void fill(float value);
  // Uniform in [low, high), deterministic for a given generator state.
  void fill_random(std::mt19937_64& rng, float low = -1.0f, float high = 1.0f);
  NDArray copy() const;

 private:
  struct FreeDeleter {
    void operator()(float* p) const;
  };
  std::vector<int64_t> shape_;
  int64_t size_ = 0;
  std::unique_ptr<float[], FreeDeleter> data_;
};

int64_t shape_size(const std::vector<int64_t>& shape);

// The largest tensor bcd accepts: 2^36 float32 elements (256 GiB), beyond any model
// it can run; a larger size comes from bad input, and its arithmetic could overflow.
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 36;
// shape_size for sizes from user input: fails with one line naming `what` and the
// shape on a dimension below 1 or more than kMaxTensorElements elements, before
// any product can overflow.
int64_t checked_shape_size(const std::vector<int64_t>& shape, const std::string& what);
std::string shape_string(const std::vector<int64_t>& shape);

// Largest absolute and relative difference of two arrays of equal shape. Relative
// error is |a-b| / max(|b|, 1e-3 * max|b|) so that near-zero outputs do not dominate.
struct ArrayDiff {
  double max_abs = 0;
  double max_rel = 0;
};
ArrayDiff compare_arrays(const NDArray& actual, const NDArray& expected);

// One array per shape, filled in order from one generator seeded with `seed`
// (uniform in [-1, 1)): the seeded inputs of a network run.
std::vector<NDArray> random_arrays(const std::vector<std::vector<int64_t>>& shapes, uint64_t seed);
bool arrays_close(const NDArray& actual, const NDArray& expected, double rtol = 1e-4,
                  double atol = 1e-4);

}  // namespace bcd
