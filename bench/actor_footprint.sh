#!/usr/bin/env bash
# What an actor process costs: rl_actor (no libtorch) against the training
# program's own actor (libtorch), as local actors of train_ppo on
# CartPole-v1 with 16 envs each (BENCHMARKS.md, "Actor footprint"):
#   bench/actor_footprint.sh [COUNTS="1 2 128"]
# For each count and program (runtime.actor_program rl_actor | trainer):
# the seconds from the training program's start until every actor is ready
# to collect (first weights in), the median time from an actor process's
# own start to that moment (exec and library loading included, 10 ms
# clock), and the mean PSS (its share of shared pages) and RSS of an actor.
set -euo pipefail
cd "$(dirname "$0")/.."
counts=${1:-1 2 128}
out=${BENCH_DIR:-runs/bench-actor-footprint}
bin=${RL_BUILD_DIR:-build}/bin
rm -rf "$out"
mkdir -p "$out"
echo "| actor program | actors | fleet ready (s) | one actor ready (ms, median) | PSS per actor (MB) | RSS per actor (MB) |"
echo "|---|---|---|---|---|---|"
for program in rl_actor trainer; do
  for n in $counts; do
    dir="$out/$program-$n"
    start=$(date +%s.%N)
    "$bin/train_ppo" --env CartPole-v1 --actors "$n" --envs-per-actor 16 --total-steps 100000000000 \
      --run-dir "$dir" --set runtime.actor_program="$program" --set run.eval_episodes=0 \
      --set run.checkpoint_every=0 --set runtime.actor_timeout_seconds=120 > "$dir.log" 2>&1 &
    train=$!
    ready=0
    for _ in $(seq 1 1200); do
      ready=$(grep -c "ready to collect" "$dir.log" || true)
      (( ready >= n )) && break
      sleep 0.1
    done
    fleet=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$start" "$(date +%s.%N)")
    pss=0 rss=0 count=0
    for pid in $(pgrep -P "$train"); do
      read -r p r < <(awk '/^Pss:/ {p=$2} /^Rss:/ {r=$2} END {print p, r}' "/proc/$pid/smaps_rollup" 2> /dev/null || echo "0 0")
      pss=$((pss + p)) rss=$((rss + r)) count=$((count + 1))
    done
    kill -TERM "$train"
    wait "$train" || true
    if (( ready < n )); then
      echo "actor_footprint: only $ready of $n actors were ready within 120 s ($dir.log)" >&2
      exit 1
    fi
    python3 - "$dir.log" "$program" "$n" "$fleet" "$pss" "$rss" "$count" << 'PY'
import re, statistics, sys
log, program, n, fleet, pss, rss, count = sys.argv[1:8]
ms = [float(m) for m in re.findall(r"ready to collect (\d+) ms", open(log).read())]
count = max(int(count), 1)
print(f"| {program} | {n} | {fleet} | {statistics.median(ms):.0f} | {int(pss) / count / 1024:.1f} | "
      f"{int(rss) / count / 1024:.1f} |")
PY
  done
done
