# Helper functions for the project's own targets.

# Warnings for the project's own code (dependencies come in as system headers).
function(rl_set_warnings target)
  # Designated initializers that leave defaulted members out are the intended
  # way to fill option structs, so GCC's missing-field warning is off.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-missing-field-initializers)
  if(RL_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# rl_add_library(<name> EXPORT_NAME <name in rl::> SOURCES ... [TORCH] [PUBLIC_LIBS ...]
#                [PRIVATE_LIBS ...])
# A library of the framework: installed, exported as rl::<EXPORT_NAME>, and
# usable in the tree under the same alias. TORCH: it includes libtorch headers.
function(rl_add_library name)
  cmake_parse_arguments(ARG "TORCH" "EXPORT_NAME" "SOURCES;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
  add_library(${name} ${ARG_SOURCES})
  if(ARG_TORCH)
    rl_use_torch(${name})
  endif()
  add_library(rl::${ARG_EXPORT_NAME} ALIAS ${name})
  set_target_properties(${name} PROPERTIES EXPORT_NAME ${ARG_EXPORT_NAME})
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/rl-framework>)
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_LIBS} PRIVATE ${ARG_PRIVATE_LIBS})
  rl_set_warnings(${name})
  set_property(GLOBAL APPEND PROPERTY RL_INSTALLED_TARGETS ${name})
endfunction()

# rl_add_program(<name> SOURCES ... LIBS ...): a command-line program in build/bin, installed.
function(rl_add_program name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS})
  rl_set_warnings(${name})
  set_property(GLOBAL APPEND PROPERTY RL_INSTALLED_PROGRAMS ${name})
endfunction()

# rl_add_test(<name> SOURCES ... LIBS ... [TORCH] [NO_CTEST] [LABELS ...] [TIMEOUT s]):
# one GoogleTest binary, registered as one ctest test. TORCH: it includes
# libtorch headers. NO_CTEST: the caller registers its ctest tests itself.
function(rl_add_test name)
  cmake_parse_arguments(ARG "TORCH;NO_CTEST" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  if(ARG_TORCH)
    rl_use_torch(${name})
  endif()
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  rl_set_warnings(${name})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/tests")
  if(ARG_NO_CTEST)
    return()
  endif()
  add_test(NAME ${name} COMMAND ${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
endfunction()

# ---- libtorch ----------------------------------------------------------------
# libtorch's headers take about 25 s to compile per file. Every target that
# includes them shares one precompiled header, built once by rl_torch_pch.
# GCC only reuses a PCH built with the same code model, so executables that
# include torch compile with -fPIC like the libraries (-fPIE would not match).
add_library(rl_torch_pch STATIC "${PROJECT_SOURCE_DIR}/cmake/torch_pch.cc")
target_link_libraries(rl_torch_pch PUBLIC torch)
target_precompile_headers(rl_torch_pch PRIVATE <torch/torch.h>)
set_target_properties(rl_torch_pch PROPERTIES POSITION_INDEPENDENT_CODE ON)
rl_set_warnings(rl_torch_pch)

# rl_use_torch(<target>): links libtorch and reuses the shared precompiled header.
function(rl_use_torch target)
  target_link_libraries(${target} PUBLIC torch)
  target_precompile_headers(${target} REUSE_FROM rl_torch_pch)
  get_target_property(_type ${target} TYPE)
  if(_type STREQUAL "EXECUTABLE")
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE OFF)
    target_compile_options(${target} PRIVATE -fPIC)
  endif()
endfunction()
