#include "codegen/codegen.h"

#include "codegen/codegen_c.h"
#include "codegen/codegen_cuda.h"
#include "support/error.h"

namespace bcd::codegen {

std::string codegen_for_target(const std::string& target, const std::vector<lower::LoweredFunc>& funcs) {
  if (target == "llvm") return codegen_c(funcs);
  if (target == "cuda") return codegen_cuda(funcs);
  fail("unknown target '{}' (llvm or cuda)", target);
}

}  // namespace bcd::codegen
