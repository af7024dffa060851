/* A plugin whose table claims to end after its first two fields: the registry must refuse it
   without reading further. */
#include "algorithms/ktune_algorithm.h"

static const struct ktune_algorithm_v1 table = {
    .struct_size = 8, .abi_version = KTUNE_ALGORITHM_ABI_VERSION, .name = "short-table"};

KTUNE_ALGORITHM_EXPORT const struct ktune_algorithm_v1* ktune_algorithm_entry_v1(void) {
  return &table;
}
