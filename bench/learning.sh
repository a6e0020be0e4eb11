#!/usr/bin/env bash
# Learning benchmarks of the learning-core issue, three seeds each, written
# to BENCH_DIR (default runs/bench-learning) and summarized as a Markdown
# table by bench/summarize_learning.py:
#   PPO on CartPole-v1 (100k steps; env steps and wall time to first reach 475),
#   PPO on Acrobot-v1 (300k steps; target -100), PPO on Pendulum-v1 (500k;
#   target -250), IMPALA on CartPole-v1 (500k; target 475).
# In-process collection (--actors 0: the learning-core figures; bench/distributed.sh
# measures actor processes). Runs two trainings at a time (one per core).
# EXTRA_ARGS go to every training, e.g. EXTRA_ARGS="--fast-path off" for the
# libtorch reference path.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_DIR:-runs/bench-learning}
seeds=${SEEDS:-"1 2 3"}
bin=${RL_BUILD_DIR:-build}/bin  # the test suite's smoke run points it at its build
mkdir -p "$out"

jobs=()
for seed in $seeds; do
  jobs+=("train_ppo configs/ppo/cartpole.yaml ppo-cartpole-s$seed $seed")
  jobs+=("train_ppo configs/ppo/acrobot.yaml ppo-acrobot-s$seed $seed")
  jobs+=("train_ppo configs/ppo/pendulum.yaml ppo-pendulum-s$seed $seed")
  jobs+=("train_impala configs/impala/cartpole.yaml impala-cartpole-s$seed $seed")
done

run_job() {
  local program=$1 config=$2 name=$3 seed=$4
  rm -rf "$out/$name"
  "$bin/$program" --config "$config" --seed "$seed" --actors 0 --run-dir "$out/$name" \
    --set run.log_every_seconds=60 ${EXTRA_ARGS:-} > "$out/$name.log" 2>&1
  echo "done: $name"
}

running=0
for job in "${jobs[@]}"; do
  run_job $job &
  running=$((running + 1))
  if [[ $running -ge 2 ]]; then wait -n; running=$((running - 1)); fi
done
wait
python3 bench/summarize_learning.py "$out"
