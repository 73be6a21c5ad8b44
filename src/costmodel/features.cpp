// Per-store features of a lowered loop program, after Ansor's feature.cc: one row
// per Store statement, describing the arithmetic it does, the loops around it
// (annotations, GPU bindings, trip counts), the memory it touches per buffer
// (bytes, cache lines, reuse, stride), its arithmetic intensity at every loop
// level, and the allocation of the buffer it writes. Magnitudes are log2(1 + x)
// scaled, one-hot encodings are 0/1.
//
// Speed matters more than precision: the search featurizes ~10,000 programs per
// round. So the extractor walks each expression tree a fixed small number of
// times, bounds indices with its own interval evaluator (index_eval.h) instead of
// ir::bound, recomputes an index's interval only at the loop levels whose variable
// it uses, and keeps its scratch buffers across calls (one extractor per thread).
#include "costmodel/features.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include "costmodel/index_eval.h"
#include "ir/expr_functor.h"
#include "support/error.h"

namespace bcd::costmodel {

namespace {

using detail::DInterval;
using detail::LoopVars;
using ir::ExprKind;
using ir::ExprNode;
using lower::ForKind;
using lower::StmtKind;
using lower::StmtNode;

constexpr int kMaxBuffers = 5;
constexpr int kCurveSamples = 10;
constexpr double kCacheLineBytes = 64;
constexpr int kMaskBits = 64;  // loops deeper than this are not tracked in var masks

// Where the innermost annotated loop of a kind sits relative to the store
// (Ansor's AnnotationPosType): which store index it moves, or, when it moves
// none, which reduction loop it is.
enum Pos { kPosNone, kPosInnerSpatial, kPosMiddleSpatial, kPosOuterSpatial, kPosInnerReduce,
           kPosMiddleReduce, kPosOuterReduce, kPosMixed, kNumPos };
const char* const kPosNames[kNumPos] = {"none",         "inner_spatial", "middle_spatial",
                                        "outer_spatial", "inner_reduce", "middle_reduce",
                                        "outer_reduce", "mixed"};

enum AccessType { kRead, kWrite, kReadWrite, kNumAccessTypes };
const char* const kAccessNames[kNumAccessTypes] = {"read", "write", "readwrite"};

// Ansor's reuse types: the buffer is re-read across iterations of a loop it does
// not depend on; or several stores inside one loop touch it; or neither.
enum ReuseType { kLoopMultipleRead, kSerialMultipleReadWrite, kNoReuse, kNumReuseTypes };
const char* const kReuseNames[kNumReuseTypes] = {"loop_multiple_read", "serial_multiple_read_write",
                                                 "none"};

// Operations of one evaluation of a store (value, indices and guards).
struct OpCounts {
  double float_mad = 0, float_addsub = 0, float_mul = 0, float_divmod = 0, float_minmax = 0,
         float_cmp = 0, float_math_func = 0;
  double int_addsub = 0, int_mul = 0, int_divmod = 0, int_minmax = 0, int_cmp = 0;
  double bool_op = 0, select_op = 0, cast_op = 0;

