// ONNX import and export: every zoo model (and a graph with the ops the zoo does not
// use) written by our writer re-imports to an identical graph; malformed and
// unsupported files give one-line errors; a small hand-built ONNX model imports with
// the right shapes and computes the value worked out by hand.
#include "frontends/onnx.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "frontends/zoo.h"
#include "graph/reference_executor.h"
#include "ops/reference.h"
#include "support/error.h"
#include "testing/bcd_cli.h"
#include "testing/error_of.h"
#include "testing/param_names.h"

#ifdef BCD_HAVE_ONNX
#include <onnx/onnx_pb.h>
#endif

namespace bcd::frontends {
namespace {

namespace fs = std::filesystem;
using graph::Graph;
using graph::Node;
using graph::NodeAttrs;
using graph::OpType;
using testutil::error_of;
using testutil::read_file;

#define SKIP_WITHOUT_ONNX() \
  if (!onnx_available()) GTEST_SKIP() << "bcd was built without libonnx-dev / libprotobuf-dev"

std::string temp_file(const std::string& name) {
  return (fs::temp_directory_path() / fmt::format("bcd_onnx_test_{}_{}", getpid(), name)).string();
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Every field, whether or not the op reads it: identical means identical.
void expect_same_attrs(const NodeAttrs& a, const NodeAttrs& b, const std::string& where) {
  EXPECT_EQ(a.conv.layout, b.conv.layout) << where;
  EXPECT_EQ(a.conv.stride, b.conv.stride) << where;
  EXPECT_EQ(a.conv.padding, b.conv.padding) << where;
  EXPECT_EQ(a.conv.dilation, b.conv.dilation) << where;
  EXPECT_EQ(a.conv.groups, b.conv.groups) << where;
  EXPECT_EQ(a.pool.layout, b.pool.layout) << where;
  EXPECT_EQ(a.pool.kernel, b.pool.kernel) << where;
  EXPECT_EQ(a.pool.stride, b.pool.stride) << where;
  EXPECT_EQ(a.pool.padding, b.pool.padding) << where;
  EXPECT_EQ(a.pool.count_include_pad, b.pool.count_include_pad) << where;
  EXPECT_EQ(a.layout, b.layout) << where;
  EXPECT_EQ(a.pad.before, b.pad.before) << where;
  EXPECT_EQ(a.pad.after, b.pad.after) << where;
  EXPECT_EQ(a.pad.value, b.pad.value) << where;
  EXPECT_EQ(a.axis, b.axis) << where;
  EXPECT_EQ(a.clip_lo, b.clip_lo) << where;
  EXPECT_EQ(a.clip_hi, b.clip_hi) << where;
  EXPECT_EQ(a.epsilon, b.epsilon) << where;
  EXPECT_EQ(a.new_shape, b.new_shape) << where;
  EXPECT_EQ(a.axes, b.axes) << where;
}

// Node by node: op, name, input ids, shape, attributes, constants bit for bit.
void expect_identical(const Graph& original, const Graph& imported) {
  ASSERT_EQ(original.size(), imported.size());
  EXPECT_EQ(original.inputs(), imported.inputs());
  EXPECT_EQ(original.outputs(), imported.outputs());
  for (int id = 0; id < original.size(); ++id) {
    const Node& a = original.node(id);
    const Node& b = imported.node(id);
    const std::string where = fmt::format("node {} '{}' ({})", id, a.name, graph::op_name(a.op));
    ASSERT_EQ(a.op, b.op) << where << " came back as " << graph::op_name(b.op) << " '" << b.name
                          << "'";
    EXPECT_EQ(a.name, b.name) << where;
    EXPECT_EQ(a.inputs, b.inputs) << where;
    EXPECT_EQ(a.shape, b.shape) << where;
    expect_same_attrs(a.attrs, b.attrs, where);
    if (a.op == OpType::Constant) {
      const auto va = original.constant_value(id), vb = imported.constant_value(id);
      ASSERT_EQ(va->shape(), vb->shape()) << where;
      EXPECT_EQ(std::memcmp(va->data(), vb->data(), va->size() * sizeof(float)), 0)
          << where << ": values differ";
    }
  }
}

// ---- round trips ------------------------------------------------------------------------

class OnnxZooRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(OnnxZooRoundTrip, WrittenFileReimportsIdentically) {
  SKIP_WITHOUT_ONNX();
  const std::string model = GetParam();
  ZooOptions o;
  o.seed = 7;
  o.image_size = model == "inception_v3" ? 75 : 32;  // the smallest valid images
  o.bert_layers = 1;
  o.bert_seq_len = 16;
  const Graph g = build_model(model, o);
  const std::string path = temp_file(model + ".onnx");
  export_onnx(g, path);
  const Graph back = import_onnx(path);
  expect_identical(g, back);
  // And once more: what we read, written again, is the same file.
  EXPECT_EQ(export_onnx_bytes(back), read_file(path));
  fs::remove(path);
}

INSTANTIATE_TEST_SUITE_P(Onnx, OnnxZooRoundTrip, ::testing::ValuesIn(model_names()),
                         testutil::IdentifierOfParam());

// The ops and attribute values the zoo does not use: batch norm on axis 1 and 3,
// pad, clip (with bounds float32 cannot hold exactly), relu6, tanh, sub, div, dense
// with its own bias, transposes, NCHW pooling with padding, NHWC average pooling that
// counts the padding, a layer norm epsilon that is no float, repeated names, an
// input as an output, our own transposes and reshapes next to the writer's.
TEST(OnnxRoundTrip, OpsOutsideTheZooReimportIdentically) {
  SKIP_WITHOUT_ONNX();
  Graph g;
  auto constant = [&](const std::string& name, std::vector<int64_t> shape, uint64_t seed) {
    graph::ConstantInit init;
    init.seed = seed;
    init.scale = 0.5f;
    init.offset = 1.0f;
    return g.add_constant(name, std::move(shape), init);
  };
  const int x = g.add_input("x", {1, 3, 8, 8});
  NodeAttrs bn1;
  bn1.axis = 1;
  int y = g.add_op(OpType::BatchNorm, {x, constant("s", {3}, 1), constant("t", {3}, 2)}, bn1, "bn");
  NodeAttrs pad;
  pad.pad.before = {0, 0, 1, 2};
  pad.pad.after = {0, 0, 2, 1};
  pad.pad.value = 0.1 + 0.2;  // not the double nearest any float's shortest decimal
  y = g.add_op(OpType::Pad, {y}, pad, "pad");
  NodeAttrs mp;
  mp.pool.kernel = {3, 3};
  mp.pool.stride = {1, 2};
  mp.pool.padding = {1, 0, 1, 2};
  y = g.add_op(OpType::MaxPool2D, {y}, mp, "pool");
  NodeAttrs clip;
  clip.clip_lo = -0.3;
  clip.clip_hi = 1.0 / 3.0;
  y = g.add_op(OpType::Clip, {y}, clip, "clip");
  NodeAttrs to_nhwc;
  to_nhwc.axes = {0, 2, 3, 1};
  y = g.add_op(OpType::Transpose, {y}, to_nhwc, "t");
  NodeAttrs bn3;
  bn3.axis = 3;
  y = g.add_op(OpType::BatchNorm, {y, constant("s", {3}, 3), constant("t", {3}, 4)}, bn3, "bn");
  NodeAttrs ap;
  ap.pool.layout = ops::Layout::NHWC;
  ap.pool.kernel = {2, 2};
  ap.pool.stride = {2, 2};
  ap.pool.padding = {1, 1, 1, 1};
  ap.pool.count_include_pad = true;
  y = g.add_op(OpType::AvgPool2D, {y}, ap, "avg");
  // Our own transposes around an NCHW conv stay nodes (not an NHWC conv).
  NodeAttrs to_nchw;
  to_nchw.axes = {0, 3, 1, 2};
  y = g.add_op(OpType::Transpose, {y}, to_nchw, "t");
  y = g.add_op(OpType::Conv2D, {y, constant("w1", {3, 3, 1, 1}, 14)}, {}, "conv_nchw");
  y = g.add_op(OpType::Transpose, {y}, to_nhwc, "t");
  NodeAttrs conv;
  conv.conv.layout = ops::Layout::NHWC;
  conv.conv.dilation = {2, 1};
  conv.conv.padding = {2, 1, 2, 1};
  conv.conv.groups = 3;
  y = g.add_op(OpType::Conv2D, {y, constant("w", {3, 3, 1, 6}, 5)}, conv, "conv");
  y = g.add_op(OpType::Relu6, {y}, {}, "r6");
  y = g.add_op(OpType::Tanh, {y});
  NodeAttrs six;
  six.new_shape = {6};  // a reshaped constant stays a reshape node
  y = g.add_op(OpType::Subtract, {y, g.add_op(OpType::Reshape, {constant("c", {2, 3}, 6)}, six)});
  y = g.add_op(OpType::Divide, {y, constant("d", {1, 1, 1, 6}, 7)});
  NodeAttrs flat;
  flat.axis = 1;
  y = g.add_op(OpType::Flatten, {y}, flat);
  const int64_t k = g.node(y).shape[1];
  NodeAttrs swap;
  swap.axes = {1, 0};  // a transposed constant weight stays a transpose node
  const int fc = g.add_op(OpType::Transpose, {constant("fc", {k, 10}, 8)}, swap);
  y = g.add_op(OpType::Dense, {y, fc, constant("fc_b", {10}, 9)}, {}, "fc");
  NodeAttrs ln;
  ln.epsilon = 1e-3 + 1e-17;  // inexact in float32 and off its shortest decimal
  y = g.add_op(OpType::LayerNorm, {y, constant("g", {10}, 10), constant("b", {10}, 11)}, ln, "ln");
  NodeAttrs sm;
  sm.axis = 0;
  const int a = g.add_op(OpType::Softmax, {y}, sm);
  NodeAttrs cat;
  cat.axis = 1;
  const int b = g.add_op(OpType::Concat, {a, y, a}, cat);
  NodeAttrs bn0;
  bn0.axis = 0;
  const int c =
      g.add_op(OpType::BatchNorm, {b, constant("s0", {1}, 12), constant("t0", {1}, 13)}, bn0);
  g.mark_output(c);
  g.mark_output(x);  // an input as an output
  const Graph back = import_onnx_bytes(export_onnx_bytes(g), "ops");
  expect_identical(g, back);
}

// ---- errors ---------------------------------------------------------------------------

#define EXPECT_CONTAINS(haystack, needle)                          \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) \
      << "'" << (haystack) << "' does not contain '" << (needle) << "'"

void expect_one_line_error(const std::string& message, const std::vector<std::string>& parts) {
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_NE(message, "no error");
  for (const std::string& p : parts)
    EXPECT_NE(message.find(p), std::string::npos) << "'" << p << "' not in: " << message;
}

TEST(OnnxErrors, MalformedFilesAreOneLineErrors) {
  SKIP_WITHOUT_ONNX();
  const std::string dir = temp_file("malformed");
  fs::create_directories(dir);
  // Random bytes.
  std::mt19937_64 rng(5);
  std::string noise(4096, '\0');
  for (char& ch : noise) ch = static_cast<char>(rng());
  write_file(dir + "/noise.onnx", noise);
  expect_one_line_error(error_of([&] { import_onnx(dir + "/noise.onnx"); }),
                        {dir + "/noise.onnx", "not an ONNX model"});
  // A real model cut in half.
  ZooOptions o;
  o.image_size = 32;
  const std::string bytes = export_onnx_bytes(build_model("squeezenet_v1.1", o));
  write_file(dir + "/cut.onnx", bytes.substr(0, bytes.size() / 2));
  expect_one_line_error(error_of([&] { import_onnx(dir + "/cut.onnx"); }),
                        {"cut.onnx", "not an ONNX model"});
  // Empty.
  write_file(dir + "/empty.onnx", "");
  expect_one_line_error(error_of([&] { import_onnx(dir + "/empty.onnx"); }),
                        {"empty.onnx", "empty file"});
  // Missing.
  expect_one_line_error(error_of([&] { import_onnx(dir + "/none.onnx"); }),
                        {"none.onnx", "cannot open"});
  // Also through the zoo's entry point, which takes .onnx paths.
  expect_one_line_error(error_of([&] { build_model(dir + "/empty.onnx"); }), {"empty file"});
  fs::remove_all(dir);
}

TEST(OnnxErrors, UnknownModelNameMentionsOnnxPaths) {
  expect_one_line_error(error_of([] { build_model("alexnet"); }),
                        {"unknown model 'alexnet'", ".onnx"});
}

#ifdef BCD_HAVE_ONNX

// A small model built with the protobuf API.
struct ModelMaker {
  onnx::ModelProto model;
  onnx::GraphProto* g;

  ModelMaker() {
    model.set_ir_version(8);
    auto* op = model.add_opset_import();
    op->set_domain("");
    op->set_version(17);
    g = model.mutable_graph();
    g->set_name("test");
  }
  void input(const std::string& name, const std::vector<int64_t>& shape,
             int type = onnx::TensorProto::FLOAT) {
    auto* v = g->add_input();
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(type);
    tt->mutable_shape();  // present even for a 0-d input
    for (int64_t d : shape) tt->mutable_shape()->add_dim()->set_dim_value(d);
  }
  void output(const std::string& name) { g->add_output()->set_name(name); }
  void init(const std::string& name, const std::vector<int64_t>& shape,
            const std::vector<float>& values) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : shape) t->add_dims(d);
    for (float v : values) t->add_float_data(v);
  }
  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& ins,
                        const std::string& out, const std::string& name = "") {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& i : ins) n->add_input(i);
    n->add_output(out);
    return n;
  }
  static void ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void i(onnx::NodeProto* n, const std::string& name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  std::string bytes() const { return model.SerializeAsString(); }
};

