// Synthetic/Image84-v0, an env plugin for the inference-placement benchmark
// (bench/placements.sh): Atari-sized observations (4 stacked 84x84 byte
// frames, [C, H, W] as nature_cnn takes them) from a simulator that costs
// next to nothing, so that a run's speed is the policy's. An 8x8 square
// moves by the action (up, down, left, right); reward 1 on each step it
// spends in the centre 20x20; episodes end after 200 steps (the time limit).
#include <algorithm>
#include <cstring>

#include "rl/env/env.h"
#include "rl/env/plugin.h"
#include "rl/env/rng.h"

namespace {

constexpr int kSide = 84, kFrames = 4, kSquare = 8, kFrame = kSide * kSide;

class Image84 final : public rl::ByteEnv {
 public:
  Image84()
      : observation_space_(rl::Space::box_u8({kFrames, kSide, kSide}, 0, 255)),
        action_space_(rl::Space::discrete(4)) {}

  const rl::Space& observation_space() const override { return observation_space_; }
  const rl::Space& action_space() const override { return action_space_; }
  std::span<const std::string> info_keys() const override { return {}; }

  void reset(std::optional<uint64_t> seed, std::span<uint8_t> obs) override {
    if (seed) rng_.reseed(*seed);
    x_ = static_cast<int>(rng_.integer(0, kSide - kSquare));
    y_ = static_cast<int>(rng_.integer(0, kSide - kSquare));
    std::fill(obs.begin(), obs.end(), uint8_t{0});
    for (int f = 0; f < kFrames; ++f) draw(obs.subspan(static_cast<size_t>(f) * kFrame, kFrame));
  }

  rl::StepResult step(const rl::Action& action, std::span<uint8_t> obs, std::span<float>) override {
    static constexpr int dx[] = {0, 0, -2, 2}, dy[] = {-2, 2, 0, 0};
    x_ = std::clamp(x_ + dx[action.index], 0, kSide - kSquare);
    y_ = std::clamp(y_ + dy[action.index], 0, kSide - kSquare);
    // The oldest frame goes; the newest is drawn last.
    std::memmove(obs.data(), obs.data() + kFrame, static_cast<size_t>(kFrames - 1) * kFrame);
    const auto newest = obs.subspan(static_cast<size_t>(kFrames - 1) * kFrame, kFrame);
    std::fill(newest.begin(), newest.end(), uint8_t{0});
    draw(newest);
    const int centre = kSide / 2;
    const bool inside = std::abs(x_ + kSquare / 2 - centre) < 10 && std::abs(y_ + kSquare / 2 - centre) < 10;
    return {.reward = inside ? 1.0 : 0.0};
  }

 private:
  void draw(std::span<uint8_t> frame) const {
    for (int r = y_; r < y_ + kSquare; ++r) std::fill_n(frame.data() + r * kSide + x_, kSquare, uint8_t{255});
  }

  rl::Space observation_space_, action_space_;
  rl::Rng rng_;
  int x_ = 0, y_ = 0;
};

}  // namespace

RL_ENV_PLUGIN(registry) {
  registry.add({.id = "Synthetic/Image84-v0",
                .factory = [](const rl::EnvOptions&) -> std::unique_ptr<rl::Env> { return std::make_unique<Image84>(); },
                .max_episode_steps = 200,
                .description = "84x84x4 byte frames of a moving square (a cheap image env for benchmarks)"});
}
