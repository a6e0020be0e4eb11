#!/usr/bin/env bash
# Reproduces the core of BENCHMARKS.md in one go: env stepping, the
# small-policy fast path, the distributed runtime, the classic-control and
# simulator learning runs with their curves (rl_plot), the soak and the wire
# fuzzer. Writes OUT (default runs/bench-all-<date>) with one folder per
# section, each holding the exact commands it ran (commands.txt) and their
# output, plus machine.txt (CPU, cores, memory, OS, compiler, BLAS) and a
# README.md that gathers the tables and links the pictures. The other
# sections have scripts of their own: bench/learner.sh, fleet.sh,
# minatar_pipeline.sh, cluster.sh and weights_traffic.sh (the last two need
# root for their network namespaces).
#
#   bench/run_all.sh [--quick | --smoke] [OUT]
#
# --quick (3 minutes here): shorter measurements, one seed per learning run
# and only the fast simulator ones (HalfCheetah, LunarLander). --smoke (the
# test suite's run, seconds): every section at tiny sizes, to keep the script
# working. The full run takes about 23 minutes (with the 10-minute soak). Do
# not rebuild while it runs: the programs load the project's shared
# libraries as they start.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0 smoke=0
if [[ "${1:-}" == "--quick" ]]; then quick=1; shift; fi
if [[ "${1:-}" == "--smoke" ]]; then quick=1 smoke=1; shift; fi
out=${1:-runs/bench-all-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
bin=${RL_BUILD_DIR:-build}/bin  # the test suite's smoke run points it at its build
export RL_BUILD_DIR=${RL_BUILD_DIR:-build}
for program in rl_bench_env rl_bench_pipeline rl_bench_policy rl_plot train_ppo train_impala; do
  [[ -x "$bin/$program" ]] || { echo "run_all: $bin/$program is missing; build first (scripts/build.sh)" >&2; exit 1; }
done

# Runs a command, records it in the section's commands.txt and its output.
run() {
  local section=$1 name=$2
  shift 2
  mkdir -p "$out/$section"
  echo "$*" >> "$out/$section/commands.txt"
  echo "[$section] $*"
  "$@" > "$out/$section/$name.txt" 2>&1
}

{
  echo "date: $(date -Iseconds)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "cores: $(nproc)"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "compiler: $(c++ --version | head -1)"
  echo "blas and fast path: $($bin/rl_bench_pipeline --seconds 0.1 | head -1)"
} > "$out/machine.txt"

seconds=$([[ $quick == 1 ]] && echo 1 || echo 4)
tiny=()  # the smoke run's sizes, passed to the section scripts
if [[ $smoke == 1 ]]; then
  seconds=0.02
  tiny=(SEEDS=1 "EXTRA_ARGS=--total-steps 3000" IMPALA_STEPS=20000 PPO_STEPS=5000 SECONDS_PER_POINT=0.3 SOAK_SECONDS=8)
fi
# 1. Env stepping: every env, k = 1 and 16.
for k in $([[ $smoke == 1 ]] && echo 16 || echo 1 16); do
  run envs "envs-k$k" $bin/rl_bench_env --num-envs $k --seconds $seconds
done
# 2. The small-policy fast path.
run policy policy $bin/rl_bench_policy --seconds $([[ $smoke == 1 ]] && echo 0.05 || ([[ $quick == 1 ]] && echo 0.5) || echo 2) --rounds $([[ $smoke == 1 ]] && echo 1 || echo 3)
# 3. Distributed runtime.
run distributed distributed env "${tiny[@]}" BENCH_DIR="$out/distributed/runs" bench/distributed.sh
# 4. Learning, then the curves.
if [[ $quick == 1 ]]; then
  run learning classic env SEEDS=1 "${tiny[@]}" BENCH_DIR="$out/learning/classic" bench/learning.sh
  run learning simulators env SEEDS=1 "${tiny[@]}" ENVS="halfcheetah lunarlander" BENCH_DIR="$out/learning/simulators" \
    bench/simulator_learning.sh
else
  run learning classic env BENCH_DIR="$out/learning/classic" bench/learning.sh
  run learning simulators env BENCH_DIR="$out/learning/simulators" bench/simulator_learning.sh
fi
# 5. Reliability: the soak (10 min) and 60 s of fuzzing, in the full run; the
# smoke run soaks for 8 s, killing every 2 s (bench/fuzz_wire.sh has a smoke run of its own).
if [[ $smoke == 1 ]]; then
  run reliability soak env "${tiny[@]}" BENCH_DIR="$out/reliability/soak" bench/soak.sh 1 2
elif [[ $quick == 0 ]]; then
  run reliability soak env BENCH_DIR="$out/reliability/soak" bench/soak.sh 10 20
  run reliability fuzz bench/fuzz_wire.sh 60
fi
rm -f "$out"/learning/*.list  # OUT may hold an earlier run
for group in classic simulators; do
  for dir in "$out/learning/$group"/*/; do
    [[ -f "$dir/metrics.csv" ]] || continue
    # A run too short to end an episode (the smoke run's) has no curve.
    python3 -c 'import csv, sys; sys.exit(not any(r.get("episode_return_mean") for r in csv.DictReader(open(sys.argv[1]))))' \
      "$dir/metrics.csv" || continue
    label=$(basename "$dir" | sed 's/-s[0-9]*$//')
    echo "$dir" >> "$out/learning/$group-$label.list"
  done
done
for list in "$out"/learning/*.list; do
  [[ -f "$list" ]] || continue
  name=$(basename "$list" .list)
  run learning "plot-$name" $bin/rl_plot $(cat "$list") -o "$out/learning/$name.png" --title "$name"
done

{
  echo "# Benchmarks reproduced"
  echo
  echo "Machine:"
  echo '```'
  cat "$out/machine.txt"
  echo '```'
  for section in envs policy distributed learning reliability; do
    [[ -d "$out/$section" ]] || continue
    echo
    echo "## $section"
    echo
    echo "Commands:"
    echo '```'
    cat "$out/$section/commands.txt"
    echo '```'
    for file in "$out/$section"/*.txt; do
      [[ "$(basename "$file")" == commands.txt ]] && continue
      [[ "$(basename "$file")" == plot-* ]] && continue
      echo
      echo "### $(basename "$file" .txt)"
      echo '```'
      tail -n 40 "$file"
      echo '```'
    done
  done
  echo
  for png in "$out"/learning/*.png; do
    [[ -f "$png" ]] && echo "![$(basename "$png" .png)](learning/$(basename "$png"))"
  done
} > "$out/README.md"
echo "run_all: wrote $out/README.md"
