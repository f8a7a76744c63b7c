# Builds one include probe and checks the outcome (cmake -P).
#   BUILD_DIR  the configured build tree
#   PROBE      the probe target
#   HEADER     the header it includes, e.g. orchestrator/stream_session.hpp
#   EXPECT     "visible": the probe must compile;
#              "hidden": the build must fail because HEADER is not found, and for no other reason.
execute_process(
  COMMAND "${CMAKE_COMMAND}" --build "${BUILD_DIR}" --target "${PROBE}"
  RESULT_VARIABLE build_result
  OUTPUT_VARIABLE build_output
  ERROR_VARIABLE build_output)

if(EXPECT STREQUAL "visible")
  if(NOT build_result EQUAL 0)
    message(FATAL_ERROR "${PROBE}: ${HEADER} should be visible, but the build failed:\n${build_output}")
  endif()
  message(STATUS "${PROBE}: ${HEADER} is visible, as it should be")
elseif(EXPECT STREQUAL "hidden")
  if(build_result EQUAL 0)
    message(FATAL_ERROR "${PROBE}: ${HEADER} compiled, but its module is not a dependency")
  endif()
  string(REPLACE "." "\\." header_regex "${HEADER}")
  # GCC: "<header>: No such file or directory"; Clang: "'<header>' file not found".
  if(NOT build_output MATCHES "${header_regex}: No such file or directory|'${header_regex}' file not found")
    message(FATAL_ERROR "${PROBE}: the build failed, but not because ${HEADER} was not found:\n${build_output}")
  endif()
  message(STATUS "${PROBE}: ${HEADER} is not found, as it should be")
else()
  message(FATAL_ERROR "EXPECT must be visible or hidden, not '${EXPECT}'")
endif()
