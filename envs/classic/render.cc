// Pictures of the classic-control envs (rl_eval --record), drawn with
// rl::Canvas after Gymnasium's renderings: the same geometry and playback
// rates, so that videos compare.
#include <cmath>
#include <vector>

#include "envs/classic/acrobot.h"
#include "envs/classic/cartpole.h"
#include "envs/classic/mountain_car.h"
#include "envs/classic/pendulum.h"
#include "rl/render/canvas.h"

namespace rl::envs {
namespace {

constexpr Color kBlack{0, 0, 0};
const Color kPole = Color::rgb8(202, 152, 101);
const Color kAxle = Color::rgb8(129, 132, 203);
const Color kLink = Color::rgb8(0, 204, 204);

// A rod of `width` world units from a to b.
void rod(Canvas& canvas, Point a, Point b, double width, Color color) {
  canvas.line(a, b, width * canvas.pixels_per_unit(), color);
}

void draw_mountain_car(Canvas& canvas, double position, double goal_position) {
  auto height = [](double x) { return std::sin(3 * x) * 0.45 + 0.55; };
  canvas.set_view(kMountainCarMinPosition, kMountainCarMaxPosition, 0, 1.2);
  std::vector<Point> track;
  for (int i = 0; i <= 100; ++i) {
    const double x = kMountainCarMinPosition + (kMountainCarMaxPosition - kMountainCarMinPosition) * i / 100;
    track.push_back({x, height(x)});
  }
  canvas.polyline(track, 2, kBlack);
  // The car sits on the track, tilted along its slope.
  const double angle = std::atan(std::cos(3 * position) * 1.35);
  const Point base{position, height(position)};
  const double c = std::cos(angle), s = std::sin(angle);
  auto at = [&](double along, double up) { return Point{base.x + c * along - s * up, base.y + s * along + c * up}; };
  canvas.fill_box(at(0, 0.06), 0.1, 0.04, angle, kBlack);
  canvas.fill_circle(at(-0.06, 0.02), 0.02, Color::rgb8(128, 128, 128));
  canvas.fill_circle(at(0.06, 0.02), 0.02, Color::rgb8(128, 128, 128));
  const Point flag{goal_position, height(goal_position)};
  canvas.line(flag, {flag.x, flag.y + 0.15}, 2, kBlack);
  const Point pennant[] = {{flag.x, flag.y + 0.15}, {flag.x, flag.y + 0.11}, {flag.x + 0.07, flag.y + 0.13}};
  canvas.fill_polygon(pennant, Color::rgb8(204, 204, 0));
}

}  // namespace

bool CartPole::render(Frame& frame) {
  frame.fps = 50;
  Canvas canvas(frame);
  // The track spans the x limits; the cart is 0.5 x 0.3 units, the pole
  // twice kHalfPoleLength long.
  canvas.set_view(-kXThreshold * 1.2, kXThreshold * 1.2, -1.0, 2.2);
  canvas.line({-kXThreshold * 1.2, 0}, {kXThreshold * 1.2, 0}, 1, kBlack);
  const Point cart{state_.x, 0};
  canvas.fill_box({cart.x, cart.y + 0.1}, 0.25, 0.15, 0, kBlack);
  const Point axle{cart.x, cart.y + 0.18};
  const Point tip{axle.x + 2 * kHalfPoleLength * std::sin(state_.theta),
                  axle.y + 2 * kHalfPoleLength * std::cos(state_.theta)};
  rod(canvas, axle, tip, 0.08, kPole);
  canvas.fill_circle(axle, 0.04, kAxle);
  return true;
}

bool Acrobot::render(Frame& frame) {
  constexpr double kLink2Length = 1.0;  // Gymnasium's LINK_LENGTH_2
  frame.fps = 15;
  Canvas canvas(frame);
  const double bound = kLinkLength1 + kLink2Length + 0.2;
  canvas.set_view(-bound, bound, -bound, bound);
  canvas.line({-bound, 1}, {bound, 1}, 1, kBlack);  // the height to reach
  const Point p0{0, 0};
  const Point p1{kLinkLength1 * std::sin(state_.theta1), -kLinkLength1 * std::cos(state_.theta1)};
  const Point p2{p1.x + kLink2Length * std::sin(state_.theta1 + state_.theta2),
                 p1.y - kLink2Length * std::cos(state_.theta1 + state_.theta2)};
  rod(canvas, p0, p1, 0.2, kLink);
  rod(canvas, p1, p2, 0.2, kLink);
  canvas.fill_circle(p0, 0.1, Color::rgb8(204, 204, 0));
  canvas.fill_circle(p1, 0.1, Color::rgb8(204, 204, 0));
  return true;
}

bool Pendulum::render(Frame& frame) {
  frame.fps = 30;
  Canvas canvas(frame);
  canvas.set_view(-2.2, 2.2, -2.2, 2.2);
  // theta = 0 is upright; the rod turns counter-clockwise with theta.
  const Point tip{-kLength * std::sin(state_.theta), kLength * std::cos(state_.theta)};
  rod(canvas, {0, 0}, tip, 0.2, Color::rgb8(204, 77, 77));
  canvas.fill_circle({0, 0}, 0.05, kBlack);
  return true;
}

bool MountainCar::render(Frame& frame) {
  frame.fps = 30;
  Canvas canvas(frame);
  draw_mountain_car(canvas, state_.position, kGoalPosition);
  return true;
}

bool MountainCarContinuous::render(Frame& frame) {
  frame.fps = 30;
  Canvas canvas(frame);
  draw_mountain_car(canvas, state_.position, kGoalPosition);
  return true;
}

}  // namespace rl::envs
