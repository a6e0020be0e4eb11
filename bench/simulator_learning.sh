#!/usr/bin/env bash
# PPO on the simulator envs of issue 5, 1M env steps, three seeds each,
# with the presets in configs/ppo/ (HalfCheetah, Hopper, Walker2d: CleanRL's
# settings; LunarLander: rl-zoo's), written to BENCH_DIR (default
# runs/bench-simulators) and summarized by bench/summarize_learning.py.
# Collection in the learner's process (--actors 0); two runs at a time (one
# per core). EXTRA_ARGS go to every run; ENVS and SEEDS select a subset.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_DIR:-runs/bench-simulators}
seeds=${SEEDS:-"1 2 3"}
envs=${ENVS:-"halfcheetah hopper walker2d lunarlander"}
mkdir -p "$out"

jobs=()
for seed in $seeds; do
  for env in $envs; do jobs+=("$env $seed"); done
done

run_job() {
  local env=$1 seed=$2
  rm -rf "$out/ppo-$env-s$seed"
  build/bin/train_ppo --config "configs/ppo/$env.yaml" --seed "$seed" --actors 0 \
    --run-dir "$out/ppo-$env-s$seed" --set run.log_every_seconds=60 ${EXTRA_ARGS:-} \
    > "$out/ppo-$env-s$seed.log" 2>&1
  echo "done: ppo-$env-s$seed"
}

running=0
for job in "${jobs[@]}"; do
  run_job $job &
  running=$((running + 1))
  if [[ $running -ge 2 ]]; then wait -n; running=$((running - 1)); fi
done
wait
python3 bench/summarize_learning.py "$out"
