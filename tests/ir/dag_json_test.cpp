// A DAG written as JSON and read back (as on a remote worker) is the same task: the
// same workload key, description, layout-free inputs, names and computation; and
// malformed JSON fails with one line that names the problem.
#include "ir/dag_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <sstream>

#include "codegen/codegen_c.h"
#include "frontends/zoo.h"
#include "graph/tasks.h"
#include "ir/expr_functor.h"
#include "lower/lower.h"
#include "ops/op_configs.h"
#include "ops/registry.h"
#include "runtime/run_dag.h"
#include "testing/error_of.h"

namespace bcd::ir {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// C = sum_k A[i, k] * B[k, j], then relu: the example of dag_json.h.
ComputeDAG matmul_relu() {
  Tensor a = placeholder({4, 6}, "A");
  Tensor b = placeholder({6, 5}, "B");
  IterVar k = reduce_axis(6, "k");
  Tensor c = compute({4, 5}, [&](const std::vector<Expr>& i) { return sum(a(i[0], k.var) * b(k.var, i[1]), {k}); },
                     "C", "matmul");
  Tensor d = compute({4, 5}, [&](const std::vector<Expr>& i) { return max(c(i[0], i[1]), 0.0f); }, "D", "relu");
  return ComputeDAG({a, b}, {d});
}

std::vector<std::string> names(const std::vector<IterVar>& axes) {
  std::vector<std::string> n;
  for (const IterVar& a : axes) n.push_back(a.var->name + ":" + std::to_string(a.extent));
  return n;
}

// Writes `dag`, sends the text through dump() and parse(), reads it back and
// expects the same task in every respect the search and the workers rely on.
ComputeDAG expect_round_trip(const ComputeDAG& dag) {
  const json written = dag_to_json(dag);
  const json parsed = json::parse(written.dump());
  EXPECT_EQ(parsed, written);
  ComputeDAG back = dag_from_json(parsed);
  EXPECT_EQ(back.canonical_string(), dag.canonical_string());
  EXPECT_EQ(back.workload_key(), dag.workload_key());
  EXPECT_EQ(back.description(), dag.description());
  EXPECT_EQ(back.flop_count(), dag.flop_count());
  EXPECT_EQ(back.inputs().size(), dag.inputs().size());
  EXPECT_EQ(back.outputs().size(), dag.outputs().size());
  EXPECT_EQ(back.layout_free_inputs(), dag.layout_free_inputs());
  EXPECT_EQ(back.ops().size(), dag.ops().size());
  for (size_t i = 0; i < std::min(back.ops().size(), dag.ops().size()); ++i) {
    const OpNode& x = *back.ops()[i];
    const OpNode& y = *dag.ops()[i];
    SCOPED_TRACE(y.name);
    EXPECT_EQ(x.kind, y.kind);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.tag, y.tag);
    EXPECT_EQ(x.shape, y.shape);
    EXPECT_EQ(x.dtype, y.dtype);
    EXPECT_EQ(names(x.axes), names(y.axes));
    EXPECT_EQ(names(x.reduce_axes), names(y.reduce_axes));
    EXPECT_EQ(to_string(x.body), to_string(y.body));  // names of variables and tensors too
    EXPECT_EQ(x.layout_free_inputs.size(), y.layout_free_inputs.size());
    const OpAccessInfo& a = back.access(static_cast<int>(i));
    const OpAccessInfo& b = dag.access(static_cast<int>(i));
    EXPECT_EQ(a.is_strictly_inlineable, b.is_strictly_inlineable);
    EXPECT_EQ(a.needs_multi_level_tiling, b.needs_multi_level_tiling);
    EXPECT_EQ(a.consumers, b.consumers);
  }
  for (size_t i = 0; i < std::min(back.outputs().size(), dag.outputs().size()); ++i)
    EXPECT_EQ(back.index_of(back.outputs()[i].op().get()), dag.index_of(dag.outputs()[i].op().get()));
  EXPECT_EQ(dag_to_json(back), written);  // written again, the same text
  return back;
}

