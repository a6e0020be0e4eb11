#!/usr/bin/env bash
# IMPALA on MinAtar Breakout with the minatar_cnn preset, end to end, next to
# its two limits measured in the same run (BENCHMARKS.md, "MinAtar"):
#   1. the actor limit: rl_bench_pipeline (one actor core: env + batched CNN
#      inference + unroll, no transport) with the preset's 4 envs x 20 steps,
#      times the 2 actors;
#   2. the learner limit: rl_bench_learner, the real learner process with
#      the preset (80-sample updates of the CNN) fed by 2 and 8 fake actors;
#   3. train_impala with the preset and 2 actor processes for STEPS env steps,
#      and its ratio to the lower of the two limits.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_DIR:-runs/bench-minatar}
steps=${STEPS:-1000000}
seconds=${SECONDS_PER_POINT:-4}
rm -rf "$out"
mkdir -p "$out"
env=MinAtar/Breakout-v0
bin=${RL_BUILD_DIR:-build}/bin

"$bin"/rl_bench_pipeline --env "$env" --encoder minatar_cnn --num-envs 4 --unroll-length 20 \
  --seconds "$seconds" --json > "$out/actor.json"
"$bin"/rl_bench_learner --env "$env" --num-envs 4 --unroll-length 20 --actors 2,8 --seconds "$seconds" \
  --json > "$out/learner.json"
"$bin"/train_impala --env "$env" --total-steps "$steps" --run-dir "$out/impala-2-actors" \
  --set run.log_every_seconds=1000 --set run.eval_episodes=0 > "$out/impala.log" 2>&1

python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
actor = json.load(open(f"{out}/actor.json"))["limit_steps_per_second"]
fleet = json.load(open(f"{out}/learner.json"))["fleet"]
run = json.load(open(f"{out}/impala-2-actors/summary.json"))
learner = max(r["ingest_env_steps_per_second"] for r in fleet)
lower = min(2 * actor, learner)
print(f"actor limit: {actor:,.0f} env steps/s per actor core; 2 actors: {2 * actor:,.0f}")
for r in fleet:
    print(f"learner limit with {r['actors']} fake actors: {r['ingest_env_steps_per_second']:,.0f} env steps/s, "
          f"{r['updates_per_second']:,.0f} updates/s, learner {r['learner_cpu_share']:.2f} cores")
print(f"end to end, 2 actor processes: {run['env_steps_per_second']:,.0f} env steps/s "
      f"({run['total_env_steps']:,} steps in {run['wall_seconds']:.0f} s)")
print(f"ratio to the lower limit ({lower:,.0f}): {run['env_steps_per_second'] / lower:.2f}")
PY