  double float_ops() const {
    return float_mad + float_addsub + float_mul + float_divmod + float_minmax + float_cmp +
           float_math_func;
  }
};

struct Annotation {
  double num = 0;   // annotated loops around the store
  double prod = 0;  // product of their extents
  double len = 0;   // extent of the innermost one
  int pos = kPosNone;
};

struct BufferFeature {
  int access = kRead;
  double bytes = 0, unique_bytes = 0, lines = 0, unique_lines = 0;
  int reuse = kNoReuse;
  double reuse_dis_iter = 0, reuse_dis_bytes = 0, reuse_ct = 0;
  double stride = 0;
};

struct StoreFeatures {
  OpCounts ops;  // already multiplied by the trip count
  Annotation vec, unroll, parallel;
  double is_gpu = 0;
  double block[3] = {0, 0, 0}, thread[3] = {0, 0, 0}, vthread = 0;
  std::array<BufferFeature, kMaxBuffers> bufs;
  int num_bufs = 0;
  double curve[kCurveSamples] = {};
  double alloc_size = 0, alloc_prod = 0, alloc_outer_prod = 0, alloc_inner_prod = 0;
  double outer_prod = 0, num_loops = 0, auto_unroll = 0;
};

float slog(double x) { return static_cast<float>(x >= 0 ? std::log2(1 + x) : -std::log2(1 - x)); }
float flag(bool b) { return b ? 1.0f : 0.0f; }

// The single definition of the columns. Names and values come from the same
// sequence of put(slot, name, subname, value) calls, so they cannot drift apart;
// slot is the buffer slot for per-buffer columns and -1 otherwise.
template <class Put>
void emit(const StoreFeatures& f, Put&& put) {
  const OpCounts& o = f.ops;
  put(-1, "float_mad", nullptr, slog(o.float_mad));
  put(-1, "float_addsub", nullptr, slog(o.float_addsub));
  put(-1, "float_mul", nullptr, slog(o.float_mul));
  put(-1, "float_divmod", nullptr, slog(o.float_divmod));
  put(-1, "float_minmax", nullptr, slog(o.float_minmax));
  put(-1, "float_cmp", nullptr, slog(o.float_cmp));
  put(-1, "float_math_func", nullptr, slog(o.float_math_func));
  put(-1, "int_addsub", nullptr, slog(o.int_addsub));
  put(-1, "int_mul", nullptr, slog(o.int_mul));
  put(-1, "int_divmod", nullptr, slog(o.int_divmod));
  put(-1, "int_minmax", nullptr, slog(o.int_minmax));
  put(-1, "int_cmp", nullptr, slog(o.int_cmp));
  put(-1, "bool_op", nullptr, slog(o.bool_op));
  put(-1, "select_op", nullptr, slog(o.select_op));
  put(-1, "cast_op", nullptr, slog(o.cast_op));

  auto annotation = [&](const char* num, const char* prod, const char* len, const char* pos,
                        const Annotation& a) {
    put(-1, num, nullptr, slog(a.num));
    put(-1, prod, nullptr, slog(a.prod));
    put(-1, len, nullptr, slog(a.len));
    for (int p = 0; p < kNumPos; ++p) put(-1, pos, kPosNames[p], flag(a.pos == p));
  };
  annotation("vec_num", "vec_prod", "vec_len", "vec_pos", f.vec);
  annotation("unroll_num", "unroll_prod", "unroll_len", "unroll_pos", f.unroll);
  annotation("parallel_num", "parallel_prod", "parallel_len", "parallel_pos", f.parallel);

  put(-1, "is_gpu", nullptr, static_cast<float>(f.is_gpu));
  put(-1, "blockIdx.x_len", nullptr, slog(f.block[0]));
  put(-1, "blockIdx.y_len", nullptr, slog(f.block[1]));
  put(-1, "blockIdx.z_len", nullptr, slog(f.block[2]));
  put(-1, "threadIdx.x_len", nullptr, slog(f.thread[0]));
  put(-1, "threadIdx.y_len", nullptr, slog(f.thread[1]));
  put(-1, "threadIdx.z_len", nullptr, slog(f.thread[2]));
  put(-1, "vthread_len", nullptr, slog(f.vthread));

  for (int k = 0; k < kMaxBuffers; ++k) {
    // Slots beyond the buffers the store touches are all zero, one-hots included.
    bool used = k < f.num_bufs;
    const BufferFeature& b = f.bufs[k];
    for (int a = 0; a < kNumAccessTypes; ++a) put(k, "acc", kAccessNames[a], flag(used && b.access == a));
    put(k, "bytes", nullptr, slog(b.bytes));
    put(k, "unique_bytes", nullptr, slog(b.unique_bytes));
    put(k, "lines", nullptr, slog(b.lines));
    put(k, "unique_lines", nullptr, slog(b.unique_lines));
    for (int r = 0; r < kNumReuseTypes; ++r) put(k, "reuse", kReuseNames[r], flag(used && b.reuse == r));
    put(k, "reuse_dis_iter", nullptr, slog(b.reuse_dis_iter));
    put(k, "reuse_dis_bytes", nullptr, slog(b.reuse_dis_bytes));
    put(k, "reuse_ct", nullptr, slog(b.reuse_ct));
    // Ansor's "per reuse" magnitudes; without reuse they are doubled (its magic 2).
    double div = b.reuse_ct > 0.5 ? b.reuse_ct : 0.5;
    put(k, "bytes_d_reuse_ct", nullptr, slog(b.bytes / div));
    put(k, "unique_bytes_d_reuse_ct", nullptr, slog(b.unique_bytes / div));
    put(k, "lines_d_reuse_ct", nullptr, slog(b.lines / div));
    put(k, "unique_lines_d_reuse_ct", nullptr, slog(b.unique_lines / div));
    put(k, "stride", nullptr, slog(b.stride));
  }

  static const char* const kSampleNames[kCurveSamples] = {"0", "1", "2", "3", "4",
                                                          "5", "6", "7", "8", "9"};
  for (int s = 0; s < kCurveSamples; ++s)
    put(-1, "arith_intensity", kSampleNames[s], static_cast<float>(f.curve[s]));

  put(-1, "alloc_size", nullptr, slog(f.alloc_size));
  put(-1, "alloc_prod", nullptr, slog(f.alloc_prod));
  put(-1, "alloc_outer_prod", nullptr, slog(f.alloc_outer_prod));
  put(-1, "alloc_inner_prod", nullptr, slog(f.alloc_inner_prod));

  put(-1, "outer_prod", nullptr, slog(f.outer_prod));
  put(-1, "num_loops", nullptr, slog(f.num_loops));
  put(-1, "auto_unroll_max_step", nullptr, slog(f.auto_unroll));
}

std::vector<std::string> build_names() {
  std::vector<std::string> names;
  emit(StoreFeatures{}, [&](int slot, const char* name, const char* sub, float) {
    std::string n = slot >= 0 ? fmt::format("buf{}.{}", slot, name) : std::string(name);
    if (sub) n += fmt::format(".{}", sub);
    names.push_back(std::move(n));
  });
  return names;
}

bool has_gpu_binding(const StmtNode* s) {
  if (!s) return false;
  if (s->kind == StmtKind::For && (lower::is_gpu_binding(s->for_kind) || s->for_kind == ForKind::Vthread))
    return true;
  for (const auto& b : s->body)
    if (has_gpu_binding(b.get())) return true;
  return false;
}

bool same_indices(const std::vector<ir::Expr>& a, const std::vector<ir::Expr>& b) {
  if (a.size() != b.size()) return false;
  for (size_t d = 0; d < a.size(); ++d)
    if (!a[d].same_as(b[d]) && !ir::structural_equal(a[d], b[d])) return false;
  return true;
}

double elem_bytes(const ir::OpNode* op) { return op->dtype == ir::DType::Bool ? 1 : 4; }

class Extractor {
 public:
  ProgramFeatures run(const lower::LoweredFunc& func) {
    depth_ = 0;
    loops_.clear();
    allocs_.clear();
    guards_.clear();
    outer_prod_ = 1;
    rows_.clear();
    is_gpu_ = has_gpu_binding(func.body.get());
    visit(func.body.get());
    ProgramFeatures out;
    out.rows = std::move(rows_);
    rows_ = {};
    return out;
  }

