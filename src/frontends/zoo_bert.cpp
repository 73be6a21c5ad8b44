// BERT-base encoder: 12 layers, hidden 768, 12 heads of 64, feed-forward 3072, 128
// tokens, batch 1. The embeddings (token + position + segment lookups) are the graph
// input, 128 x 768, so the graph holds only what the encoder computes.
#include <cmath>

#include "frontends/model_builder.h"
#include "frontends/zoo.h"

namespace bcd::frontends {

using graph::NodeAttrs;
using graph::OpType;

namespace {

constexpr int64_t kHidden = 768, kHeads = 12, kHeadDim = 64, kFfn = 3072;

int layer_norm(ModelBuilder& b, int x) {
  auto& g = b.graph();
  const int gamma = b.constant({kHidden}, 0.1f, 1.0f);
  const int beta = b.constant({kHidden}, 0.01f);
  NodeAttrs a;
  a.epsilon = 1e-12;  // BERT's
  return g.add_op(OpType::LayerNorm, {x, gamma, beta}, a);
}

// seq x 768 -> reshape seq x 12 x 64 -> transpose by `axes`.
int split_heads(graph::Graph& g, int x, int64_t seq, std::vector<int64_t> axes) {
  NodeAttrs r;
  r.new_shape = {seq, kHeads, kHeadDim};
  NodeAttrs t;
  t.axes = std::move(axes);
  return g.add_op(OpType::Transpose, {g.add_op(OpType::Reshape, {x}, r)}, t);
}

int encoder_layer(ModelBuilder& b, int h, int64_t seq) {
  auto& g = b.graph();
  const int q = split_heads(g, b.dense(h, kHidden, Act::None), seq, {1, 0, 2});  // 12 x seq x 64
  const int k = split_heads(g, b.dense(h, kHidden, Act::None), seq, {1, 0, 2});  // 12 x seq x 64
  const int v = split_heads(g, b.dense(h, kHidden, Act::None), seq, {1, 2, 0});  // 12 x 64 x seq
  // batch_matmul multiplies by the second operand transposed: q * k^T, probs * v.
  NDArray scale({1});
  scale[0] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(kHeadDim)));
  const int scores = g.add_op(OpType::Multiply, {g.add_op(OpType::BatchMatmul, {q, k}),
                                                 g.add_constant("scale", std::move(scale))});
  NodeAttrs sm;
  sm.axis = -1;
  const int probs = g.add_op(OpType::Softmax, {scores}, sm);
  const int ctx = g.add_op(OpType::BatchMatmul, {probs, v});  // 12 x seq x 64
  NodeAttrs t;
  t.axes = {1, 0, 2};
  NodeAttrs r;
  r.new_shape = {seq, kHidden};
  const int merged = g.add_op(OpType::Reshape, {g.add_op(OpType::Transpose, {ctx}, t)}, r);
  const int attn = layer_norm(b, b.add(b.dense(merged, kHidden, Act::None), h));
  const int ffn = b.dense(b.dense(attn, kFfn, Act::Gelu), kHidden, Act::None);
  return layer_norm(b, b.add(ffn, attn));
}

}  // namespace

graph::Graph build_bert(const ZooOptions& o) {
  graph::Graph g;
  ModelBuilder b(g, ops::Layout::NCHW, o.seed);
  const int64_t seq = o.bert_seq_len > 0 ? o.bert_seq_len : 128;
  const int layers = o.bert_layers > 0 ? o.bert_layers : 12;
  int h = layer_norm(b, g.add_input("embeddings", {seq, kHidden}));
  for (int l = 0; l < layers; ++l) h = encoder_layer(b, h, seq);
  g.mark_output(h);
  return g;
}

}  // namespace bcd::frontends
