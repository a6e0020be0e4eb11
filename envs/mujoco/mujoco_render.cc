#include "envs/mujoco/mujoco_render.h"

#include <GL/osmesa.h>
#include <mujoco/mujoco.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace rl::envs {

struct MujocoRenderer::State {
  const mjModel* model = nullptr;
  int width = 0, height = 0;
  OSMesaContext context = nullptr;
  std::vector<unsigned char> window;  // OSMesa's default framebuffer (unused: we draw offscreen)
  mjvScene scene;
  mjvOption option;
  mjrContext gl;
  std::vector<unsigned char> pixels;  // bottom row first, as OpenGL reads them
  bool scene_made = false, gl_made = false;

  void make_current() {
    if (OSMesaMakeCurrent(context, window.data(), GL_UNSIGNED_BYTE, width, height) == 0) {
      throw std::runtime_error("MuJoCo rendering: OSMesaMakeCurrent failed for " +
                               std::to_string(width) + "x" + std::to_string(height));
    }
  }

  ~State() {
    if (gl_made) {
      if (context != nullptr) make_current();
      mjr_freeContext(&gl);
    }
    if (scene_made) mjv_freeScene(&scene);
    if (context != nullptr) OSMesaDestroyContext(context);
  }
};

MujocoRenderer::MujocoRenderer(const mjModel_* model, int width, int height)
    : state_(std::make_unique<State>()) {
  if (width <= 0 || height <= 0 || width > 4096 || height > 4096) {
    throw std::invalid_argument("MuJoCo rendering: size " + std::to_string(width) + "x" +
                                std::to_string(height) + " is not in 1..4096");
  }
  State& s = *state_;
  s.model = model;
  s.width = width;
  s.height = height;
  s.window.resize(static_cast<size_t>(width) * height * 4);
  s.context = OSMesaCreateContextExt(OSMESA_RGBA, 24, 8, 0, nullptr);
  if (s.context == nullptr) {
    throw std::runtime_error("MuJoCo rendering: OSMesaCreateContextExt failed (is libosmesa6 installed?)");
  }
  s.make_current();
  mjv_defaultScene(&s.scene);
  mjv_defaultOption(&s.option);
  mjr_defaultContext(&s.gl);
  mjv_makeScene(model, &s.scene, 2000);
  s.scene_made = true;
  // The offscreen buffer's size comes from the model's visual settings: a
  // copy with the requested size makes any size possible without touching
  // the shared model the envs simulate with.
  mjModel* sized = mj_copyModel(nullptr, model);
  if (sized == nullptr) throw std::runtime_error("MuJoCo rendering: mj_copyModel failed");
  sized->vis.global.offwidth = width;
  sized->vis.global.offheight = height;
  mjr_makeContext(sized, &s.gl, mjFONTSCALE_100);
  mj_deleteModel(sized);
  s.gl_made = true;
  mjr_setBuffer(mjFB_OFFSCREEN, &s.gl);
  if (s.gl.currentBuffer != mjFB_OFFSCREEN || s.gl.offWidth < width || s.gl.offHeight < height) {
    throw std::runtime_error("MuJoCo rendering: no offscreen framebuffer of " + std::to_string(width) +
                             "x" + std::to_string(height) + " (got " + std::to_string(s.gl.offWidth) +
                             "x" + std::to_string(s.gl.offHeight) + ")");
  }
  s.pixels.resize(static_cast<size_t>(width) * height * 3);
}

MujocoRenderer::~MujocoRenderer() = default;

int MujocoRenderer::width() const { return state_->width; }
int MujocoRenderer::height() const { return state_->height; }

void MujocoRenderer::render(const mjData_* data, const CameraView& view, Frame& frame) {
  State& s = *state_;
  if (frame.width != s.width || frame.height != s.height) {
    throw std::invalid_argument("MuJoCo rendering: frame of " + std::to_string(frame.width) + "x" +
                                std::to_string(frame.height) + " for a renderer of " +
                                std::to_string(s.width) + "x" + std::to_string(s.height));
  }
  // Several envs of one process may each hold a renderer: make ours current.
  s.make_current();
  mjr_setBuffer(mjFB_OFFSCREEN, &s.gl);
  mjvCamera camera;
  mjv_defaultCamera(&camera);
  if (view.track_body >= 0) {
    camera.type = mjCAMERA_TRACKING;
    camera.trackbodyid = std::min(view.track_body, s.model->nbody - 1);
  } else {
    camera.type = mjCAMERA_FREE;
  }
  for (int i = 0; i < 3; ++i) camera.lookat[i] = view.lookat[i];
  camera.distance = view.distance;
  camera.azimuth = view.azimuth;
  camera.elevation = view.elevation;
  // mjv_updateScene reads data only; MuJoCo's signature is not const.
  mjv_updateScene(s.model, const_cast<mjData*>(data), &s.option, nullptr, &camera, mjCAT_ALL, &s.scene);
  const mjrRect viewport{0, 0, s.width, s.height};
  mjr_render(viewport, &s.scene, &s.gl);
  mjr_readPixels(s.pixels.data(), nullptr, viewport, &s.gl);
  std::vector<uint8_t>& rgb = frame.allocate();
  const size_t row = static_cast<size_t>(s.width) * 3;
  for (int y = 0; y < s.height; ++y) {  // flip: OpenGL's first row is the bottom one
    std::memcpy(rgb.data() + static_cast<size_t>(y) * row,
                s.pixels.data() + static_cast<size_t>(s.height - 1 - y) * row, row);
  }
}

}  // namespace rl::envs