 private:
  struct LoopFrame {
    int64_t extent = 1;
    ForKind kind = ForKind::Serial;
    int64_t auto_unroll = 0;
    // Per store under this loop so far and per buffer it accessed: the elements
    // the whole loop touches for that store (Ansor's for_touch_regions).
    std::vector<std::pair<const ir::OpNode*, double>> touches;
  };
  struct AllocFrame {
    const ir::OpNode* op;
    const std::vector<int64_t>* shape;
    double outer_prod;
  };
  struct Access {
    int buffer;
    const std::vector<ir::Expr>* indices;
    int dims;
    int first;  // index into dim_masks_/dim_iv_ of its first dimension
  };
  struct Buffer {
    const ir::OpNode* op;
    const std::vector<int64_t>* shape;
    int access;
    uint64_t mask = 0;  // loops whose variable any access to it uses
    int num_accesses = 0;
    double contiguous = 1;  // elements of the innermost contiguous run of its region
  };

  void visit(const StmtNode* s) {
    if (!s) return;
    switch (s->kind) {
      case StmtKind::For: {
        // A CPU loop of one iteration is no loop: its variable is 0 (which is
        // what the evaluators assume for a variable they do not know), and it
        // must not count as a loop the buffers are reused across. TVM's lowering
        // removes such loops before Ansor looks; ours keeps them.
        if (s->extent <= 1 && !lower::is_gpu_binding(s->for_kind) && s->for_kind != ForKind::Vthread) {
          visit(s->body[0].get());
          return;
        }
        if (static_cast<int>(frames_.size()) <= depth_) frames_.emplace_back();
        LoopFrame& f = frames_[depth_];
        f.extent = std::max<int64_t>(s->extent, 1);
        f.kind = s->for_kind;
        f.auto_unroll = s->auto_unroll_max_step;
        f.touches.clear();
        ++depth_;
        loops_.push(s->loop_var.get());
        double saved = outer_prod_;
        outer_prod_ *= static_cast<double>(f.extent);
        visit(s->body[0].get());
        outer_prod_ = saved;
        loops_.pop();
        --depth_;
        return;
      }
      case StmtKind::Allocate:
        allocs_.push_back({s->buffer.get(), &s->alloc_shape, outer_prod_});
        visit(s->body[0].get());
        allocs_.pop_back();
        return;
      case StmtKind::IfThenElse:
        guards_.push_back(s->condition.get());
        for (const auto& b : s->body) visit(b.get());
        guards_.pop_back();
        return;
      case StmtKind::Seq:
        for (const auto& b : s->body) visit(b.get());
        return;
      case StmtKind::Store: on_store(s); return;
      case StmtKind::Sync: return;
    }
  }

