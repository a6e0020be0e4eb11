#include "envs/mujoco/mujoco_env.h"

#include <dlfcn.h>
#include <mujoco/mujoco.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <stdexcept>

namespace rl::envs {
namespace fs = std::filesystem;

namespace {

// The installed assets: <prefix>/share/rl/mujoco, with <prefix> the parent
// of the directory this library was loaded from.
fs::path installed_asset_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&installed_asset_dir), &info) == 0 || !info.dli_fname) return {};
  return fs::path(info.dli_fname).parent_path().parent_path() / "share" / "rl" / "mujoco";
}

Space action_space_of(const mjModel* m) {
  std::vector<float> low(m->nu), high(m->nu);
  for (int i = 0; i < m->nu; ++i) {
    low[i] = static_cast<float>(m->actuator_ctrlrange[2 * i]);
    high[i] = static_cast<float>(m->actuator_ctrlrange[2 * i + 1]);
  }
  return Space::box({m->nu}, low, high);
}

}  // namespace

fs::path find_mujoco_asset(const std::string& file_name) {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("RL_MUJOCO_ASSETS")) dirs.emplace_back(env);
#ifdef RL_MUJOCO_SOURCE_ASSETS
  dirs.emplace_back(RL_MUJOCO_SOURCE_ASSETS);
#endif
  dirs.push_back(installed_asset_dir());
  std::string tried;
  for (const auto& dir : dirs) {
    if (dir.empty()) continue;
    const fs::path path = dir / file_name;
    if (fs::exists(path)) return path;
    tried.append(" ").append(path.string());
  }
  throw std::runtime_error("MuJoCo asset " + file_name + " not found; looked at" + tried +
                           " (set RL_MUJOCO_ASSETS to the folder that holds it)");
}

MujocoModel::MujocoModel(const fs::path& path) {
  char error[1000] = "";
  model_ = mj_loadXML(path.c_str(), nullptr, error, sizeof(error));
  if (!model_) throw std::runtime_error("MuJoCo cannot load " + path.string() + ": " + error);
}

MujocoModel::~MujocoModel() { mj_deleteModel(model_); }

std::shared_ptr<const MujocoModel> MujocoModel::get(const std::string& file_name) {
  // Weak references: the model lives as long as some env of it does.
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<const MujocoModel>> cache;
  std::lock_guard lock(mutex);
  if (auto model = cache[file_name].lock()) return model;
  auto model = std::make_shared<const MujocoModel>(find_mujoco_asset(file_name));
  cache[file_name] = model;
  return model;
}

MujocoEnv::MujocoEnv(const std::string& asset, int frame_skip, int64_t obs_size,
                     std::vector<std::string> info_keys)
    : model_(MujocoModel::get(asset)),
      frame_skip_(frame_skip),
      observation_space_(Space::box({obs_size}, -std::numeric_limits<float>::infinity(),
                                    std::numeric_limits<float>::infinity())),
      action_space_(action_space_of(model_->model())),
      info_keys_(std::move(info_keys)) {
  data_ = mj_makeData(model_->model());
  if (!data_) throw std::runtime_error("MuJoCo: mj_makeData failed for " + asset);
}

MujocoEnv::~MujocoEnv() { mj_deleteData(data_); }

bool MujocoEnv::render(Frame& frame) {
  if (!renderer_ || renderer_->width() != frame.width || renderer_->height() != frame.height) {
    renderer_.reset();
    renderer_ = std::make_unique<MujocoRenderer>(model(), frame.width, frame.height);
  }
  frame.fps = 1.0 / dt();
  renderer_->render(data_, camera_view(), frame);
  return true;
}

double MujocoEnv::dt() const { return model()->opt.timestep * frame_skip_; }

void MujocoEnv::reset(std::optional<uint64_t> seed, std::span<float> obs) {
  if (seed) rng_.reseed(*seed);
  mj_resetData(model(), data_);
  reset_noise();
  mj_forward(model(), data_);
  write_obs(obs);
}

void MujocoEnv::do_simulation(std::span<const float> action) {
  const mjModel* m = model();
  for (int i = 0; i < m->nu; ++i) data_->ctrl[i] = action[i];
  for (int i = 0; i < frame_skip_; ++i) mj_step(m, data_);
  // mj_step leaves cfrc_ext unset; the contact terms read it.
  mj_rnePostConstraint(m, data_);
}

void MujocoEnv::add_uniform_noise(double* values, int count, double scale) {
  for (int i = 0; i < count; ++i) values[i] += rng_.uniform(-scale, scale);
}

void MujocoEnv::add_normal_noise(double* values, int count, double scale) {
  for (int i = 0; i < count; ++i) values[i] += scale * rng_.normal();
}

double squared_norm(std::span<const float> action) {
  double total = 0;
  for (float a : action) total += double(a) * a;
  return total;
}

}  // namespace rl::envs
