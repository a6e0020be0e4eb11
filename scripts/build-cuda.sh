#!/usr/bin/env bash
# Builds the whole project a second time, in build-cuda/, against PyTorch's
# CUDA libtorch 2.x (the lent GPU machines' version, from its PyPI wheel in
# a virtual environment of its own) next to the tested CPU build on Debian's
# libtorch 1.13: CI compiles and links the CUDA path on every run, so that
# it cannot rot between the rare GPU runs. Nothing CUDA runs here.
#
#   scripts/build-cuda.sh [ninja targets...]
#
# Needs the CUDA toolkit (nvcc) under CUDA_HOME (default /usr/local/cuda);
# without one it says so and does nothing. The wheels take about 760 MB of
# download once (pip's cache keeps them) and 1.5 GB in build-cuda/venv.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${RL_CUDA_BUILD_DIR:-build-cuda}
cuda_home=${CUDA_HOME:-/usr/local/cuda}
if [[ ! -x "$cuda_home/bin/nvcc" ]]; then
  echo "build-cuda: skipped: no CUDA toolkit at $cuda_home (set CUDA_HOME to build the CUDA path)"
  exit 0
fi

venv="$build_dir/venv"
mkdir -p "$build_dir"
[[ -x "$venv/bin/pip" ]] || python3 -m venv "$venv"
# Only the C++ parts of the wheels are used: no dependency resolution, no import.
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r scripts/gpu/cuda-wheels.txt
site_packages=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
torch_cmake="$site_packages/torch/share/cmake"

if [[ ! -f "$build_dir/build.ninja" ]]; then
  PATH="$cuda_home/bin:$PATH" cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$torch_cmake" -DCUDAToolkit_ROOT="$cuda_home"
fi
PATH="$cuda_home/bin:$PATH" cmake --build "$build_dir" --parallel "$(nproc)" -- "$@"
# The CUDA-only code is in: learner groups on GPUs call c10d's NCCL backend.
# (grep reads all of nm's output: with -q it would stop early, and pipefail
# would count nm's broken pipe as a failure.)
if [[ -f "$build_dir/lib/librl_learners.so" ]] &&
   ! nm -D --undefined-only "$build_dir/lib/librl_learners.so" | grep ProcessGroupNCCL > /dev/null; then
  echo "build-cuda: error: $build_dir was built without NCCL learner groups (not a CUDA libtorch?)" >&2
  exit 1
fi
echo "build-cuda: the project builds against $("$venv/bin/pip" show torch 2>/dev/null | sed -n 's/^Version: /libtorch /p') (CUDA) in $build_dir"
