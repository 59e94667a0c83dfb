# `cmake --install <build> --prefix <P>` installs the library, its headers, the CLI and a CMake package, so another
# project links nmflow with find_package(nmflow) and target nmflow::nmflow (README "Using nmflow from another C++
# project"; tests/downstream builds one):
#   <P>/lib/libnmflow.a (+ libnmflow_cuda.a)   <P>/include/nmflow/<src tree>/*.h   <P>/bin/nmflow
#   <P>/lib/cmake/nmflow/nmflowConfig.cmake, nmflowConfigVersion.cmake, nmflowTargets*.cmake
# Headers keep their src/ paths under include/nmflow, which is the consumer's include directory, so nmflow's own
# includes ("common/error.h") resolve there as they do in the source tree.
include(CMakePackageConfigHelpers)
set(NMFLOW_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/nmflow)

set(nmflow_exported_targets nmflow nmflow_fmt)
if(NMFLOW_WITH_CUDA)
  list(APPEND nmflow_exported_targets nmflow_cuda)
endif()
set_target_properties(nmflow_fmt PROPERTIES EXPORT_NAME fmt)
if(NMFLOW_WITH_CUDA)
  set_target_properties(nmflow_cuda PROPERTIES EXPORT_NAME cuda)
endif()
install(TARGETS ${nmflow_exported_targets} EXPORT nmflowTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
)
install(DIRECTORY src/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/nmflow FILES_MATCHING PATTERN "*.h")
install(EXPORT nmflowTargets NAMESPACE nmflow:: DESTINATION ${NMFLOW_INSTALL_CMAKEDIR})

# The installed CLI finds LibTorch (and the CUDA libraries) where it was linked against them: LibTorch's libraries
# are linked by full path, which INSTALL_RPATH_USE_LINK_PATH does not see, so their folders are named explicitly.
set(nmflow_cli_rpath)
foreach(library IN LISTS TORCH_LIBRARIES)
  if(IS_ABSOLUTE "${library}" AND EXISTS "${library}")
    get_filename_component(library_dir "${library}" DIRECTORY)
    list(APPEND nmflow_cli_rpath "${library_dir}")
  endif()
endforeach()
if(TORCH_INSTALL_PREFIX)
  list(APPEND nmflow_cli_rpath "${TORCH_INSTALL_PREFIX}/lib")
endif()
list(REMOVE_DUPLICATES nmflow_cli_rpath)
set_target_properties(nmflow_cli PROPERTIES INSTALL_RPATH "${nmflow_cli_rpath}" INSTALL_RPATH_USE_LINK_PATH ON)
install(TARGETS nmflow_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# nmflowConfig.cmake finds the same dependencies again in the consumer (a static library carries its private link
# dependencies, HDF5 and yaml-cpp, as $<LINK_ONLY:…>).
set(NMFLOW_CONFIG_OPENMP ${OpenMP_CXX_FOUND})
configure_package_config_file(cmake/nmflowConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/nmflowConfig.cmake
  INSTALL_DESTINATION ${NMFLOW_INSTALL_CMAKEDIR})
# 0.x: a minor version may change the API.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/nmflowConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/nmflowConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/nmflowConfigVersion.cmake
  DESTINATION ${NMFLOW_INSTALL_CMAKEDIR})
