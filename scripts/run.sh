#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the
# main job: PPO on CartPole-v1 with two actor processes (the tuned preset's
# 256-sample batch as 2 actors x 4 envs x 32 steps, 150k env steps, about
# 4 s here), then rl_eval on the trained checkpoint.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh train_ppo rl_eval
run_dir=runs/ppo-cartpole-$(date +%Y%m%d-%H%M%S)
build/bin/train_ppo --config configs/ppo/cartpole.yaml --seed 1 --actors 2 --envs-per-actor 4 \
  --unroll-length 32 --total-steps 150000 --run-dir "$run_dir"
build/bin/rl_eval --checkpoint "$run_dir/checkpoints/latest" --episodes 100 --deterministic
