// The vendor kernels the benchmark compares against, each behind a small class that
// does its set-up (layout choice, reorders) in the constructor so that run() is only
// the timed computation.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

namespace bcd::bench {

// OpenBLAS sgemm computing the registry's dense: C[MxN] = A[MxK] * B[NxK]^T, all
// row-major. The buffers belong to the caller.
class OpenBlasDense {
 public:
  OpenBlasDense(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c);
  void run() const;
  static std::string version();  // the library's configuration string
  static void set_threads(int threads);
  static int threads();
  // OpenBLAS's idle workers keep polling (sched_yield) for a long time after a
  // call, taking a core from whatever runs next; this ends them. The next call
  // starts them again.
  static void release_threads();

 private:
  int64_t m_, n_, k_;
  const float* a_;
  const float* b_;
  float* c_;
};

struct ConvShape {
  int64_t n, c, h, w, o, kernel, stride, pad;
  bool nhwc;  // else NCHW; the weight is then KHxKWxCxO, else OxCxKHxKW
  int64_t out_h() const { return (h + 2 * pad - kernel) / stride + 1; }
  int64_t out_w() const { return (w + 2 * pad - kernel) / stride + 1; }
};

// A oneDNN direct convolution (forward inference, f32) whose source, weight and
// destination layouts are left to oneDNN (format_tag::any). The constructor reorders
// the caller's data and weight, given in the shape's layout, into oneDNN's preferred
// layouts; run() times nothing but the convolution; read_output() reorders the
// result back into the caller's layout (for checking it).
class OnednnConv {
 public:
  OnednnConv(const ConvShape& shape, const float* data, const float* weight);
  ~OnednnConv();
  OnednnConv(const OnednnConv&) = delete;
  OnednnConv& operator=(const OnednnConv&) = delete;
  void run() const;
  void read_output(float* out) const;
  std::string implementation() const;  // oneDNN's name for the kernel it chose
  static std::string version();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// oneDNN's inner product (forward inference, f32) computing the registry's dense
// C[MxN] = A[MxK] * B[NxK]^T: the weight layout is left to oneDNN (reordered once
// in the constructor), source and destination stay row-major in the caller's
// buffers, so run() writes the caller's output directly.
class OnednnDense {
 public:
  OnednnDense(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c);
  ~OnednnDense();
  OnednnDense(const OnednnDense&) = delete;
  OnednnDense& operator=(const OnednnDense&) = delete;
  void run() const;
  std::string implementation() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bcd::bench
