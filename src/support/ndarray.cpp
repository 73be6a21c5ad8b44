#include "support/ndarray.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "support/error.h"
#include "support/memory_limit.h"

namespace bcd {

int64_t shape_size(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int64_t checked_shape_size(const std::vector<int64_t>& shape, const std::string& what) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 1) fail("{}: shape {} has a dimension below 1", what, shape_string(shape));
    if (__builtin_mul_overflow(n, d, &n) || n > kMaxTensorElements)
      fail("{}: shape {} has more than 2^36 elements, more than bcd can hold", what, shape_string(shape));
  }
  return n;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

void NDArray::FreeDeleter::operator()(float* p) const { std::free(p); }

NDArray::NDArray(std::vector<int64_t> shape) : shape_(std::move(shape)) {
  size_ = checked_shape_size(shape_, "array");
  size_t bytes = ((size_ * sizeof(float) + 63) / 64) * 64;
  check_allocation(bytes, fmt::format("an array of shape {}", shape_string(shape_)));
  data_.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
  if (!data_) fail("out of memory allocating {} bytes", bytes);
  std::memset(data_.get(), 0, bytes);
}

int64_t NDArray::offset(const std::vector<int64_t>& index) const {
  BCD_CHECK(index.size() == shape_.size(), "index rank {} vs shape rank {}", index.size(),
            shape_.size());
  int64_t off = 0;
  for (size_t i = 0; i < index.size(); ++i) off = off * shape_[i] + index[i];
  return off;
}

void NDArray::fill(float value) { std::fill(data(), data() + size_, value); }

void NDArray::fill_random(std::mt19937_64& rng, float low, float high) {
  std::uniform_real_distribution<float> dist(low, high);
  for (int64_t i = 0; i < size_; ++i) data_.get()[i] = dist(rng);
}

NDArray NDArray::copy() const {
  NDArray out(shape_);
  if (size_) std::memcpy(out.data(), data(), size_ * sizeof(float));
  return out;
}

ArrayDiff compare_arrays(const NDArray& actual, const NDArray& expected) {
  if (actual.shape() != expected.shape())
    fail("shape mismatch: {} vs {}", shape_string(actual.shape()),
         shape_string(expected.shape()));
  double scale = 0;
  for (int64_t i = 0; i < expected.size(); ++i)
    scale = std::max(scale, std::fabs(double(expected[i])));
  ArrayDiff d;
  for (int64_t i = 0; i < expected.size(); ++i) {
    double a = actual[i], e = expected[i];
    double abs = std::fabs(a - e);
    if (std::isnan(a) != std::isnan(e)) abs = INFINITY;
    if (std::isnan(a) && std::isnan(e)) abs = 0;
    d.max_abs = std::max(d.max_abs, abs);
    d.max_rel = std::max(d.max_rel, abs / std::max(std::fabs(e), std::max(1e-3 * scale, 1e-12)));
  }
  return d;
}

bool arrays_close(const NDArray& actual, const NDArray& expected, double rtol, double atol) {
  if (actual.shape() != expected.shape()) return false;
  for (int64_t i = 0; i < expected.size(); ++i) {
    double a = actual[i], e = expected[i];
    if (std::isnan(a) || std::isnan(e)) return false;
    if (std::fabs(a - e) > atol + rtol * std::fabs(e)) return false;
  }
  return true;
}

std::vector<NDArray> random_arrays(const std::vector<std::vector<int64_t>>& shapes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<NDArray> result;
  for (const auto& shape : shapes) result.emplace_back(shape).fill_random(rng);
  return result;
}

}  // namespace bcd
