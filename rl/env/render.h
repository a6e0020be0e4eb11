// A rendered image of an env's state (Env::render). Plain bytes: envs may
// fill it with any drawing code; the built-in 2D envs use rl::Canvas
// (rl/render/canvas.h), the MuJoCo envs render offscreen with OSMesa.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rl {

struct Frame {
  int width = 600;   // set by the caller before Env::render
  int height = 400;
  std::vector<uint8_t> rgb;  // height rows of width RGB triples, top row first
  double fps = 30;           // playback rate the env suggests (1 / its step time)

  // Sizes `rgb` for width x height and returns it.
  std::vector<uint8_t>& allocate() {
    rgb.assign(static_cast<size_t>(width) * static_cast<size_t>(height) * 3, 0);
    return rgb;
  }
};

}  // namespace rl
