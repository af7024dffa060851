/* A plugin whose table claims to end after its first two fields: the registry must refuse it
   without reading further. */
#include "algorithms/ktune_algorithm.h"

static const struct ktune_algorithm_v1 table = {
    8, KTUNE_ALGORITHM_ABI_VERSION, "short-table", 0, 0, 0, 0, 0};

KTUNE_ALGORITHM_EXPORT const struct ktune_algorithm_v1* ktune_algorithm_entry_v1(void) {
  return &table;
}