TEST(DagJson, FormatIsTheDocumentedOne) {
  // The example in dag_json.h (nlohmann writes an object's keys sorted).
  EXPECT_EQ(dag_to_json(matmul_relu()).dump(),
            R"({"ops":[{"name":"A","shape":[4,6]},{"name":"B","shape":[6,5]},)"
            R"({"body":["reduce","sum",["*",["load",0,"a0","r0"],["load",1,"r0","a1"]]],)"
            R"("name":"C","reduce":[[6,"k"]],"shape":[4,5],"tag":"matmul"},)"
            R"({"body":["max",["load",2,"a0","a1"],0.0],"name":"D","shape":[4,5],"tag":"relu"}],)"
            R"("outputs":[3],"v":1})");
  expect_round_trip(matmul_relu());
}

TEST(DagJson, RoundTripsEveryRegisteredOperator) {
  for (const ops::OpDef& def : ops::op_registry()) {
    SCOPED_TRACE(def.name);
    expect_round_trip(ops::build_op(def.name, {}).dag);
  }
  // Every configuration of the ops tests: layouts, strides, groups, broadcasting, modes.
  for (const ops::optest::OpConfig& c : ops::optest::op_configs()) {
    SCOPED_TRACE(c.op + " " + c.params);
    expect_round_trip(ops::build_op(c.op, ops::OpParams::parse(c.params)).dag);
  }
}

TEST(DagJson, RoundTripsFusedNetworkTasks) {
  const std::vector<std::pair<std::string, frontends::ZooOptions>> models = {
      {"squeezenet_v1.1", {.image_size = 32}},
      {"mobilenetv2", {.image_size = 32}},
      {"efficientnet", {.image_size = 32}},
      {"bert", {.bert_layers = 1, .bert_seq_len = 16}},
  };
  for (const auto& [model, options] : models) {
    const graph::TaskSet set = graph::extract_tasks(frontends::build_model(model, options));
    ASSERT_FALSE(set.tasks.empty());
    for (const graph::Task& t : set.tasks) {
      SCOPED_TRACE(model + " " + t.name);
      EXPECT_EQ(expect_round_trip(*t.dag).workload_key(), t.workload_key);
    }
  }
}

TEST(DagJson, RebuiltDagComputesBitForBitTheSame) {
  // A convolution (layout-free weight, padding branches), a softmax (max and sum
  // reductions, exp) and a max pool (padded with the lowest float).
  for (const auto& [op, params] : std::vector<std::pair<std::string, std::string>>{
           {"conv2d", "n=1,c=3,h=7,w=7,o=4,kernel=3,stride=1,pad=1"},
           {"softmax", "shape=3x17"},
           {"max_pool2d", "n=1,c=2,h=7,w=7,kernel=3,stride=2,pad=1"}}) {
    SCOPED_TRACE(op);
    const ops::OpInstance inst = ops::build_op(op, ops::OpParams::parse(params));
    const ComputeDAG back = dag_from_json(json::parse(dag_to_json(inst.dag).dump()));
    std::mt19937_64 rng(7);
    const std::vector<NDArray> inputs = ops::random_inputs(inst, rng);
    std::vector<const NDArray*> args;
    for (const NDArray& a : inputs) args.push_back(&a);
    const std::vector<NDArray> expected = runtime::run_dag_default(inst.dag, args);
    const std::vector<NDArray> actual = runtime::run_dag_default(back, args);
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t i = 0; i < actual.size(); ++i) {
      ASSERT_EQ(actual[i].shape(), expected[i].shape());
      EXPECT_EQ(std::memcmp(actual[i].data(), expected[i].data(), sizeof(float) * actual[i].size()), 0);
    }
  }
}

TEST(DagJson, RebuiltDagGeneratesTheSameCode) {
  for (const ops::OpDef& def : ops::op_registry()) {
    SCOPED_TRACE(def.name);
    const ComputeDAG dag = ops::build_op(def.name, {}).dag;
    const ComputeDAG back = dag_from_json(dag_to_json(dag));
    EXPECT_EQ(codegen::codegen_c({lower::lower_default(back, "k")}),
              codegen::codegen_c({lower::lower_default(dag, "k")}));
  }
}

TEST(DagJson, FuzzSeedCorpusReadsAndRoundTrips) {
  // The fuzz target starts from these (fuzz/dag_json_fuzz.cpp): they must stay valid.
  const std::filesystem::path dir = std::filesystem::path(BCD_SOURCE_DIR) / "fuzz/corpus/dag_json_fuzz";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    SCOPED_TRACE(entry.path().string());
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    expect_round_trip(dag_from_json(json::parse(text.str())));
    ++files;
  }
  EXPECT_GE(files, 3);
}

