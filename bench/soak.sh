#!/usr/bin/env bash
# Soak: train_impala on CartPole-v1 with 2 local actors for MINUTES, one
# actor SIGKILLed every KILL_EVERY seconds (none in the first and last
# minute), then a clean stop (SIGTERM):
#   bench/soak.sh [MINUTES=10] [KILL_EVERY=20]
# SOAK_SECONDS overrides MINUTES (the test suite's smoke run: a few seconds).
# Prints env steps, restarts, messages dropped by reason, and the env step
# rate before the first kill, while killing, and after the last kill
# (BENCHMARKS.md, "Soak").
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
every=${2:-20}
out=${BENCH_DIR:-runs/bench-soak}
rm -rf "$out"
mkdir -p "$out"
total=${SOAK_SECONDS:-$((minutes * 60))}
bin=${RL_BUILD_DIR:-build}/bin
quiet=60
[[ $total -le $((2 * quiet)) ]] && quiet=$((total / 4))

"$bin/train_impala" --config configs/impala/cartpole.yaml --actors 2 --total-steps 100000000000 \
  --run-dir "$out/run" --set run.log_every_seconds=1 --set runtime.max_restarts=100000 \
  --set run.checkpoint_every=1000000000 --set run.eval_episodes=5 > "$out/train.log" 2>&1 &
train=$!
SECONDS=0
sleep "$quiet"
kills=0
while (( SECONDS < total - quiet )); do
  actors=($(pgrep -P "$train" || true))
  if [[ ${#actors[@]} -gt 0 ]]; then
    victim=${actors[$((RANDOM % ${#actors[@]}))]}
    kill -KILL "$victim" 2> /dev/null && kills=$((kills + 1))
  fi
  sleep "$every"
done
(( SECONDS < total )) && sleep $((total - SECONDS))
kill -TERM "$train"
wait "$train" || true

python3 - "$out" "$kills" <<'PY'
import csv, sys
out, kills = sys.argv[1], int(sys.argv[2])
rows = list(csv.DictReader(open(f"{out}/run/metrics.csv")))
t0 = float(rows[0]["wall_seconds"])
# The kills show in the metrics as increments of actor_restarts.
kill_times = [float(b["wall_seconds"]) - t0 for a, b in zip(rows, rows[1:])
              if float(b["actor_restarts"]) > float(a["actor_restarts"])]
def rate(a, b):
    sel = [r for r in rows if a <= float(r["wall_seconds"]) - t0 <= b]
    if len(sel) < 2: return float("nan")
    return (float(sel[-1]["env_steps"]) - float(sel[0]["env_steps"])) / (float(sel[-1]["wall_seconds"]) - float(sel[0]["wall_seconds"]))
last = rows[-1]
span = float(last["wall_seconds"]) - t0
first_kill, last_kill = (kill_times[0], kill_times[-1]) if kill_times else (span, span)
print(f"soak: {span / 60:.1f} min, {kills} actors killed, {int(float(last['actor_restarts']))} restarts")
print(f"env steps: {int(float(last['env_steps'])):,}   episode return (last 100): {float(last['episode_return_mean']):.1f}")
drops = {k[len('dropped_'):]: int(float(v)) for k, v in last.items() if k.startswith("dropped_") and v and float(v) > 0}
print(f"dropped messages: {int(float(last['dropped_messages']))} {drops if drops else ''}")
print(f"env steps/s before the first kill: {rate(0, first_kill - 1):,.0f}")
print(f"env steps/s while killing:         {rate(first_kill, last_kill):,.0f}")
print(f"env steps/s after the last kill:   {rate(last_kill + 5, span):,.0f}")
PY
