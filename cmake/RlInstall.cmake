# Installs headers, libraries, programs, env assets and the CMake package, so
# that a user's project can do find_package(rl) and link rl::rl.
include(CMakePackageConfigHelpers)

get_property(_rl_targets GLOBAL PROPERTY RL_INSTALLED_TARGETS)
get_property(_rl_programs GLOBAL PROPERTY RL_INSTALLED_PROGRAMS)

install(TARGETS ${_rl_targets} EXPORT rlTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS ${_rl_programs} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Headers keep their paths under one folder of their own, so that "envs/..."
# does not land directly in the prefix's include/.
foreach(_dir rl envs algorithms actors learners runner)
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/${_dir}/"
    DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/rl-framework/${_dir}"
    FILES_MATCHING PATTERN "*.h")
endforeach()

# Presets are looked up in share/rl/configs (rl/runtime/presets.h).
install(DIRECTORY "${PROJECT_SOURCE_DIR}/configs/" DESTINATION "${CMAKE_INSTALL_DATADIR}/rl/configs")

# Env assets (MJCF models) are looked up next to the install prefix at run time.
if(EXISTS "${PROJECT_SOURCE_DIR}/envs/mujoco/assets")
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/envs/mujoco/assets/"
    DESTINATION "${CMAKE_INSTALL_DATADIR}/rl/mujoco")
endif()

set(RL_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/rl")
install(EXPORT rlTargets NAMESPACE rl:: DESTINATION "${RL_INSTALL_CMAKEDIR}")
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/rlConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/rlConfig.cmake" INSTALL_DESTINATION "${RL_INSTALL_CMAKEDIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/rlConfigVersion.cmake"
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/rlConfig.cmake" "${PROJECT_BINARY_DIR}/rlConfigVersion.cmake"
  DESTINATION "${RL_INSTALL_CMAKEDIR}")
