// A NumPy .npy file's bytes, read and written back.
#include "fuzz/fuzz_support.h"
#include "support/npy.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  bcd::fuzz::set_up();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bcd::fuzz::expect_error_or_success([&] {
    bcd::NDArray a = bcd::parse_npy(bcd::fuzz::text(data, size), "fuzz.npy");
    (void)bcd::parse_npy(bcd::npy_bytes(a), "round trip");
  });
  return 0;
}
