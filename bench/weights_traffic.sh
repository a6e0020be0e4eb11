#!/usr/bin/env bash
# The learner's outbound and inbound bytes per env step (its host's
# interface counters), with the learner alone on one namespace host and
# 2, 8 or 32 actor processes spread over 1, 2 or 4 other hosts (a host agent
# per host, `--role actor --actors N/H`): weights out against unrolls in
# (BENCHMARKS.md, "Weights traffic"). IMPALA CartPole-v1, the preset.
#
#   bench/weights_traffic.sh [STEPS=2000000] [DTYPE=f32] [EXTRA learner flags...]
# ACTOR_COUNTS and HOST_COUNTS choose the grid (default "2 8 32" and "1 2 4").
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-2000000}
dtype=${2:-f32}
shift $(( $# > 2 ? 2 : $# ))
extra=("$@")
out=${BENCH_DIR:-runs/bench-weights}
mkdir -p "$out"
out=$(cd "$out" && pwd)  # absolute: the runs start in namespaces, and BENCH_DIR may be relative
source bench/netns.sh
trap netns_down EXIT
netns_up 5
bin=$(cd "${RL_BUILD_DIR:-build}" && pwd)/bin
echo "| actors | hosts | env steps/s | updates/s | out B/step | in B/step | out / in | weight copies per version | eval |"
echo "|---|---|---|---|---|---|---|---|---|"
for actors in ${ACTOR_COUNTS:-2 8 32}; do
  for hosts in ${HOST_COUNTS:-1 2 4}; do
    (( actors % hosts == 0 )) || continue
    dir="$out/$actors-$hosts-$dtype"
    rm -rf "$dir"
    endpoint="tcp://$(netns_address 1):5555"
    netns_exec 1 "$bin/train_impala" --config configs/impala/cartpole.yaml --role learner --actors 0 \
      --bind "$endpoint" --total-steps "$steps" --run-dir "$dir" --set "runtime.min_actors=$actors" \
      --set "runtime.weights_dtype=$dtype" --set run.log_every_seconds=1000 "${extra[@]}" > "$dir.log" 2>&1 &
    learner=$!
    for _ in $(seq 1 100); do grep -q "listening on" "$dir.log" 2> /dev/null && break; sleep 0.1; done
    tx0=$(netns_bytes 1 tx); rx0=$(netns_bytes 1 rx)
    pids=()
    for h in $(seq 2 $((hosts + 1))); do
      netns_exec "$h" "$bin/train_impala" --role actor --learner "$endpoint" --actors $((actors / hosts)) \
        > "$dir.actors-$h.log" 2>&1 &
      pids+=($!)
    done
    wait "$learner" || echo "weights_traffic: the learner failed ($dir.log)" >&2
    tx=$(( $(netns_bytes 1 tx) - tx0 )); rx=$(( $(netns_bytes 1 rx) - rx0 ))
    wait "${pids[@]}" 2> /dev/null || true
    python3 - "$dir" "$actors" "$hosts" "$tx" "$rx" << 'PY'
import csv, json, sys
d, actors, hosts, tx, rx = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
s = json.load(open(f"{d}/summary.json"))
m = list(csv.DictReader(open(f"{d}/metrics.csv")))[-1]
steps = s["total_env_steps"]
copies = float(m["weights_copies_sent"]) / max(float(m["weights_versions_published"]), 1)
print(f"| {actors} | {hosts} | {s['env_steps_per_second']:,.0f} | {float(m['updates_per_second']):,.0f} | "
      f"{tx / steps:.1f} | {rx / steps:.1f} | {tx / rx:.2f} | {copies:.2f} | {s.get('final_eval_mean_return', 0):.0f} |")
PY
  done
done
