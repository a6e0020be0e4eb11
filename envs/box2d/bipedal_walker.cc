#include "envs/box2d/bipedal_walker.h"

#include <box2d/box2d.h>

#include "envs/box2d/contacts.h"
#include "envs/box2d/draw_world.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <string>
#include <tuple>
#include <utility>

namespace rl::envs {
namespace {

// Gymnasium's constants (pixel units divided by the scale where it does so).
constexpr double kScale = 30.0, kFps = 50.0;
constexpr double kMotorsTorque = 80, kSpeedHip = 4, kSpeedKnee = 6;
constexpr double kLidarRange = 160 / kScale;
constexpr double kInitialRandom = 5;
constexpr double kLegDown = -8 / kScale, kLegW = 8 / kScale, kLegH = 34 / kScale;
constexpr double kViewportW = 600, kViewportH = 400;
constexpr double kTerrainStep = 14 / kScale;
constexpr int kTerrainLength = 200;
constexpr double kTerrainHeight = kViewportH / kScale / 4;
constexpr int kTerrainGrass = 10, kTerrainStartpad = 20;
constexpr double kFriction = 2.5;
constexpr std::array<std::array<double, 2>, 5> kHullPoly = {{{-30, 9}, {6, 9}, {34, 1}, {34, -8}, {-30, -8}}};

enum Terrain { kGrass = 0, kStump = 1, kStairs = 2, kPit = 3, kStates = 4 };
enum BodyTag : uintptr_t { kHull = 1, kLower0 = 2, kLower1 = 3 };

const std::vector<std::string> kInfoKeys = {"reward_shaping", "reward_torque", "reward_terminal"};

double sign(double x) { return double((x > 0) - (x < 0)); }

// The closest ground fixture (category bit 1) along a ray.
struct LidarCallback final : b2RayCastCallback {
  float ReportFixture(b2Fixture* fixture, const b2Vec2&, const b2Vec2&, float fraction) override {
    if ((fixture->GetFilterData().categoryBits & 1) == 0) return -1;  // ignore, go on
    this->fraction = fraction;
    return fraction;  // clip the ray here: later reports are closer
  }
  float fraction = 1.f;
};

}  // namespace


BipedalWalker::BipedalWalker(const EnvOptions& options)
    : hardcore_(options.get_bool("hardcore")),
      observation_space_([] {
        const float pi = float(std::numbers::pi);
        std::vector<float> high = {pi, 5, 5, 5, pi, 5, pi, 5, 5, pi, 5, pi, 5, 5};
        std::vector<float> low = {-pi, -5, -5, -5, -pi, -5, -pi, -5, 0, -pi, -5, -pi, -5, 0};
        for (int i = 0; i < 10; ++i) {
          high.push_back(1.f);
          low.push_back(-1.f);
        }
        return Space::box({24}, low, high);
      }()),
      action_space_(Space::box({4}, -1.f, 1.f)) {}

BipedalWalker::~BipedalWalker() { destroy(); }

std::span<const std::string> BipedalWalker::info_keys() const { return kInfoKeys; }

void BipedalWalker::destroy() {
  world_.reset();  // owns every body and joint
  hull_ = nullptr;
  std::fill(std::begin(legs_), std::end(legs_), nullptr);
  std::fill(std::begin(joints_), std::end(joints_), nullptr);
}

void BipedalWalker::generate_terrain() {
  b2FixtureDef polygon_def;
  b2PolygonShape polygon;
  polygon_def.shape = &polygon;
  polygon_def.friction = float(kFriction);
  auto add_box = [&](std::array<std::array<double, 2>, 4> corners) {
    b2Vec2 v[4];
    for (int i = 0; i < 4; ++i) v[i].Set(float(corners[i][0]), float(corners[i][1]));
    polygon.Set(v, 4);
    b2BodyDef def;
    world_->CreateBody(&def)->CreateFixture(&polygon_def);
    ++obstacles_;
  };

  int state = kGrass;
  double velocity = 0, y = kTerrainHeight, original_y = 0;
  int64_t counter = kTerrainStartpad;
  bool oneshot = false;
  int64_t stair_steps = 0, stair_width = 0, stair_height = 0;
  terrain_x_.clear();
  terrain_y_.clear();
  obstacles_ = 0;
  for (int i = 0; i < kTerrainLength; ++i) {
    const double x = i * kTerrainStep;
    terrain_x_.push_back(x);
    if (state == kGrass && !oneshot) {
      velocity = 0.8 * velocity + 0.01 * sign(kTerrainHeight - y);
      if (i > kTerrainStartpad) velocity += rng_.uniform(-1.0, 1.0) / kScale;
      y += velocity;
    } else if (state == kPit && oneshot) {
      counter = rng_.integer(3, 5);
      const double s = kTerrainStep;
      add_box({{{x, y}, {x + s, y}, {x + s, y - 4 * s}, {x, y - 4 * s}}});
      const double shift = s * double(counter);
      add_box({{{x + shift, y}, {x + s + shift, y}, {x + s + shift, y - 4 * s}, {x + shift, y - 4 * s}}});
      counter += 2;
      original_y = y;
    } else if (state == kPit && !oneshot) {
      y = original_y;
      if (counter > 1) y -= 4 * kTerrainStep;
    } else if (state == kStump && oneshot) {
      counter = rng_.integer(1, 3);
      const double side = double(counter) * kTerrainStep;
      add_box({{{x, y}, {x + side, y}, {x + side, y + side}, {x, y + side}}});
    } else if (state == kStairs && oneshot) {
      stair_height = rng_.uniform() > 0.5 ? 1 : -1;
      stair_width = rng_.integer(4, 5);
      stair_steps = rng_.integer(3, 5);
      original_y = y;
      const double s = kTerrainStep;
      for (int64_t k = 0; k < stair_steps; ++k) {
        const double x0 = x + double(k * stair_width) * s, x1 = x + double((k + 1) * stair_width) * s;
        const double y0 = y + double(-1 + k * stair_height) * s, y1 = y + double(k * stair_height) * s;
        add_box({{{x0, y1}, {x1, y1}, {x1, y0}, {x0, y0}}});
      }
      counter = stair_steps * stair_width;
    } else if (state == kStairs && !oneshot) {
      const double s = double(stair_steps * stair_width - counter - stair_height);
      const double n = s / double(stair_width);
      y = original_y + (n * double(stair_height)) * kTerrainStep;
    }
    oneshot = false;
    terrain_y_.push_back(y);
    if (--counter == 0) {
      counter = rng_.integer(kTerrainGrass / 2, kTerrainGrass);
      if (state == kGrass && hardcore_) {
        state = static_cast<int>(rng_.integer(1, kStates));
      } else {
        state = kGrass;
      }
      oneshot = true;
    }
  }
  // The surface: one static edge per terrain step.
  b2FixtureDef edge_def;
  b2EdgeShape edge;
  edge_def.shape = &edge;
  edge_def.friction = float(kFriction);
  edge_def.filter.categoryBits = 0x0001;
  for (int i = 0; i < kTerrainLength - 1; ++i) {
    edge.SetTwoSided(b2Vec2(float(terrain_x_[i]), float(terrain_y_[i])),
                     b2Vec2(float(terrain_x_[i + 1]), float(terrain_y_[i + 1])));
    b2BodyDef def;
    world_->CreateBody(&def)->CreateFixture(&edge_def);
  }
}

void BipedalWalker::reset(std::optional<uint64_t> seed, std::span<float> obs) {
  if (seed) rng_.reseed(*seed);
  destroy();
  world_ = std::make_unique<b2World>(b2Vec2(0.f, -10.f));
  listener_ = std::make_unique<TagContactListener>([this](uintptr_t tag, bool begin) {
    // A hull contact ends the game; the lower legs' flags follow their contacts.
    if (tag == kHull && begin) game_over_ = true;
    if (tag == kLower0) lower_contact_[0] = begin;
    if (tag == kLower1) lower_contact_[1] = begin;
  });
  world_->SetContactListener(listener_.get());
  game_over_ = false;
  have_prev_shaping_ = false;
  lower_contact_[0] = lower_contact_[1] = false;
  generate_terrain();

  const double init_x = kTerrainStep * kTerrainStartpad / 2;
  const double init_y = kTerrainHeight + 2 * kLegH;
  b2BodyDef hull_def;
  hull_def.type = b2_dynamicBody;
  hull_def.position.Set(float(init_x), float(init_y));
  hull_def.userData.pointer = kHull;
  hull_ = world_->CreateBody(&hull_def);
  b2Vec2 hull_poly[5];
  for (int i = 0; i < 5; ++i) hull_poly[i].Set(float(kHullPoly[i][0] / kScale), float(kHullPoly[i][1] / kScale));
  b2PolygonShape hull_shape;
  hull_shape.Set(hull_poly, 5);
  b2FixtureDef hull_fixture;
  hull_fixture.shape = &hull_shape;
  hull_fixture.density = 5.f;
  hull_fixture.friction = 0.1f;
  hull_fixture.filter.categoryBits = 0x0020;
  hull_fixture.filter.maskBits = 0x001;
  hull_fixture.restitution = 0.f;
  hull_->CreateFixture(&hull_fixture);
  hull_->ApplyForceToCenter(b2Vec2(float(rng_.uniform(-kInitialRandom, kInitialRandom)), 0.f), true);

  // A leg segment: a box body hanging on a motorized revolute joint.
  auto add_segment = [&](b2Body* parent, double y, double half_width, double angle, uintptr_t tag,
                         double parent_anchor_y, double motor_speed, float lower, float upper) {
    b2BodyDef def;
    def.type = b2_dynamicBody;
    def.position.Set(float(init_x), float(y));
    def.angle = float(angle);
    def.userData.pointer = tag;
    b2Body* body = world_->CreateBody(&def);
    b2PolygonShape shape;
    shape.SetAsBox(float(half_width), float(kLegH / 2));
    b2FixtureDef fixture;
    fixture.shape = &shape;
    fixture.density = 1.f;
    fixture.restitution = 0.f;
    fixture.filter.categoryBits = 0x0020;
    fixture.filter.maskBits = 0x001;
    body->CreateFixture(&fixture);
    b2RevoluteJointDef joint;
    joint.bodyA = parent;
    joint.bodyB = body;
    joint.localAnchorA.Set(0, float(parent_anchor_y));
    joint.localAnchorB.Set(0, float(kLegH / 2));
    joint.enableMotor = true;
    joint.enableLimit = true;
    joint.maxMotorTorque = float(kMotorsTorque);
    joint.motorSpeed = float(motor_speed);
    joint.lowerAngle = lower;
    joint.upperAngle = upper;
    return std::pair{body, static_cast<b2RevoluteJoint*>(world_->CreateJoint(&joint))};
  };
  for (int k = 0; k < 2; ++k) {
    const int i = k == 0 ? -1 : 1;
    // Upper leg on the hip, lower leg (whose contacts count) on the knee.
    std::tie(legs_[2 * k], joints_[2 * k]) = add_segment(hull_, init_y - kLegH / 2 - kLegDown, kLegW / 2, i * 0.05,
                                                         0, kLegDown, i, -0.8f, 1.1f);
    std::tie(legs_[2 * k + 1], joints_[2 * k + 1]) =
        add_segment(legs_[2 * k], init_y - kLegH * 3 / 2 - kLegDown, 0.8 * kLegW / 2, i * 0.05,
                    k == 0 ? kLower0 : kLower1, -kLegH / 2, 1, -1.6f, -0.1f);
  }

  // Gymnasium's reset takes one step with the zero action and returns its
  // observation (which also sets the shaping baseline).
  const float zero[4] = {0, 0, 0, 0};
  std::array<float, 3> info{};
  step(Action::box(zero), obs, info);
}

StepResult BipedalWalker::step(const Action& action, std::span<float> obs, std::span<float> info) {
  if (!world_) throw std::logic_error("BipedalWalker::step before reset");
  for (int j = 0; j < 4; ++j) {
    const double a = action.values[j];
    const double speed = (j % 2 == 0) ? kSpeedHip : kSpeedKnee;
    joints_[j]->SetMotorSpeed(float(speed * sign(a)));
    joints_[j]->SetMaxMotorTorque(float(kMotorsTorque * std::clamp(std::abs(a), 0.0, 1.0)));
  }
  world_->Step(float(1.0 / kFps), 6 * 30, 2 * 30);

  const b2Vec2 pos = hull_->GetPosition();
  const b2Vec2 vel = hull_->GetLinearVelocity();
  double s[24] = {hull_->GetAngle(),
                  2.0 * hull_->GetAngularVelocity() / kFps,
                  0.3 * vel.x * (kViewportW / kScale) / kFps,
                  0.3 * vel.y * (kViewportH / kScale) / kFps,
                  joints_[0]->GetJointAngle(),
                  joints_[0]->GetJointSpeed() / kSpeedHip,
                  joints_[1]->GetJointAngle() + 1.0,
                  joints_[1]->GetJointSpeed() / kSpeedKnee,
                  lower_contact_[0] ? 1.0 : 0.0,
                  joints_[2]->GetJointAngle(),
                  joints_[2]->GetJointSpeed() / kSpeedHip,
                  joints_[3]->GetJointAngle() + 1.0,
                  joints_[3]->GetJointSpeed() / kSpeedKnee,
                  lower_contact_[1] ? 1.0 : 0.0};
  // Lidar: ten rays from the hull, straight down then tilting forward.
  for (int i = 0; i < 10; ++i) {
    LidarCallback lidar;
    const b2Vec2 end(float(pos.x + std::sin(1.5 * i / 10.0) * kLidarRange),
                     float(pos.y - std::cos(1.5 * i / 10.0) * kLidarRange));
    world_->RayCast(&lidar, pos, end);
    s[14 + i] = lidar.fraction;
  }
  for (int i = 0; i < 24; ++i) obs[i] = static_cast<float>(s[i]);

  const double shaping = 130 * pos.x / kScale - 5.0 * std::abs(s[0]);
  const double shaping_reward = have_prev_shaping_ ? shaping - prev_shaping_ : 0.0;
  prev_shaping_ = shaping;
  have_prev_shaping_ = true;
  double torque_cost = 0;
  for (int j = 0; j < 4; ++j) torque_cost += 0.00035 * kMotorsTorque * std::clamp(std::abs(double(action.values[j])), 0.0, 1.0);
  double reward = shaping_reward - torque_cost;
  double terminal = 0;
  bool terminated = false;
  if (game_over_ || pos.x < 0) {
    terminated = true;
    terminal = -100;
    reward = -100;  // replaces the step's reward
  }
  if (pos.x > (kTerrainLength - kTerrainGrass) * kTerrainStep) terminated = true;  // the end: no bonus
  if (!info.empty()) {
    const bool replaced = terminal != 0;
    info[0] = static_cast<float>(replaced ? 0.0 : shaping_reward);
    info[1] = static_cast<float>(replaced ? 0.0 : -torque_cost);
    info[2] = static_cast<float>(terminal);
  }
  return {reward, terminated, false};
}

// Gymnasium's picture: the view scrolls with the hull (a fifth of the width
// behind it); green terrain under a pale sky, a purple hull and legs.
bool BipedalWalker::render(Frame& frame) {
  if (!world_) return false;
  frame.fps = kFps;
  Canvas canvas(frame, Color::rgb8(215, 215, 255));
  const double scroll = hull_->GetPosition().x - kViewportW / kScale / 5;
  canvas.set_view(scroll, scroll + kViewportW / kScale, 0, kViewportH / kScale);
  const Color hull = Color::rgb8(127, 51, 229), limb = Color::rgb8(178, 101, 152);
  draw_world(canvas, *world_, {Color::rgb8(102, 153, 76), [&](const b2Body& body) {
                                 return &body == hull_ ? hull : limb;
                               }});
  return true;
}

}  // namespace rl::envs
