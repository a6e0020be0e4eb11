#!/usr/bin/env bash
# The README's second command (and CI's): installs what is missing, builds
# everything, builds it again against PyTorch's CUDA libtorch (compile and
# link only: the CUDA path cannot rot unseen), and runs the whole test
# suite; ctest prints its summary last.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh
scripts/build-cuda.sh
cd "${RL_BUILD_DIR:-build}"
ctest --output-on-failure --parallel "$(nproc)" --timeout 900
