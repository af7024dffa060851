# The web UI in the `ktune` binary (KTUNE_UI=ON): `npm run build` of ui/ into
# ${CMAKE_BINARY_DIR}/ui-dist whenever its sources change, then ktune_embed_assets (a host tool
# built first in this same build, server/embed_assets.cc) turns those files into
# ${CMAKE_CURRENT_BINARY_DIR}/ui_assets_data.cc, which KTUNE_UI_ASSETS_SOURCE names: byte
# strings, their gzip -9 forms and ETags (server/ui_assets.h serves them).
#
# Needs Node.js and npm on PATH and ui/node_modules installed (scripts/setup.sh does both); a
# missing or outdated ui/node_modules fails the build with a message saying to run it: the
# build itself never goes to the network.

find_program(KTUNE_NPM npm)
find_program(KTUNE_NODE node)
if(NOT KTUNE_NPM OR NOT KTUNE_NODE)
  message(FATAL_ERROR
          "KTUNE_UI is ON (the web UI is built into ktune) but node or npm is not on PATH: run "
          "scripts/setup.sh (it installs Node.js and npm, and the UI's packages), or configure "
          "with -DKTUNE_UI=OFF to build without the UI")
endif()
find_package(ZLIB REQUIRED)
find_package(OpenSSL REQUIRED)

add_executable(ktune_embed_assets ${PROJECT_SOURCE_DIR}/server/embed_assets.cc)
target_link_libraries(ktune_embed_assets PRIVATE ZLIB::ZLIB OpenSSL::Crypto)
# A build tool, not part of the product: it stays out of bin/.
set_target_properties(ktune_embed_assets PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                      ${CMAKE_CURRENT_BINARY_DIR})

set(KTUNE_UI_SOURCE_DIR ${PROJECT_SOURCE_DIR}/ui)
set(KTUNE_UI_DIST_DIR ${CMAKE_BINARY_DIR}/ui-dist)
file(GLOB_RECURSE _ktune_ui_sources CONFIGURE_DEPENDS ${KTUNE_UI_SOURCE_DIR}/src/*)
# The create page bundles the examples' YAMLs (import.meta.glob of ../examples/*/*.yaml).
file(GLOB _ktune_ui_examples CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/examples/*/*.yaml)
set(_ktune_ui_stamp ${CMAKE_BINARY_DIR}/ui-dist.stamp)
add_custom_command(
  OUTPUT ${_ktune_ui_stamp}
  COMMAND ${CMAKE_COMMAND} -DUI_DIR=${KTUNE_UI_SOURCE_DIR} -P
          ${PROJECT_SOURCE_DIR}/cmake/KtuneUiCheck.cmake
  COMMAND ${CMAKE_COMMAND} -E env KTUNE_UI_OUT_DIR=${KTUNE_UI_DIST_DIR} ${KTUNE_NPM} run
          --silent build -- --logLevel warn
  COMMAND ${CMAKE_COMMAND} -E touch ${_ktune_ui_stamp}
  DEPENDS ${_ktune_ui_sources} ${_ktune_ui_examples} ${KTUNE_UI_SOURCE_DIR}/index.html
          ${KTUNE_UI_SOURCE_DIR}/package.json ${KTUNE_UI_SOURCE_DIR}/package-lock.json
          ${KTUNE_UI_SOURCE_DIR}/vite.config.ts ${KTUNE_UI_SOURCE_DIR}/tsconfig.json
          ${PROJECT_SOURCE_DIR}/cmake/KtuneUiCheck.cmake
  WORKING_DIRECTORY ${KTUNE_UI_SOURCE_DIR}
  COMMENT "Building the web UI (npm run build in ui/)"
  VERBATIM)
set(KTUNE_UI_ASSETS_SOURCE ${CMAKE_CURRENT_BINARY_DIR}/ui_assets_data.cc)
# Rewritten only when the files changed (restat): an unchanged build recompiles nothing.
add_custom_command(
  OUTPUT ${KTUNE_UI_ASSETS_SOURCE}
  COMMAND ktune_embed_assets ${KTUNE_UI_ASSETS_SOURCE} ${KTUNE_UI_DIST_DIR}
  DEPENDS ktune_embed_assets ${_ktune_ui_stamp}
  COMMENT "Embedding the web UI's files into ktune"
  VERBATIM)
