// ONNX import of arbitrary bytes: parse, fold constants, infer every shape.
#include "frontends/onnx.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  bcd::fuzz::set_up();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bcd::fuzz::expect_error_or_success([&] { bcd::frontends::import_onnx_bytes(bcd::fuzz::text(data, size)); });
  return 0;
}
