#!/usr/bin/env bash
# Builds the parts of the project that need no libtorch with sanitizers and
# runs their tests: envs (classic, MuJoCo, Box2D), the VectorEnv and its
# threads, the wire codec and validation, config, checkpoints, TensorBoard
# files, the fast-path kernels, the wire fuzz target's replay and the
# renderers (cairo, GIF, MuJoCo through OSMesa; scripts/lsan.supp lists the
# one third-party leak suppressed, scripts/tsan.supp the uninstrumented
# OSMesa threads).
#
#   scripts/sanitize.sh [address|thread]     (default: address)
#
# address: AddressSanitizer + UndefinedBehaviorSanitizer, build-asan/;
# thread: ThreadSanitizer, build-tsan/. Any report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-address}
case "$kind" in
  address) dir=build-asan ;;
  thread) dir=build-tsan ;;
  *) echo "sanitize.sh: '$kind' is not one of address, thread" >&2; exit 2 ;;
esac
tests=(space_test rng_test registry_test vector_env_test evaluation_test plugin_test
       cartpole_test pendulum_test mountain_car_test acrobot_test lunar_lander_test bipedal_walker_test
       mujoco_test wire_message_test wire_fuzz_test config_test checkpoint_test tensorboard_test fast_math_test
       render_test)
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRL_SANITIZE="$kind" > /dev/null
ninja -C "$dir" "${tests[@]}"
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/scripts/tsan.supp
failed=()
for t in "${tests[@]}"; do
  if "$dir/tests/$t" --gtest_brief=1 > "$dir/$t.sanitize.log" 2>&1; then
    echo "sanitize ($kind): $t ok"
  else
    echo "sanitize ($kind): $t FAILED, see $dir/$t.sanitize.log"
    failed+=("$t")
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "sanitize ($kind): ${#failed[@]} of ${#tests[@]} failed: ${failed[*]}" >&2
  exit 1
fi
echo "sanitize ($kind): all ${#tests[@]} clean"
