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
# A CUDA libtorch's CMake package compiles and runs a program to find the
# machine's GPU architectures unless it is given them, and that fails where
# there is no GPU (CI builds the CUDA path on such machines). The project
# compiles no CUDA code of its own: name the lent machines' H100/H200 (sm_90).
if(NOT DEFINED TORCH_CUDA_ARCH_LIST AND NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  set(TORCH_CUDA_ARCH_LIST "9.0")
endif()
rl_require_package(Torch DEBIAN libtorch-dev CONFIG)
# A CUDA build of libtorch (PyTorch's wheels) lists its CUDA libraries;
# Debian's CPU build lists none. RL_TORCH_CUDA compiles the CUDA-only pieces
# (NCCL learner groups) and the GPU check's programs.
if(TORCH_CUDA_LIBRARIES)
  set(RL_TORCH_CUDA ON)
  message(STATUS "libtorch ${Torch_VERSION} is a CUDA build: NCCL learner groups are compiled in")
else()
  set(RL_TORCH_CUDA OFF)
endif()
# PyTorch's libtorch 2.x exports a copy of parts of a newer libstdc++ than
# Debian's (std::filesystem among them), and a program that lists libtorch
# before libstdc++ calls that copy, which crashes (std::filesystem::remove_all
# jumps to a null address). Every binary names libstdc++ first, so that the
# system's is the one found.
if(Torch_VERSION VERSION_GREATER_EQUAL 2)
  add_link_options(-Wl,--no-as-needed -lstdc++)
endif()
rl_require_package(nlohmann_json DEBIAN nlohmann-json3-dev CONFIG)
rl_require_package(Eigen3 DEBIAN libeigen3-dev CONFIG)
# MuJoCo: its CMake package, or else its header and library alone. Debian's
# package asks for OpenGL's development files and names /usr/include/libqhull_r,
# neither of which the project uses; in a prefix of unpacked packages (the
# GPU check) it fails where the header and the library are all there is.
find_package(mujoco CONFIG QUIET)
if(NOT mujoco_FOUND)
  find_path(RL_MUJOCO_INCLUDE mujoco/mujoco.h)
  find_library(RL_MUJOCO_LIBRARY mujoco)
  if(RL_MUJOCO_INCLUDE AND RL_MUJOCO_LIBRARY)
    add_library(mujoco::mujoco SHARED IMPORTED)
    set_target_properties(mujoco::mujoco PROPERTIES IMPORTED_LOCATION "${RL_MUJOCO_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${RL_MUJOCO_INCLUDE}")
  else()
    rl_require_package(mujoco DEBIAN "libmujoco-dev libqhull-dev" CONFIG)  # names what to install
  endif()
endif()
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

# rl_require_pkg(<VAR> <pkg-config module> <header> <library> DEBIAN <package>
#                [HEADER_SUFFIX dir]): the imported target PkgConfig::<VAR>,
# from pkg-config, or else from the header and the library alone: a module's
# pkg-config file asks for the files of every library it was built with
# (libzmq's: krb5, openpgm, norm; cairo's: pixman, fontconfig, X11 ...),
# which a prefix of unpacked packages (the GPU check) does not have.
function(rl_require_pkg var module header library)
  cmake_parse_arguments(ARG "" "DEBIAN;HEADER_SUFFIX" "" ${ARGN})
  pkg_check_modules(${var} QUIET IMPORTED_TARGET GLOBAL ${module})
  if(${var}_FOUND)
    return()
  endif()
  find_path(RL_${var}_INCLUDE ${header} PATH_SUFFIXES ${ARG_HEADER_SUFFIX})
  find_library(RL_${var}_LIBRARY ${library})
  if(NOT RL_${var}_INCLUDE OR NOT RL_${var}_LIBRARY)
    message(FATAL_ERROR "Missing dependency ${module}: install the Debian package '${ARG_DEBIAN}' "
      "(sudo apt-get install ${ARG_DEBIAN}), or run scripts/install-deps.sh.")
  endif()
  add_library(PkgConfig::${var} INTERFACE IMPORTED GLOBAL)
  set_target_properties(PkgConfig::${var} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${RL_${var}_INCLUDE}"
    INTERFACE_LINK_LIBRARIES "${RL_${var}_LIBRARY}")
endfunction()

rl_require_pkg(ZMQ libzmq zmq.h zmq DEBIAN libzmq3-dev)
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
if(RL_OPENBLAS)
  rl_require_pkg(OPENBLAS openblas cblas.h openblas DEBIAN libopenblas-dev)
endif()

# Pictures (rl_eval --record): cairo draws the 2D envs, giflib writes GIFs,
# OSMesa renders MuJoCo offscreen without a display.
rl_require_pkg(CAIRO cairo cairo.h cairo DEBIAN libcairo2-dev HEADER_SUFFIX cairo)
rl_require_package(GIF DEBIAN libgif-dev)
if(RL_MUJOCO_RENDER)
  rl_require_pkg(OSMESA osmesa GL/osmesa.h OSMesa DEBIAN libosmesa6-dev)
endif()

# libcsv: reading metrics.csv back (rl_plot, a resumed run's header, the
# tests) with RFC 4180's quoting and line ends rather than a split on commas.
find_path(RL_CSV_INCLUDE csv.h)
find_library(RL_CSV_LIBRARY csv)
if(NOT RL_CSV_INCLUDE OR NOT RL_CSV_LIBRARY)
  message(FATAL_ERROR "Missing dependency libcsv (csv.h): install the Debian package 'libcsv-dev' "
    "(sudo apt-get install libcsv-dev), or run scripts/install-deps.sh.")
endif()
