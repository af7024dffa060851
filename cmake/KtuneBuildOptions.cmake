# Warnings, -Werror, clang's -Wthread-safety, sanitizers and libFuzzer instrumentation for every
# target of a build directory. Included by the top-level CMakeLists.txt before any target exists;
# ktune_finish_build_options() runs after all of them do.
#
#   KTUNE_WERROR=ON               warnings are errors (`make test` builds this way)
#   KTUNE_SANITIZE=address;undefined | thread
#                                 compile and link every target with these sanitizers
#   KTUNE_BUILD_FUZZ=ON           clang only: libFuzzer targets under tests/fuzz; every target is
#                                 compiled with -fsanitize=fuzzer-no-link (coverage), so one
#                                 build directory serves the ASan/UBSan tests and the fuzzers.

option(KTUNE_WERROR "Treat compiler warnings as errors" OFF)
set(KTUNE_SANITIZE "" CACHE STRING
    "Sanitizers for every target, a CMake list: address;undefined or thread (empty: none)")
option(KTUNE_BUILD_FUZZ "Build the libFuzzer targets of tests/fuzz (clang only)" OFF)

add_compile_options(-Wall -Wextra)
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  # Checks the ABSL_GUARDED_BY / ABSL_EXCLUSIVE_LOCKS_REQUIRED annotations (core/mutex.h,
  # absl::Mutex); only clang implements the analysis.
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-Wthread-safety>)
endif()
if(KTUNE_WERROR)
  add_compile_options(-Werror)
endif()

# Accept "address,undefined" as well as "address;undefined".
string(REPLACE "," ";" KTUNE_SANITIZE "${KTUNE_SANITIZE}")
set(_ktune_known_sanitizers address undefined thread)
foreach(_s IN LISTS KTUNE_SANITIZE)
  if(NOT _s IN_LIST _ktune_known_sanitizers)
    message(FATAL_ERROR "KTUNE_SANITIZE: unknown sanitizer '${_s}' (address, undefined, thread)")
  endif()
endforeach()
if("thread" IN_LIST KTUNE_SANITIZE AND "address" IN_LIST KTUNE_SANITIZE)
  message(FATAL_ERROR "KTUNE_SANITIZE: thread cannot be combined with address")
endif()
if(KTUNE_BUILD_FUZZ AND NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "KTUNE_BUILD_FUZZ needs clang (libFuzzer): configure with "
                      "-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++")
endif()

if(KTUNE_SANITIZE)
  list(JOIN KTUNE_SANITIZE "," _ktune_sanitize_flag)
  add_compile_options(-fsanitize=${_ktune_sanitize_flag} -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${_ktune_sanitize_flag})
  if("undefined" IN_LIST KTUNE_SANITIZE)
    # A finding is a failure, not a log line.
    add_compile_options(-fno-sanitize-recover=all)
    add_link_options(-fno-sanitize-recover=all)
  endif()
endif()
if(KTUNE_BUILD_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
  add_link_options(-fsanitize=fuzzer-no-link)
endif()

# Every target defined in `dir` and below.
function(_ktune_targets_below dir out)
  get_property(_targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(_subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(_sub IN LISTS _subdirs)
    _ktune_targets_below(${_sub} _sub_targets)
    list(APPEND _targets ${_sub_targets})
  endforeach()
  set(${out} ${_targets} PARENT_SCOPE)
endfunction()

# Runs once every target exists (end of the top-level CMakeLists.txt).
function(ktune_finish_build_options)
  # Generated protobuf/gRPC code: its headers are included as system headers by the targets that
  # use them (no warnings from code we do not write), and its own sources never fail -Werror.
  foreach(_gen ktune_api_proto ktune_api_grpc ktune_api_proto_lite)
    if(TARGET ${_gen})
      get_target_property(_dirs ${_gen} INTERFACE_INCLUDE_DIRECTORIES)
      if(_dirs)
        set_property(TARGET ${_gen} APPEND PROPERTY INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${_dirs})
      endif()
      set_property(TARGET ${_gen} APPEND PROPERTY COMPILE_OPTIONS -Wno-error)
    endif()
  endforeach()

  # clang links the sanitizer runtimes into executables only; a plugin (MODULE) or shared
  # library refers to them and gets them from the executable that loads it. The plugins link
  # with -Wl,--no-undefined (algorithms/CMakeLists.txt); -z undefs, later on the line, lifts it
  # for sanitized builds only.
  if((KTUNE_SANITIZE OR KTUNE_BUILD_FUZZ) AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    _ktune_targets_below(${PROJECT_SOURCE_DIR} _all)
    foreach(_t IN LISTS _all)
      get_target_property(_type ${_t} TYPE)
      if(_type STREQUAL "MODULE_LIBRARY" OR _type STREQUAL "SHARED_LIBRARY")
        target_link_options(${_t} PRIVATE -Wl,-z,undefs)
      endif()
    endforeach()
  endif()
endfunction()