TEST(DagJson, FloatImmediatesSurviveBitForBit) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> values = {0.1,
                                      -0.0,
                                      1.0,
                                      static_cast<double>(0.1f),
                                      1.0 / 3.0,
                                      1e-300,
                                      std::numeric_limits<double>::denorm_min(),
                                      std::numeric_limits<double>::max(),
                                      std::numeric_limits<double>::lowest(),
                                      1e22,
                                      inf,
                                      -inf,
                                      std::numeric_limits<double>::quiet_NaN(),
                                      -std::numeric_limits<double>::quiet_NaN()};
  Tensor x = placeholder({3}, "x");
  Tensor y = compute({3}, [&](const std::vector<Expr>& i) {
        Expr e = x(i[0]);
        for (double v : values) e = e * float_imm(v);
        return e;
      }, "y", "scale");
  const ComputeDAG back = expect_round_trip(ComputeDAG({x}, {y}));
  std::vector<uint64_t> bits;
  visit(back.ops()[1]->body, [&](const Expr& e) {
    if (e->kind == ExprKind::FloatImm) bits.push_back(std::bit_cast<uint64_t>(e->float_value));
    return true;
  });
  std::vector<uint64_t> expected;  // visit() goes down the chain first: x * values[0] is deepest
  for (double v : values) expected.push_back(std::bit_cast<uint64_t>(v));
  EXPECT_EQ(bits, expected);
}

TEST(DagJson, BoolsIntsAndCastsKeepTheirTypes) {
  Tensor x = placeholder({4, 3}, "x");
  Tensor y = compute({4, 3}, [&](const std::vector<Expr>& i) {
        Expr inside = logical_and(i[0] >= 1, logical_not(bool_imm(false)));
        Expr shifted = x(floormod(i[0] + 3, 4), floordiv(i[1] * 2, 2));
        return select(inside, cast(DType::Float, cast(DType::Int, shifted)), pow(exp(x(i[0], i[1])), 2));
      }, "y", "mix");
  expect_round_trip(ComputeDAG({x}, {y}));
}

TEST(DagJson, WritingRefusesABodyTooDeepToRead) {
  Tensor x = placeholder({2}, "x");
  Tensor y = compute({2}, [&](const std::vector<Expr>& i) {
        Expr e = x(i[0]);
        for (int k = 0; k < 600; ++k) e = e + 1.0f;
        return e;
      }, "y", "deep");
  EXPECT_THAT(testutil::error_of([&] { dag_to_json(ComputeDAG({x}, {y})); }), HasSubstr("deeper than 512"));
}

// ------------------------------------------------------------------------------
// Malformed input

// The example DAG's JSON with one change.
json edited(const std::function<void(json&)>& edit) {
  json j = dag_to_json(matmul_relu());
  edit(j);
  return j;
}

// ["!", ["!", ... true]]: a valid-looking expression `levels` deep.
json nested_not(int levels) {
  std::string text;
  for (int k = 0; k < levels; ++k) text += R"(["!",)";
  text += "true";
  text.append(levels, ']');
  return json::parse(text);
}

std::string error_reading(const json& j) {
  return testutil::error_of([&] { dag_from_json(j); });
}

