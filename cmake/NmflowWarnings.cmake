# nmflow_set_warnings(target): -Wall -Wextra -Wpedantic on nmflow's own C++ code (errors with NMFLOW_WERROR).
function(nmflow_set_warnings target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic>)
  if(NMFLOW_WERROR)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Werror>)
  endif()
endfunction()
