# fmt: LibTorch's include directory carries fmt 12 headers and comes first on every include path, so
# nmflow uses those in header-only mode (target nmflow_fmt) rather than Debian's older libfmt.
add_library(nmflow_fmt INTERFACE)
target_compile_definitions(nmflow_fmt INTERFACE FMT_HEADER_ONLY=1)

# Every dependency comes from Debian's packages or the PyPI torch wheel (found through
# torch.utils.cmake_prefix_path, which scripts/ pass as CMAKE_PREFIX_PATH).
# Torch's CMake config appends gencode flags for a dozen architectures to the global CMAKE_CUDA_FLAGS (some of
# which newer nvcc rejects); nmflow's kernels choose their own architectures, so those flags are dropped.
set(NMFLOW_SAVED_CUDA_FLAGS "${CMAKE_CUDA_FLAGS}")
find_package(Torch REQUIRED)
set(CMAKE_CUDA_FLAGS "${NMFLOW_SAVED_CUDA_FLAGS}")
# OpenMP: LibTorch's at::parallel_for (AT_PARALLEL_OPENMP) is an inline template whose `#pragma omp parallel` is
# compiled into the caller's file, and only when that file is compiled with -fopenmp; without it every
# at::parallel_for in nmflow ran its whole range on one thread whatever `threads:` said. GCC's -fopenmp links
# libgomp.so.1, which resolves at run time to the copy the torch wheel ships next to libtorch (one OpenMP runtime).
# A compiler without OpenMP still builds nmflow, with a warning: its kernels then run on one thread.
find_package(OpenMP COMPONENTS CXX)
if(NOT OpenMP_CXX_FOUND)
  message(WARNING "nmflow: no OpenMP for ${CMAKE_CXX_COMPILER}; nmflow's own CPU kernels (jets, curvature, roots, "
                  "NTK) will run on one thread whatever `threads:` says. Install the compiler's OpenMP runtime "
                  "(libgomp for GCC) to use every core.")
  add_library(OpenMP::OpenMP_CXX INTERFACE IMPORTED)
endif()
find_package(Eigen3 3.3 REQUIRED NO_MODULE)
find_package(HDF5 REQUIRED COMPONENTS CXX)
find_package(yaml-cpp REQUIRED)
find_package(CLI11 REQUIRED)
if(NMFLOW_BUILD_TESTS)
  find_package(Catch2 2 REQUIRED)
endif()
if(NMFLOW_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
