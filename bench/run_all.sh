#!/usr/bin/env bash
# Reproduces BENCHMARKS.md: every throughput table and every learning run,
# with the learning curves drawn by rl_plot. Writes OUT (default
# runs/bench-all-<date>) with one folder per section, each holding the
# exact commands it ran (commands.txt) and their output, plus machine.txt
# (CPU, cores, memory, OS, compiler, BLAS) and a README.md that gathers
# the tables and links the pictures.
#
#   bench/run_all.sh [--quick] [OUT]
#
# --quick (3 minutes here): shorter measurements, one seed per learning run
# and only the fast simulator ones (HalfCheetah, LunarLander). The full run
# takes about 23 minutes (with the 10-minute soak). Do not rebuild while it runs: the programs load
# the project's shared libraries as they start.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
if [[ "${1:-}" == "--quick" ]]; then quick=1; shift; fi
out=${1:-runs/bench-all-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
bin=build/bin
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
# 1. Env stepping: every env, k = 1 and 16 (issue 2 and 5 tables).
for k in 1 16; do
  run envs "envs-k$k" $bin/rl_bench_env --num-envs $k --seconds $seconds
done
# 2. The small-policy fast path (issue 8).
run policy policy $bin/rl_bench_policy --seconds $([[ $quick == 1 ]] && echo 0.5 || echo 2) --rounds 3
# 3. Distributed runtime (issue 4).
run distributed distributed env BENCH_DIR="$out/distributed/runs" bench/distributed.sh
# 4. Learning (issues 3 and 5), then the curves.
if [[ $quick == 1 ]]; then
  run learning classic env SEEDS=1 BENCH_DIR="$out/learning/classic" bench/learning.sh
  run learning simulators env SEEDS=1 ENVS="halfcheetah lunarlander" BENCH_DIR="$out/learning/simulators" \
    bench/simulator_learning.sh
else
  run learning classic env BENCH_DIR="$out/learning/classic" bench/learning.sh
  run learning simulators env BENCH_DIR="$out/learning/simulators" bench/simulator_learning.sh
fi
# 5. Reliability (issue 7): the soak (10 min) and 60 s of fuzzing, full mode only.
if [[ $quick == 0 ]]; then
  run reliability soak env BENCH_DIR="$out/reliability/soak" bench/soak.sh 10 20
  run reliability fuzz bench/fuzz_wire.sh 60
fi
for group in classic simulators; do
  for dir in "$out/learning/$group"/*/; do
    [[ -f "$dir/metrics.csv" ]] || continue
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
