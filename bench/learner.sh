#!/usr/bin/env bash
# The learner pipeline's limits and the end-to-end run, side by side in one
# run (BENCHMARKS.md, "Learner pipeline"):
#   1. the actor limit: rl_bench_pipeline (one actor core: env + batched
#      inference + unroll, no transport), times the number of actors;
#   2. the learner limit: rl_bench_learner, the real learner process fed by
#      M fake actors over loopback (M = 1, 16, 64, 256), with updates and
#      with --no-update (the hub and batcher alone);
#   3. train_impala on CartPole-v1 with 2 actor processes, end to end, and
#      its ratio to the lower of the two limits.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_DIR:-runs/bench-learner}
rm -rf "$out"
mkdir -p "$out"
seconds=${SECONDS_PER_POINT:-4}
bin=${RL_BUILD_DIR:-build}/bin
fleet=${FLEET:-1,16,64,256}           # fake actors of the learner limit (the smoke run: fewer)
ingest_fleet=${INGEST_FLEET:-1,16,64}
steps=${STEPS:-3000000}

"$bin/rl_bench_pipeline" --env CartPole-v1 --num-envs 16 --unroll-length 20 --seconds "$seconds" --json > "$out/actor.json"
"$bin/rl_bench_learner" --actors "$fleet" --seconds "$seconds" --json > "$out/learner.json"
"$bin/rl_bench_learner" --actors "$ingest_fleet" --seconds "$seconds" --no-update --json \
  --set runtime.unrolls_in_flight=128 --set runtime.unroll_queue=16 --set impala.unrolls_per_batch=8 \
  > "$out/ingest.json"
"$bin/train_impala" --config configs/impala/cartpole.yaml --actors 2 --total-steps "$steps" \
  --run-dir "$out/impala-2-actors" --set run.log_every_seconds=1000 > "$out/impala.log" 2>&1

python3 - "$out" <<'PY'
import csv, json, sys
out = sys.argv[1]
actor = json.load(open(f"{out}/actor.json"))["limit_steps_per_second"]
learner = json.load(open(f"{out}/learner.json"))["fleet"]
ingest = json.load(open(f"{out}/ingest.json"))["fleet"]
print(f"actor limit: {actor:,.0f} env steps/s per actor core; 2 actors: {2 * actor:,.0f}")
print("\n| fake actors | ingest env steps/s | updates/s | weight copies/s | learner cores | hub share of a core | update rate vs 1 actor |")
print("|---|---|---|---|---|---|---|")
for r in learner:
    print(f"| {r['actors']} | {r['ingest_env_steps_per_second']:,.0f} | {r['updates_per_second']:,.0f} | "
          f"{r['weight_copies_per_second']:,.0f} | {r['learner_cpu_share']:.2f} | {r['hub_cpu_share']:.2f} | "
          f"{r['update_rate_vs_first']:.2f} |")
print("\n--no-update (hub and batcher alone; 8-unroll batches, 128 in flight):\n")
print("| fake actors | ingest env steps/s | per learner core-second | learner cores | hub share of a core |")
print("|---|---|---|---|---|")
for r in ingest:
    print(f"| {r['actors']} | {r['ingest_env_steps_per_second']:,.0f} | {r['ingest_per_learner_core_second']:,.0f} | "
          f"{r['learner_cpu_share']:.2f} | {r['hub_cpu_share']:.2f} |")
learner_limit = learner[0]["ingest_env_steps_per_second"]
s = json.load(open(f"{out}/impala-2-actors/summary.json"))
rows = list(csv.DictReader(open(f"{out}/impala-2-actors/metrics.csv")))
e2e = s["env_steps_per_second"]
lower = min(2 * actor, learner_limit)
print(f"\ntrain_impala, 2 actor processes: {e2e:,.0f} env steps/s end to end; learner limit {learner_limit:,.0f}, "
      f"actor limit {2 * actor:,.0f}: {e2e / lower:.2f} of the lower; policy lag {float(rows[-1]['policy_lag_mean']):.1f}; "
      f"wait fraction {float(rows[-1]['wait_fraction']):.2f}; eval {s['final_eval_mean_return']:.1f}")
PY
