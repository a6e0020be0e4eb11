#!/usr/bin/env bash
# Distributed-runtime benchmarks, side by side in one run (BENCHMARKS.md):
#   1. the actor-side limit (rl_bench_pipeline: env + batched inference, no
#      transport) and the wire cost per env step;
#   2. train_impala on CartPole-v1 with 1 and 2 actor processes: end-to-end
#      env steps per second (summary.json) and its ratio to the limit;
#   3. train_ppo on CartPole-v1 with 2 actors: wall time to a mean training
#      return of 475.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_DIR:-runs/bench-distributed}
bin=${RL_BUILD_DIR:-build}/bin
impala_steps=${IMPALA_STEPS:-1000000}  # smaller sizes: the test suite's smoke run
ppo_steps=${PPO_STEPS:-150000}
seconds=${SECONDS_PER_POINT:-3}
rm -rf "$out"
mkdir -p "$out"

limit_json=$("$bin/rl_bench_pipeline" --env CartPole-v1 --num-envs 16 --unroll-length 20 --seconds "$seconds" --json)
echo "$limit_json" > "$out/limit.json"
"$bin/rl_bench_pipeline" --env CartPole-v1 --num-envs 16 --unroll-length 20 --seconds "$seconds"

for actors in 1 2; do
  "$bin/train_impala" --config configs/impala/cartpole.yaml --actors "$actors" --total-steps "$impala_steps" \
    --run-dir "$out/impala-$actors-actors" --set run.log_every_seconds=100 > "$out/impala-$actors-actors.log" 2>&1
done
"$bin/train_ppo" --config configs/ppo/cartpole.yaml --actors 2 --envs-per-actor 4 --unroll-length 32 \
  --total-steps "$ppo_steps" --run-dir "$out/ppo-2-actors" --set run.log_every_seconds=100 > "$out/ppo-2-actors.log" 2>&1

python3 - "$out" <<'PY'
import csv, json, sys
out = sys.argv[1]
limit = json.load(open(f"{out}/limit.json"))["limit_steps_per_second"]
print(f"\nlimit, one actor core: {limit:,.0f} env steps/s")
for actors in (1, 2):
    s = json.load(open(f"{out}/impala-{actors}-actors/summary.json"))
    rows = list(csv.DictReader(open(f"{out}/impala-{actors}-actors/metrics.csv")))
    sps = s["env_steps_per_second"]
    print(f"impala, {actors} actor(s): {sps:,.0f} env steps/s end to end, {sps / limit:.2f} of one actor "
          f"core's limit; wait fraction {float(rows[-1]['wait_fraction']):.3f}, policy lag "
          f"{float(rows[-1]['policy_lag_mean']):.1f}, eval {s['final_eval_mean_return']:.1f}, "
          f"{float(rows[-1]['bytes_received']) / s['total_env_steps']:.1f} bytes received per env step")
rows = list(csv.DictReader(open(f"{out}/ppo-2-actors/metrics.csv")))
first = next((r for r in rows if r["episode_return_mean"] and float(r["episode_return_mean"]) >= 475), None)
s = json.load(open(f"{out}/ppo-2-actors/summary.json"))
if first:
    print(f"ppo, 2 actors: training return reached 475 at {int(float(first['env_steps'])):,} env steps, "
          f"{float(first['wall_seconds']):.1f} s; eval {s['final_eval_mean_return']:.1f}; run {s['wall_seconds']:.1f} s")
else:
    print("ppo, 2 actors: training return did not reach 475")
PY
