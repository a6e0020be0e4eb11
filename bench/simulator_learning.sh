#!/usr/bin/env bash
# Every preset in configs/ppo/ and configs/appo/, three seeds each, at the
# preset's own step budget, written to BENCH_DIR (default
# runs/bench-simulators) and summarized by bench/summarize_learning.py (one
# Markdown table) and rl_plot (one learning-curve PNG per algorithm and env).
# PPO collects in the learner's process (--actors 0), two runs at a time (one
# per core); APPO runs its preset's actor processes, one run at a time.
# ALGOS, ENVS (preset file names without .yaml) and SEEDS select a subset;
# EXTRA_ARGS go to every run.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_DIR:-runs/bench-simulators}
seeds=${SEEDS:-"1 2 3"}
algos=${ALGOS:-"appo ppo"}
bin=${RL_BUILD_DIR:-build}/bin  # the test suite's smoke run points it at its build
mkdir -p "$out"
start=$(date +%s)

# Cheapest first, so that a run cut short has the most envs done; presets
# not in this list come last.
by_cost=(cartpole acrobot mountaincar mountaincar_continuous pendulum inverted_pendulum lunarlander
  lunarlander_continuous reacher halfcheetah inverted_double_pendulum hopper walker2d swimmer ant
  bipedalwalker humanoid bipedalwalker_hardcore)

presets_of() {
  local algo=$1 env file
  if [[ -n "${ENVS:-}" ]]; then
    for env in $ENVS; do [[ -f "configs/$algo/$env.yaml" ]] && echo "$env"; done
    return 0
  fi
  for env in "${by_cost[@]}"; do [[ -f "configs/$algo/$env.yaml" ]] && echo "$env"; done
  for file in configs/"$algo"/*.yaml; do
    env=$(basename "$file" .yaml)
    [[ " ${by_cost[*]} " == *" $env "* ]] || echo "$env"
  done
  return 0
}

run_job() {
  local algo=$1 env=$2 seed=$3 actors=()
  [[ $algo == ppo ]] && actors=(--actors 0)
  rm -rf "$out/$algo-$env-s$seed"
  if "$bin/train_$algo" --config "configs/$algo/$env.yaml" --seed "$seed" "${actors[@]}" \
      --run-dir "$out/$algo-$env-s$seed" --set run.log_every_seconds=60 ${EXTRA_ARGS:-} \
      > "$out/$algo-$env-s$seed.log" 2>&1; then
    echo "done: $algo-$env-s$seed"
  else
    echo "FAILED: $algo-$env-s$seed (see $out/$algo-$env-s$seed.log)"
  fi
}

for algo in $algos; do
  parallel=1
  [[ $algo == ppo ]] && parallel=2
  running=0
  for env in $(presets_of "$algo"); do
    for seed in $seeds; do
      run_job "$algo" "$env" "$seed" &
      running=$((running + 1))
      if [[ $running -ge $parallel ]]; then wait -n || true; running=$((running - 1)); fi
    done
  done
  wait
done

python3 bench/summarize_learning.py "$out" | tee "$out/table.md"
for algo in $algos; do
  for env in $(presets_of "$algo"); do
    dirs=("$out/$algo-$env"-s*/)
    [[ -d "${dirs[0]}" ]] && "$bin/rl_plot" "${dirs[@]}" -o "$out/$algo-$env.png" \
      --title "$algo $env" > /dev/null 2>&1 || true
  done
done
echo "whole run: $(( $(date +%s) - start )) s" | tee -a "$out/table.md"