TEST(OnnxErrors, ValidProtobufWithoutGraph) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("nothing");
  expect_one_line_error(error_of([&] { import_onnx_bytes(m.SerializeAsString(), "nograph.onnx"); }),
                        {"nograph.onnx", "not an ONNX model", "no graph"});
}

TEST(OnnxErrors, UnsupportedOperatorNamesTypeAndNode) {
  ModelMaker m;
  m.input("x", {1, 4, 8});
  m.node("Relu", {"x"}, "r", "relu_0");
  m.node("LSTM", {"r"}, "y", "lstm_1");
  m.output("y");
  expect_one_line_error(error_of([&] { import_onnx_bytes(m.bytes(), "lstm.onnx"); }),
                        {"lstm.onnx", "node 'lstm_1'", "unsupported operator 'LSTM'"});
  ModelMaker d;  // another domain
  d.input("x", {1, 4});
  d.node("FusedMatMul", {"x", "x"}, "y", "fm")->set_domain("com.microsoft");
  d.output("y");
  expect_one_line_error(error_of([&] { import_onnx_bytes(d.bytes()); }),
                        {"node 'fm'", "unsupported operator 'com.microsoft.FusedMatMul'"});
}

TEST(OnnxErrors, UnsupportedAttributeValues) {
  ModelMaker m;
  m.input("x", {1, 1, 5, 5});
  auto* p = m.node("MaxPool", {"x"}, "y", "pool");
  ModelMaker::ints(p, "kernel_shape", {2, 2});
  ModelMaker::i(p, "storage_order", 1);
  m.output("y");
  expect_one_line_error(error_of([&] { import_onnx_bytes(m.bytes()); }),
                        {"node 'pool' (MaxPool)", "unsupported attribute value storage_order=1"});
  ModelMaker r;
  r.input("x", {1, 1, 5, 5});
  r.init("pads", {}, {});
  auto* t = r.g->mutable_initializer(0);
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(8);
  for (int k = 0; k < 8; ++k) t->add_int64_data(1);
  auto* pad = r.node("Pad", {"x", "pads"}, "y", "refl");
  auto* mode = pad->add_attribute();
  mode->set_name("mode");
  mode->set_type(onnx::AttributeProto::STRING);
  mode->set_s("wrap");
  r.output("y");
  expect_one_line_error(error_of([&] { import_onnx_bytes(r.bytes()); }),
                        {"node 'refl' (Pad)", "unsupported attribute value mode=wrap"});
}

TEST(OnnxErrors, DynamicOrNonFloatInputsAndDanglingReferences) {
  ModelMaker dyn;
  auto* v = dyn.g->add_input();
  v->set_name("x");
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_param("batch");
  tt->mutable_shape()->add_dim()->set_dim_value(10);
  dyn.node("Relu", {"x"}, "y");
  dyn.output("y");
  expect_one_line_error(error_of([&] { import_onnx_bytes(dyn.bytes()); }),
                        {"graph input 'x'", "dynamic dimension 0 ('batch')"});
  ModelMaker ids;
  ids.input("ids", {1, 16}, onnx::TensorProto::INT64);
  ids.node("Relu", {"ids"}, "y");
  ids.output("y");
  expect_one_line_error(error_of([&] { import_onnx_bytes(ids.bytes()); }),
                        {"'ids'", "element type INT64"});
  ModelMaker dangling;
  dangling.input("x", {1, 4});
  dangling.node("Add", {"x", "nowhere"}, "y", "add");
  dangling.output("y");
  expect_one_line_error(error_of([&] { import_onnx_bytes(dangling.bytes()); }),
                        {"node 'add' (Add)", "input 'nowhere' is not defined"});
}

