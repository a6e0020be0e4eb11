#!/usr/bin/env python3
"""Summarizes the run directories of bench/learning.sh and
bench/simulator_learning.sh as a Markdown table.

For each (algorithm, env): the final deterministic evaluation (mean over
seeds of each run's 20-episode mean, and the spread across seeds), the
training return of the last 100 episodes at the end, the env steps and wall
seconds at which that running mean first reached the target, and the wall
time of the whole run. Standard library only.
"""
import csv
import json
import os
import statistics
import sys

# The return each preset is meant to reach at its step budget: the best
# published PPO figures at that budget (rl-baselines3-zoo, CleanRL), as the
# project's issues set them; BipedalWalkerHardcore has none (best effort).
TARGETS = {"CartPole-v1": 475.0, "Acrobot-v1": -85.0, "Pendulum-v1": -200.0,
           "MountainCar-v0": -120.0, "MountainCarContinuous-v0": 90.0,
           "LunarLander-v3": 200.0, "LunarLanderContinuous-v3": 200.0,
           "BipedalWalker-v3": 250.0, "BipedalWalkerHardcore-v3": None,
           "HalfCheetah-v5": 5000.0, "Ant-v5": 1500.0, "Humanoid-v5": 1000.0,
           "Swimmer-v5": 280.0, "InvertedPendulum-v5": 1000.0,
           "InvertedDoublePendulum-v5": 9000.0, "Reacher-v5": -5.0,
           "Hopper-v5": 2400.0, "Walker2d-v5": 2300.0}
# APPO's own targets where they differ (2 actor processes, 1M steps).
APPO_TARGETS = {"HalfCheetah-v5": 3000.0}


def first_crossing(metrics_path, target):
    if target is None:
        return None, None
    with open(metrics_path) as f:
        for row in csv.DictReader(f):
            value = row.get("episode_return_mean", "")
            if value and float(value) >= target:
                return int(float(row["env_steps"])), float(row["wall_seconds"])
    return None, None


def main(root):
    groups = {}
    for name in sorted(os.listdir(root)):
        run = os.path.join(root, name)
        summary_path = os.path.join(run, "summary.json")
        if not os.path.isfile(summary_path):
            continue
        with open(summary_path) as f:
            summary = json.load(f)
        key = (summary["algorithm"], summary["env"])
        target = TARGETS.get(summary["env"])
        if summary["algorithm"] == "appo":
            target = APPO_TARGETS.get(summary["env"], target)
        steps, seconds = first_crossing(os.path.join(run, "metrics.csv"), target)
        with open(os.path.join(run, "metrics.csv")) as f:
            rows = list(csv.DictReader(f))
        groups.setdefault(key, []).append({
            "seed": summary["seed"],
            "eval": summary["final_eval_mean_return"],
            # The last row with finished episodes (a short run may end without one: NaN).
            "train": next((float(r["episode_return_mean"]) for r in reversed(rows) if r["episode_return_mean"]),
                          float("nan")),
            "steps": summary["total_env_steps"],
            "wall": summary["wall_seconds"],
            "cross_steps": steps,
            "cross_wall": seconds,
            "target": target,
        })

    print("| algorithm | env | seeds | env steps | final eval return (mean of seeds, min..max) "
          "| training return, last 100 | target | first reached at (env steps; wall s) | wall s per run |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (algorithm, env), runs in sorted(groups.items()):
        evals = [r["eval"] for r in runs]
        trains = [r["train"] for r in runs]
        crossings = ["%s; %s" % (r["cross_steps"], "%.1f" % r["cross_wall"] if r["cross_wall"] else "-")
                     if r["cross_steps"] else "not reached" for r in runs]
        print("| %s | %s | %d | %d | %.1f (%.1f..%.1f) | %.1f (%.1f..%.1f) | %s | %s | %.0f |" % (
            algorithm, env, len(runs), runs[0]["steps"], statistics.mean(evals), min(evals),
            max(evals), statistics.mean(trains), min(trains), max(trains),
            "-" if runs[0]["target"] is None else "%g" % runs[0]["target"],
            ", ".join(crossings), statistics.mean(r["wall"] for r in runs)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/bench-learning")
