#!/usr/bin/env bash
# Learning as the fleet grows (BENCHMARKS.md, "Fleets"): IMPALA (or APPO,
# ALGO=appo) on CartPole-v1 and LunarLander-v3 with 2, 8, 32 and 128 actor
# processes on this machine (oversubscribed: the fleet takes turns on the
# cores), from the presets in configs/impala/ (configs/appo/). For each: env steps per second, policy
# lag (mean over the run's updates, and the largest), the final
# deterministic evaluation, and a plot of return against env steps per
# fleet size (rl_plot).
#
#   bench/fleet.sh [FLEETS="2 8 32 128"] [ENVS="CartPole-v1 LunarLander-v3"]
#
# Environment: ALGO (impala | appo), BENCH_DIR (runs/bench-fleet, or
# runs/bench-fleet-appo), CARTPOLE_STEPS (3000000 for IMPALA, the preset's
# for APPO), LUNARLANDER_STEPS (the preset's), SEED (1).
set -euo pipefail
cd "$(dirname "$0")/.."
algo=${ALGO:-impala}
if [[ $algo == impala ]]; then out=${BENCH_DIR:-runs/bench-fleet}; else out=${BENCH_DIR:-runs/bench-fleet-$algo}; fi
fleets=${1:-"2 8 32 128"}
envs=${2:-"CartPole-v1 LunarLander-v3"}
seed=${SEED:-1}
bin=${RL_BUILD_DIR:-build}/bin  # the test suite's smoke run points it at its build
mkdir -p "$out"

for env in $envs; do
  case $env in
    CartPole-v1) preset=configs/$algo/cartpole.yaml
                 steps=${CARTPOLE_STEPS:-$([[ $algo == impala ]] && echo 3000000 || true)} ;;
    LunarLander-v3) preset=configs/$algo/lunarlander.yaml; steps=${LUNARLANDER_STEPS:-} ;;
    *) echo "fleet.sh: no $algo preset for $env" >&2; exit 2 ;;
  esac
  for n in $fleets; do
    dir="$out/$env-$n"
    rm -rf "$dir"
    args=(--config "$preset" --actors "$n" --seed "$seed" --run-dir "$dir" --set run.log_every_seconds=1000)
    [[ -n "$steps" ]] && args+=(--total-steps "$steps")
    echo "fleet.sh: $env, $n actor processes" >&2
    /usr/bin/time -f "%e" -o "$dir.time" "$bin/train_$algo" "${args[@]}" > "$dir.log" 2>&1 || {
      echo "fleet.sh: the run failed, see $dir.log" >&2
      tail -3 "$dir.log" >&2
    }
  done
  "$bin/rl_plot" $(for n in $fleets; do echo "$out/$env-$n"; done) -o "$out/$env.png" \
    --by actors --title "${algo^^} on $env: return against env steps, by fleet size" > /dev/null 2>&1 || true
done

python3 - "$out" "$fleets" "$envs" <<'PY'
import csv, json, os, sys
out, fleets, envs = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
print("| env | actor processes | env steps | env steps/s | policy lag mean | policy lag max | dropped stale | final eval | wall s |")
print("|---|---|---|---|---|---|---|---|---|")
for env in envs:
    for n in fleets:
        d = f"{out}/{env}-{n}"
        try:
            s = json.load(open(f"{d}/summary.json"))
            rows = list(csv.DictReader(open(f"{d}/metrics.csv")))
        except (OSError, ValueError):
            print(f"| {env} | {n} | - | - | - | - | - | failed | - |")
            continue
        lags = [float(r["policy_lag_mean"]) for r in rows if r.get("policy_lag_mean")]
        lag_max = max((float(r["policy_lag_max"]) for r in rows if r.get("policy_lag_max")), default=float("nan"))
        stale = float(rows[-1].get("dropped_stale_lag") or 0)
        wall = open(f"{d}.time").read().split()[-1] if os.path.exists(f"{d}.time") else "-"
        print(f"| {env} | {n} | {s['total_env_steps']:,} | {s['env_steps_per_second']:,.0f} | "
              f"{sum(lags) / max(len(lags), 1):.2f} | {lag_max:.0f} | {stale:.0f} | "
              f"{s.get('final_eval_mean_return', float('nan')):.1f} | {wall} |")
PY
