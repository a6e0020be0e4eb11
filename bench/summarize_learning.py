#!/usr/bin/env python3
"""Summarizes the run directories of bench/learning.sh as a Markdown table.

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

TARGETS = {"CartPole-v1": 475.0, "Acrobot-v1": -100.0, "Pendulum-v1": -250.0,
           "LunarLander-v3": 200.0,
           # CleanRL's PPO at 1M steps (v4) and the targets for v5.
           "HalfCheetah-v5": 1442.0, "Hopper-v5": 2400.0, "Walker2d-v5": 2300.0}


def first_crossing(metrics_path, target):
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
        steps, seconds = first_crossing(os.path.join(run, "metrics.csv"), target)
        with open(os.path.join(run, "metrics.csv")) as f:
            rows = list(csv.DictReader(f))
        groups.setdefault(key, []).append({
            "seed": summary["seed"],
            "eval": summary["final_eval_mean_return"],
            "train": float(rows[-1]["episode_return_mean"]),
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
            max(evals), statistics.mean(trains), min(trains), max(trains), runs[0]["target"],
            ", ".join(crossings), statistics.mean(r["wall"] for r in runs)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/bench-learning")
