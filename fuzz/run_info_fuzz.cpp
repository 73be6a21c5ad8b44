// A run directory's run.json as resume and compare read it.
#include "fuzz/fuzz_support.h"
#include "tuning/run_dir.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  bcd::fuzz::set_up();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bcd::fuzz::expect_error_or_success([&] {
    nlohmann::json info = bcd::tuning::parse_run_info(bcd::fuzz::text(data, size), "run.json");
    (void)bcd::tuning::run_label(info);
  });
  return 0;
}
