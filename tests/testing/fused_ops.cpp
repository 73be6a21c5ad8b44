#include "testing/fused_ops.h"

#include "ops/nn.h"
#include "ops/reference.h"

namespace bcd::testutil {

ops::OpInstance conv_bias_relu(ops::Layout layout, int64_t channels, int64_t size, int64_t out_channels) {
  using namespace ops;
  bool nchw = layout == Layout::NCHW;
  ir::Tensor data = ir::placeholder(nchw ? std::vector<int64_t>{1, channels, size, size}
                                         : std::vector<int64_t>{1, size, size, channels},
                                    "data");
  ir::Tensor weight = ir::placeholder(nchw ? std::vector<int64_t>{out_channels, channels, 3, 3}
                                           : std::vector<int64_t>{3, 3, channels, out_channels},
                                      "weight");
  ir::Tensor bias = ir::placeholder({out_channels}, "bias");
  Conv2DAttrs attrs;
  attrs.layout = layout;
  attrs.padding = {1, 1, 1, 1};
  ir::Tensor out = relu(bias_add(conv2d(data, weight, attrs), bias, nchw ? 1 : 3));
  return {ir::ComputeDAG({data, weight, bias}, {out}), [attrs, nchw](const std::vector<const NDArray*>& in) {
            std::vector<NDArray> out;
            out.push_back(ref::relu(ref::bias_add(ref::conv2d(*in[0], *in[1], attrs), *in[2], nchw ? 1 : 3)));
            return out;
          }};
}

ops::OpInstance dense_bias_relu(int64_t m, int64_t k, int64_t n) {
  using namespace ops;
  ir::Tensor data = ir::placeholder({m, k}, "data");
  ir::Tensor weight = ir::placeholder({n, k}, "weight");
  ir::Tensor bias = ir::placeholder({n}, "bias");
  ir::Tensor out = relu(dense(data, weight, bias));
  return {ir::ComputeDAG({data, weight, bias}, {out}), [](const std::vector<const NDArray*>& in) {
            std::vector<NDArray> out;
            out.push_back(ref::relu(ref::dense(*in[0], *in[1], in[2])));
            return out;
          }};
}

}  // namespace bcd::testutil
