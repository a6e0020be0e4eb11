// The base of the MuJoCo suite (Gymnasium's v5 envs, docs/envs.md).
//
// One mjModel per asset file per process, loaded once and shared read-only
// by every env of the process (MuJoCo allows concurrent reads of a model);
// one mjData per env. Both are owned with RAII. MJCF assets are looked up in
// $RL_MUJOCO_ASSETS, then in the source tree's envs/mujoco/assets (builds),
// then in the installed share/rl/mujoco next to the library.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rl/env/env.h"
#include "rl/env/env_options.h"
#include "rl/env/rng.h"
#include "envs/mujoco/mujoco_render.h"

struct mjModel_;
struct mjData_;

namespace rl::envs {

// The full path of an asset, or std::runtime_error listing where it looked.
std::filesystem::path find_mujoco_asset(const std::string& file_name);

// A loaded model, shared by the envs of one process.
class MujocoModel {
 public:
  // The cached model of `file_name` (an asset name), loaded on first use.
  // Throws std::runtime_error with MuJoCo's message when it does not load.
  static std::shared_ptr<const MujocoModel> get(const std::string& file_name);

  explicit MujocoModel(const std::filesystem::path& path);
  ~MujocoModel();
  MujocoModel(const MujocoModel&) = delete;
  MujocoModel& operator=(const MujocoModel&) = delete;

  const mjModel_* model() const { return model_; }

 private:
  mjModel_* model_ = nullptr;
};

class MujocoEnv : public Env {
 public:
  ~MujocoEnv() override;
  MujocoEnv(const MujocoEnv&) = delete;
  MujocoEnv& operator=(const MujocoEnv&) = delete;

  const Space& observation_space() const override { return observation_space_; }
  const Space& action_space() const override { return action_space_; }
  std::span<const std::string> info_keys() const override { return info_keys_; }

  // mj_resetData, the env's reset noise (reset_noise()), mj_forward, obs.
  void reset(std::optional<uint64_t> seed, std::span<float> obs) override;
  // Offscreen through OSMesa (mujoco_render.h); frame.fps = 1 / dt().
  bool render(Frame& frame) override;

  const mjModel_* model() const { return model_->model(); }
  mjData_* data() { return data_; }
  const mjData_* data() const { return data_; }
  int frame_skip() const { return frame_skip_; }
  double dt() const;  // timestep * frame_skip

 protected:
  MujocoEnv(const std::string& asset, int frame_skip, int64_t obs_size, std::vector<std::string> info_keys);

  // Adds the env's noise to qpos/qvel (data_ just reset to qpos0, qvel 0).
  virtual void reset_noise() = 0;
  // Writes the observation of the current state.
  virtual void write_obs(std::span<float> obs) = 0;

  // ctrl = action (unclipped: the actuators' ctrlrange clamps the forces),
  // frame_skip mj_step calls, then mj_rnePostConstraint for cfrc_ext.
  void do_simulation(std::span<const float> action);

  // qpos[i] += U(-scale, scale) for every i (and likewise qvel).
  void add_uniform_noise(double* values, int count, double scale);
  void add_normal_noise(double* values, int count, double scale);

  // Where render() looks from. Default: track body 1 (the root) from the
  // side, 4 m away.
  virtual CameraView camera_view() const { return CameraView{.track_body = 1}; }

  Rng rng_;

 private:
  std::shared_ptr<const MujocoModel> model_;
  mjData_* data_ = nullptr;
  int frame_skip_;
  Space observation_space_;
  Space action_space_;
  std::vector<std::string> info_keys_;
  std::unique_ptr<MujocoRenderer> renderer_;  // made by the first render()
};

// Sum of squares of an action.
double squared_norm(std::span<const float> action);

}  // namespace rl::envs