  const std::vector<int64_t>* shape_of(const ir::OpNode* op) const {
    for (auto it = allocs_.rbegin(); it != allocs_.rend(); ++it)
      if (it->op == op) return it->shape;
    return &op->shape;
  }

  uint64_t var_bit(const ExprNode* v) const {
    int pos = loops_.find(v);
    return pos >= 0 && pos < kMaskBits ? uint64_t{1} << pos : 0;
  }

  // Counts the operations of one evaluation of `e`, records the loads in it, and
  // returns the set of loops whose variables it uses.
  uint64_t walk(const ExprNode* e, OpCounts& c) {
    bool is_float = e->dtype == ir::DType::Float;
    switch (e->kind) {
      case ExprKind::IntImm:
      case ExprKind::FloatImm: return 0;
      case ExprKind::Var: return var_bit(e);
      case ExprKind::Load: return walk_load(e, c);
      case ExprKind::Add:
      case ExprKind::Sub:
        if (is_float) {
          // A float multiply feeding an add is one fused multiply-add for the
          // C compiler, which is what a matmul update should count as.
          for (int k = 0; k < 2; ++k) {
            const ExprNode* m = e->operands[k].get();
            if (m->kind == ExprKind::Mul && m->dtype == ir::DType::Float) {
              c.float_mad += 1;
              return walk(m->operands[0].get(), c) | walk(m->operands[1].get(), c) |
                     walk(e->operands[1 - k].get(), c);
            }
          }
          c.float_addsub += 1;
        } else {
          c.int_addsub += 1;
        }
        break;
      case ExprKind::Mul: (is_float ? c.float_mul : c.int_mul) += 1; break;
      case ExprKind::Div:
      case ExprKind::FloorDiv:
      case ExprKind::FloorMod: (is_float ? c.float_divmod : c.int_divmod) += 1; break;
      case ExprKind::Min:
      case ExprKind::Max: (is_float ? c.float_minmax : c.int_minmax) += 1; break;
      case ExprKind::EQ: case ExprKind::NE: case ExprKind::LT:
      case ExprKind::LE: case ExprKind::GT: case ExprKind::GE:
        (e->operands[0]->dtype == ir::DType::Float ? c.float_cmp : c.int_cmp) += 1;
        break;
      case ExprKind::And: case ExprKind::Or: case ExprKind::Not: c.bool_op += 1; break;
      case ExprKind::Select: c.select_op += 1; break;
      case ExprKind::Cast: c.cast_op += 1; break;
      case ExprKind::Call: c.float_math_func += 1; break;
      case ExprKind::Reduce: break;
    }
    uint64_t mask = 0;
    for (const auto& o : e->operands) mask |= walk(o.get(), c);
    return mask;
  }

  uint64_t walk_load(const ExprNode* e, OpCounts& c) {
    // Index masks go to a local array first: a load nested in an index (a
    // gather) appends its own access in between.
    std::array<uint64_t, 8> small;
    std::vector<uint64_t> large;
    size_t dims = e->operands.size();
    uint64_t* masks = small.data();
    if (dims > small.size()) {
      large.resize(dims);
      masks = large.data();
    }
    uint64_t all = 0;
    for (size_t d = 0; d < dims; ++d) all |= masks[d] = walk(e->operands[d].get(), c);
    add_access(e->tensor.get(), &e->operands, kRead, masks);
    return all;
  }

