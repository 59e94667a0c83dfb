# NMFLOW_SANITIZE=ON: AddressSanitizer + UndefinedBehaviorSanitizer on nmflow's own code (the library, the CLI and
# the tests; LibTorch, HDF5 and the other dependencies stay uninstrumented). Every report is fatal
# (-fno-sanitize-recover), so a sanitizer finding fails its test. scripts/test --sanitize builds this into
# build-sanitize/ and runs the fast suites (docs/testing.md).
option(NMFLOW_SANITIZE "Build with -fsanitize=address,undefined (for scripts/test --sanitize)" OFF)
if(NMFLOW_SANITIZE)
  # vptr checks read the type info of LibTorch objects that were not built for them: false reports.
  set(nmflow_sanitize_flags -fsanitize=address,undefined -fno-sanitize=vptr -fno-sanitize-recover=all
      -fno-omit-frame-pointer)
  add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:${nmflow_sanitize_flags}>")
  add_link_options(-fsanitize=address,undefined)
  message(STATUS "nmflow: AddressSanitizer + UndefinedBehaviorSanitizer on")
endif()
