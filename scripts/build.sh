#!/usr/bin/env bash
# Configures (once) and builds the project into build/ (Release, ninja,
# ccache when present). Extra arguments are ninja targets; none builds all.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${RL_BUILD_DIR:-build}
if [[ ! -f "$build_dir/build.ninja" ]]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
# Each libtorch translation unit takes about 1.5 GB to compile: keep the job
# count at the core count.
cmake --build "$build_dir" --parallel "$(nproc)" -- "$@"
