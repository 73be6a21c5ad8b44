#include "schedule/state.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "ir/expr_functor.h"
#include "schedule/transform_step.h"
#include "support/error.h"

namespace bcd::schedule {

const char* annotation_name(IterAnnotation a) {
  static const char* names[] = {"none",       "unroll",     "vectorize",   "parallel",
                                "vthread",    "blockIdx.x", "blockIdx.y",  "blockIdx.z",
                                "threadIdx.x", "threadIdx.y", "threadIdx.z"};
  return names[static_cast<int>(a)];
}

IterAnnotation annotation_from_name(const std::string& name) {
  for (int i = 0; i <= static_cast<int>(IterAnnotation::ThreadIdxZ); ++i)
    if (name == annotation_name(static_cast<IterAnnotation>(i))) return static_cast<IterAnnotation>(i);
  fail("unknown iterator annotation '{}'", name);
}

int Stage::leaf_index(int node) const {
  for (size_t i = 0; i < iters.size(); ++i)
    if (iters[i].node == node) return static_cast<int>(i);
  return -1;
}

Stage make_stage(const ir::OpRef& op) {
  Stage s;
  s.op = op;
  s.kind = op->is_placeholder() ? StageKind::Placeholder : StageKind::Compute;
  auto add = [&](const ir::IterVar& iv, IterKind kind) {
    int node = static_cast<int>(s.node_extents.size());
    s.node_extents.push_back(iv.extent);
    s.node_kinds.push_back(kind);
    s.node_names.push_back(iv.var->name);
    s.iters.push_back(Iterator{iv.var->name, iv.extent, kind, IterAnnotation::None, node});
  };
  for (const auto& a : op->axes) add(a, IterKind::Spatial);
  for (const auto& r : op->reduce_axes) add(r, IterKind::Reduce);
  return s;
}

State::State(const ir::ComputeDAG& dag)
    : dag_(std::make_shared<const ir::ComputeDAG>(dag)), history_(std::make_shared<std::vector<Step>>()) {
  for (const auto& t : dag.ops()) stages_.push_back(make_stage(t.op()));
  for (size_t i = 0; i < dag.inputs().size(); ++i)
    stages_[dag.index_of(dag.inputs()[i].op().get())].input_index = static_cast<int>(i);
  for (size_t i = 0; i < dag.outputs().size(); ++i)
    stages_[dag.index_of(dag.outputs()[i].op().get())].output_index = static_cast<int>(i);
}

const Stage& State::stage(int id) const {
  if (id < 0 || id >= num_stages()) fail("stage {} does not exist (the state has {})", id, num_stages());
  return stages_[id];
}

Stage& State::mutable_stage(int id) {
  stage(id);
  return stages_[id];
}

std::vector<Step>& State::mutable_history() {
  if (history_.use_count() > 1) history_ = std::make_shared<std::vector<Step>>(*history_);
  return *history_;
}

int State::stage_of(const ir::OpNode* op) const {
  for (int i = 0; i < num_stages(); ++i)
    if (stages_[i].op.get() == op) return i;
  return -1;
}

std::vector<int> State::producers(int id) const {
  std::vector<int> result;
  for (const auto& in : stage(id).op->inputs()) {
    int p = stage_of(in.get());
    BCD_CHECK(p >= 0, "stage {} reads {} which has no stage", id, in->name);
    result.push_back(p);
  }
  std::sort(result.begin(), result.end());
  return result;
}

std::vector<int> State::consumers(int id) const {
  std::vector<int> result;
  const ir::OpNode* op = stage(id).op.get();
  for (int i = 0; i < num_stages(); ++i)
    for (const auto& in : stages_[i].op->inputs())
      if (in.get() == op) {
        result.push_back(i);
        break;
      }
  return result;
}

std::vector<int> State::effective_consumers(int id) const {
  std::vector<int> result;
  for (int c : consumers(id)) {
    if (stages_[c].compute_at == ComputeAtKind::Inlined) {
      for (int cc : effective_consumers(c))
        if (std::find(result.begin(), result.end(), cc) == result.end()) result.push_back(cc);
    } else if (std::find(result.begin(), result.end(), c) == result.end()) {
      result.push_back(c);
    }
  }
  std::sort(result.begin(), result.end());
  return result;
}

std::vector<int> State::attached_stages(int id) const {
  std::vector<int> result;
  for (int i = 0; i < num_stages(); ++i)
    if (stages_[i].compute_at == ComputeAtKind::Iter && stages_[i].attach_stage == id) result.push_back(i);
  return result;
}

void State::apply(const Step& step) {
  // Steps validate before they edit, but a failure half-way must still leave the
  // State as it was: restore the stages on any error.
  std::vector<Stage> saved = stages_;
  try {
    apply_step(*this, step);
    check_attachments();
  } catch (...) {
    stages_ = std::move(saved);
    throw;
  }
  mutable_history().push_back(step);
}

void State::insert_stage(int at, Stage stage) {
  BCD_CHECK(at >= 0 && at <= num_stages(), "insert stage at {}", at);
  stages_.insert(stages_.begin() + at, std::move(stage));
  for (auto& s : stages_)
    if (s.compute_at == ComputeAtKind::Iter && s.attach_stage >= at) ++s.attach_stage;
}

void State::redirect_loads(std::vector<std::pair<const ir::OpNode*, ir::OpRef>> replaced, int first_stage,
                           const Retarget& retarget) {
  std::unordered_map<const ir::OpNode*, ir::OpRef> map(replaced.begin(), replaced.end());
  for (int i = first_stage; i < num_stages(); ++i) {
    Stage& s = stages_[i];
    if (!s.op->is_compute()) continue;
    bool touched = false;
    ir::Expr body = ir::rewrite(s.op->body, [&](const ir::Expr& e) {
      if (e->kind != ir::ExprKind::Load) return e;
      ir::OpRef target = retarget ? retarget(i, e->tensor) : e->tensor;
      auto it = map.find(target.get());
      if (it != map.end()) target = it->second;
      if (target == e->tensor) return e;
      touched = true;
      return ir::load(target, e->operands);
    });
    if (!touched) continue;
    auto op = std::make_shared<ir::OpNode>(*s.op);
    op->body = body;
    map[s.op.get()] = op;
    s.op = op;
  }
}

void State::check_attachments() const {
  // A step on one stage can invalidate another's attachment (compute_root of an
  // inlined stage gives its producers a new consumer); such a step is invalid.
  for (int i = 0; i < num_stages(); ++i) {
    const Stage& s = stages_[i];
    if (s.compute_at != ComputeAtKind::Iter) continue;
    const Stage& t = stage(s.attach_stage);
    if (effective_consumers(i) != std::vector<int>{s.attach_stage})
      fail("{} is computed at {}, which would no longer be its only consumer", s.op->name, t.op->name);
    if (t.compute_at == ComputeAtKind::Inlined || t.leaf_index(s.attach_node) < 0)
      fail("{} is computed at a loop of {} that no longer exists", s.op->name, t.op->name);
  }
}

bool State::has_unknown_extents() const {
  for (const auto& s : stages_)
    for (const auto& it : s.iters)
      if (it.extent == kUnknownExtent) return true;
  return false;
}

std::string State::canonical_string() const {
  std::string out;
  for (int i = 0; i < num_stages(); ++i) {
    const Stage& s = stages_[i];
    if (s.kind == StageKind::Placeholder) continue;
    out += fmt::format("{}:", s.op->name);
    if (s.compute_at == ComputeAtKind::Inlined) {
      out += "inline;";
      continue;
    }
    if (s.compute_at == ComputeAtKind::Iter) {
      const Stage& t = stages_[s.attach_stage];
      out += fmt::format("at({}.{})", t.op->name, t.node_names[s.attach_node]);
    }
    for (const auto& it : s.iters) {
      out += fmt::format(" {}{}{}", it.name, it.kind == IterKind::Reduce ? "@r" : "",
                         it.extent == kUnknownExtent ? std::string("(?)") : fmt::format("({})", it.extent));
      if (it.annotation != IterAnnotation::None) out += fmt::format("[{}]", annotation_name(it.annotation));
    }
    if (s.auto_unroll_max_step) out += fmt::format(" unroll<={}", s.auto_unroll_max_step);
    if (s.storage_align_axis >= 0)
      out += fmt::format(" align({},{},{})", s.storage_align_axis, s.storage_align_factor, s.storage_align_offset);
    if (s.scope != "global") out += " " + s.scope;
    out += ";";
  }
  return out;
}

}  // namespace bcd::schedule
