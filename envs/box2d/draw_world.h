// Draws the fixtures of a Box2D world with rl::Canvas: the shared part of
// the Box2D envs' pictures (rl_eval --record).
#pragma once

#include <functional>

#include "rl/render/canvas.h"

class b2World;
class b2Body;

namespace rl::envs {

struct WorldColors {
  Color ground;  // static bodies; their edges are filled down to y = 0
  std::function<Color(const b2Body&)> body;  // dynamic bodies
};

void draw_world(Canvas& canvas, const b2World& world, const WorldColors& colors);

}  // namespace rl::envs