  void add_access(const ir::OpNode* op, const std::vector<ir::Expr>* indices, int type,
                  const uint64_t* masks) {
    int b = 0;
    int nb = static_cast<int>(buffers_.size());
    while (b < nb && buffers_[b].op != op) ++b;
    if (b == nb) {
      buffers_.push_back({op, shape_of(op), type});
    } else {
      Buffer& buf = buffers_[b];
      if (buf.access != type) buf.access = kReadWrite;
      for (const Access& a : accesses_)
        if (a.buffer == b && same_indices(*a.indices, *indices)) return;
    }
    int dims = static_cast<int>(indices->size());
    accesses_.push_back({b, indices, dims, static_cast<int>(dim_masks_.size())});
    for (int d = 0; d < dims; ++d) {
      dim_masks_.push_back(masks[d]);
      buffers_[b].mask |= masks[d];
    }
    buffers_[b].num_accesses += 1;
  }

  // Average distance in elements between consecutive iterations of loop j for
  // buffer b (minimum over its accesses; exact for affine indices, the mean step
  // for floordiv/floormod of fused loops), or 0 if b does not depend on loop j.
  double stride_of(int b, int j) {
    if (j >= kMaskBits || !(buffers_[b].mask >> j & 1)) return 0;
    double extent = static_cast<double>(frames_[j].extent);
    if (extent <= 1) return 0;
    const std::vector<int64_t>& shape = *buffers_[b].shape;
    double best = -1;
    for (const Access& a : accesses_) {
      if (a.buffer != b) continue;
      double flat = 0, row = 1;
      bool depends = false;
      for (int d = a.dims - 1; d >= 0; --d) {
        if (dim_masks_[a.first + d] >> j & 1) {
          depends = true;
          const ExprNode* idx = (*a.indices)[d].get();
          values_[j] = 0;
          double lo = detail::eval_point(idx, loops_, values_.data());
          values_[j] = extent - 1;
          double hi = detail::eval_point(idx, loops_, values_.data());
          values_[j] = 0;
          flat += (hi - lo) / (extent - 1) * row;
        }
        if (d < static_cast<int>(shape.size())) row *= static_cast<double>(shape[d]);
      }
      if (depends && (best < 0 || std::abs(flat) < best)) best = std::abs(flat);
    }
    return best < 0 ? 0 : best;
  }

  // Elements of buffer b that all iterations of loops i.. touch with the outer
  // loops fixed, from the current per-dimension intervals; at the outermost level
  // also the length of the innermost contiguous run.
  double region(int b, bool outermost) {
    const std::vector<int64_t>& shape = *buffers_[b].shape;
    int ndim = static_cast<int>(shape.size());
    union_.assign(ndim, DInterval{detail::kUnbounded, -detail::kUnbounded});
    for (const Access& a : accesses_) {
      if (a.buffer != b) continue;
      for (int d = 0; d < std::min(a.dims, ndim); ++d) {
        const DInterval& v = dim_iv_[a.first + d];
        union_[d].lo = std::min(union_[d].lo, v.lo);
        union_[d].hi = std::max(union_[d].hi, v.hi);
      }
    }
    double elems = 1;
    bool contiguous = true;
    double run = 1;
    for (int d = ndim - 1; d >= 0; --d) {
      double dim = static_cast<double>(shape[d]);
      double lo = std::max(union_[d].lo, 0.0), hi = std::min(union_[d].hi, dim - 1);
      double extent = std::clamp(hi - lo + 1, 1.0, dim);
      elems *= extent;
      if (contiguous) {
        run *= extent;
        contiguous = extent >= dim;
      }
    }
    if (outermost) buffers_[b].contiguous = run;
    return elems;
  }

