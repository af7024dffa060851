# Run by the UI's build step (cmake -DUI_DIR=... -P KtuneUiCheck.cmake): fails with what to do
# when ui/node_modules is missing or older than ui/package-lock.json (the test scripts/setup.sh
# makes before it runs `npm ci`).
set(_installed ${UI_DIR}/node_modules/.package-lock.json)
if(NOT EXISTS ${_installed})
  message(FATAL_ERROR "ui/node_modules is missing: run scripts/setup.sh (it runs `npm ci` in ui/)")
endif()
# IS_NEWER_THAN is also true for equal times: the lock file is newer only when this is false.
if(NOT ${_installed} IS_NEWER_THAN ${UI_DIR}/package-lock.json)
  message(FATAL_ERROR
          "ui/node_modules is older than ui/package-lock.json: run scripts/setup.sh (it runs "
          "`npm ci` in ui/)")
endif()
