#include "codegen/gpu_programs.h"

#include <limits>

#include "ir/tensor.h"

namespace bcd::testutil {

using ir::Expr;
using ir::int_imm;
using ir::load;
using lower::ForKind;
using lower::make_allocate;
using lower::make_for;
using lower::make_seq;
using lower::make_store;
using lower::MemScope;

ir::OpRef buffer(const std::string& name, std::vector<int64_t> shape) {
  return ir::placeholder(std::move(shape), name).op();
}

lower::LoweredFunc staged_program() {
  ir::OpRef a = buffer("A", {256}), b = buffer("B", {128}), s = buffer("A_shared", {32});
  Expr bx = ir::var("bx"), tx = ir::var("tx"), k = ir::var("k"), f = ir::var("f"), g = ir::var("g");
  Expr out = bx * int_imm(32) + tx;
  auto fetch = make_for(f, 16, ForKind::ThreadIdxX,
                        make_for(g, 2, ForKind::Unrolled,
                                 make_store(s, {f * int_imm(2) + g},
                                            load(a, {k * int_imm(128) + bx * int_imm(32) + f * int_imm(2) + g}))));
  auto use = make_store(b, {out}, load(b, {out}) + load(s, {int_imm(31) - tx}));
  auto body = make_for(
      bx, 4, ForKind::BlockIdxX,
      make_for(tx, 32, ForKind::ThreadIdxX,
               make_seq({make_store(b, {out}, ir::float_imm(0.0)),
                         make_for(k, 2, ForKind::Serial,
                                  make_allocate(s, {32}, MemScope::Shared, make_seq({fetch, use})))})));
  return {"staged", {a, b}, body};
}

lower::LoweredFunc explicit_sync_program() {
  ir::OpRef a = buffer("A", {64}), b = buffer("B", {64}), s = buffer("S", {64});
  Expr tx = ir::var("tx"), f = ir::var("f");
  auto body = make_allocate(
      s, {64}, MemScope::Shared,
      make_seq({make_for(f, 64, ForKind::ThreadIdxX, make_store(s, {f}, load(a, {f}))), lower::make_sync(),
                make_for(tx, 64, ForKind::ThreadIdxX, make_store(b, {tx}, load(s, {int_imm(63) - tx})))}));
  return {"explicit_sync", {a, b}, body};
}

lower::LoweredFunc unrolled_program() {
  ir::OpRef a = buffer("A", {128}), b = buffer("B", {128});
  Expr bx = ir::var("bx"), vt = ir::var("vt"), tx = ir::var("tx"), u = ir::var("u");
  Expr idx = bx * int_imm(64) + vt * int_imm(32) + tx * int_imm(4) + u;
  auto body = make_for(
      bx, 2, ForKind::BlockIdxX,
      make_for(vt, 2, ForKind::Vthread,
               make_for(tx, 8, ForKind::ThreadIdxX,
                        make_for(u, 4, ForKind::Unrolled, make_store(b, {idx}, load(a, {idx}) + ir::float_imm(1.0))))));
  return {"unrolled", {a, b}, body};
}

lower::LoweredFunc single_thread_program() {
  ir::OpRef a = buffer("A", {4, 4, 8}), b = buffer("B", {4, 4, 8}), c = buffer("C", {4}), l = buffer("L", {1});
  Expr bx = ir::var("bx"), ty = ir::var("ty"), tx = ir::var("tx");
  auto body = make_for(
      bx, 4, ForKind::BlockIdxX,
      make_seq({make_store(c, {bx}, ir::float_imm(0.0)),
                make_allocate(l, {1}, MemScope::Local,
                              make_seq({make_store(l, {int_imm(0)}, ir::float_imm(2.0)),
                                        make_for(ty, 4, ForKind::ThreadIdxY,
                                                 make_for(tx, 8, ForKind::ThreadIdxX,
                                                          make_store(b, {bx, ty, tx},
                                                                     load(a, {bx, ty, tx}) * load(l, {int_imm(0)}))))})),
                make_for(tx, 8, ForKind::ThreadIdxX, make_store(b, {bx, int_imm(0), tx}, ir::float_imm(1.0)))}));
  return {"single", {a, b, c}, body};
}

lower::LoweredFunc rowsum_program() {
  ir::OpRef a = buffer("A", {4, 96}), c = buffer("C", {4});
  Expr bx = ir::var("bx"), tx = ir::var("tx"), k = ir::var("k");
  auto body = make_for(
      bx, 4, ForKind::BlockIdxX,
      make_seq({make_store(c, {bx}, ir::float_imm(0.0)),
                make_for(tx, 48, ForKind::ThreadIdxX,
                         make_for(k, 2, ForKind::Serial,
                                  make_store(c, {bx}, load(c, {bx}) + load(a, {bx, k * int_imm(48) + tx}))))}));
  return {"rowsum", {a, c}, body};
}

lower::LoweredFunc rowmax_program() {
  ir::OpRef a = buffer("A", {4, 8}), m = buffer("M", {4});
  Expr ty = ir::var("ty"), tx = ir::var("tx");
  auto body = make_for(
      ty, 4, ForKind::ThreadIdxY,
      make_seq({make_store(m, {ty}, ir::float_imm(-std::numeric_limits<double>::infinity())),
                make_for(tx, 8, ForKind::ThreadIdxX, make_store(m, {ty}, ir::max(load(m, {ty}), load(a, {ty, tx}))))}));
  return {"rowmax", {a, m}, body};
}

lower::LoweredFunc two_kernel_program() {
  ir::OpRef a = buffer("A", {6, 50}), t = buffer("T", {6, 50}), b = buffer("B", {6, 50});
  Expr i = ir::var("i"), j = ir::var("j"), p = ir::var("p"), q = ir::var("q");
  auto first = make_for(i, 6, ForKind::BlockIdxX,
                        make_for(j, 50, ForKind::ThreadIdxX, make_store(t, {i, j}, load(a, {i, j}) * ir::float_imm(2.0))));
  auto second = make_for(p, 3, ForKind::BlockIdxY,
                         make_for(q, 100, ForKind::ThreadIdxX,
                                  make_store(b, {p * int_imm(2) + ir::floordiv(q, int_imm(50)), ir::floormod(q, int_imm(50))},
                                             load(t, {p * int_imm(2) + ir::floordiv(q, int_imm(50)), ir::floormod(q, int_imm(50))}) +
                                                 ir::float_imm(1.0))));
  auto body = make_allocate(t, {6, 50}, MemScope::Global, make_seq({first, second}));
  return {"two", {a, b}, body};
}

lower::LoweredFunc math_program() {
  ir::OpRef a = buffer("A", {16}), b = buffer("B", {16});
  Expr tx = ir::var("tx");
  Expr shifted = tx - int_imm(3);
  Expr v = ir::exp(load(a, {tx})) + ir::erf(load(a, {tx})) + ir::tanh(load(a, {tx})) + ir::sigmoid(load(a, {tx})) +
           ir::sqrt(ir::abs(load(a, {tx}))) + ir::pow(load(a, {tx}), ir::float_imm(2.0)) +
           ir::log(ir::float_imm(1.5)) + ir::min(load(a, {tx}), ir::float_imm(0.5)) +
           ir::cast(ir::DType::Float, ir::floordiv(shifted, int_imm(4)) + ir::floormod(shifted, int_imm(4)));
  auto body = make_for(tx, 16, ForKind::ThreadIdxX, make_store(b, {tx}, v));
  return {"math", {a, b}, body};
}

lower::LoweredFunc row_program(const std::string& name, int64_t extent, int64_t offset, int64_t stride) {
  const int64_t a_row = extent * stride + offset;
  ir::OpRef a = buffer("A", {8 * a_row}), c = buffer("C", {4}), b = buffer("B", {8 * extent});
  Expr bx = ir::var("bx"), tx = ir::var("tx"), v = ir::var("v");
  Expr row = bx * int_imm(4) + tx;
  auto store = make_store(b, {row * int_imm(extent) + v},
                          load(a, {row * int_imm(a_row) + int_imm(offset) + int_imm(stride) * v}) * ir::float_imm(2.0) +
                              load(c, {tx}));
  auto body = make_for(bx, 2, ForKind::BlockIdxX,
                       make_for(tx, 4, ForKind::ThreadIdxX, make_for(v, extent, ForKind::Serial, store)));
  return {name, {a, c, b}, body};
}

lower::LoweredFunc select_program() {
  ir::OpRef a = buffer("A", {64}), d = buffer("D", {64}), b = buffer("B", {64});
  Expr bx = ir::var("bx"), tx = ir::var("tx"), v = ir::var("v");
  Expr i = (bx * int_imm(4) + tx) * int_imm(8) + v;
  auto store = make_store(b, {i}, ir::select(load(a, {i}) > ir::float_imm(0.0), load(d, {i}), ir::float_imm(0.0)));
  auto body = make_for(bx, 2, ForKind::BlockIdxX,
                       make_for(tx, 4, ForKind::ThreadIdxX, make_for(v, 8, ForKind::Serial, store)));
  return {"chosen", {a, d, b}, body};
}

}  // namespace bcd::testutil