// Versions outside what the importer knows are refused, not misread.
TEST(OnnxErrors, OpsetsAndIrVersionsOutsideTheKnownRangeAreOneLine) {
  for (int opset : {0, -3, 24, 999}) {
    ModelMaker m;
    m.input("x", {2, 4});
    m.node("Relu", {"x"}, "y");
    m.output("y");
    m.model.mutable_opset_import(0)->set_version(opset);
    expect_one_line_error(error_of([&] { import_onnx_bytes(m.bytes()); }),
                          {"default-domain opset " + std::to_string(opset) + " is not one bcd reads (1 to 23)"});
  }
  for (int ir : {2, 11, 99}) {
    ModelMaker m;
    m.input("x", {2, 4});
    m.node("Relu", {"x"}, "y");
    m.output("y");
    m.model.set_ir_version(ir);
    expect_one_line_error(error_of([&] { import_onnx_bytes(m.bytes()); }),
                          {"ir_version " + std::to_string(ir) + " is not one bcd reads (3 to 10)"});
  }
}

// A node without outputs, of any operator (the handlers and the pattern matchers
// read output 0): one line, never protobuf's own CHECK message.
TEST(OnnxErrors, ANodeWithoutOutputsIsOneLine) {
  for (const char* op : {"Conv", "Relu", "Transpose", "Shape", "Add", "MatMul"}) {
    ModelMaker m;
    m.input("x", {1, 3, 8, 8});
    m.node(op, {"x", "x"}, "", "nameless")->clear_output();
    m.node("Relu", {"x"}, "y");
    m.output("y");
    expect_one_line_error(error_of([&] { import_onnx_bytes(m.bytes()); }),
                          {"node 'nameless' (" + std::string(op) + ")", "the node has no output"});
  }
}

