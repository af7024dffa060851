# The pod mutating webhook's rule (KATIB.md §3.4); included by webhook/CMakeLists.txt.
add_library(ktune_pod_mutation STATIC ${CMAKE_CURRENT_LIST_DIR}/pod_mutation.cc)
target_include_directories(ktune_pod_mutation PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(ktune_pod_mutation
  PUBLIC ktune_core nlohmann_json::nlohmann_json absl::status absl::statusor absl::strings)
