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
# ROUNDS (default 1) repeats all three; each round's ratio is printed and,
# with more than one, their median (this machine's noise is a few percent
# from one run to the next).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_DIR:-runs/bench-minatar}
steps=${STEPS:-1000000}
seconds=${SECONDS_PER_POINT:-4}
rm -rf "$out"
mkdir -p "$out"
env=MinAtar/Breakout-v0
bin=${RL_BUILD_DIR:-build}/bin

rounds=${ROUNDS:-1}
for round in $(seq 1 "$rounds"); do
  dir="$out/round-$round"
  mkdir -p "$dir"
  "$bin"/rl_bench_pipeline --env "$env" --encoder minatar_cnn --num-envs 4 --unroll-length 20 \
    --seconds "$seconds" --json > "$dir/actor.json"
  "$bin"/rl_bench_learner --env "$env" --num-envs 4 --unroll-length 20 --actors 2,8 --seconds "$seconds" \
    --json > "$dir/learner.json"
  "$bin"/train_impala --env "$env" --total-steps "$steps" --run-dir "$dir/impala-2-actors" \
    --set run.log_every_seconds=1000 --set run.eval_episodes=0 > "$dir/impala.log" 2>&1
done

python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
ratios = []
for round in range(1, rounds + 1):
    dir = f"{out}/round-{round}"
    actor = json.load(open(f"{dir}/actor.json"))["limit_steps_per_second"]
    fleet = json.load(open(f"{dir}/learner.json"))["fleet"]
    run = json.load(open(f"{dir}/impala-2-actors/summary.json"))
    learner = max(r["ingest_env_steps_per_second"] for r in fleet)
    lower = min(2 * actor, learner)
    ratio = run["env_steps_per_second"] / lower
    ratios.append(ratio)
    print(f"round {round}:")
    print(f"  actor limit: {actor:,.0f} env steps/s per actor core; 2 actors: {2 * actor:,.0f}")
    for r in fleet:
        print(f"  learner limit with {r['actors']} fake actors: {r['ingest_env_steps_per_second']:,.0f} env steps/s, "
              f"{r['updates_per_second']:,.0f} updates/s, learner {r['learner_cpu_share']:.2f} cores")
    print(f"  end to end, 2 actor processes: {run['env_steps_per_second']:,.0f} env steps/s "
          f"({run['total_env_steps']:,} steps in {run['wall_seconds']:.0f} s)")
    print(f"  ratio to the lower limit ({lower:,.0f}): {ratio:.2f}")
if rounds > 1:
    print(f"ratio to the lower limit, median of {rounds} rounds: {statistics.median(ratios):.2f} "
          f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)})")
PY
