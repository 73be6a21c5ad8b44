// The ONNX importer's internals (frontends only, and only in builds with ONNX
// support): onnx_import.cpp holds the machinery (constant tensors, values, views,
// realization) and the entry points, onnx_import_ops.cpp one handler per ONNX
// operator. What maps to what is described at the top of onnx_import.cpp.
#pragma once
#include <onnx/onnx_pb.h>

#include <array>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "frontends/onnx.h"
#include "frontends/onnx_format.h"
#include "frontends/onnx_pointwise.h"
#include "graph/graph.h"
#include "support/ndarray.h"

namespace bcd::frontends::onnx_detail {

using graph::NodeAttrs;
using graph::OpType;
using onnx::NodeProto;
namespace fmtx = onnx_format;
using Shape = std::vector<int64_t>;

// A tensor known at import time: an initializer, a Constant's value, or a fold of one.
struct Const {
  std::string name;  // of the graph constant it may become
  Shape shape;
  // float32 data (its own shape may differ); once the tensor is a graph constant,
  // the graph's copy
  std::shared_ptr<const NDArray> f;
  std::shared_ptr<const std::vector<int64_t>> i;  // or int64 data
  std::string unusable;                           // or why its data cannot be used
  std::shared_ptr<Const> from_1d;                 // it is a reshape of this 1-D tensor
  int node = -1;                                  // the graph constant, once made
};
using ConstPtr = std::shared_ptr<Const>;

struct Value {
  enum class Kind { Node, Const, View } kind = Kind::Node;
  int node = -1;  // Node; View: the base
  Shape perm;     // View: transpose(node, perm), not built (yet)
  ConstPtr c;     // Const
  static Value of_node(int id) { return Value{Kind::Node, id, {}, nullptr}; }
  static Value of_const(ConstPtr c) { return Value{Kind::Const, -1, {}, std::move(c)}; }
  static Value view(int id, Shape perm) { return Value{Kind::View, id, std::move(perm), nullptr}; }
};

bool is_identity(const Shape& perm);
// transpose(transpose(x, p), q) == transpose(x, compose(p, q)).
Shape compose(const Shape& p, const Shape& q);
Shape permuted(const Shape& s, const Shape& perm);
inline const Shape kToNchw = {0, 3, 1, 2};  // NHWC data seen as NCHW
std::string dims(const Shape& s);
std::string type_name(int onnx_type);
// Initializer -> Const; the proto's buffers are released as they are copied.
ConstPtr to_const(onnx::TensorProto& t, const std::string& name);

// The distinct problems of one import, each with the first node that shows it and
// how many nodes share it.
class ImportProblems {
 public:
  void add(const std::string& problem, const std::string& where);
  bool empty() const { return problems_.empty(); }
  size_t size() const { return problems_.size(); }
  bool mention(const std::string& text) const;
  // One problem: one line, "node 'x' (Op): a". Several: "3 problems: a; b; c", then
  // one line per problem, "  a (first at node 'x' (Op); 4 nodes in all)".
  std::string report() const;

 private:
  struct Problem {
    std::string what, where;
    int count = 0;
  };
  std::vector<Problem> problems_;
};

class Importer {
 public:
  Importer(onnx::ModelProto& model, std::string what, InputShapes shapes)
      : model_(model), what_(std::move(what)), shapes_(std::move(shapes)) {}

  graph::Graph run();

 private:
  using Handler = void (Importer::*)(const NodeProto&);

  // ---- model-level -------------------------------------------------------------------

  void read_opset();

  static std::string hinted_name(const std::string& doc, const std::string& fallback);

  void add_input(const onnx::ValueInfoProto& in);

  void define(const std::string& name, Value v);

  // Forgets values no later node reads (frees constant data as the import goes).
  void release_inputs(const NodeProto& n);

  // ---- node-level helpers ------------------------------------------------------------

  std::string display_name(const NodeProto& n) const;
  std::string node_name(const NodeProto& n) const;

  bool has_input(const NodeProto& n, int k) const;

  const Value& input(const NodeProto& n, int k) const;

  void expect_inputs(const NodeProto& n, int lo, int hi) const;

  // Extra outputs (indices, masks, statistics) must be unused.
  void only_first_output(const NodeProto& n) const;

  void set_output(const NodeProto& n, Value v);

  Shape shape_of(const Value& v) const;

  const NDArray& float_data(const Const& c) const;

  const std::vector<int64_t>& int_data(const Const& c, const std::string& what) const;

  // The graph node of a value: constants become graph constants (once), views
  // become transpose nodes.
  int realize(const Value& v, const std::string& name);

  int realize_const(Const& c);

  int in_node(const NodeProto& n, int k);

  ConstPtr const_input(const NodeProto& n, int k, const std::string& what) const;

  double scalar(const Const& c, const std::string& what) const;

  int add(OpType op, std::vector<int> inputs, NodeAttrs attrs, const std::string& name);

  // ---- attributes --------------------------------------------------------------------

  static const onnx::AttributeProto* attr(const NodeProto& n, const std::string& name);
  static void expect_type(const onnx::AttributeProto& a, onnx::AttributeProto::AttributeType t);
  static int64_t attr_int(const NodeProto& n, const std::string& name, int64_t dflt);
  static float attr_float(const NodeProto& n, const std::string& name, float dflt);
  static Shape attr_ints(const NodeProto& n, const std::string& name, Shape dflt);
  static std::string attr_string(const NodeProto& n, const std::string& name, std::string dflt);
  // A float attribute as a double, or the writer's exact value from the hints.
  static double attr_double(const NodeProto& n, const std::string& name, float dflt,
                            const std::string& hint);
  static void expect_attr(bool ok, const std::string& name, const std::string& value,
                          const std::string& supported);

