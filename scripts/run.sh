#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the
# main job: a random-policy rollout of CartPole-v1 through rl_eval.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh rl_eval
build/bin/rl_eval --list-envs
build/bin/rl_eval --env CartPole-v1 --policy random --episodes 100 --seed 1
