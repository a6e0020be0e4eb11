// LunarLander-v3 and LunarLanderContinuous-v3 (Gymnasium's definitions,
// docs/envs.md): land a rocket on a pad between two flags, with Box2D.
#pragma once

#include <memory>

#include "rl/env/env.h"
#include "rl/env/env_options.h"
#include "rl/env/rng.h"

class b2World;
class b2Body;

namespace rl::envs {

class TagContactListener;

// Options: continuous (false: Discrete(4) noop/left/main/right; true: Box(2)
// main throttle and lateral engine in [-1, 1]), gravity (in (-12, 0)),
// enable_wind, wind_power, turbulence_power.
class LunarLander final : public Env {
 public:
  explicit LunarLander(const EnvOptions& options);
  ~LunarLander() override;

  const Space& observation_space() const override { return observation_space_; }
  const Space& action_space() const override { return action_space_; }
  std::span<const std::string> info_keys() const override;
  void reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override;
  bool render(Frame& frame) override;

  // For tests: the simulation and its state.
  b2Body* lander() { return lander_; }
  bool leg_contact(int i) const { return leg_contact_[i]; }
  double helipad_y() const { return helipad_y_; }
  b2World& world() { return *world_; }

 private:
  // Engines (main and side power in [0, 1]) from the action, then the world
  // step, observation and reward.
  StepResult advance(double main_throttle, int side_direction, double side_throttle, std::span<float> obs,
                     std::span<float> info);
  void destroy();
  // reset()'s steps: the moon's surface, the lander's body (with its first
  // push), its legs and their joints.
  void build_terrain();
  void build_lander(double initial_y);
  void build_legs(double initial_y);

  bool continuous_;
  double gravity_;
  bool enable_wind_;
  double wind_power_, turbulence_power_;
  Space observation_space_, action_space_;
  Rng rng_;

  std::unique_ptr<b2World> world_;
  std::unique_ptr<TagContactListener> listener_;
  b2Body* moon_ = nullptr;
  b2Body* lander_ = nullptr;
  b2Body* legs_[2] = {nullptr, nullptr};
  bool leg_contact_[2] = {false, false};
  bool game_over_ = false;
  double helipad_y_ = 0;
  double prev_shaping_ = 0;
  bool have_prev_shaping_ = false;
  int64_t wind_index_ = 0, torque_index_ = 0;
};

}  // namespace rl::envs
