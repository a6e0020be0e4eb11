"""Steps the reference MinAtar (the `minatar` package, Young and Tian) and
this project's C++ port side by side and requires identical episodes.

The reference draws its randomness from a numpy RandomState; here it gets a
stand-in that produces the port's own stream (xoshiro256++ seeded through
SplitMix64, as rl/env/rng.h), so both consume the same numbers in the same
order: sticky actions, spawns, ball sides and car speeds included. Every
observation (channels first), reward and terminal flag must match at every
step, for every game, with sticky actions and difficulty ramping on.

usage: differential_test.py MINATAR_TRACE [EPISODES_PER_GAME]
"""
import random
import subprocess
import sys

import numpy as np
from minatar import Environment

MASK = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class PortRandom:
    """The RandomState calls MinAtar makes, answered from the port's stream."""

    def __init__(self, seed):
        self.s = []
        sm = seed
        for _ in range(4):
            sm, word = splitmix64(sm)
            self.s.append(word)

    def next_u64(self):
        s = self.s
        result = (rotl((s[0] + s[3]) & MASK, 23) + s[0]) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def uniform(self):
        return (self.next_u64() >> 11) * 2.0 ** -53

    def integer(self, low, high):
        # Lemire's multiply-and-reject, as Rng::integer.
        span = high - low
        m = self.next_u64() * span
        lo = m & MASK
        if lo < span:
            threshold = ((1 << 64) - span) % span
            while lo < threshold:
                m = self.next_u64() * span
                lo = m & MASK
        return low + (m >> 64)

    def rand(self, size=None):
        if size is None:
            return self.uniform()
        return np.array([self.uniform() for _ in range(size)])

    def randint(self, low, high=None, size=None):
        if high is None:
            low, high = 0, low
        if size is None:
            return self.integer(low, high)
        return np.array([self.integer(low, high) for _ in range(size)])


def reference_obs(env):
    state = env.state().astype(np.uint8)  # [10, 10, C]
    return "".join(map(str, np.transpose(state, (2, 0, 1)).reshape(-1)))


def run_episode(trace, game, seed, actions, sticky):
    ours = subprocess.run([trace, game, str(seed), str(sticky), "true"], input=" ".join(map(str, actions)),
                          capture_output=True, text=True, check=True).stdout.splitlines()
    env = Environment(game, sticky_action_prob=sticky, difficulty_ramping=True)
    env.random = env.env.random = PortRandom(seed)
    env.reset()
    first = ours[0].split()
    if reference_obs(env) != first[0]:
        return "the first observation differs"
    for step, action in enumerate(actions[: len(ours) - 1], start=1):
        reward, terminal = env.act(action)
        obs, our_reward, our_terminal = ours[step].split()
        if reference_obs(env) != obs:
            return f"step {step}: the observation differs"
        if float(reward) != float(our_reward) or int(terminal) != int(our_terminal):
            return f"step {step}: reward {reward} / terminal {terminal} vs {our_reward} / {our_terminal}"
        if terminal:
            return None
    return None if len(ours) - 1 == len(actions) else "the port ended the episode early"


def main():
    trace = sys.argv[1]
    episodes = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    failures = 0
    for game in ["asterix", "breakout", "freeway", "seaquest", "space_invaders"]:
        steps = 0
        for episode in range(episodes):
            rng = random.Random(1000 * episode + 7)
            # A bias towards one move makes longer, more varied episodes than uniform play.
            favourite = rng.randrange(6)
            actions = [favourite if rng.random() < 0.3 else rng.randrange(6) for _ in range(3000)]
            error = run_episode(trace, game, episode, actions, sticky=0.1)
            if error:
                failures += 1
                print(f"FAIL {game} episode {episode} (seed {episode}): {error}")
            steps += len(actions)
        print(f"{game}: {episodes} episodes compared step by step")
    print(f"{5 * episodes - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