TEST(DagJson, MalformedInputFailsWithOneLineNamingTheProblem) {
  const std::vector<std::pair<std::function<void(json&)>, std::string>> cases = {
      {[](json& j) { j["ops"][3]["body"] = {"frobnicate", 1}; }, R"(op 3 "D": unknown expression kind "frobnicate")"},
      {[](json& j) { j["ops"][3]["body"][1][1] = 7; }, "a load refers to op 7, out of range (0..3)"},
      {[](json& j) { j["ops"][3]["body"][1][1] = -1; }, "refers to op -1, out of range"},
      {[](json& j) { j["ops"][2]["body"][2][1][1] = 3; }, R"(op 2 "C": a load refers to op 3, which is not before this op)"},
      {[](json& j) { j["ops"][2]["body"][2][1][1] = 2; }, "refers to op 2, which is not before this op"},
      {[](json& j) { j["ops"][3]["body"][1] = {"load", 2, "a0"}; }, "a load of op 2 with 1 indices; its rank is 2"},
      {[](json& j) { j["ops"][3]["body"][1][2] = 1.5; }, "index 0 of a load of op 2 is float, not int"},
      {[](json& j) { j["ops"][3]["body"] = {"+", 1.0}; }, R"("+" takes 2 operands, not 1)"},
      {[](json& j) { j["ops"][3]["body"] = {"exp", 1.0, 2.0}; }, R"("exp" takes 1 operand, not 2)"},
      {[](json& j) { j["ops"][3]["body"] = json::array(); }, "an empty expression array"},
      {[](json& j) { j["ops"][3]["body"] = {7, 1}; }, "must start with its kind, not an integer"},
      {[](json& j) { j["ops"][3]["body"] = {"select", 1, 1.0, 2.0}; }, R"(the condition of "select" is int, not bool)"},
      {[](json& j) { j["ops"][3]["body"] = {"castf", {"floordiv", 1.0, 2}}; }, R"(an operand of "floordiv" is float, not int)"},
      {[](json& j) { j["ops"][3]["body"] = {"castf", {"&&", true, 1}}; }, R"(an operand of "&&" is int, not bool)"},
      {[](json& j) { j["ops"][3]["body"] = {"castf", {"!", 1}}; }, R"(the operand of "!" is int, not bool)"},
      {[](json& j) { j["ops"][3]["body"] = {"float", "big"}; }, R"(unknown non-finite float "big")"},
      {[](json& j) { j["ops"][3]["body"] = json::object(); }, "an expression cannot be an object"},
      {[](json& j) { j["ops"][3]["body"] = nullptr; }, "an expression cannot be null"},
      {[](json& j) { j["ops"][3]["body"] = 1; }, "the body is int; a compute body must be float"},
      {[](json& j) { j["ops"][3]["body"] = "a7"; }, R"(unknown variable "a7" (this op has 2 axes)"},
      {[](json& j) { j["ops"][3]["body"] = "x"; }, R"(unknown variable "x")"},
      {[](json& j) { j["ops"][3]["body"] = "r0"; }, R"(unknown variable "r0")"},
      {[](json& j) { j["ops"][3]["body"] = {"+", {"reduce", "sum", 1.0}, 1.0}; }, "only a whole body may reduce"},
      {[](json& j) { j["ops"][3]["body"] = {"reduce", "sum", 1.0}; }, "a reduction without \"reduce\" axes"},
      {[](json& j) { j["ops"][2]["body"] = 1.0; }, "\"reduce\" axes but the body is not a reduction"},
      {[](json& j) { j["ops"][2]["body"][1] = "prod"; }, R"(unknown reduction "prod")"},
      {[](json& j) { j["ops"][2]["reduce"] = json::array(); }, "\"reduce\" lists no axes"},
      {[](json& j) { j["ops"][2]["reduce"][0][0] = 0; }, "reduce axis 0 has extent 0, not in 1..2^36"},
      {[](json& j) { j["ops"][2]["reduce"][0] = 6; }, "reduce axis 0 must be [extent, name]"},
      {[](json& j) { j["ops"][1]["shape"] = "6x5"; }, R"(op 1 "B": "shape" must be an array, not a string)"},
      {[](json& j) { j["ops"][1]["shape"][0] = 0; }, R"(op 1 "B": shape [0,5] has a dimension below 1)"},
      {[](json& j) { j["ops"][3]["shape"][1] = -5; }, "shape [4,-5] has a dimension below 1"},
      {[](json& j) { j["ops"][1]["shape"] = {1 << 20, 1 << 20}; }, "more than 2^36 elements"},
      {[](json& j) { j["ops"][1]["shape"][0] = 2.0; }, "a dimension of \"shape\" must be an integer, not a float"},
      {[](json& j) { j["ops"][1]["dtype"] = "half"; }, R"(unknown dtype "half")"},
      {[](json& j) { j["ops"][1].erase("name"); }, R"(op 1: missing field "name")"},
      {[](json& j) { j["ops"][1]["name"] = 5; }, R"("name" must be a string, not an integer)"},
      {[](json& j) { j["ops"][1]["name"] = "B\nrm -rf"; }, "holds a control character"},
      {[](json& j) { j["ops"][2].erase("shape"); }, R"(missing field "shape")"},
      {[](json& j) { j["ops"][2].erase("body"); }, R"(op 2 "C": missing field "body" (a placeholder has no "tag"))"},
      {[](json& j) { j["ops"][1]["shape"] = std::vector<int>(33, 1); }, R"("shape" has 33 dimensions, more than 32)"},
      {[](json& j) { j["ops"][2]["reduce"] = std::vector<json>(33, {1, "k"}); }, R"("reduce" lists 33 axes, more than 32)"},
      {[](json& j) { j["ops"][2]["colour"] = "red"; }, R"(unknown field "colour")"},
      {[](json& j) { j["ops"][3]["layout_free"] = {2}; }, "\"layout_free\" lists op 2, which is not a placeholder"},
      {[](json& j) { j["ops"][3]["layout_free"] = {9}; }, "refers to op 9, out of range"},
      {[](json& j) { j["ops"][3] = 3; }, "op 3: an op must be an object, not an integer"},
      {[](json& j) { j["ops"][3]["body"] = {"+", 1.0, 18446744073709551615ull}; }, "an integer immediate is out of range"},
      {[](json& j) { j.erase("outputs"); }, R"(missing field "outputs")"},
      {[](json& j) { j["outputs"] = json::array(); }, "\"outputs\" is empty"},
      {[](json& j) { j["outputs"] = {3, 3}; }, "op 3 is listed twice in \"outputs\""},
      {[](json& j) { j["outputs"] = {0}; }, "output op 0 is a placeholder"},
      {[](json& j) { j["outputs"] = {2}; }, "op 3 is neither an output nor read by one"},
      {[](json& j) { j["outputs"] = {4}; }, "an output refers to op 4, out of range"},
      {[](json& j) { j["ops"] = json::array(); }, "\"ops\" is empty"},
      {[](json& j) { j["ops"] = "many"; }, "\"ops\" must be an array, not a string"},
      {[](json& j) { j["v"] = 2; }, "unsupported version 2 (this bcd reads 1)"},
      {[](json& j) { j["v"] = "1"; }, "\"v\" must be an integer, not a string"},
      {[](json& j) { j["extra"] = 1; }, R"(unknown field "extra")"},
      {[](json& j) { j = json::array(); }, "the DAG must be an object, not an array"},
      {[](json& j) { j["ops"][3]["body"] = {"castf", nested_not(600)}; }, "expression nested deeper than 512 levels"},
  };
  for (const auto& [edit, expected] : cases) {
    const std::string message = error_reading(edited(edit));
    EXPECT_THAT(message, HasSubstr(expected));
    EXPECT_THAT(message, ::testing::StartsWith("dag json: "));
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

// The example's JSON with `text` in place of a field, parsed: a deep document is
// built by the (iterative) parser, never copied, since copying a json recurses.
json with_text(const std::function<void(json&)>& mark, const std::string& text) {
  std::string doc = edited(mark).dump();
  const std::string marker = "\"@\"";
  doc.replace(doc.find(marker), marker.size(), text);
  return json::parse(doc);
}

TEST(DagJson, DepthBombsFailWithoutRecursingIntoThem) {
  constexpr int kDepth = 100000;
  const std::string arrays = std::string(kDepth, '[') + std::string(kDepth, ']');
  std::string nots;
  for (int k = 0; k < kDepth; ++k) nots += R"(["!",)";
  nots += "true" + std::string(kDepth, ']');
  EXPECT_THAT(error_reading(json::parse(arrays)), HasSubstr("the DAG must be an object"));
  EXPECT_THAT(error_reading(with_text([](json& j) { j["ops"][3]["body"] = "@"; }, arrays)),
              HasSubstr("must start with its kind, not an array"));
  EXPECT_THAT(error_reading(with_text([](json& j) { j["ops"][3]["body"] = {"castf", "@"}; }, nots)),
              HasSubstr("expression nested deeper than 512 levels"));
  EXPECT_THAT(error_reading(with_text([](json& j) { j["ops"][1]["shape"] = "@"; }, arrays)),
              HasSubstr("a dimension of \"shape\" must be an integer, not an array"));
  EXPECT_THAT(error_reading(with_text([](json& j) { j["ops"][1]["name"] = "@"; }, arrays)),
              HasSubstr("\"name\" must be a string, not an array"));
}

TEST(DagJson, ManyOpsAreRefused) {
  json j = edited([](json&) {});
  json ops = json::array();
  for (int k = 0; k < 2000; ++k) ops.push_back({{"name", "p"}, {"shape", {1}}});
  j["ops"] = ops;
  EXPECT_THAT(error_reading(j), HasSubstr("2000 ops, more than the 1024 a DAG may have"));
}

}  // namespace
}  // namespace bcd::ir