  void on_store(const StmtNode* s) {
    const int n = depth_;
    accesses_.clear();
    buffers_.clear();
    dim_masks_.clear();
    OpCounts c;
    {
      std::array<uint64_t, 8> small;
      std::vector<uint64_t> large;
      uint64_t* masks = small.data();
      if (s->indices.size() > small.size()) {
        large.resize(s->indices.size());
        masks = large.data();
      }
      for (size_t d = 0; d < s->indices.size(); ++d) masks[d] = walk(s->indices[d].get(), c);
      add_access(s->buffer.get(), &s->indices, kWrite, masks);
    }
    walk(s->value.get(), c);
    for (const ExprNode* g : guards_) walk(g, c);
    const int nb = static_cast<int>(buffers_.size());

    StoreFeatures f;
    f.outer_prod = outer_prod_;
    f.num_loops = n;
    double w = outer_prod_;
    f.ops = c;
    for (double* x : {&f.ops.float_mad, &f.ops.float_addsub, &f.ops.float_mul, &f.ops.float_divmod,
                      &f.ops.float_minmax, &f.ops.float_cmp, &f.ops.float_math_func, &f.ops.int_addsub,
                      &f.ops.int_mul, &f.ops.int_divmod, &f.ops.int_minmax, &f.ops.int_cmp,
                      &f.ops.bool_op, &f.ops.select_op, &f.ops.cast_op})
      *x *= w;

    // Touched elements per buffer and loop level, from the innermost level out:
    // at level i loops i.. vary over their extents and outer loops sit at 0. A
    // dimension's interval only changes at the levels whose loop it uses.
    touched_.assign(static_cast<size_t>(nb) * n, 0);
    ranges_.assign(n, DInterval{0, 0});
    values_.assign(n, 0);
    dim_iv_.resize(dim_masks_.size());
    for (const Access& a : accesses_)
      for (int d = 0; d < a.dims; ++d)
        dim_iv_[a.first + d] = detail::eval_interval((*a.indices)[d].get(), loops_, ranges_.data());
    for (int i = n - 1; i >= 0; --i) {
      ranges_[i] = DInterval{0, static_cast<double>(frames_[i].extent - 1)};
      for (const Access& a : accesses_)
        for (int d = 0; d < a.dims; ++d)
          if (i >= kMaskBits || (dim_masks_[a.first + d] >> i & 1))
            dim_iv_[a.first + d] = detail::eval_interval((*a.indices)[d].get(), loops_, ranges_.data());
      for (int b = 0; b < nb; ++b) touched_[b * n + i] = region(b, i == 0);
    }
    for (int i = 0; i < n; ++i)
      for (int b = 0; b < nb; ++b) frames_[i].touches.emplace_back(buffers_[b].op, touched_[b * n + i]);

    std::vector<BufferFeature>& feats = buffer_feats_;
    feats.assign(nb, BufferFeature{});
    for (int b = 0; b < nb; ++b) buffer_feature(b, n, feats[b]);

    // The buffers that move the most cache lines (then bytes) fill the slots.
    order_.resize(nb);
    std::iota(order_.begin(), order_.end(), 0);
    std::stable_sort(order_.begin(), order_.end(), [&](int l, int r) {
      if (feats[l].lines != feats[r].lines) return feats[l].lines > feats[r].lines;
      return feats[l].bytes > feats[r].bytes;
    });
    f.num_bufs = std::min(nb, kMaxBuffers);
    for (int k = 0; k < f.num_bufs; ++k) f.bufs[k] = feats[order_[k]];

    annotations(n, f);
    arithmetic_intensity(n, c.float_ops(), f);

    for (auto it = allocs_.rbegin(); it != allocs_.rend(); ++it) {
      if (it->op != s->buffer.get()) continue;
      double size = 1;
      for (int64_t d : *it->shape) size *= static_cast<double>(d);
      f.alloc_size = size * elem_bytes(it->op);
      f.alloc_outer_prod = it->outer_prod;
      f.alloc_inner_prod = outer_prod_ / it->outer_prod;
      f.alloc_prod = size * it->outer_prod;
      break;
    }

    FeatureRow row;
    row.reserve(num_features());
    emit(f, [&](int, const char*, const char*, float v) { row.push_back(v); });
    rows_.push_back(std::move(row));
  }

