"""Random-policy statistics of the MinAtar port against the reference
implementation, each with its own random numbers (the port's seeds 0..n-1;
numpy RandomState seeds 0..n-1 for the reference): episode return and
length (mean, std, standard error) and the mean occupancy of every channel
over all steps. Uniform random actions from the full set, sticky actions
0.1, ramping on. Prints a Markdown table (BENCHMARKS.md, docs/envs.md).

usage: PYTHON_WITH_MINATAR minatar_fidelity.py MINATAR_TRACE [EPISODES] [FREEWAY_EPISODES]
(tests/envs/minatar/differential_test.sh leaves such a Python in
BUILD/minatar-reference-venv/bin/python)
"""
import random
import subprocess
import sys

import numpy as np
from minatar import Environment


def ours(trace, game, seed, actions):
    lines = subprocess.run([trace, game, str(seed), "0.1", "true"], input=" ".join(map(str, actions)),
                           capture_output=True, text=True, check=True).stdout.splitlines()
    ret, occupancy = 0.0, None
    for line in lines[1:]:
        obs, reward, _ = line.split()
        ret += float(reward)
        cells = np.frombuffer(obs.encode(), dtype=np.uint8) - ord("0")
        per_channel = cells.reshape(-1, 100).sum(axis=1)
        occupancy = per_channel if occupancy is None else occupancy + per_channel
    return ret, len(lines) - 1, occupancy


def reference(game, seed, actions):
    env = Environment(game, sticky_action_prob=0.1, difficulty_ramping=True)
    env.seed(seed)
    env.reset()
    ret, steps, occupancy = 0.0, 0, None
    for a in actions:
        r, terminal = env.act(a)
        ret += r
        steps += 1
        per_channel = env.state().reshape(100, -1).sum(axis=0)
        occupancy = per_channel if occupancy is None else occupancy + per_channel
        if terminal:
            break
    return ret, steps, occupancy


def summary(results):
    returns = np.array([r for r, _, _ in results])
    lengths = np.array([n for _, n, _ in results])
    occupancy = sum(o for _, _, o in results) / lengths.sum() / 100.0
    return returns, lengths, occupancy


def fmt(values):
    return f"{values.mean():.3f} ± {values.std():.2f} (se {values.std() / np.sqrt(len(values)):.3f})"


def main():
    trace = sys.argv[1]
    episodes = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    freeway_episodes = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    print("| game | episodes | return: port | return: reference | length: port | length: reference |"
          " largest channel-occupancy gap (share of cells) |")
    print("|---|---|---|---|---|---|---|")
    for game in ["asterix", "breakout", "freeway", "seaquest", "space_invaders"]:
        n = freeway_episodes if game == "freeway" else episodes
        a, b = [], []
        for seed in range(n):
            rng = random.Random(seed)
            actions = [rng.randrange(6) for _ in range(3000)]
            a.append(ours(trace, game, seed, actions))
            b.append(reference(game, seed, actions))
        ra, la, oa = summary(a)
        rb, lb, ob = summary(b)
        gap = np.abs(oa - ob).max()
        print(f"| {game} | {n} | {fmt(ra)} | {fmt(rb)} | {fmt(la)} | {fmt(lb)} | {gap:.4f} "
              f"(port {' '.join(f'{v:.3f}' for v in oa)}; reference {' '.join(f'{v:.3f}' for v in ob)}) |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