  // ---- views (transposes kept for layout-aware consumers) ---------------------------

  // Whether every reader of `value`, seen as transpose(base, perm), can take the view
  // without a transpose node (see the top of the file).
  bool absorbs(const std::string& value, const Shape& perm, int depth = 0) const;

  // A node the writer marked as one of our own ops (bcd.op=...).
  static bool ours(const NodeProto& n, const std::string& op);

  static Shape swap_last_two(size_t rank);

  // `out` is transpose(node, perm): a view if its readers take one, else a node now.
  void set_view_output(const NodeProto& n, int node, const Shape& perm);

  // Transposed copy of a constant (exact: a permutation of the values).
  static ConstPtr permute_const(const Const& c, const NDArray* data, const Shape& perm);

  ConstPtr transpose_const(const Const& c, const Shape& perm) const;

  static ConstPtr reshape_const(const ConstPtr& c, const Shape& shape);

  // The value as an operand whose layout is `perm` of what it is (a weight as HWIO
  // from OIHW, a matrix transposed): folds constants, cancels views, else a node.
  int transposed_node(const Value& v, const Shape& perm, const std::string& name);

  // ---- operators ---------------------------------------------------------------------

  void import_node(int index, const NodeProto& n);

  std::array<int64_t, 2> pair_attr(const NodeProto& n, const std::string& name, int64_t dflt) const;

  // ONNX pads [top, left, bottom, right] (x1_begin, x2_begin, x1_end, x2_end) are
  // ours; auto_pad SAME_* is resolved with the static input shape.
  ops::Padding2D window_pads(const NodeProto& n, const Shape& nchw, std::array<int64_t, 2> kernel,
                             std::array<int64_t, 2> stride, std::array<int64_t, 2> dilation) const;

  void conv(const NodeProto& n);

  void pool(const NodeProto& n);

  void global_pool(const NodeProto& n);

  void gemm(const NodeProto& n);

  void matmul(const NodeProto& n);

  // A one-node ONNX operator of ours (onnx_pointwise.h); Add of a bias-shaped
  // constant is a bias_add.
  void pointwise(const NodeProto& n, const fmtx::PointwiseOp& pw);

  // The graph node of a broadcasting operand: a 0-d constant becomes a 1-element
  // one, which broadcasts to the same result.
  int operand(const Value& v, const std::string& name);

  // A float constant times `factor`.
  ConstPtr scaled_const(const Const& c, double factor) const;
  // A new graph constant of shape [1].
  int scalar_node(double value, const std::string& name);

  // The known value of `name`: defined already, or the output of a Constant node
  // later in the file (exporters put each constant just before its reader).
  ConstPtr known_const(const std::string& name) const;

  // Shape arithmetic (onnx_import_fold.cpp): whether `n` was folded into a constant
  // (Shape always is; the others when every input is a constant).
  bool try_fold(const NodeProto& n);
  bool all_const(const NodeProto& n) const;
  // A Slice node's starts, ends, axes and steps (inputs, or attributes before opset
  // 10) over data of `shape`.
  ops::SliceAttrs slice_attrs(const NodeProto& n, const Shape& shape) const;

  void slice(const NodeProto& n);
  void split(const NodeProto& n);
  void gather(const NodeProto& n);
  void resize(const NodeProto& n);

  // Every operator import_node accepts, for the error report.
  static std::string supported_operators();

  void gelu(const NodeProto& n);

  // The node reading `value` if it is the only reader (and not a graph output).
  int sole_reader(const std::string& value, int* slot) const;

  bool is_scalar_const(const std::string& value, double expected) const;

  // x / sqrt(2) (or x * (1/sqrt(2))) -> Erf -> + 1 -> * x -> * 0.5: one gelu, named
  // after the first node, created where it stands; the other four are skipped.
  bool try_gelu_pattern(int index, const NodeProto& first);

  // ReduceMean ... Sqrt ... Div [Mul gamma] [Add beta] over the last axis: one
  // layer_norm, named after the first node and created where it stands.
  bool try_layer_norm_pattern(int index, const NodeProto& first);

  void clip(const NodeProto& n);

  void hard_sigmoid(const NodeProto& n);
  // LeakyRelu, Elu, Selu, Softplus and Softsign as elementwise ops.
  void activation(const NodeProto& n);
  // Sum and Mean of any number of inputs.
  void variadic(const NodeProto& n);


  void batch_norm(const NodeProto& n);

  void softmax(const NodeProto& n);

  void layer_norm(const NodeProto& n);

  void reduce(const NodeProto& n);

  void concat(const NodeProto& n);

  // A shape from an int64 input (or, in old opsets, an attribute).
  Shape shape_operand(const NodeProto& n, int k, const std::string& attr_name) const;

  void reshape(const NodeProto& n);

  void squeeze(const NodeProto& n);

  void flatten(const NodeProto& n);

  void transpose(const NodeProto& n);

  void pad(const NodeProto& n);

  void constant(const NodeProto& n);

  void identity(const NodeProto& n);

  onnx::ModelProto& model_;
  std::string what_;
  InputShapes shapes_;          // --input-shape bindings
  std::set<std::string> bound_;  // the inputs they bound
  int64_t opset_ = fmtx::kOpset;
  graph::Graph g_;
  std::map<std::string, Value> values_;
  std::map<std::string, std::vector<std::pair<int, int>>> uses_;  // value -> (node, slot)
  std::map<std::string, int> remaining_;                          // uses not yet imported
  std::set<std::string> outputs_;
  std::map<std::string, int> producer_;  // value -> index of the node that outputs it
  std::vector<bool> skip_;
};

}  // namespace bcd::frontends::onnx_detail
