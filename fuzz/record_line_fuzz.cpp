// One line of a records file, read back and written again.
#include "fuzz/fuzz_support.h"
#include "tuning/records.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  bcd::fuzz::set_up();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bcd::fuzz::expect_error_or_success([&] {
    bcd::tuning::Record r = bcd::tuning::record_from_line(bcd::fuzz::text(data, size));
    (void)r.cost();
    (void)bcd::tuning::record_from_line(bcd::tuning::record_to_line(r));
  });
  return 0;
}