  void buffer_feature(int b, int n, BufferFeature& out) {
    const Buffer& buf = buffers_[b];
    double eb = elem_bytes(buf.op);
    out.access = buf.access;
    out.bytes = outer_prod_ * eb * buf.num_accesses;
    if (n == 0) {
      out.unique_bytes = eb;
      out.lines = out.unique_lines = 1;
    } else {
      out.unique_bytes = touched_[b * n + 0] * eb;
      // Lines: one per iteration of the innermost loop that moves the buffer,
      // fewer when its stride stays inside a cache line; inner loops that do not
      // move it reuse the same line.
      double reduce_ratio = 1, stride = 0;
      int j = n - 1;
      for (; j >= 0; --j) {
        stride = stride_of(b, j);
        if (stride != 0) break;
        reduce_ratio *= static_cast<double>(frames_[j].extent);
      }
      out.lines = std::max(1.0, outer_prod_ / reduce_ratio * std::min(1.0, stride * eb / kCacheLineBytes));
      out.stride = j == n - 1 ? stride : 0;
      out.unique_lines = std::max(1.0, out.unique_bytes / std::min(buf.contiguous * eb, kCacheLineBytes));
    }
    reuse(b, n, out);
  }

  // Ansor's reuse analysis: walk out from the innermost loop; the first loop the
  // buffer does not depend on re-reads it (extent times); failing that, a loop
  // in which earlier stores touched it too reuses it serially.
  void reuse(int b, int n, BufferFeature& out) {
    const Buffer& buf = buffers_[b];
    double dis_iter = 1, dis_bytes = -1;
    for (int i = n - 1; i >= 0; --i) {
      const LoopFrame& loop = frames_[i];
      double extent = static_cast<double>(loop.extent);
      bool depends = i >= kMaskBits || (buf.mask >> i & 1);
      if (depends) {
        dis_iter *= extent;
        dis_bytes = 0;
        for (const auto& [op, elems] : loop.touches) dis_bytes += elems * elem_bytes(op);
      } else {
        if (dis_bytes < 0) {
          dis_bytes = 0;
          for (const auto& [op, elems] : loop.touches) dis_bytes += elem_bytes(op);
        }
        out.reuse = kLoopMultipleRead;
        out.reuse_dis_iter = dis_iter;
        out.reuse_dis_bytes = dis_bytes;
        out.reuse_ct = extent;
        return;
      }
      int serial = -1;
      double min_touched = 0, total_bytes = 0;
      for (const auto& [op, elems] : loop.touches) {
        total_bytes += elems * elem_bytes(op);
        if (op != buf.op) continue;
        min_touched = serial < 0 ? elems : std::min(min_touched, elems);
        ++serial;
      }
      if (serial > 0) {
        out.reuse = kSerialMultipleReadWrite;
        out.reuse_dis_iter = min_touched / extent;
        out.reuse_dis_bytes = total_bytes / extent;
        out.reuse_ct = serial;
        return;
      }
    }
    out.reuse = kNoReuse;
  }

  // Position of loop j relative to the store (see Pos).
  int position(int j, int n) const {
    if (j >= kMaskBits) return kPosMixed;
    const Access& store = accesses_[0];
    int count = 0, dim = -1;
    for (int d = 0; d < store.dims; ++d)
      if (dim_masks_[store.first + d] >> j & 1) {
        ++count;
        dim = d;
      }
    if (count > 1) return kPosMixed;
    if (count == 1) {
      if (dim == store.dims - 1) return kPosInnerSpatial;
      return dim == 0 ? kPosOuterSpatial : kPosMiddleSpatial;
    }
    // Loops the store index does not use but some load does are reductions;
    // where the annotated one sits among them is what matters.
    uint64_t store_mask = 0, load_mask = 0;
    for (int d = 0; d < store.dims; ++d) store_mask |= dim_masks_[store.first + d];
    for (size_t a = 1; a < accesses_.size(); ++a)
      for (int d = 0; d < accesses_[a].dims; ++d) load_mask |= dim_masks_[accesses_[a].first + d];
    uint64_t reduce = load_mask & ~store_mask;
    if (!(reduce >> j & 1)) return kPosOuterSpatial;  // an outer loop of a compute_at
    bool inner = true, outer = true;
    for (int k = 0; k < std::min(n, kMaskBits); ++k) {
      if (!(reduce >> k & 1) || k == j) continue;
      if (k > j) inner = false;
      if (k < j) outer = false;
    }
    return inner ? kPosInnerReduce : outer ? kPosOuterReduce : kPosMiddleReduce;
  }

