// BipedalWalker-v3 and BipedalWalkerHardcore-v3 (Gymnasium's definitions,
// docs/envs.md): a two-legged walker on generated terrain, with lidar, in
// Box2D. Hardcore adds stumps, stairs and pits.
#pragma once

#include <memory>
#include <vector>

#include "rl/env/env.h"
#include "rl/env/env_options.h"
#include "rl/env/rng.h"

class b2World;
class b2Body;
class b2RevoluteJoint;

namespace rl::envs {

class TagContactListener;

// Options: hardcore (false).
class BipedalWalker final : public Env {
 public:
  explicit BipedalWalker(const EnvOptions& options);
  ~BipedalWalker() override;

  const Space& observation_space() const override { return observation_space_; }
  const Space& action_space() const override { return action_space_; }
  std::span<const std::string> info_keys() const override;
  void reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  StepResult step(const Action& action, std::span<float> obs, std::span<float> info) override;
  bool render(Frame& frame) override;

  // For tests.
  b2Body* hull() { return hull_; }
  const std::vector<double>& terrain_y() const { return terrain_y_; }
  int obstacles() const { return obstacles_; }

 private:
  void generate_terrain();
  void destroy();

  bool hardcore_;
  Space observation_space_, action_space_;
  Rng rng_;
  std::unique_ptr<b2World> world_;
  std::unique_ptr<TagContactListener> listener_;
  b2Body* hull_ = nullptr;
  b2Body* legs_[4] = {};  // upper -1, lower -1, upper +1, lower +1
  b2RevoluteJoint* joints_[4] = {};  // hip -1, knee -1, hip +1, knee +1
  bool lower_contact_[2] = {false, false};
  bool game_over_ = false;
  double prev_shaping_ = 0;
  bool have_prev_shaping_ = false;
  std::vector<double> terrain_x_, terrain_y_;
  int obstacles_ = 0;  // static obstacle bodies (hardcore)
};

}  // namespace rl::envs
