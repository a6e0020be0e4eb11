// Offscreen rendering of a MuJoCo env without a display: an OSMesa
// (software OpenGL) context is made current, MuJoCo's renderer draws into
// its offscreen framebuffer (mjr_setBuffer(mjFB_OFFSCREEN)) and the pixels
// are read back (mjr_readPixels). Created on an env's first render() only:
// training never pays for it.
#pragma once

#include <memory>

#include "rl/env/render.h"

struct mjModel_;
struct mjData_;
struct mjvCamera_;

namespace rl::envs {

// The camera an env asks for: follow a body (locomotion) or look at a fixed
// point (pendulums, Reacher).
struct CameraView {
  int track_body = -1;  // >= 0: track this body; -1: fixed at `lookat`
  double lookat[3] = {0, 0, 0};
  double distance = 4;
  double azimuth = 90;     // degrees; 90 looks at the x-z plane from -y
  double elevation = -20;  // degrees
};

class MujocoRenderer {
 public:
  // Throws std::runtime_error saying what failed (OSMesa context, MuJoCo's
  // GL context) when the machine cannot render.
  MujocoRenderer(const mjModel_* model, int width, int height);
  ~MujocoRenderer();
  MujocoRenderer(const MujocoRenderer&) = delete;
  MujocoRenderer& operator=(const MujocoRenderer&) = delete;

  int width() const;
  int height() const;
  // Renders `data` as seen from `view` into frame.rgb (frame's size must
  // be the renderer's).
  void render(const mjData_* data, const CameraView& view, Frame& frame);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace rl::envs
