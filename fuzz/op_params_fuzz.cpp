// The command line's operator parameters and target strings: an input is three
// lines, an operator name, its parameters ("n=1,c=64,layout=NCHW,a=2x3x4") and a
// target string with -key=value options ("llvm -lanes=16"). The operator is built
// into its compute DAG and the target printed back.
#include "fuzz/fuzz_support.h"
#include "ops/registry.h"
#include "target/target.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  bcd::fuzz::set_up();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string lines[3];
  size_t line = 0;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == '\n' && line < 2) ++line;
    else lines[line] += static_cast<char>(data[i]);
  }
  bcd::fuzz::expect_error_or_success([&] { (void)bcd::ops::build_op(lines[0], bcd::ops::OpParams::parse(lines[1])); });
  bcd::fuzz::expect_error_or_success([&] { (void)bcd::Target::parse(lines[2]).str(); });
  return 0;
}
