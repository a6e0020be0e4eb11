#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the
# main job: PPO on CartPole-v1 (the tuned preset, 100k env steps, about 20 s
# here), then rl_eval on the trained checkpoint.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh train_ppo rl_eval
run_dir=runs/ppo-cartpole-$(date +%Y%m%d-%H%M%S)
build/bin/train_ppo --config configs/ppo/cartpole.yaml --seed 1 --run-dir "$run_dir"
build/bin/rl_eval --checkpoint "$run_dir/checkpoints/latest" --episodes 100 --deterministic