// x (1x1x4x4, 0..15) -> Conv(2x2 ones, bias -20, stride 2) -> Relu -> Flatten ->
// Gemm(W 4x2, C). The conv sums each 2x2 block: 10, 18, 42, 50; minus 20 and ReLU:
// 0, 0, 22, 30. Then y0 = 22*1 + 30*2 + 0.5 = 82.5, y1 = 22*1 - 30*1 - 0.5 = -8.5.
TEST(OnnxImport, HandBuiltConvReluGemmComputesHandValues) {
  ModelMaker m;
  m.input("x", {1, 1, 4, 4});
  m.init("w", {1, 1, 2, 2}, {1, 1, 1, 1});
  m.init("bias", {1}, {-20});
  m.init("fc", {4, 2}, {1, 0, 0, 1, 1, 1, 2, -1});
  m.init("fc_b", {2}, {0.5f, -0.5f});
  auto* conv = m.node("Conv", {"x", "w", "bias"}, "c", "conv");
  ModelMaker::ints(conv, "strides", {2, 2});
  ModelMaker::ints(conv, "kernel_shape", {2, 2});
  m.node("Relu", {"c"}, "r", "relu");
  m.node("Flatten", {"r"}, "f", "flatten");
  m.node("Gemm", {"f", "fc", "fc_b"}, "y", "gemm");
  m.output("y");
  const std::string path = temp_file("hand.onnx");
  write_file(path, m.bytes());
  const Graph g = build_model(path);  // .onnx paths go through the zoo's entry point
  fs::remove(path);
  // input, w, conv, bias, bias_add, relu, flatten, fc (transposed to 2x4), fc_b, dense
  ASSERT_EQ(g.size(), 10);
  std::vector<OpType> ops;
  for (const Node& n : g.nodes()) ops.push_back(n.op);
  EXPECT_EQ(ops,
            (std::vector<OpType>{OpType::Input, OpType::Constant, OpType::Conv2D, OpType::Constant,
                                 OpType::BiasAdd, OpType::Relu, OpType::Flatten, OpType::Constant,
                                 OpType::Constant, OpType::Dense}));
  EXPECT_EQ(g.node(2).shape, (std::vector<int64_t>{1, 1, 2, 2}));
  EXPECT_EQ(g.node(2).attrs.conv.stride, (std::array<int64_t, 2>{2, 2}));
  EXPECT_EQ(g.node(6).shape, (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(g.node(7).shape, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(g.node(9).shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(g.node(9).name, "gemm");
  ASSERT_EQ(g.outputs(), std::vector<int>{9});
  NDArray x({1, 1, 4, 4});
  for (int i = 0; i < 16; ++i) x[i] = static_cast<float>(i);
  const auto out = graph::run_reference(g, {&x});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NEAR(out[0][0], 82.5f, 1e-4);
  EXPECT_NEAR(out[0][1], -8.5f, 1e-4);
}

// What PyTorch and tf2onnx export, beyond our writer's forms: a GELU spelled with
// Erf, MatMul against a constant, a reshaped-constant bias, Unsqueeze, an NHWC model
// (Transposes around NCHW ops) whose convolutions become NHWC convolutions, folded
// batch-norm statistics, Identity and Dropout.
TEST(OnnxImport, ExportedFormsOfOtherToolsImportAndCompute) {
  ModelMaker m;
  m.input("x", {1, 4, 4, 2});                     // NHWC
  m.init("w", {3, 2, 1, 1}, {1, 0, 0, 1, 1, 1});  // OIHW 1x1: out = (x0, x1, x0 + x1)
  m.init("scale", {3}, {2, 2, 2});
  m.init("shift", {3}, {0, 1, 0});
  m.init("mean", {3}, {1, 1, 1});
  m.init("var", {3}, {3, 3, 3});
  auto* t1 = m.node("Transpose", {"x"}, "x_nchw");
  ModelMaker::ints(t1, "perm", {0, 3, 1, 2});
  m.node("Conv", {"x_nchw", "w"}, "c");
  auto* bn = m.node("BatchNormalization", {"c", "scale", "shift", "mean", "var"}, "bn");
  auto* eps = bn->add_attribute();
  eps->set_name("epsilon");
  eps->set_type(onnx::AttributeProto::FLOAT);
  eps->set_f(1.0f);  // (c - 1) / 2 * 2 + shift = c - 1 + shift
  auto* t2 = m.node("Transpose", {"bn"}, "y_nhwc");
  ModelMaker::ints(t2, "perm", {0, 2, 3, 1});
  m.node("Identity", {"y_nhwc"}, "id");
  m.node("Dropout", {"id"}, "drop");
  m.node("GlobalAveragePool", {"drop"},
         "pooled_wrong_layout");  // reads NHWC as NCHW: a plain NCHW pool
  m.output("pooled_wrong_layout");
  const Graph g = import_onnx_bytes(m.bytes(), "nhwc");
  int convs = 0;
  for (const Node& n : g.nodes())
    if (n.op == OpType::Conv2D) {
      ++convs;
      EXPECT_EQ(n.attrs.conv.layout, ops::Layout::NHWC);
      EXPECT_EQ(g.node(n.inputs[1]).shape, (std::vector<int64_t>{1, 1, 2, 3}));  // HWIO
    }
  EXPECT_EQ(convs, 1);
  for (const Node& n : g.nodes()) EXPECT_NE(n.op, OpType::Transpose) << n.name;
  // x = all ones: conv (1, 1, 2), then - 1 + shift: (0, 1, 1); pooled over 4 x 3.
  NDArray x({1, 4, 4, 2});
  x.fill(1.0f);
  const auto out = graph::run_reference(g, {&x});
  ASSERT_EQ(out[0].shape(), (std::vector<int64_t>{1, 4, 1, 1}));
  for (int h = 0; h < 4; ++h) EXPECT_NEAR(out[0][h], (0 + 1 + 1) / 3.0, 1e-5) << h;

  ModelMaker b;  // BERT-like pieces
  b.input("h", {1, 3, 4});
  b.init("wq", {4, 4}, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1});
  b.init("bq", {4}, {0, 0, 0, 1});
  b.init("sqrt2", {}, {static_cast<float>(M_SQRT2)});
  b.init("one", {}, {1});
  b.init("half", {}, {0.5f});
  b.node("MatMul", {"h", "wq"}, "q");
  b.node("Add", {"q", "bq"}, "qb");
  b.node("Div", {"qb", "sqrt2"}, "d", "gelu_start");
  b.node("Erf", {"d"}, "e");
  b.node("Add", {"e", "one"}, "e1");
  b.node("Mul", {"qb", "e1"}, "m");
  b.node("Mul", {"m", "half"}, "gelu");
  b.output("gelu");
  const Graph bg = import_onnx_bytes(b.bytes(), "bert-like");
  int gelus = 0;
  for (const Node& n : bg.nodes()) gelus += n.op == OpType::Gelu;
  EXPECT_EQ(gelus, 1);
  NDArray h({1, 3, 4});
  h.fill(1.0f);
  const auto bo = graph::run_reference(bg, {&h});
  ASSERT_EQ(bo[0].shape(), (std::vector<int64_t>{1, 3, 4}));
  const double gelu1 = 0.5 * (1 + std::erf(1 / M_SQRT2)),
               gelu2 = 2 * 0.5 * (1 + std::erf(2 / M_SQRT2));
  EXPECT_NEAR(bo[0][0], gelu1, 1e-5);
  EXPECT_NEAR(bo[0][3], gelu2, 1e-5);
}


// ---- what PyTorch's exporter emits -------------------------------------------------------

// Adds an int64 initializer.
void init_ints(ModelMaker& m, const std::string& name, const std::vector<int64_t>& shape,
               const std::vector<int64_t>& values) {
  auto* t = m.g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : shape) t->add_dims(d);
  for (int64_t v : values) t->add_int64_data(v);
}

// A Constant node holding a float scalar (0-d), as the exporter writes `x / 2.0`.
void scalar_constant(ModelMaker& m, const std::string& out, float value) {
  auto* n = m.node("Constant", {}, out);
  auto* a = n->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
  a->mutable_t()->add_float_data(value);
}

NDArray iota(const std::vector<int64_t>& shape, float scale = 1.0f, float offset = 0.0f) {
  NDArray x(shape);
  for (int64_t i = 0; i < x.size(); ++i) x[i] = offset + scale * static_cast<float>(i);
  return x;
}

TEST(OnnxExporters, CeilModePoolingAddsTheOverhangingWindow) {
  for (const char* op : {"MaxPool", "AveragePool"}) {
    SCOPED_TRACE(op);
    ModelMaker m;
    m.input("x", {1, 1, 5, 5});
    auto* p = m.node(op, {"x"}, "y", "pool");
    ModelMaker::ints(p, "kernel_shape", {2, 2});
    ModelMaker::ints(p, "strides", {2, 2});
    ModelMaker::i(p, "ceil_mode", 1);
    m.output("y");
    const Graph g = import_onnx_bytes(m.bytes());
    ASSERT_EQ(g.node(g.outputs()[0]).shape, (std::vector<int64_t>{1, 1, 3, 3}));
    const NDArray x = iota({1, 1, 5, 5});  // x[h][w] = 5h + w
    const auto ys = graph::run_reference(g, {&x});
    const NDArray& y = ys[0];
    const bool max = std::string(op) == "MaxPool";
    EXPECT_FLOAT_EQ(y[0], max ? 6 : 3);          // rows 0-1, columns 0-1
    EXPECT_FLOAT_EQ(y[2], max ? 9 : 6.5f);       // rows 0-1, column 4 only
    EXPECT_FLOAT_EQ(y[8], 24);                   // row 4, column 4 only
  }
  // Where rounding up changes nothing (SqueezeNet 1.1's pools), nothing is padded.
  ModelMaker s;
  s.input("x", {1, 2, 111, 111});
  auto* p = s.node("MaxPool", {"x"}, "y", "pool");
  ModelMaker::ints(p, "kernel_shape", {3, 3});
  ModelMaker::ints(p, "strides", {2, 2});
  ModelMaker::i(p, "ceil_mode", 1);
  s.output("y");
  const Graph g = import_onnx_bytes(s.bytes());
  EXPECT_EQ(g.node(1).shape, (std::vector<int64_t>{1, 2, 55, 55}));
  EXPECT_EQ(g.node(1).attrs.pool.padding, (ops::Padding2D{0, 0, 0, 0}));
}

// x.view(x.size(0), -1): Shape -> Gather(0) -> Unsqueeze -> Concat(-1) -> Reshape.
TEST(OnnxExporters, FlattenThroughShapeArithmeticFoldsToOneReshape) {
  ModelMaker m;
  m.input("x", {2, 3, 4});
  m.node("Shape", {"x"}, "s");
  init_ints(m, "zero", {}, {0});
  auto* gather = m.node("Gather", {"s", "zero"}, "n");
  ModelMaker::i(gather, "axis", 0);
  init_ints(m, "axes", {1}, {0});
  m.node("Unsqueeze", {"n", "axes"}, "n1");
  init_ints(m, "minus_one", {1}, {-1});
  auto* cat = m.node("Concat", {"n1", "minus_one"}, "shape");
  ModelMaker::i(cat, "axis", 0);
  m.node("Reshape", {"x", "shape"}, "y", "flatten");
  m.output("y");
  const Graph g = import_onnx_bytes(m.bytes());
  ASSERT_EQ(g.size(), 2);  // the input and one reshape: the shape arithmetic left no node
  EXPECT_EQ(g.node(1).op, OpType::Reshape);
  EXPECT_EQ(g.node(1).shape, (std::vector<int64_t>{2, 12}));
}

// Folded constants are sized before they are allocated: a ConstantOfShape, Expand
// or Range of a huge declared size is one line naming the memory limit or the
// shape, not a std::bad_alloc (or a 256 GiB allocation) first.
TEST(OnnxErrors, HugeFoldedConstantsAreRefusedBeforeAllocating) {
  auto error_for = [](const std::string& op, const std::vector<int64_t>& shape) {
    ModelMaker m;
    m.input("x", {1, 4});
    init_ints(m, "shape", {static_cast<int64_t>(shape.size())}, shape);
    if (op == "Range") {
      init_ints(m, "start", {}, {0});
      init_ints(m, "delta", {}, {1});
      m.node("Range", {"start", "shape", "delta"}, "c");
    } else if (op == "Expand") {
      init_ints(m, "one", {1}, {1});
      m.node("Expand", {"one", "shape"}, "c");
    } else {
      m.node(op, {"shape"}, "c");
    }
    m.node("Shape", {"c"}, "s");
    m.node("Reshape", {"x", "s"}, "y");
    m.output("y");
    return error_of([&] { import_onnx_bytes(m.bytes()); });
  };
  EXPECT_NE(error_for("ConstantOfShape", {int64_t{1} << 35, 1}).find("memory limit"), std::string::npos);
  EXPECT_NE(error_for("Expand", {int64_t{1} << 35}).find("memory limit"), std::string::npos);
  EXPECT_NE(error_for("ConstantOfShape", {int64_t{1} << 40, 1 << 30}).find("more than 2^36 elements"),
            std::string::npos);
  std::string range = error_for("Range", {int64_t{1} << 62});
  EXPECT_NE(range.find("too many elements"), std::string::npos) << range;
}

// A channel shuffle's shape from Slice, Range, ConstantOfShape, Cast, Mul, Where and
// Expand: every value is known at import.
TEST(OnnxExporters, SliceRangeConstantOfShapeCastWhereAndExpandFold) {
  ModelMaker m;
  m.input("x", {1, 6, 2, 2});
  m.node("Shape", {"x"}, "s");  // [1, 6, 2, 2]
  init_ints(m, "b", {1}, {1});
  init_ints(m, "e", {1}, {2});
  m.node("Slice", {"s", "b", "e"}, "c");  // [6]
  init_ints(m, "three", {1}, {3});
  m.node("Div", {"c", "three"}, "c3");  // [2]
  auto* cast = m.node("Cast", {"c3"}, "c3f");
  ModelMaker::i(cast, "to", onnx::TensorProto::FLOAT);
  auto* back = m.node("Cast", {"c3f"}, "c3i");
  ModelMaker::i(back, "to", onnx::TensorProto::INT64);
  init_ints(m, "r0", {}, {0});
  init_ints(m, "r1", {}, {2});
  init_ints(m, "r2", {}, {1});
  m.node("Range", {"r0", "r1", "r2"}, "range");  // [0, 1]
  init_ints(m, "two", {1}, {2});
  m.node("ConstantOfShape", {"two"}, "zeros");   // [0, 0] (int64 zeros? float by default)
  m.node("Equal", {"range", "range"}, "all");     // [1, 1]
  init_ints(m, "three2", {2}, {3, 3});
  m.node("Where", {"all", "three2", "range"}, "groups");  // [3, 3]
  init_ints(m, "one", {1}, {1});
  m.node("Expand", {"one", "two"}, "ones");  // [1, 1]
  auto* cat = m.node("Concat", {"ones", "c3i", "groups"}, "t");  // [1, 1, 2, 3, 3] -> 18 elements? no
  ModelMaker::i(cat, "axis", 0);
  // Target [1, 2, 3, 2, 2] from: one, c3i (2), groups[0] (3), then 2, 2.
  init_ints(m, "first", {1}, {0});
  m.node("Gather", {"groups", "first"}, "g0");
  auto* shape = m.node("Concat", {"one", "c3i", "g0", "two", "two"}, "target");
  ModelMaker::i(shape, "axis", 0);
  m.node("Reshape", {"x", "target"}, "y", "shuffle");
  m.output("y");
  const Graph g = import_onnx_bytes(m.bytes());
  ASSERT_EQ(g.size(), 2);
  EXPECT_EQ(g.node(1).shape, (std::vector<int64_t>{1, 2, 3, 2, 2}));
}

// x / 2.0 with a 0-d constant, and the new pointwise operators.
TEST(OnnxExporters, ScalarOperandsAndPointwiseMathCompute) {
  ModelMaker m;
  m.input("x", {2, 3});
  scalar_constant(m, "two", 2.0f);
  m.node("Div", {"x", "two"}, "half");
  m.node("Sqrt", {"half"}, "a");
  m.node("Exp", {"a"}, "b");
  m.node("Log", {"b"}, "c");  // == a
  m.node("Erf", {"c"}, "d");
  m.node("Neg", {"d"}, "e");
  m.node("Abs", {"e"}, "f");  // == d
  m.node("Reciprocal", {"f"}, "g");
  m.node("Pow", {"g", "two"}, "y");
  m.output("y");
  const Graph g = import_onnx_bytes(m.bytes());
  const NDArray x = iota({2, 3}, 0.5f, 0.25f);
  const auto ys = graph::run_reference(g, {&x});
  const NDArray& y = ys[0];
  for (int64_t i = 0; i < x.size(); ++i) {
    const double e = std::pow(1.0 / std::erf(std::sqrt(x[i] / 2.0)), 2.0);
    EXPECT_NEAR(y[i], e, 1e-4 * e) << i;
  }
  // Written back by our exporter, they come back as the same nodes.
  expect_identical(g, import_onnx_bytes(export_onnx_bytes(g)));
}

// The exporter puts each constant just before its reader, so the GELU's later
// constants are not defined yet when its first node (Div) is read.
TEST(OnnxExporters, GeluWithConstantsBeforeEachReaderIsOneGelu) {
  ModelMaker m;
  m.input("x", {1, 8});
  scalar_constant(m, "sqrt2", static_cast<float>(M_SQRT2));
  m.node("Div", {"x", "sqrt2"}, "d");
  m.node("Erf", {"d"}, "e");
  scalar_constant(m, "one", 1.0f);
  m.node("Add", {"e", "one"}, "p");
  m.node("Mul", {"x", "p"}, "t");
  scalar_constant(m, "half", 0.5f);
  m.node("Mul", {"t", "half"}, "y");
  m.output("y");
  const Graph g = import_onnx_bytes(m.bytes());
  int gelus = 0, others = 0;
  for (const Node& n : g.nodes()) (n.op == OpType::Gelu ? gelus : others) += n.op != OpType::Input;
  EXPECT_EQ(gelus, 1);
  EXPECT_EQ(others, 0);
}

TEST(OnnxExporters, EveryProblemOfTheModelIsReportedAtOnce) {
  ModelMaker m;
  m.input("x", {1, 4, 8});
  m.node("LSTM", {"x"}, "a", "lstm");
  m.node("Relu", {"a"}, "a2", "after_lstm");  // reads a failed value: not reported
  m.node("NonZero", {"x"}, "b", "nz_1");
  m.node("NonZero", {"x"}, "c", "nz_2");
  init_ints(m, "pads", {6}, {0, 0, 1, 0, 0, 1});
  auto* pad = m.node("Pad", {"x", "pads"}, "d", "refl");
  auto* mode = pad->add_attribute();
  mode->set_name("mode");
  mode->set_type(onnx::AttributeProto::STRING);
  mode->set_s("wrap");
  m.node("Relu", {"x"}, "y", "fine");
  m.output("y");
  const std::string msg = error_of([&] { import_onnx_bytes(m.bytes(), "three.onnx"); });
  EXPECT_EQ(msg.rfind("three.onnx: 3 problems: unsupported operator 'LSTM'; unsupported operator 'NonZero'; ", 0), 0u)
      << msg;
  EXPECT_NE(msg.find("\n  unsupported operator 'LSTM' (first at node 'lstm' (LSTM))"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\n  unsupported operator 'NonZero' (first at node 'nz_1' (NonZero); 2 nodes in all)"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("\n  unsupported attribute value mode=wrap"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\n  supported operators: "), std::string::npos) << msg;
  EXPECT_EQ(msg.find("after_lstm"), std::string::npos) << msg;
  EXPECT_EQ(std::count(msg.begin(), msg.end(), '\n'), 4) << msg;
}

// A model whose input has a dynamic batch dimension, as PyTorch exports with
// dynamic_axes.
ModelMaker dynamic_batch_model() {
  ModelMaker m;
  auto* v = m.g->add_input();
  v->set_name("x");
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_param("batch");
  tt->mutable_shape()->add_dim()->set_dim_value(10);
  m.node("Relu", {"x"}, "y");
  m.output("y");
  return m;
}

TEST(OnnxExporters, DynamicDimensionsAreBoundByInputShape) {
  const ModelMaker m = dynamic_batch_model();
  InputShapes shapes;
  parse_input_shape("x=4x10", shapes);
  const Graph g = import_onnx_bytes(m.bytes(), "dyn.onnx", shapes);
  EXPECT_EQ(g.node(g.inputs()[0]).shape, (std::vector<int64_t>{4, 10}));
  EXPECT_EQ(g.node(g.outputs()[0]).shape, (std::vector<int64_t>{4, 10}));
  // Unbound: the error names the input, the dimension and the flag with a suggestion.
  expect_one_line_error(error_of([&] { import_onnx_bytes(m.bytes(), "dyn.onnx"); }),
                        {"graph input 'x'", "dynamic dimension 0 ('batch')", "--input-shape x=1x10"});
  // A binding that contradicts the file, has the wrong rank or names no input.
  InputShapes wrong;
  parse_input_shape("x=4x11", wrong);
  expect_one_line_error(error_of([&] { import_onnx_bytes(m.bytes(), "dyn.onnx", wrong); }),
                        {"sets dimension 1 to 11, but the model fixes it at 10"});
  InputShapes rank;
  parse_input_shape("x=4", rank);
  expect_one_line_error(error_of([&] { import_onnx_bytes(m.bytes(), "dyn.onnx", rank); }),
                        {"has 1 dimensions, the input has 2"});
  InputShapes other = shapes;
  parse_input_shape("z=1", other);
  expect_one_line_error(error_of([&] { import_onnx_bytes(m.bytes(), "dyn.onnx", other); }),
                        {"--input-shape names 'z', which is not a graph input (inputs: x)"});
  // The flag's own syntax.
  InputShapes bad;
  EXPECT_CONTAINS(error_of([&] { parse_input_shape("x", bad); }), "expected NAME=DIMS");
  EXPECT_CONTAINS(error_of([&] { parse_input_shape("x=1x0", bad); }), "dimension '0' is not a positive integer");
  EXPECT_CONTAINS(error_of([&] { parse_input_shape("x=1xax2", bad); }), "dimension 'a'");
  parse_input_shape("a=b=2", bad);  // names may hold '='; the last one separates
  EXPECT_EQ(bad.at("a=b"), std::vector<int64_t>{2});
  EXPECT_CONTAINS(error_of([&] { parse_input_shape("a=b=3", bad); }), "gives input 'a=b' twice");
}

// LayerNorm as the exporter writes it at opset 13 (no LayerNormalization), and a
// squeeze-excitation style mean over the image.
TEST(OnnxExporters, DecomposedLayerNormAndReductionsCompute) {
  ModelMaker m;
  m.input("x", {2, 3, 8});
  auto* mean = m.node("ReduceMean", {"x"}, "mean");
  ModelMaker::ints(mean, "axes", {-1});
  m.node("Sub", {"x", "mean"}, "d");
  scalar_constant(m, "two", 2.0f);
  m.node("Pow", {"d", "two"}, "d2");
  auto* var = m.node("ReduceMean", {"d2"}, "var");
  ModelMaker::ints(var, "axes", {-1});
  scalar_constant(m, "eps", 1e-5f);
  m.node("Add", {"var", "eps"}, "ve");
  m.node("Sqrt", {"ve"}, "sd");
  m.node("Div", {"d", "sd"}, "y");
  init_ints(m, "axes01", {2}, {0, 1});
  auto* sum = m.node("ReduceSum", {"x", "axes01"}, "s");  // opset 13: axes as an input
  ModelMaker::i(sum, "keepdims", 0);
  auto* mx = m.node("ReduceMax", {"x"}, "mx");  // no axes: all of them
  ModelMaker::i(mx, "keepdims", 0);
  m.node("ReduceL2", {"x"}, "l2");
  m.output("y");
  m.output("s");
  m.output("mx");
  m.output("l2");
  const Graph g = import_onnx_bytes(m.bytes());
  // The decomposed LayerNorm is recognized as one layer_norm.
  int layer_norms = 0, roots = 0;
  for (const Node& n : g.nodes()) {
    layer_norms += n.op == OpType::LayerNorm;
    roots += n.op == OpType::Sqrt;
  }
  EXPECT_EQ(layer_norms, 1);
  EXPECT_EQ(roots, 0);
  NDArray x = iota({2, 3, 8}, 0.37f, -3.0f);
  for (int64_t i = 0; i < x.size(); ++i) x[i] = std::sin(x[i]) * 2;
  const auto out = graph::run_reference(g, {&x});
  NDArray gamma({8}), beta({8});
  gamma.fill(1.0f);
  beta.fill(0.0f);
  const NDArray expected = ops::ref::layer_norm(x, gamma, beta, 1e-5);
  ASSERT_EQ(out[0].shape(), x.shape());
  for (int64_t i = 0; i < x.size(); ++i) EXPECT_NEAR(out[0][i], expected[i], 1e-4) << i;
  ASSERT_EQ(out[1].shape(), std::vector<int64_t>{8});
  for (int64_t w = 0; w < 8; ++w) {
    double total = 0;
    for (int64_t r = 0; r < 6; ++r) total += x[r * 8 + w];
    EXPECT_NEAR(out[1][w], total, 1e-4) << w;
  }
  double mx_all = -1e9, sq = 0;
  for (int64_t i = 0; i < x.size(); ++i) {
    mx_all = std::max<double>(mx_all, x[i]);
    sq += double(x[i]) * x[i];
  }
  EXPECT_EQ(out[2].shape(), std::vector<int64_t>{1});  // a 0-d result is [1] in bcd
  EXPECT_FLOAT_EQ(out[2][0], static_cast<float>(mx_all));
  EXPECT_EQ(out[3].shape(), (std::vector<int64_t>{1, 1, 1}));
  EXPECT_NEAR(out[3][0], std::sqrt(sq), 1e-4);
  // Written back by our exporter, every reduction comes back as the same node.
  expect_identical(g, import_onnx_bytes(export_onnx_bytes(g)));
}

// NumPy's matmul on float arrays, for the tests: 1-D sides and broadcast batches.
NDArray numpy_matmul(const NDArray& a, const NDArray& b) {
  std::vector<int64_t> as = a.shape(), bs = b.shape();
  const bool row = as.size() == 1, column = bs.size() == 1;
  if (row) as.insert(as.begin(), 1);
  if (column) bs.push_back(1);
  const size_t rank = std::max(as.size(), bs.size());
  as.insert(as.begin(), rank - as.size(), 1);
  bs.insert(bs.begin(), rank - bs.size(), 1);
  std::vector<int64_t> out(rank);
  for (size_t d = 0; d + 2 < rank; ++d) out[d] = std::max(as[d], bs[d]);
  const int64_t M = as[rank - 2], K = as[rank - 1], N = bs[rank - 1];
  out[rank - 2] = M;
  out[rank - 1] = N;
  int64_t batches = 1;
  for (size_t d = 0; d + 2 < rank; ++d) batches *= out[d];
  NDArray r(out);
  for (int64_t bt = 0; bt < batches; ++bt) {
    int64_t ao = 0, bo = 0, rem = bt, as_stride = M * K, bs_stride = K * N;
    for (size_t d = rank - 2; d-- > 0;) {
      const int64_t i = rem % out[d];
      rem /= out[d];
      ao += (as[d] == 1 ? 0 : i) * as_stride;
      bo += (bs[d] == 1 ? 0 : i) * bs_stride;
      as_stride *= as[d];
      bs_stride *= bs[d];
    }
    for (int64_t m = 0; m < M; ++m)
      for (int64_t nn = 0; nn < N; ++nn) {
        double t = 0;
        for (int64_t k = 0; k < K; ++k) t += double(a[ao + m * K + k]) * b[bo + k * N + nn];
        r[bt * M * N + m * N + nn] = static_cast<float>(t);
      }
  }
  return r;
}

TEST(OnnxExporters, MatMulOfAnyRankBroadcastsLikeNumPy) {
  struct Case {
    std::vector<int64_t> a, b, out;
  };
  const std::vector<Case> cases = {
      {{1, 2, 4, 3}, {1, 2, 3, 5}, {1, 2, 4, 5}},  // attention scores
      {{2, 2, 4, 3}, {3, 5}, {2, 2, 4, 5}},        // a linear layer over a 4-D batch
      {{1, 4, 3}, {2, 3, 5}, {2, 4, 5}},           // a single left matrix, broadcast
      {{2, 3, 4, 3}, {1, 1, 3, 5}, {2, 3, 4, 5}},  // a single right matrix, broadcast
      {{3}, {2, 3, 5}, {2, 5}},                    // a row vector
      {{2, 4, 3}, {3}, {2, 4}},                    // a column vector
      {{3}, {3}, {1}},                             // a dot product (0-d in ONNX)
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(shape_string(c.a) + " x " + shape_string(c.b));
    ModelMaker m;
    m.input("a", c.a);
    m.input("b", c.b);
    m.node("MatMul", {"a", "b"}, "y", "mm");
    m.output("y");
    const Graph g = import_onnx_bytes(m.bytes());
    ASSERT_EQ(g.node(g.outputs()[0]).shape, c.out);
    const NDArray a = iota(c.a, 0.1f, -1.0f), b = iota(c.b, -0.07f, 1.0f);
    const auto out = graph::run_reference(g, {&a, &b});
    const NDArray expected = numpy_matmul(a, b);
    ASSERT_EQ(out[0].size(), expected.size());
    for (int64_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(out[0][i], expected[i], 1e-4) << i;
  }
  // K^T of attention written as a Transpose of the last two axes: batch_matmul reads
  // the transposed right side itself, so no transpose node is made.
  ModelMaker t;
  t.input("q", {1, 2, 4, 3});
  t.input("k", {1, 2, 4, 3});
  auto* tr = t.node("Transpose", {"k"}, "kt");
  ModelMaker::ints(tr, "perm", {0, 1, 3, 2});
  t.node("MatMul", {"q", "kt"}, "y");
  t.output("y");
  const Graph g = import_onnx_bytes(t.bytes());
  for (const Node& n : g.nodes()) EXPECT_NE(n.op, OpType::Transpose) << n.name;
  // Batches broadcast against each other in both directions are refused in words.
  ModelMaker x;
  x.input("a", {2, 1, 4, 3});
  x.input("b", {1, 3, 3, 5});
  x.node("MatMul", {"a", "b"}, "y");
  x.output("y");
  expect_one_line_error(error_of([&] { import_onnx_bytes(x.bytes()); }),
                        {"broadcasting between batch dimensions"});
}

TEST(OnnxExporters, GemmInEveryAttributeFormAndHardActivations) {
  // y = alpha * A' * B' + beta * C for each transposition, constant and data B, and a
  // C broadcast from [1] or given as data.
  for (int trans_a = 0; trans_a < 2; ++trans_a)
    for (int trans_b = 0; trans_b < 2; ++trans_b)
      for (int const_b = 0; const_b < 2; ++const_b)
        for (int c_form = 0; c_form < 3; ++c_form) {
          SCOPED_TRACE(fmt::format("transA {} transB {} constant B {} C form {}", trans_a, trans_b, const_b, c_form));
          const std::vector<int64_t> ashape = trans_a ? std::vector<int64_t>{3, 2} : std::vector<int64_t>{2, 3};
          const std::vector<int64_t> bshape = trans_b ? std::vector<int64_t>{4, 3} : std::vector<int64_t>{3, 4};
          const NDArray a = iota(ashape, 0.3f, -0.8f), b = iota(bshape, -0.2f, 1.1f), cdata = iota({2, 4}, 0.5f, -1.0f);
          ModelMaker m;
          m.input("a", ashape);
          std::vector<const NDArray*> feeds = {&a};
          if (const_b) {
            m.init("b", bshape, std::vector<float>(b.data(), b.data() + b.size()));
          } else {
            m.input("b", bshape);
            feeds.push_back(&b);
          }
          if (c_form == 0) m.init("c", {1}, {0.25f});
          if (c_form == 1) m.init("c", {4}, {1, 2, 3, 4});
          if (c_form == 2) {
            m.input("c", {2, 4});
            feeds.push_back(&cdata);
          }
          auto* gemm = m.node("Gemm", {"a", "b", "c"}, "y");
          auto* alpha = gemm->add_attribute();
          alpha->set_name("alpha");
          alpha->set_type(onnx::AttributeProto::FLOAT);
          alpha->set_f(0.5f);
          auto* beta = gemm->add_attribute();
          beta->set_name("beta");
          beta->set_type(onnx::AttributeProto::FLOAT);
          beta->set_f(2.0f);
          ModelMaker::i(gemm, "transA", trans_a);
          ModelMaker::i(gemm, "transB", trans_b);
          m.output("y");
          const Graph g = import_onnx_bytes(m.bytes());
          const NDArray y = std::move(graph::run_reference(g, feeds)[0]);
          for (int64_t i = 0; i < 2; ++i)
            for (int64_t j = 0; j < 4; ++j) {
              double t = 0;
              for (int64_t k = 0; k < 3; ++k)
                t += double(trans_a ? a[k * 2 + i] : a[i * 3 + k]) * (trans_b ? b[j * 3 + k] : b[k * 4 + j]);
              const double c = c_form == 0 ? 0.25 : c_form == 1 ? double(j + 1) : cdata[i * 4 + j];
              EXPECT_NEAR(y[i * 4 + j], 0.5 * t + 2.0 * c, 1e-4) << i << "," << j;
            }
        }
  ModelMaker bad;
  bad.input("a", {2, 3});
  bad.init("b", {3, 4}, std::vector<float>(12, 1.0f));
  ModelMaker::i(bad.node("Gemm", {"a", "b"}, "y"), "transB", 7);
  bad.output("y");
  expect_one_line_error(error_of([&] { import_onnx_bytes(bad.bytes()); }), {"transB=7"});

  ModelMaker h;
  h.input("x", {1, 9});
  h.node("HardSigmoid", {"x"}, "s");
  h.node("HardSwish", {"x"}, "w");
  h.output("s");
  h.output("w");
  const Graph g = import_onnx_bytes(h.bytes());
  const NDArray x = iota({1, 9}, 1.0f, -4.0f);
  const auto out = graph::run_reference(g, {&x});
  for (int64_t i = 0; i < 9; ++i) {
    const double v = x[i];
    EXPECT_NEAR(out[0][i], std::clamp(0.2 * v + 0.5, 0.0, 1.0), 1e-6) << v;
    EXPECT_NEAR(out[1][i], v * std::clamp(v / 6 + 0.5, 0.0, 1.0), 1e-6) << v;
  }
}

TEST(OnnxExporters, SliceSplitAndOldSoftmaxOnData) {
  ModelMaker m;
  m.input("x", {2, 6, 5});
  init_ints(m, "starts", {2}, {5, -1});
  init_ints(m, "ends", {2}, {0, -100});
  init_ints(m, "axes", {2}, {1, 2});
  init_ints(m, "steps", {2}, {-2, -1});
  m.node("Slice", {"x", "starts", "ends", "axes", "steps"}, "s", "rev");  // rows 5, 3, 1; columns reversed
  init_ints(m, "sizes", {2}, {2, 4});
  auto* split = m.node("Split", {"x", "sizes"}, "p0", "split");
  split->add_output("p1");
  ModelMaker::i(split, "axis", 1);
  auto* halves = m.node("Split", {"x"}, "h0", "halves");  // equal parts
  halves->add_output("h1");
  ModelMaker::i(halves, "axis", -1);
  m.output("s");
  m.output("p0");
  m.output("p1");
  m.output("h0");
  m.output("h1");
  const Graph g = import_onnx_bytes(m.bytes());
  const NDArray x = iota({2, 6, 5});  // x[b][r][c] = 30b + 5r + c
  const auto out = graph::run_reference(g, {&x});
  ASSERT_EQ(out[0].shape(), (std::vector<int64_t>{2, 3, 5}));
  EXPECT_EQ(out[0][0], 29);   // b 0, row 5, column 4
  EXPECT_EQ(out[0][6], 18);   // b 0, row 3, column 3
  EXPECT_EQ(out[0][15], 59);  // b 1, row 5, column 4
  EXPECT_EQ(out[1].shape(), (std::vector<int64_t>{2, 2, 5}));
  EXPECT_EQ(out[2].shape(), (std::vector<int64_t>{2, 4, 5}));
  EXPECT_EQ(out[2][0], 10);  // row 2
  EXPECT_EQ(out[3].shape(), (std::vector<int64_t>{2, 6, 3}));
  EXPECT_EQ(out[4].shape(), (std::vector<int64_t>{2, 6, 2}));
  EXPECT_EQ(out[4][0], 3);
  // Gather of data at constant indices: ViT's class token x[:, 0] and a list.
  ModelMaker gm;
  gm.input("x", {2, 6, 5});
  init_ints(gm, "first", {}, {0});
  init_ints(gm, "rows", {2}, {-1, 2});
  ModelMaker::i(gm.node("Gather", {"x", "first"}, "cls"), "axis", 1);
  ModelMaker::i(gm.node("Gather", {"x", "rows"}, "picked"), "axis", 1);
  gm.output("cls");
  gm.output("picked");
  const auto gout = graph::run_reference(import_onnx_bytes(gm.bytes()), {&x});
  ASSERT_EQ(gout[0].shape(), (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(gout[0][7], 32);  // b 1, row 0, column 2
  ASSERT_EQ(gout[1].shape(), (std::vector<int64_t>{2, 2, 5}));
  EXPECT_EQ(gout[1][0], 25);  // b 0, row 5 (index -1)
  EXPECT_EQ(gout[1][5], 10);  // b 0, row 2

  // Our exporter writes slices back as Slice nodes that import as the same nodes.
  expect_identical(g, import_onnx_bytes(export_onnx_bytes(g)));

  // Softmax before opset 13: over every dimension from the axis on.
  ModelMaker old;
  old.model.mutable_opset_import(0)->set_version(11);
  old.input("x", {2, 3, 4});
  ModelMaker::i(old.node("Softmax", {"x"}, "y"), "axis", 1);
  old.output("y");
  const Graph og = import_onnx_bytes(old.bytes());
  const NDArray ox = iota({2, 3, 4}, 0.1f);
  const NDArray oy = std::move(graph::run_reference(og, {&ox})[0]);
  ASSERT_EQ(oy.shape(), ox.shape());
  for (int64_t b = 0; b < 2; ++b) {
    double total = 0;
    for (int64_t k = 0; k < 12; ++k) total += std::exp(double(ox[b * 12 + k]));
    for (int64_t k = 0; k < 12; ++k) EXPECT_NEAR(oy[b * 12 + k], std::exp(double(ox[b * 12 + k])) / total, 1e-6);
  }
}

// LayerNorm with its affine part, constants placed before each reader, and the square
// written as Mul(d, d): one layer_norm with the file's gamma and beta.
TEST(OnnxExporters, DecomposedLayerNormWithGammaAndBetaIsOneLayerNorm) {
  ModelMaker m;
  m.input("x", {4, 6});
  auto* mean = m.node("ReduceMean", {"x"}, "mean", "ln");
  ModelMaker::ints(mean, "axes", {1});
  m.node("Sub", {"x", "mean"}, "d");
  m.node("Mul", {"d", "d"}, "d2");
  auto* var = m.node("ReduceMean", {"d2"}, "var");
  ModelMaker::ints(var, "axes", {-1});
  scalar_constant(m, "eps", 1e-3f);
  m.node("Add", {"var", "eps"}, "ve");
  m.node("Sqrt", {"ve"}, "sd");
  m.node("Div", {"d", "sd"}, "n");
  m.init("gamma", {6}, {1, 2, 3, 4, 5, 6});
  m.node("Mul", {"n", "gamma"}, "g");
  m.init("beta", {6}, {0.5f, 0, 0, 0, 0, -0.5f});
  m.node("Add", {"g", "beta"}, "y");
  m.output("y");
  const Graph g = import_onnx_bytes(m.bytes());
  const Node& out = g.node(g.outputs()[0]);
  ASSERT_EQ(out.op, OpType::LayerNorm);
  EXPECT_EQ(out.name, "ln");
  EXPECT_DOUBLE_EQ(out.attrs.epsilon, 1e-3);
  const NDArray x = iota({4, 6}, 0.3f, -2.0f);
  NDArray gamma({6}), beta({6});
  for (int i = 0; i < 6; ++i) gamma[i] = static_cast<float>(i + 1);
  beta.fill(0.0f);
  beta[0] = 0.5f;
  beta[5] = -0.5f;
  const NDArray expected = ops::ref::layer_norm(x, gamma, beta, 1e-3);
  const auto y = graph::run_reference(g, {&x});
  for (int64_t i = 0; i < x.size(); ++i) EXPECT_NEAR(y[0][i], expected[i], 1e-5) << i;
}

TEST(OnnxExporters, ReflectAndEdgePaddingImportComputeAndExport) {
  for (const char* mode : {"reflect", "edge"}) {
    SCOPED_TRACE(mode);
    ModelMaker m;
    m.input("x", {1, 2, 4, 5});
    init_ints(m, "pads", {8}, {0, 0, 2, 1, 0, 0, 3, 2});
    auto* pad = m.node("Pad", {"x", "pads"}, "y");
    auto* a = pad->add_attribute();
    a->set_name("mode");
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(mode);
    m.output("y");
    const Graph g = import_onnx_bytes(m.bytes());
    const NDArray x = iota({1, 2, 4, 5});
    const NDArray y = std::move(graph::run_reference(g, {&x})[0]);
    ASSERT_EQ(y.shape(), (std::vector<int64_t>{1, 2, 9, 8}));
    // Row -2 of the padded image (output row 0) reads row 2 (reflect) or row 0 (edge);
    // column -1 (output column 0) reads column 1 or 0.
    const bool reflect = std::string(mode) == "reflect";
    EXPECT_EQ(y[0], reflect ? 2 * 5 + 1 : 0);
    // Output row 8 is row 6 of the data: reflect reads row 0 (3 - |3 - 6|), edge row 3.
    EXPECT_EQ(y[8 * 8 + 1], reflect ? 0 : 15);
    expect_identical(g, import_onnx_bytes(export_onnx_bytes(g)));
  }
}

// F.interpolate(scale_factor=2) as PyTorch exports it (nearest: asymmetric and
// floor; bilinear: pytorch_half_pixel), and Resize with sizes.
TEST(OnnxExporters, ResizeNearestAndLinearComputeAndExport) {
  auto model = [](const std::string& mode, const std::string& coords, const std::string& rounding) {
    ModelMaker m;
    m.input("x", {1, 1, 2, 3});
    m.init("scales", {4}, {1, 1, 2, 2});
    auto* r = m.node("Resize", {"x", "", "scales"}, "y");
    auto text = [&](const char* name, const std::string& v) {
      auto* a = r->add_attribute();
      a->set_name(name);
      a->set_type(onnx::AttributeProto::STRING);
      a->set_s(v);
    };
    text("mode", mode);
    text("coordinate_transformation_mode", coords);
    text("nearest_mode", rounding);
    m.output("y");
    return import_onnx_bytes(m.bytes());
  };
  const NDArray x = iota({1, 1, 2, 3});  // rows 0 1 2 / 3 4 5
  {
    const Graph g = model("nearest", "asymmetric", "floor");
    const NDArray y = std::move(graph::run_reference(g, {&x})[0]);
    ASSERT_EQ(y.shape(), (std::vector<int64_t>{1, 1, 4, 6}));
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t j = 0; j < 6; ++j) EXPECT_EQ(y[i * 6 + j], x[(i / 2) * 3 + j / 2]) << i << "," << j;
    expect_identical(g, import_onnx_bytes(export_onnx_bytes(g)));
  }
  {
    const Graph g = model("linear", "pytorch_half_pixel", "round_prefer_floor");
    const NDArray y = std::move(graph::run_reference(g, {&x})[0]);
    // Row 0 reads row 0 (clamped); columns map to -0.25, 0.25, 0.75, 1.25, 1.75, 2.25.
    const float expected[6] = {0, 0.25f, 0.75f, 1.25f, 1.75f, 2};
    for (int j = 0; j < 6; ++j) EXPECT_NEAR(y[j], expected[j], 1e-6) << j;
    // Row 1 maps to 0.25: a quarter of the way to row 1 (3 more).
    for (int j = 0; j < 6; ++j) EXPECT_NEAR(y[6 + j], expected[j] + 0.75f, 1e-6) << j;
    expect_identical(g, import_onnx_bytes(export_onnx_bytes(g)));
  }
  ModelMaker odd;
  odd.input("x", {1, 1, 5, 5});
  odd.init("scales", {4}, {1, 1, 1.3f, 1.3f});
  odd.node("Resize", {"x", "", "scales"}, "y");
  odd.output("y");
  expect_one_line_error(error_of([&] { import_onnx_bytes(odd.bytes()); }), {"does not give a whole size"});
}

// A 0-d graph input (a scalar fed at run time) broadcasts like a constant one.
TEST(OnnxExporters, ZeroDimensionalInputsBroadcast) {
  ModelMaker m;
  m.input("x", {2, 3});
  m.input("s", {});
  m.node("Pow", {"x", "s"}, "y");
  m.output("y");
  const Graph g = import_onnx_bytes(m.bytes());
  EXPECT_EQ(g.node(g.inputs()[1]).shape, std::vector<int64_t>{1});
  const NDArray x = iota({2, 3}, 0.5f, 0.5f);
  NDArray s({1});
  s[0] = 2.0f;
  const NDArray y = std::move(graph::run_reference(g, {&x, &s})[0]);
  for (int64_t i = 0; i < 6; ++i) EXPECT_NEAR(y[i], x[i] * x[i], 1e-6);
}

// Swin's padding and mask arithmetic: Mod, Max, ScatterND, Not, And, Neg on values
// known at import fold into a static reshape target.
TEST(OnnxExporters, ModMaxScatterAndLogicOnConstantsFold) {
  ModelMaker m;
  m.input("x", {2, 12});
  m.node("Shape", {"x"}, "s");                    // [2, 12]
  init_ints(m, "five", {2}, {5, 5});
  m.node("Mod", {"s", "five"}, "mod");            // [2, 2]
  init_ints(m, "low", {2}, {1, 3});
  m.node("Max", {"mod", "low"}, "first");         // [2, 3]
  init_ints(m, "zeros", {3}, {0, 0, 0});
  init_ints(m, "at", {1, 1}, {1});
  init_ints(m, "four", {1}, {4});
  m.node("ScatterND", {"zeros", "at", "four"}, "sc");  // [0, 4, 0]
  init_ints(m, "zero", {1}, {0});
  init_ints(m, "nine", {1}, {9});
  m.node("Equal", {"sc", "zero"}, "is0");
  m.node("Not", {"is0"}, "not0");
  m.node("Less", {"sc", "nine"}, "small");
  m.node("And", {"not0", "small"}, "pick");       // [0, 1, 0]
  m.node("Neg", {"sc"}, "neg");
  m.node("Neg", {"neg"}, "same");
  init_ints(m, "one", {1}, {1});
  m.node("Where", {"pick", "same", "one"}, "w");  // [1, 4, 1]
  ModelMaker::i(m.node("Gather", {"w", "one"}, "last"), "axis", 0);  // [4]
  ModelMaker::i(m.node("Concat", {"first", "last"}, "target"), "axis", 0);
  m.node("Reshape", {"x", "target"}, "y");
  m.output("y");
  const Graph g = import_onnx_bytes(m.bytes());
  ASSERT_EQ(g.size(), 2);
  EXPECT_EQ(g.node(1).shape, (std::vector<int64_t>{2, 3, 4}));
}

#endif  // BCD_HAVE_ONNX

// `bcd export-onnx` writes a file that imports back to the zoo model.
TEST(OnnxCli, ExportOnnxWritesTheZooModel) {
  SKIP_WITHOUT_ONNX();
  const std::string path = temp_file("cli.onnx");
  const std::string cmd = fmt::format(
      "{} export-onnx --model mxnet --image-size 32 --weight-seed 3 --out '{}' 2>&1", BCD_BINARY, path);
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string output;
  char buf[4096];
  while (fgets(buf, sizeof buf, pipe)) output += buf;
  ASSERT_EQ(pclose(pipe), 0) << output;
  EXPECT_NE(output.find("wrote " + path), std::string::npos) << output;
  ZooOptions o;
  o.image_size = 32;
  o.seed = 3;
  expect_identical(build_model("mxnet", o), import_onnx(path));
  fs::remove(path);
}

}  // namespace
}  // namespace bcd::frontends
