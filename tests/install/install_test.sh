#!/usr/bin/env bash
# Installs the build tree into a temporary prefix, builds the custom-env
# example against the installed package (find_package(rl)), and runs both
# of its forms: the linked program and the plugin through the installed
# rl_eval.
#   install_test.sh <build dir> <source dir>
set -euo pipefail
build_dir=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" > "$work/install.log"
test -f "$work/prefix/lib/cmake/rl/rlConfig.cmake"
test -x "$work/prefix/bin/rl_eval"
test -f "$work/prefix/include/rl-framework/rl/env/env.h"

generator=()
command -v ninja > /dev/null && generator=(-G Ninja)
cmake -S "$source_dir/examples/custom_env" -B "$work/build" "${generator[@]}" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release > "$work/configure.log"
cmake --build "$work/build" > "$work/build.log"

"$work/build/run_point_mass" 5
out=$("$work/prefix/bin/rl_eval" --env-plugin "$work/build/libpoint_mass_plugin.so" \
  --env PointMass-v0 --episodes 3 --json)
echo "$out"
grep -q '"env":"PointMass-v0"' <<< "$out"
grep -q '"episodes":3' <<< "$out"
echo "install test: OK"
