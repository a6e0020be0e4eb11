// MujocoRenderer in a build without OSMesa (RL_MUJOCO_RENDER=OFF, as the GPU
// check builds it: OSMesa and the LLVM under it are most of what such a
// machine would otherwise need shipped). Everything else of the MuJoCo envs
// works; rendering one is a clear error.
#include "envs/mujoco/mujoco_render.h"

#include <stdexcept>

namespace rl::envs {

struct MujocoRenderer::State {};

MujocoRenderer::MujocoRenderer(const mjModel_*, int, int) {
  throw std::runtime_error(
      "MuJoCo rendering: this build has none (configured with RL_MUJOCO_RENDER=OFF, without OSMesa)");
}

MujocoRenderer::~MujocoRenderer() = default;
int MujocoRenderer::width() const { return 0; }
int MujocoRenderer::height() const { return 0; }
void MujocoRenderer::render(const mjData_*, const CameraView&, Frame&) {}

}  // namespace rl::envs
