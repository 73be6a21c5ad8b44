#include "lower/loop_ir.h"

#include <fmt/format.h>

#include "support/error.h"

namespace bcd::lower {

namespace {
std::shared_ptr<StmtNode> node(StmtKind kind) {
  auto n = std::make_shared<StmtNode>();
  n->kind = kind;
  return n;
}
}  // namespace

Stmt make_for(Expr var, int64_t extent, ForKind kind, Stmt body, int64_t auto_unroll) {
  BCD_CHECK(extent >= 1, "loop {} with extent {}", var->name, extent);
  auto n = node(StmtKind::For);
  n->loop_var = std::move(var);
  n->extent = extent;
  n->for_kind = kind;
  n->auto_unroll_max_step = auto_unroll;
  n->body = {std::move(body)};
  return n;
}

Stmt make_store(ir::OpRef buffer, std::vector<Expr> indices, Expr value) {
  auto n = node(StmtKind::Store);
  n->buffer = std::move(buffer);
  n->indices = std::move(indices);
  n->value = std::move(value);
  return n;
}

Stmt make_allocate(ir::OpRef buffer, std::vector<int64_t> shape, MemScope scope, Stmt body) {
  auto n = node(StmtKind::Allocate);
  n->buffer = std::move(buffer);
  n->alloc_shape = std::move(shape);
  n->scope = scope;
  n->body = {std::move(body)};
  return n;
}

Stmt make_seq(std::vector<Stmt> stmts) {
  std::vector<Stmt> flat;
  for (auto& s : stmts) {
    if (!s) continue;
    if (s->kind == StmtKind::Seq)
      flat.insert(flat.end(), s->body.begin(), s->body.end());
    else
      flat.push_back(std::move(s));
  }
  if (flat.size() == 1) return flat[0];
  auto n = node(StmtKind::Seq);
  n->body = std::move(flat);
  return n;
}

Stmt make_if(Expr condition, Stmt then_case, Stmt else_case) {
  auto n = node(StmtKind::IfThenElse);
  n->condition = std::move(condition);
  n->body = {std::move(then_case)};
  if (else_case) n->body.push_back(std::move(else_case));
  return n;
}

Stmt make_sync() { return node(StmtKind::Sync); }

Stmt with_body(const Stmt& s, std::vector<Stmt> body) {
  auto n = std::make_shared<StmtNode>(*s);
  n->body = std::move(body);
  return n;
}

Stmt map_exprs(const Stmt& s, const std::function<Expr(const Expr&)>& fn) {
  auto n = std::make_shared<StmtNode>(*s);
  if (s->kind == StmtKind::Store) {
    for (auto& i : n->indices) i = fn(i);
    n->value = fn(n->value);
  }
  if (s->kind == StmtKind::IfThenElse) n->condition = fn(n->condition);
  for (auto& b : n->body) b = map_exprs(b, fn);
  return n;
}

const char* for_kind_name(ForKind kind) {
  static const char* names[] = {"serial",     "parallel",   "vectorize",  "unroll",
                                "vthread",    "blockIdx.x", "blockIdx.y", "blockIdx.z",
                                "threadIdx.x", "threadIdx.y", "threadIdx.z"};
  return names[static_cast<int>(kind)];
}

bool is_gpu_binding(ForKind kind) { return kind >= ForKind::Vthread; }

static std::string indices_string(const std::vector<Expr>& indices) {
  std::string s;
  for (size_t i = 0; i < indices.size(); ++i) s += (i ? ", " : "") + ir::to_string(indices[i]);
  return s;
}

std::string to_string(const Stmt& s, int indent) {
  std::string pad(indent * 2, ' ');
  switch (s->kind) {
    case StmtKind::For: {
      std::string head = fmt::format("{}for {} in 0..{}", pad, s->loop_var->name, s->extent);
      if (s->for_kind != ForKind::Serial) head += fmt::format(" [{}]", for_kind_name(s->for_kind));
      if (s->auto_unroll_max_step) head += fmt::format(" [auto_unroll {}]", s->auto_unroll_max_step);
      return head + "\n" + to_string(s->body[0], indent + 1);
    }
    case StmtKind::Store:
      return fmt::format("{}{}[{}] = {}\n", pad, s->buffer->name, indices_string(s->indices),
                         ir::to_string(s->value));
    case StmtKind::Allocate: {
      static const char* scopes[] = {"global", "shared", "local"};
      return fmt::format("{}allocate {}[{}] {}\n", pad, s->buffer->name,
                         fmt::join(s->alloc_shape, ", "), scopes[static_cast<int>(s->scope)]) +
             to_string(s->body[0], indent);
    }
    case StmtKind::Seq: {
      std::string out;
      for (const auto& b : s->body) out += to_string(b, indent);
      return out;
    }
    case StmtKind::IfThenElse: {
      std::string out = fmt::format("{}if {}\n", pad, ir::to_string(s->condition)) +
                        to_string(s->body[0], indent + 1);
      if (s->body.size() > 1) out += pad + "else\n" + to_string(s->body[1], indent + 1);
      return out;
    }
    case StmtKind::Sync: return pad + "sync\n";
  }
  return "";
}

std::string to_string(const LoweredFunc& f) {
  std::string params;
  for (size_t i = 0; i < f.params.size(); ++i) params += (i ? ", " : "") + f.params[i]->name;
  return fmt::format("func {}({})\n", f.name, params) + to_string(f.body, 1);
}

}  // namespace bcd::lower
