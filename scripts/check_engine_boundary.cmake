# The UI and the app see the engine only through its public headers: engine/api/ and the core
# value types those use. Run by the build (cmake -P) before ui/ and app/ compile:
#   cmake -DLISTS=<file that sets PEERSCOPE_ROOT, PUBLIC_HEADERS, CHECKED_FILES> -DSTAMP=<file>
#         -P scripts/check_engine_boundary.cmake
# Fails naming every file that includes another engine header, and every public header that
# pulls in one (which would open the door again from inside).
cmake_minimum_required(VERSION 3.25)
include("${LISTS}")

set(problems "")
function(check_file path allowed_in_what)
  file(STRINGS "${PEERSCOPE_ROOT}/${path}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"engine/")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*$" "\\1" header "${line}")
    if(NOT header IN_LIST PUBLIC_HEADERS)
      set(problems "${problems}\n  ${path} includes ${header}, ${allowed_in_what}" PARENT_SCOPE)
    endif()
  endforeach()
endfunction()

foreach(path IN LISTS CHECKED_FILES)
  check_file("${path}" "which is not one of the engine's public headers")
endforeach()
foreach(path IN LISTS PUBLIC_HEADERS)
  check_file("${path}" "a public header that includes a private one")
endforeach()

if(problems)
  list(JOIN PUBLIC_HEADERS ", " public)
  message(FATAL_ERROR "engine boundary broken:${problems}\n"
    "ui/ and app/ may include only the engine's public headers (${public}); "
    "they reach the engine through EngineClient and snapshots (docs/ARCHITECTURE.md).")
endif()
file(TOUCH "${STAMP}")
