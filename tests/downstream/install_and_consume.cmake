# cmake -P script behind the downstream_package test: installs the build into a fresh prefix, configures and builds
# tests/downstream against it the way a user would, runs the result and the installed CLI. Any failing step fails.
# -D: BUILD_DIR (nmflow's build), SOURCE_DIR (tests/downstream), WORK_DIR (scratch, emptied first), GENERATOR,
#     CXX_COMPILER, LAUNCHER (compiler launcher, may be empty), PREFIX_PATH (the main configure's CMAKE_PREFIX_PATH,
#     '|'-separated), TORCH_DIR.
function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE code)
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "downstream: ${what} failed (${code}): ${ARGN}")
  endif()
endfunction()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
run_step("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

string(REPLACE "|" ";" prefix_path "${prefix};${PREFIX_PATH}")
run_step("configuring tests/downstream" ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR}
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER}
  "-DCMAKE_PREFIX_PATH=${prefix_path}" -DTorch_DIR=${TORCH_DIR})
run_step("building tests/downstream" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
execute_process(COMMAND ${WORK_DIR}/build/nmflow_downstream WORKING_DIRECTORY ${WORK_DIR} RESULT_VARIABLE code)
if(NOT code EQUAL 0)
  message(FATAL_ERROR "downstream: nmflow_downstream failed (${code})")
endif()
run_step("the installed CLI" ${prefix}/bin/nmflow info)
