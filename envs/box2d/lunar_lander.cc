#include "envs/box2d/lunar_lander.h"

#include <box2d/box2d.h>

#include "envs/box2d/contacts.h"
#include "envs/box2d/draw_world.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

namespace rl::envs {
namespace {

// Gymnasium's constants, in its pixel units where it states them so.
constexpr double kScale = 30.0;  // pixels per metre
constexpr double kFps = 50.0;
constexpr double kMainEnginePower = 13.0;
constexpr double kSideEnginePower = 0.6;
constexpr double kInitialRandom = 1000.0;
constexpr double kLegAway = 20, kLegDown = 18, kLegW = 2, kLegH = 8;
constexpr double kLegSpringTorque = 40;
constexpr double kSideEngineHeight = 14, kSideEngineAway = 12, kMainEngineYLocation = 4;
constexpr double kW = 600 / kScale, kH = 400 / kScale;  // viewport in metres
constexpr int kChunks = 11;
constexpr std::array<std::array<double, 2>, 6> kLanderPoly = {
    {{-14, 17}, {-17, 0}, {-17, -10}, {17, -10}, {17, 0}, {14, 17}}};

const std::vector<std::string> kInfoKeys = {"reward_shaping", "reward_main_engine", "reward_side_engine",
                                            "reward_terminal"};

// Tags in the bodies' user data.
enum BodyTag : uintptr_t { kMoon = 1, kLanderBody = 2, kLeg0 = 3, kLeg1 = 4 };

}  // namespace


LunarLander::LunarLander(const EnvOptions& options)
    : continuous_(options.get_bool("continuous")),
      gravity_(options.get_double("gravity")),
      enable_wind_(options.get_bool("enable_wind")),
      wind_power_(options.get_double("wind_power")),
      turbulence_power_(options.get_double("turbulence_power")),
      observation_space_(Space::box({8}, {-2.5f, -2.5f, -10.f, -10.f, float(-2 * std::numbers::pi), -10.f, 0.f, 0.f},
                                    {2.5f, 2.5f, 10.f, 10.f, float(2 * std::numbers::pi), 10.f, 1.f, 1.f})),
      action_space_(continuous_ ? Space::box({2}, -1.f, 1.f) : Space::discrete(4)) {
  if (!(gravity_ > -12.0 && gravity_ < 0.0)) {
    throw std::invalid_argument("LunarLander option gravity must be in (-12, 0), got " + std::to_string(gravity_));
  }
  if (wind_power_ < 0 || turbulence_power_ < 0) {
    throw std::invalid_argument("LunarLander options wind_power and turbulence_power must be >= 0");
  }
}

LunarLander::~LunarLander() { destroy(); }

std::span<const std::string> LunarLander::info_keys() const { return kInfoKeys; }

void LunarLander::destroy() {
  // The world owns its bodies and joints.
  world_.reset();
  moon_ = lander_ = legs_[0] = legs_[1] = nullptr;
}

void LunarLander::reset(std::optional<uint64_t> seed, std::span<float> obs) {
  if (seed) rng_.reseed(*seed);
  destroy();
  world_ = std::make_unique<b2World>(b2Vec2(0.f, static_cast<float>(gravity_)));
  listener_ = std::make_unique<TagContactListener>([this](uintptr_t tag, bool begin) {
    // Any contact of the lander's body ends the game; a leg's flag follows its contacts.
    if (tag == kLanderBody && begin) game_over_ = true;
    if (tag == kLeg0) leg_contact_[0] = begin;
    if (tag == kLeg1) leg_contact_[1] = begin;
  });
  world_->SetContactListener(listener_.get());
  game_over_ = false;
  have_prev_shaping_ = false;
  leg_contact_[0] = leg_contact_[1] = false;
  // The order of the random draws is Gymnasium's: terrain, the first
  // step's force, the wind's phases.
  build_terrain();
  const double initial_y = kH;
  build_lander(initial_y);
  if (enable_wind_) {
    wind_index_ = rng_.integer(-9999, 9999);
    torque_index_ = rng_.integer(-9999, 9999);
  }
  build_legs(initial_y);

  // Gymnasium's reset steps once with the zero action and returns that
  // observation; it also sets the shaping baseline.
  std::array<float, 4> info{};
  advance(0.0, 0, 0.0, obs, info);
}

void LunarLander::build_terrain() {
  // 11 chunks, the middle five flat at the pad's height, smoothed over
  // neighbours (index -1 wraps around to the last height).
  std::array<double, kChunks + 1> height;
  for (double& h : height) h = rng_.uniform(0.0, kH / 2);
  std::array<double, kChunks> chunk_x, smooth_y;
  for (int i = 0; i < kChunks; ++i) chunk_x[i] = kW / (kChunks - 1) * i;
  helipad_y_ = kH / 4;
  for (int i = kChunks / 2 - 2; i <= kChunks / 2 + 2; ++i) height[i] = helipad_y_;
  for (int i = 0; i < kChunks; ++i) {
    const double prev = height[i == 0 ? kChunks : i - 1];
    smooth_y[i] = 0.33 * (prev + height[i] + height[i + 1]);
  }
  b2BodyDef moon_def;
  moon_def.userData.pointer = kMoon;
  moon_ = world_->CreateBody(&moon_def);
  b2EdgeShape edge;
  edge.SetTwoSided(b2Vec2(0, 0), b2Vec2(static_cast<float>(kW), 0));
  moon_->CreateFixture(&edge, 0.f);
  for (int i = 0; i < kChunks - 1; ++i) {
    b2EdgeShape chunk;
    chunk.SetTwoSided(b2Vec2(float(chunk_x[i]), float(smooth_y[i])), b2Vec2(float(chunk_x[i + 1]), float(smooth_y[i + 1])));
    b2FixtureDef fixture;
    fixture.shape = &chunk;
    fixture.density = 0;
    fixture.friction = 0.1f;
    moon_->CreateFixture(&fixture);
  }
}

void LunarLander::build_lander(double initial_y) {
  // The lander, pushed by a random force during the first step.
  b2BodyDef lander_def;
  lander_def.type = b2_dynamicBody;
  lander_def.position.Set(float(kW / 2), float(initial_y));
  lander_def.userData.pointer = kLanderBody;
  lander_ = world_->CreateBody(&lander_def);
  b2Vec2 poly[6];
  for (size_t i = 0; i < kLanderPoly.size(); ++i) {
    poly[i].Set(float(kLanderPoly[i][0] / kScale), float(kLanderPoly[i][1] / kScale));
  }
  b2PolygonShape lander_shape;
  lander_shape.Set(poly, 6);
  b2FixtureDef lander_fixture;
  lander_fixture.shape = &lander_shape;
  lander_fixture.density = 5.f;
  lander_fixture.friction = 0.1f;
  lander_fixture.filter.categoryBits = 0x0010;
  lander_fixture.filter.maskBits = 0x001;
  lander_fixture.restitution = 0.f;
  lander_->CreateFixture(&lander_fixture);
  const double fx = rng_.uniform(-kInitialRandom, kInitialRandom);
  const double fy = rng_.uniform(-kInitialRandom, kInitialRandom);
  lander_->ApplyForceToCenter(b2Vec2(float(fx), float(fy)), true);
}

void LunarLander::build_legs(double initial_y) {
  // Two legs on spring-loaded revolute joints (leg 0 is Gymnasium's i = -1).
  for (int k = 0; k < 2; ++k) {
    const int i = k == 0 ? -1 : 1;
    b2BodyDef leg_def;
    leg_def.type = b2_dynamicBody;
    leg_def.position.Set(float(kW / 2 - i * kLegAway / kScale), float(initial_y));
    leg_def.angle = float(i * 0.05);
    leg_def.userData.pointer = k == 0 ? kLeg0 : kLeg1;
    legs_[k] = world_->CreateBody(&leg_def);
    b2PolygonShape leg_shape;
    leg_shape.SetAsBox(float(kLegW / kScale), float(kLegH / kScale));
    b2FixtureDef leg_fixture;
    leg_fixture.shape = &leg_shape;
    leg_fixture.density = 1.f;
    leg_fixture.restitution = 0.f;
    leg_fixture.filter.categoryBits = 0x0020;
    leg_fixture.filter.maskBits = 0x001;
    legs_[k]->CreateFixture(&leg_fixture);
    b2RevoluteJointDef joint;
    joint.bodyA = lander_;
    joint.bodyB = legs_[k];
    joint.localAnchorA.Set(0, 0);
    joint.localAnchorB.Set(float(i * kLegAway / kScale), float(kLegDown / kScale));
    joint.enableMotor = true;
    joint.enableLimit = true;
    joint.maxMotorTorque = float(kLegSpringTorque);
    joint.motorSpeed = float(0.3 * i);
    if (i == -1) {
      joint.lowerAngle = 0.9f - 0.5f;
      joint.upperAngle = 0.9f;
    } else {
      joint.lowerAngle = -0.9f;
      joint.upperAngle = -0.9f + 0.5f;
    }
    world_->CreateJoint(&joint);
  }
}

StepResult LunarLander::step(const Action& action, std::span<float> obs, std::span<float> info) {
  if (!world_) throw std::logic_error("LunarLander::step before reset");
  double main = 0, side = 0;
  int direction = 0;
  if (continuous_) {
    const double a0 = std::clamp(double(action.values[0]), -1.0, 1.0);
    const double a1 = std::clamp(double(action.values[1]), -1.0, 1.0);
    if (a0 > 0) main = (std::clamp(a0, 0.0, 1.0) + 1.0) * 0.5;  // in (0.5, 1]
    if (std::abs(a1) > 0.5) {
      direction = a1 > 0 ? 1 : -1;
      side = std::clamp(std::abs(a1), 0.5, 1.0);
    }
  } else {
    if (action.index == 2) main = 1.0;
    if (action.index == 1 || action.index == 3) {
      direction = static_cast<int>(action.index) - 2;
      side = 1.0;
    }
  }
  return advance(main, direction, side, obs, info);
}

StepResult LunarLander::advance(double main_power, int direction, double side_power, std::span<float> obs,
                                std::span<float> info) {
  if (enable_wind_ && !(leg_contact_[0] || leg_contact_[1])) {
    auto wave = [](double k) { return std::tanh(std::sin(0.02 * k) + std::sin(std::numbers::pi * 0.01 * k)); };
    const double wind = wave(double(wind_index_++)) * wind_power_;
    lander_->ApplyForceToCenter(b2Vec2(float(wind), 0.f), true);
    const double torque = wave(double(torque_index_++)) * turbulence_power_;
    lander_->ApplyTorque(float(torque), true);
  }

  const double angle = lander_->GetAngle();
  const double tip[2] = {std::sin(angle), std::cos(angle)};
  const double side_dir[2] = {-tip[1], tip[0]};
  // Engine dispersion, drawn every step whether an engine fires or not.
  const double dispersion[2] = {rng_.uniform(-1.0, 1.0) / kScale, rng_.uniform(-1.0, 1.0) / kScale};
  const b2Vec2 pos = lander_->GetPosition();
  if (main_power > 0) {
    const double ox = tip[0] * (kMainEngineYLocation / kScale + 2 * dispersion[0]) + side_dir[0] * dispersion[1];
    const double oy = -tip[1] * (kMainEngineYLocation / kScale + 2 * dispersion[0]) - side_dir[1] * dispersion[1];
    const b2Vec2 at(float(pos.x + ox), float(pos.y + oy));
    lander_->ApplyLinearImpulse(b2Vec2(float(-ox * kMainEnginePower * main_power),
                                       float(-oy * kMainEnginePower * main_power)),
                                at, true);
  }
  if (side_power > 0) {
    const double reach = 3 * dispersion[1] + direction * kSideEngineAway / kScale;
    const double ox = tip[0] * dispersion[0] + side_dir[0] * reach;
    const double oy = -tip[1] * dispersion[0] - side_dir[1] * reach;
    // 17 against 14: the asymmetry of the original, an angle-dependent torque.
    const b2Vec2 at(float(pos.x + ox - tip[0] * 17 / kScale), float(pos.y + oy + tip[1] * kSideEngineHeight / kScale));
    lander_->ApplyLinearImpulse(b2Vec2(float(-ox * kSideEnginePower * side_power),
                                       float(-oy * kSideEnginePower * side_power)),
                                at, true);
  }

  world_->Step(float(1.0 / kFps), 6 * 30, 2 * 30);

  const b2Vec2 p = lander_->GetPosition();
  const b2Vec2 v = lander_->GetLinearVelocity();
  const double s[8] = {(p.x - kW / 2) / (kW / 2),
                       (p.y - (helipad_y_ + kLegDown / kScale)) / (kH / 2),
                       v.x * (kW / 2) / kFps,
                       v.y * (kH / 2) / kFps,
                       lander_->GetAngle(),
                       20.0 * lander_->GetAngularVelocity() / kFps,
                       leg_contact_[0] ? 1.0 : 0.0,
                       leg_contact_[1] ? 1.0 : 0.0};
  for (int i = 0; i < 8; ++i) obs[i] = static_cast<float>(s[i]);

  const double shaping = -100 * std::sqrt(s[0] * s[0] + s[1] * s[1]) - 100 * std::sqrt(s[2] * s[2] + s[3] * s[3]) -
                         100 * std::abs(s[4]) + 10 * s[6] + 10 * s[7];
  const double shaping_reward = have_prev_shaping_ ? shaping - prev_shaping_ : 0.0;
  prev_shaping_ = shaping;
  have_prev_shaping_ = true;
  double reward = shaping_reward - main_power * 0.30 - side_power * 0.03;
  double terminal = 0;
  bool terminated = false;
  if (game_over_ || std::abs(s[0]) >= 1.0) {
    terminated = true;
    terminal = -100;
  }
  if (!lander_->IsAwake()) {  // at rest: landed
    terminated = true;
    terminal = 100;
  }
  if (terminated) reward = terminal;  // replaces the step's reward
  if (!info.empty()) {
    info[0] = static_cast<float>(terminated ? 0.0 : shaping_reward);
    info[1] = static_cast<float>(terminated ? 0.0 : -main_power * 0.30);
    info[2] = static_cast<float>(terminated ? 0.0 : -side_power * 0.03);
    info[3] = static_cast<float>(terminal);
  }
  return {reward, terminated, false};
}

// Gymnasium's picture: black sky over a white moon, a purple lander with
// its legs, and the two flags of the helipad.
bool LunarLander::render(Frame& frame) {
  if (!world_) return false;
  frame.fps = kFps;
  Canvas canvas(frame, Color{0, 0, 0});
  canvas.set_view(0, kW, 0, kH);
  const Color lander = Color::rgb8(128, 102, 230), leg = Color::rgb8(77, 77, 128);
  draw_world(canvas, *world_, {Color{1, 1, 1}, [&](const b2Body& body) {
                                 return &body == lander_ ? lander : leg;
                               }});
  const double chunk = kW / (kChunks - 1);
  for (const double x : {chunk * (kChunks / 2 - 1), chunk * (kChunks / 2 + 1)}) {
    const double top = helipad_y_ + 50 / kScale;
    canvas.line({x, helipad_y_}, {x, top}, 1, Color{1, 1, 1});
    const Point flag[] = {{x, top}, {x, top - 10 / kScale}, {x + 25 / kScale, top - 5 / kScale}};
    canvas.fill_polygon(flag, Color::rgb8(204, 204, 0));
  }
  return true;
}

}  // namespace rl::envs
