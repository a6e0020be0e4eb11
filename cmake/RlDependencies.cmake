# Finds the project's dependencies, all from Debian 12 packages. A missing one
# stops the configuration with the name of the Debian package to install.

# rl_require_package(<find_package name> DEBIAN <package> [find_package args...])
macro(rl_require_package name)
  cmake_parse_arguments(_rl_req "" "DEBIAN" "" ${ARGN})
  find_package(${name} QUIET ${_rl_req_UNPARSED_ARGUMENTS})
  if(NOT ${name}_FOUND)
    message(FATAL_ERROR
      "Missing dependency ${name}: install the Debian package '${_rl_req_DEBIAN}' "
      "(sudo apt-get install ${_rl_req_DEBIAN}), or run scripts/install-deps.sh.")
  endif()
endmacro()

set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)

rl_require_package(CLI11 DEBIAN libcli11-dev CONFIG)
rl_require_package(yaml-cpp DEBIAN libyaml-cpp-dev CONFIG)
rl_require_package(Torch DEBIAN libtorch-dev CONFIG)
rl_require_package(nlohmann_json DEBIAN nlohmann-json3-dev CONFIG)
rl_require_package(Eigen3 DEBIAN libeigen3-dev CONFIG)
rl_require_package(mujoco DEBIAN "libmujoco-dev libqhull-dev" CONFIG)
rl_require_package(box2d DEBIAN libbox2d-dev CONFIG)
rl_require_package(spdlog DEBIAN libspdlog-dev CONFIG)
rl_require_package(Protobuf DEBIAN "libprotobuf-dev protobuf-compiler")
if(NOT Protobuf_PROTOC_EXECUTABLE)
  message(FATAL_ERROR "Missing protoc: install the Debian package 'protobuf-compiler', or run scripts/install-deps.sh.")
endif()
if(RL_BUILD_TESTS)
  rl_require_package(GTest DEBIAN "libgtest-dev libgmock-dev" CONFIG)
endif()

# ZeroMQ through pkg-config (libzmq's CMake files are not packaged); cppzmq
# and msgpack-c are header-only and used without their CMake targets (the
# msgpack one drags in Boost, which MSGPACK_NO_BOOST makes unneeded).
find_package(PkgConfig REQUIRED)
pkg_check_modules(ZMQ QUIET IMPORTED_TARGET libzmq)
if(NOT ZMQ_FOUND)
  message(FATAL_ERROR "Missing dependency libzmq: install the Debian package 'libzmq3-dev' "
    "(sudo apt-get install libzmq3-dev), or run scripts/install-deps.sh.")
endif()
find_path(RL_CPPZMQ_INCLUDE zmq.hpp)
if(NOT RL_CPPZMQ_INCLUDE)
  message(FATAL_ERROR "Missing dependency cppzmq (zmq.hpp): install the Debian package "
    "'cppzmq-dev', or run scripts/install-deps.sh.")
endif()
find_path(RL_MSGPACK_INCLUDE msgpack.hpp)
if(NOT RL_MSGPACK_INCLUDE)
  message(FATAL_ERROR "Missing dependency msgpack-c (msgpack.hpp): install the Debian package "
    "'libmsgpack-cxx-dev', or run scripts/install-deps.sh.")
endif()

# OpenBLAS: the BLAS behind Debian's libtorch when installed; rl_bench_policy
# measures its sgemm rate beside the fast path's.
pkg_check_modules(OPENBLAS QUIET IMPORTED_TARGET openblas)
if(NOT OPENBLAS_FOUND)
  message(FATAL_ERROR "Missing dependency OpenBLAS: install the Debian package 'libopenblas-dev' "
    "(sudo apt-get install libopenblas-dev), or run scripts/install-deps.sh.")
endif()

# Pictures (rl_eval --record): cairo draws the 2D envs, giflib writes GIFs,
# OSMesa renders MuJoCo offscreen without a display.
pkg_check_modules(CAIRO QUIET IMPORTED_TARGET cairo)
if(NOT CAIRO_FOUND)
  message(FATAL_ERROR "Missing dependency cairo: install the Debian package 'libcairo2-dev' "
    "(sudo apt-get install libcairo2-dev), or run scripts/install-deps.sh.")
endif()
rl_require_package(GIF DEBIAN libgif-dev)
pkg_check_modules(OSMESA QUIET IMPORTED_TARGET osmesa)
if(NOT OSMESA_FOUND)
  message(FATAL_ERROR "Missing dependency OSMesa: install the Debian package 'libosmesa6-dev' "
    "(sudo apt-get install libosmesa6-dev), or run scripts/install-deps.sh.")
endif()

# libcsv: reading metrics.csv back (rl_plot, a resumed run's header, the
# tests) with RFC 4180's quoting and line ends rather than a split on commas.
find_path(RL_CSV_INCLUDE csv.h)
find_library(RL_CSV_LIBRARY csv)
if(NOT RL_CSV_INCLUDE OR NOT RL_CSV_LIBRARY)
  message(FATAL_ERROR "Missing dependency libcsv (csv.h): install the Debian package 'libcsv-dev' "
    "(sudo apt-get install libcsv-dev), or run scripts/install-deps.sh.")
endif()
