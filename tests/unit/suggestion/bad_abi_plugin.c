/* A plugin built for a future ABI major version (2.0): the registry must refuse it. */
#include "algorithms/ktune_algorithm.h"

static const struct ktune_algorithm_v1 table = {
    .struct_size = sizeof(struct ktune_algorithm_v1), .abi_version = 2u << 16, .name = "bad-abi"};

KTUNE_ALGORITHM_EXPORT const struct ktune_algorithm_v1* ktune_algorithm_entry_v1(void) {
  return &table;
}
