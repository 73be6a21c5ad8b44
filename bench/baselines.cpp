#include "baselines.h"

#include <cblas.h>
#include <dlfcn.h>
#include <fmt/format.h>

#include <dnnl.hpp>

namespace bcd::bench {

OpenBlasDense::OpenBlasDense(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c)
    : m_(m), n_(n), k_(k), a_(a), b_(b), c_(c) {}

void OpenBlasDense::run() const {
  // B is NxK: the product with its transpose is sgemm's "NoTrans, Trans".
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m_), static_cast<int>(n_),
              static_cast<int>(k_), 1.0f, a_, static_cast<int>(k_), b_, static_cast<int>(k_), 0.0f, c_,
              static_cast<int>(n_));
}

std::string OpenBlasDense::version() {
  return fmt::format("{} (core {})", openblas_get_config(), openblas_get_corename());
}

void OpenBlasDense::set_threads(int threads) { openblas_set_num_threads(threads); }

int OpenBlasDense::threads() { return openblas_get_num_threads(); }

void OpenBlasDense::release_threads() {
  // Not public API (OpenBLAS calls it itself around fork()), hence looked up: a
  // build without it only loses the quiet machine, not the benchmark.
  using Shutdown = int (*)();
  static auto shutdown = reinterpret_cast<Shutdown>(dlsym(RTLD_DEFAULT, "blas_thread_shutdown_"));
  if (shutdown) shutdown();
}

using dnnl::memory;
using tag = dnnl::memory::format_tag;

struct OnednnConv::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward conv;
  memory src, weights, dst;  // in oneDNN's chosen layouts
  memory::desc user_dst;     // the caller's layout, for read_output
};

OnednnConv::OnednnConv(const ConvShape& s, const float* data, const float* weight)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  const auto f32 = memory::data_type::f32;
  // oneDNN's dimensions are always logical N,C,H,W and O,I,KH,KW; the tags below
  // say how the caller's buffers lay them out.
  memory::dims src_dims = {s.n, s.c, s.h, s.w};
  memory::dims wei_dims = {s.o, s.c, s.kernel, s.kernel};
  memory::dims dst_dims = {s.n, s.o, s.out_h(), s.out_w()};
  dnnl::convolution_forward::desc desc(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
      memory::desc(src_dims, f32, tag::any), memory::desc(wei_dims, f32, tag::any),
      memory::desc(dst_dims, f32, tag::any), {s.stride, s.stride}, {s.pad, s.pad}, {s.pad, s.pad});
  m.pd = dnnl::convolution_forward::primitive_desc(desc, m.engine);
  m.conv = dnnl::convolution_forward(m.pd);

  memory::desc user_src(src_dims, f32, s.nhwc ? tag::nhwc : tag::nchw);
  memory::desc user_wei(wei_dims, f32, s.nhwc ? tag::hwio : tag::oihw);
  m.user_dst = memory::desc(dst_dims, f32, s.nhwc ? tag::nhwc : tag::nchw);
  // oneDNN only reads the user buffers here; its API takes non-const handles.
  memory user_src_mem(user_src, m.engine, const_cast<float*>(data));
  memory user_wei_mem(user_wei, m.engine, const_cast<float*>(weight));
  m.src = memory(m.pd.src_desc(), m.engine);
  m.weights = memory(m.pd.weights_desc(), m.engine);
  m.dst = memory(m.pd.dst_desc(), m.engine);
  dnnl::reorder(user_src_mem, m.src).execute(m.stream, user_src_mem, m.src);
  dnnl::reorder(user_wei_mem, m.weights).execute(m.stream, user_wei_mem, m.weights);
  m.stream.wait();
}

OnednnConv::~OnednnConv() = default;

void OnednnConv::run() const {
  Impl& m = *impl_;
  m.conv.execute(m.stream, {{DNNL_ARG_SRC, m.src}, {DNNL_ARG_WEIGHTS, m.weights}, {DNNL_ARG_DST, m.dst}});
  m.stream.wait();
}

void OnednnConv::read_output(float* out) const {
  Impl& m = *impl_;
  memory user(m.user_dst, m.engine, out);
  dnnl::reorder(m.dst, user).execute(m.stream, m.dst, user);
  m.stream.wait();
}

std::string OnednnConv::implementation() const { return impl_->pd.impl_info_str(); }

struct OnednnDense::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::inner_product_forward::primitive_desc pd;
  dnnl::inner_product_forward ip;
  memory src, weights, dst;
};

OnednnDense::OnednnDense(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c)
    : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  const auto f32 = memory::data_type::f32;
  memory::desc src_desc({m, k}, f32, tag::nc);
  memory::desc dst_desc({m, n}, f32, tag::nc);
  dnnl::inner_product_forward::desc desc(dnnl::prop_kind::forward_inference, src_desc,
                                         memory::desc({n, k}, f32, tag::any), dst_desc);
  d.pd = dnnl::inner_product_forward::primitive_desc(desc, d.engine);
  d.ip = dnnl::inner_product_forward(d.pd);
  // oneDNN only reads the source and the user weight; its API takes non-const handles.
  d.src = memory(src_desc, d.engine, const_cast<float*>(a));
  d.dst = memory(dst_desc, d.engine, c);
  memory user_wei(memory::desc({n, k}, f32, tag::oi), d.engine, const_cast<float*>(b));
  d.weights = memory(d.pd.weights_desc(), d.engine);
  dnnl::reorder(user_wei, d.weights).execute(d.stream, user_wei, d.weights);
  d.stream.wait();
}

OnednnDense::~OnednnDense() = default;

void OnednnDense::run() const {
  Impl& d = *impl_;
  d.ip.execute(d.stream, {{DNNL_ARG_SRC, d.src}, {DNNL_ARG_WEIGHTS, d.weights}, {DNNL_ARG_DST, d.dst}});
  d.stream.wait();
}

std::string OnednnDense::implementation() const { return impl_->pd.impl_info_str(); }

std::string OnednnConv::version() {
  const dnnl_version_t* v = dnnl_version();
  return fmt::format("{}.{}.{} ({})", v->major, v->minor, v->patch, v->hash);
}

}  // namespace bcd::bench
