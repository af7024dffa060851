/* A plugin built for a future ABI major version (2.0): the registry must refuse it. */
#include "algorithms/ktune_algorithm.h"

static const struct ktune_algorithm_v1 table = {
    sizeof(struct ktune_algorithm_v1), 2u << 16, "bad-abi", 0, 0, 0, 0, 0};

KTUNE_ALGORITHM_EXPORT const struct ktune_algorithm_v1* ktune_algorithm_entry_v1(void) {
  return &table;
}
