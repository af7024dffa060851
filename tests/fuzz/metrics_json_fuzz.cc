// Katib's JSON-lines metrics format, fed in chunks split where the input's first bytes say.

#include <cstddef>
#include <cstdint>

#include "tests/fuzz/metrics_fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ktune::fuzz::FuzzParser(ktune::metrics::MetricsFormat::kJson, data, size);
}
