# Runs the nmflow binary and checks its exit code and output. Used by tests/cli/CMakeLists.txt:
#   cmake -DNMFLOW=<binary> -DARGS=<args separated by |> -DCODE=<expected exit code> [-DREGEX=<regex>] -P run_and_check.cmake
# REGEX must match stdout+stderr. For a non-zero CODE, stderr must be exactly one line "nmflow: error: …"
# (no stack trace, no usage dump).
string(REPLACE "|" ";" args "${ARGS}")
execute_process(COMMAND "${NMFLOW}" ${args} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(report "command: ${NMFLOW} ${args}\nexit code: ${code}\nstdout:\n${out}\nstderr:\n${err}")
if(NOT "${code}" STREQUAL "${CODE}")
  message(FATAL_ERROR "expected exit code ${CODE}\n${report}")
endif()
if(DEFINED REGEX AND NOT "${out}${err}" MATCHES "${REGEX}")
  message(FATAL_ERROR "output does not match '${REGEX}'\n${report}")
endif()
if(NOT CODE EQUAL 0 AND NOT "${err}" MATCHES "^nmflow: error: [^\n]+\n$")
  message(FATAL_ERROR "stderr is not one line 'nmflow: error: ...'\n${report}")
endif()
message(STATUS "${report}")