  void annotations(int n, StoreFeatures& f) {
    int innermost[3] = {-1, -1, -1};
    for (int i = 0; i < n; ++i) {
      const LoopFrame& loop = frames_[i];
      double e = static_cast<double>(loop.extent);
      Annotation* a = nullptr;
      int k = -1;
      switch (loop.kind) {
        case ForKind::Vectorized: a = &f.vec; k = 0; break;
        case ForKind::Unrolled: a = &f.unroll; k = 1; break;
        case ForKind::Parallel: a = &f.parallel; k = 2; break;
        case ForKind::BlockIdxX: f.block[0] = e; break;
        case ForKind::BlockIdxY: f.block[1] = e; break;
        case ForKind::BlockIdxZ: f.block[2] = e; break;
        case ForKind::ThreadIdxX: f.thread[0] = e; break;
        case ForKind::ThreadIdxY: f.thread[1] = e; break;
        case ForKind::ThreadIdxZ: f.thread[2] = e; break;
        case ForKind::Vthread: f.vthread = (f.vthread > 0 ? f.vthread : 1) * e; break;
        case ForKind::Serial: break;
      }
      f.auto_unroll = std::max(f.auto_unroll, static_cast<double>(loop.auto_unroll));
      if (!a) continue;
      a->num += 1;
      a->prod = (a->prod > 0 ? a->prod : 1) * e;
      a->len = e;
      innermost[k] = i;
    }
    Annotation* all[3] = {&f.vec, &f.unroll, &f.parallel};
    for (int k = 0; k < 3; ++k)
      if (innermost[k] >= 0) all[k]->pos = position(innermost[k], n);
    f.is_gpu = is_gpu_ ? 1 : 0;
  }

  // Ansor's arithmetic-intensity curve: float ops over touched bytes as a
  // function of the ops done, from the innermost loop level out, sampled at 10
  // evenly spaced op counts with linear interpolation.
  void arithmetic_intensity(int n, double ops_per_iter, StoreFeatures& f) {
    if (n == 0 || ops_per_iter <= 0) return;
    ops_list_.resize(n);
    bytes_list_.resize(n);
    double ops = ops_per_iter;
    for (int k = 0; k < n; ++k) {
      int i = n - 1 - k;
      ops *= static_cast<double>(frames_[i].extent);
      double bytes = 0;
      for (int b = 0; b < static_cast<int>(buffers_.size()); ++b)
        bytes += touched_[b * n + i] * elem_bytes(buffers_[b].op);
      ops_list_[k] = ops;
      bytes_list_[k] = std::max(bytes, 1.0);
    }
    int pt = 0;
    for (int s = 0; s < kCurveSamples; ++s) {
      double target = ops_list_[n - 1] * (s + 1) / kCurveSamples;
      while (pt < n - 1 && ops_list_[pt] < target * (1 - 1e-9)) ++pt;
      double here = ops_list_[pt] / bytes_list_[pt];
      if (pt == 0) {
        f.curve[s] = here;
      } else {
        double before = ops_list_[pt - 1] / bytes_list_[pt - 1];
        double span = ops_list_[pt] - ops_list_[pt - 1];
        f.curve[s] = span > 0 ? before + (here - before) * (target - ops_list_[pt - 1]) / span : here;
      }
    }
  }

  // Walk state.
  int depth_ = 0;
  std::vector<LoopFrame> frames_;  // frames_[0..depth_) are the loops around the current node
  LoopVars loops_;
  std::vector<AllocFrame> allocs_;
  std::vector<const ExprNode*> guards_;
  double outer_prod_ = 1;
  bool is_gpu_ = false;
  std::vector<FeatureRow> rows_;

  // Per-store scratch, kept across stores and calls to avoid allocations.
  std::vector<Access> accesses_;
  std::vector<Buffer> buffers_;
  std::vector<uint64_t> dim_masks_;
  std::vector<DInterval> dim_iv_, ranges_, union_;
  std::vector<double> values_, touched_, ops_list_, bytes_list_;
  std::vector<BufferFeature> buffer_feats_;
  std::vector<int> order_;
};

}  // namespace

const std::vector<std::string>& feature_names() {
  static const std::vector<std::string> names = build_names();
  return names;
}

int num_features() { return static_cast<int>(feature_names().size()); }

int feature_index(const std::string& name) {
  const auto& names = feature_names();
  auto it = std::find(names.begin(), names.end(), name);
  BCD_CHECK(it != names.end(), "no feature column named '{}'", name);
  return static_cast<int>(it - names.begin());
}

ProgramFeatures extract_features(const lower::LoweredFunc& func) {
  thread_local Extractor extractor;
  return extractor.run(func);
}

}  // namespace bcd::costmodel
