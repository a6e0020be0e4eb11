#!/usr/bin/env bash
# Where inference runs (runtime.inference: actor | host | learner), measured
# on real training runs of train_impala with local actor processes
# (BENCHMARKS.md, "Inference placements"; docs/scaling.md):
#
#   bench/placements.sh [--smoke]
#
# 1. CartPole-v1 (64-64 MLP) and MinAtar Breakout (minatar_cnn) with 2, 8
#    and 32 actor processes under each placement: env steps/s, rows per
#    forward pass of the inference server, the memory (PSS) of an actor
#    process and of the inference process, and the run's final evaluation.
# 2. nature_cnn on 84x84x4 frames (Synthetic/Image84-v0, a plugin whose
#    simulator costs nothing), 16 actors of 4 envs: env steps/s of each
#    placement, in alternating rounds. The learner assembles its batches and
#    discards them (runtime.discard_batches), so that the rate is the
#    actors' and their inference's, not the CNN's training on this CPU.
# --smoke: one fleet, a few thousand steps each (the test suite's run).
# PARTS="fleets nature" (the default) picks the parts to run.
# Results: $BENCH_DIR (default runs/bench-placements)/results.jsonl, and
# markdown tables on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${RL_BUILD_DIR:-build}
bin=$build/bin
plugin=$build/lib/librl_bench_image_env.so
out=${BENCH_DIR:-runs/bench-placements}
smoke=0
[[ "${1:-}" == "--smoke" ]] && smoke=1
if (( smoke )); then
  fleets="2" cartpole_steps=20000 breakout_steps=8000 nature_steps=2000 rounds=1 nature_actors=2
else
  fleets="2 8 32" cartpole_steps=400000 breakout_steps=1000000 nature_steps=60000 rounds=5 nature_actors=16
fi
for needed in "$bin/train_impala" "$bin/rl_actor" "$plugin"; do
  [[ -e "$needed" ]] || { echo "placements: $needed is missing (build it first)" >&2; exit 1; }
done
rm -rf "$out"
mkdir -p "$out"

# The PSS (kB) of the processes named on stdin, summed, and their count.
pss_of() {
  local total=0 count=0 p
  while read -r pid; do
    p=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2> /dev/null || echo "")
    [[ -n "$p" ]] || continue
    total=$((total + p)) count=$((count + 1))
  done
  echo "$total $count"
}

is_server() { grep -qa -- --serve-inference "/proc/$1/cmdline" 2> /dev/null; }

# run NAME PLACEMENT ARGS...: one training run; its figures go to results.jsonl.
run() {
  local name=$1 placement=$2
  shift 2
  local dir="$out/$name"
  "$bin/train_impala" "$@" --set runtime.inference="$placement" --run-dir "$dir" --set run.checkpoint_every=0 \
    > "$dir.log" 2>&1 &
  local train=$! actors="0 0" server="0 0"
  # The memory, sampled while the run is under way (the last sample stays).
  while kill -0 "$train" 2> /dev/null; do
    local children
    children=$(pgrep -P "$train" || true)
    if [[ -n "$children" ]]; then
      local a s
      a=$(for c in $children; do is_server "$c" || echo "$c"; done | pss_of)
      s=$(for c in $children; do if is_server "$c"; then echo "$c"; fi; done | pss_of)
      [[ "$a" == "0 0" ]] || actors=$a
      [[ "$s" == "0 0" ]] || server=$s
    fi
    sleep 0.5
  done
  if ! wait "$train"; then
    echo "placements: the run $name failed ($dir.log):" >&2
    tail -5 "$dir.log" >&2
    exit 1
  fi
  python3 - "$dir" "$name" "$placement" "$actors" "$server" >> "$out/results.jsonl" << 'PY'
import csv, json, sys
folder, name, placement, actors, server = sys.argv[1:6]
summary = json.load(open(f"{folder}/summary.json"))
row = list(csv.DictReader(open(f"{folder}/metrics.csv")))[-1]
a_kb, a_n = map(int, actors.split())
s_kb, s_n = map(int, server.split())
print(json.dumps({
    "name": name, "placement": placement, "env": summary["env"],
    "env_steps_per_second": summary["env_steps_per_second"],
    "final_eval_mean_return": summary.get("final_eval_mean_return"),
    "rows_per_forward": float(row["inference_rows_per_batch"]) if row.get("inference_rows_per_batch") else None,
    "actor_pss_mb": a_kb / max(a_n, 1) / 1024, "actor_processes": a_n,
    "server_pss_mb": s_kb / 1024 if s_n else None,
}))
PY
}

parts=${PARTS:-"fleets nature"}
[[ " $parts " == *" fleets "* ]] || fleets=""
[[ " $parts " == *" nature "* ]] || rounds=0
for fleet in $fleets; do
  for placement in actor host learner; do
    run "cartpole-$fleet-$placement" "$placement" --env CartPole-v1 --actors "$fleet" --total-steps "$cartpole_steps" \
      --set run.eval_episodes=20
    run "breakout-$fleet-$placement" "$placement" --env MinAtar/Breakout-v0 --actors "$fleet" \
      --total-steps "$breakout_steps" --set run.eval_episodes=20
  done
done
for round in $(seq 1 "$rounds"); do
  for placement in actor host learner; do
    run "nature-r$round-$placement" "$placement" --no-preset --env Synthetic/Image84-v0 --env-plugin "$plugin" \
      --set policy.encoder=nature_cnn --actors "$nature_actors" --envs-per-actor 4 --unroll-length 20 \
      --total-steps "$nature_steps" --set run.eval_episodes=0 --set runtime.discard_batches=true \
      --set runtime.unrolls_in_flight=$((2 * nature_actors)) --set runtime.inference_threads=2
  done
done

python3 - "$out/results.jsonl" "$nature_actors" << 'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
nature_actors = sys.argv[2]
def fmt(v, spec):
    return "" if v is None else format(v, spec)
print("| env | actors | placement | env steps/s | rows per forward | PSS per actor (MB) | inference process PSS (MB) | final eval (20 episodes) |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    if r["name"].startswith("nature"):
        continue
    env, fleet, _ = r["name"].split("-")
    print(f"| {r['env']} | {fleet} | {r['placement']} | {r['env_steps_per_second']:,.0f} | {fmt(r['rows_per_forward'], '.1f')} "
          f"| {r['actor_pss_mb']:.1f} | {fmt(r['server_pss_mb'], '.0f')} | {fmt(r['final_eval_mean_return'], '.1f')} |")
print()
by = {}
for r in rows:
    if r["name"].startswith("nature"):
        by.setdefault(r["placement"], []).append(r["env_steps_per_second"])
if by:
    print(f"| nature_cnn, 84x84x4, {nature_actors} actors | env steps/s per round | median | vs actor |")
    print("|---|---|---|---|")
    base = statistics.median(by["actor"])
    for placement, rates in by.items():
        median = statistics.median(rates)
        print(f"| {placement} | {', '.join(f'{v:,.0f}' for v in rates)} | {median:,.0f} | {median / base:.2f}x |")
PY
