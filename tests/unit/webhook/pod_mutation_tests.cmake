# Included by tests/unit/webhook/CMakeLists.txt.
ktune_add_test(pod_mutation_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/pod_mutation_test.cc
  LIBS ktune_pod_mutation
  LABELS unit)
