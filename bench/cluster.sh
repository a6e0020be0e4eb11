#!/usr/bin/env bash
# One host against four (BENCHMARKS.md, "Across hosts"): the same IMPALA
# CartPole-v1 run with 6 actor processes, (a) all on the learner's host,
# (b) a learner host and 3 actor hosts of 2 actors each (network
# namespaces, host agents), (c) as (b) with every actor host's link capped
# at 100 Mbit/s (tbf). Env steps per second, bytes per env step in and out
# of the learner host, weight bytes per update, policy lag, evaluation.
#
#   bench/cluster.sh [STEPS=3000000]
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-3000000}
out=${BENCH_DIR:-runs/bench-cluster}
mkdir -p "$out"
out=$(cd "$out" && pwd)  # absolute: the runs start in namespaces, and BENCH_DIR may be relative
source bench/netns.sh
trap netns_down EXIT
netns_up 4
bin=$(cd "${RL_BUILD_DIR:-build}" && pwd)/bin
endpoint="tcp://$(netns_address 1):5555"
common=(--config configs/impala/cartpole.yaml --total-steps "$steps" --set run.log_every_seconds=1000 ${CLUSTER_EXTRA:-})

report() {  # name dir tx rx
  python3 - "$@" << 'PY'
import csv, json, sys
name, d, tx, rx = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = json.load(open(f"{d}/summary.json"))
rows = list(csv.DictReader(open(f"{d}/metrics.csv")))
m = rows[-1]
steps, updates = s["total_env_steps"], float(m["updates"])
lags = [float(r["policy_lag_mean"]) for r in rows if r.get("policy_lag_mean")]
wb = float(m.get("weights_bytes_sent") or 0)
print(f"| {name} | {s['env_steps_per_second']:,.0f} | {tx / steps:.1f} | {rx / steps:.1f} | "
      f"{wb / max(updates, 1):,.0f} | {sum(lags) / max(len(lags), 1):.2f} | {s.get('final_eval_mean_return', 0):.0f} |")
PY
}

echo "| setup | env steps/s | out B/step (learner host) | in B/step | weight bytes per update | policy lag mean | eval |"
echo "|---|---|---|---|---|---|---|"
# (a) one host: the learner and its 6 local actors in one namespace.
rm -rf "$out/one-host"
tx0=$(netns_bytes 1 tx); rx0=$(netns_bytes 1 rx)
netns_exec 1 "$bin/train_impala" "${common[@]}" --actors 6 --run-dir "$out/one-host" > "$out/one-host.log" 2>&1
report "one host, 6 local actors" "$out/one-host" $(( $(netns_bytes 1 tx) - tx0 )) $(( $(netns_bytes 1 rx) - rx0 ))

run_spread() {  # name dir
  rm -rf "$2"
  netns_exec 1 "$bin/train_impala" "${common[@]}" --role learner --actors 0 --bind "$endpoint" --run-dir "$2" \
    --set runtime.min_actors=6 > "$2.log" 2>&1 &
  local learner=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$2.log" 2> /dev/null && break; sleep 0.1; done
  local tx0 rx0 pids=()
  tx0=$(netns_bytes 1 tx); rx0=$(netns_bytes 1 rx)
  for h in 2 3 4; do
    netns_exec "$h" "$bin/train_impala" --role actor --learner "$endpoint" --actors 2 > "$2.actors-$h.log" 2>&1 &
    pids+=($!)
  done
  wait "$learner"
  local tx=$(( $(netns_bytes 1 tx) - tx0 )) rx=$(( $(netns_bytes 1 rx) - rx0 ))
  wait "${pids[@]}" 2> /dev/null || true
  report "$1" "$2" "$tx" "$rx"
}
run_spread "4 hosts: learner + 3 actor hosts x 2" "$out/four-hosts"
for h in 2 3 4; do netns_rate "$h" 100mbit; done
run_spread "4 hosts, actor links at 100 Mbit/s" "$out/four-hosts-100mbit"
