#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs, and only those that are
# missing: a second run does nothing. Runs apt-get through sudo when not root.
set -euo pipefail

packages=(
  # toolchain
  cmake g++ ninja-build ccache pkg-config
  # learning (libtorch is Debian's CPU build; OpenBLAS makes it fast)
  libtorch-dev libgloo-dev libopenblas0-pthread libopenblas-dev libeigen3-dev
  # transport
  libzmq3-dev cppzmq-dev libmsgpack-cxx-dev libsodium-dev
  # simulators
  libmujoco-dev libqhull-dev libbox2d-dev libosmesa6-dev
  # pictures (rl_eval --record): 2D drawing, GIF files
  libcairo2-dev libgif-dev
  # utilities (protobuf: TensorBoard event files; libcsv: reading metrics.csv; gnuplot: rl_plot)
  libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libspdlog-dev libprotobuf-dev protobuf-compiler libcsv-dev
  gnuplot-nox
  # tests and benchmarks (python3-numpy and -venv: the MinAtar reference, for the differential test)
  libgtest-dev libgmock-dev libbenchmark-dev python3-numpy python3-venv
  # bench/*.sh time their runs (their smoke runs are tests); clang and
  # libFuzzer build bench/fuzz_wire.sh's sanitized fuzzer
  time clang libclang-rt-14-dev
  # multi-host tests: hosts as network namespaces, and a real Slurm on them
  iproute2 util-linux slurmctld slurmd slurm-client munge python3
  # the container image (deploy/build-image.sh) and its test
  docker.io debootstrap
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo > /dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
