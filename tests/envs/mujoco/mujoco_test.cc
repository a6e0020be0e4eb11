// The MuJoCo suite: model loading, spaces, determinism, reward terms that
// add up, termination at the healthy bounds, and physical sanity checks.
#include <gtest/gtest.h>
#include <mujoco/mujoco.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "envs/mujoco/locomotion.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/mujoco/pendulums.h"
#include "tests/envs/env_test_util.h"

namespace rl::envs {
namespace {

using testing::builtin_registry;

struct Expected {
  std::string id;
  int64_t obs, actions;
  float action_bound;
  int max_steps;
};

const std::vector<Expected> kEnvs = {
    {"HalfCheetah-v5", 17, 6, 1.f, 1000},
    {"Hopper-v5", 11, 3, 1.f, 1000},
    {"Walker2d-v5", 17, 6, 1.f, 1000},
    {"InvertedPendulum-v5", 4, 1, 3.f, 1000},
    {"Swimmer-v5", 8, 2, 1.f, 1000},
    {"Ant-v5", 105, 8, 1.f, 1000},
    {"InvertedDoublePendulum-v5", 9, 1, 1.f, 1000},
    {"Reacher-v5", 10, 2, 1.f, 50},
    {"Humanoid-v5", 348, 17, 0.4f, 1000},
};

EnvOptions defaults(const std::string& id) { return builtin_registry().find(id).default_options; }

template <typename EnvT>
EnvT make(const std::string& id) {
  return EnvT(defaults(id));
}

TEST(MujocoSuiteTest, ModelsLoadWithGymnasiumsSpacesAndLimits) {
  for (const Expected& e : kEnvs) {
    const EnvSpec spec = builtin_registry().spec(e.id);
    EXPECT_EQ(spec.observation_space.flat_size(), e.obs) << e.id;
    EXPECT_EQ(spec.action_space, Space::box({e.actions}, -e.action_bound, e.action_bound)) << e.id;
    EXPECT_EQ(spec.max_episode_steps, e.max_steps) << e.id;
  }
  // The published model dimensions (nq/nv/nu/nbody), timesteps and frame skips.
  const HalfCheetah cheetah = make<HalfCheetah>("HalfCheetah-v5");
  EXPECT_EQ(cheetah.model()->nq, 9);
  EXPECT_EQ(cheetah.model()->nbody, 8);
  EXPECT_NEAR(cheetah.dt(), 0.05, 1e-12);
  double mass = 0;
  for (int b = 0; b < cheetah.model()->nbody; ++b) mass += cheetah.model()->body_mass[b];
  EXPECT_NEAR(mass, 14.0, 1e-9);  // settotalmass
  const Hopper hopper = make<Hopper>("Hopper-v5");
  EXPECT_EQ(hopper.model()->nbody, 5);
  EXPECT_NEAR(hopper.dt(), 0.008, 1e-12);
  EXPECT_EQ(hopper.model()->opt.integrator, mjINT_RK4);
  EXPECT_NEAR(hopper.model()->qpos0[1], 1.25, 1e-12);
  const Walker2d walker = make<Walker2d>("Walker2d-v5");
  EXPECT_EQ(walker.model()->nbody, 8);
  EXPECT_EQ(walker.model()->nu, 6);
  const InvertedPendulum pendulum = make<InvertedPendulum>("InvertedPendulum-v5");
  EXPECT_NEAR(pendulum.dt(), 0.04, 1e-12);
  const Swimmer swimmer = make<Swimmer>("Swimmer-v5");
  EXPECT_EQ(swimmer.model()->nq, 5);
  EXPECT_NEAR(swimmer.model()->opt.viscosity, 0.1, 1e-12);
  EXPECT_NEAR(swimmer.dt(), 0.04, 1e-12);
  const Ant ant = make<Ant>("Ant-v5");
  EXPECT_EQ(ant.model()->nq, 15);
  EXPECT_EQ(ant.model()->nv, 14);
  EXPECT_EQ(ant.model()->nbody, 14);
  EXPECT_NEAR(ant.model()->qpos0[2], 0.75, 1e-12);
  EXPECT_NEAR(ant.dt(), 0.05, 1e-12);
  // Actuators in Gymnasium's order: hip_4, ankle_4, hip_1, ankle_1, ...
  EXPECT_EQ(std::string(mj_id2name(ant.model(), mjOBJ_JOINT, ant.model()->actuator_trnid[0])), "hip_4");
  EXPECT_EQ(std::string(mj_id2name(ant.model(), mjOBJ_JOINT, ant.model()->actuator_trnid[2 * 7])), "ankle_3");
}

// Standing still under zero torques the ant stays healthy; the contact
// forces of its feet on the floor show up, clipped to [-1, 1], in the
// observation (and cost something).
TEST(MujocoSuiteTest, AntRestsOnItsFeetWithContactForcesObserved) {
  Ant ant = make<Ant>("Ant-v5");
  std::vector<float> obs(105), info(8), zero(8, 0.f);
  ant.reset(5, obs);
  for (int t = 0; t < 40; ++t) ASSERT_FALSE(ant.step(Action::box(zero), obs, info).terminated);
  EXPECT_TRUE(ant.healthy());
  double contact_abs = 0;
  for (int i = 27; i < 105; ++i) {
    EXPECT_LE(std::abs(obs[i]), 1.f);
    contact_abs += std::abs(obs[i]);
  }
  EXPECT_GT(contact_abs, 0.0);
  EXPECT_LT(info[2], 0.f);  // reward_contact
}

TEST(MujocoSuiteTest, OneModelPerProcessIsShared) {
  const auto a = MujocoModel::get("hopper.xml");
  const auto b = MujocoModel::get("hopper.xml");
  EXPECT_EQ(a.get(), b.get());
  const Hopper h1 = make<Hopper>("Hopper-v5"), h2 = make<Hopper>("Hopper-v5");
  EXPECT_EQ(h1.model(), h2.model());
  EXPECT_NE(h1.data(), h2.data());
}

TEST(MujocoSuiteTest, MissingAssetIsAClearError) {
  try {
    find_mujoco_asset("no_such_model.xml");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_model.xml"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("RL_MUJOCO_ASSETS"), std::string::npos);
  }
}

TEST(MujocoSuiteTest, DeterministicAndInBoundsThroughTheVectorEnv) {
  for (const Expected& e : kEnvs) {
    SCOPED_TRACE(e.id);
    testing::expect_deterministic(builtin_registry(), e.id, 300);
    testing::expect_observations_in_bounds(builtin_registry(), e.id, 600);
  }
}

// The reward is the sum of the reward_* info terms, on every step of a
// random run, and reward_forward is the x velocity the positions imply.
TEST(MujocoSuiteTest, RewardTermsAddUpAndForwardTermIsTheVelocity) {
  for (const Expected& e : kEnvs) {
    SCOPED_TRACE(e.id);
    auto env = builtin_registry().make_raw(e.id, {});
    std::vector<float> obs(e.obs), info(env->info_keys().size()), action(e.actions);
    const auto keys = env->info_keys();
    const EnvOptions options = defaults(e.id);
    const double forward_weight =
        options.contains("forward_reward_weight") ? options.get_double("forward_reward_weight") : 1.0;
    Rng rng(3);
    env->reset(1, obs);
    double last_x = std::nan("");
    for (int t = 0; t < 200; ++t) {
      for (float& a : action) a = static_cast<float>(rng.uniform(-e.action_bound, e.action_bound));
      const StepResult r = env->step(Action::box(action), obs, info);
      double sum = 0, forward = std::nan(""), x = std::nan(""), vx = std::nan("");
      for (size_t k = 0; k < keys.size(); ++k) {
        if (keys[k].rfind("reward_", 0) == 0) sum += info[k];
        if (keys[k] == "reward_forward") forward = info[k];
        if (keys[k] == "x_position") x = info[k];
        if (keys[k] == "x_velocity") vx = info[k];
      }
      EXPECT_NEAR(r.reward, sum, 1e-4 * (1 + std::abs(r.reward)));
      if (!std::isnan(forward)) {
        EXPECT_NEAR(forward, forward_weight * vx, 1e-4 * (1 + std::abs(vx)));
      }
      if (!std::isnan(last_x) && !std::isnan(x) && e.id != "Humanoid-v5") {  // its x is the torso's, vx the mass centre's
        const double dt = dynamic_cast<MujocoEnv&>(*env).dt();
        EXPECT_NEAR(vx, (x - last_x) / dt, 1e-3 * (1 + std::abs(vx)));
      }
      last_x = x;
      if (r.terminated) {
        env->reset(std::nullopt, obs);
        last_x = std::nan("");
      }
    }
  }
}

// With zero torques the hopper topples: it terminates within two seconds,
// on the first step where its height or pitch leaves the healthy range,
// and that step pays no healthy reward.
TEST(MujocoSuiteTest, HopperFallsOverAndTerminatesUnderZeroAction) {
  Hopper env = make<Hopper>("Hopper-v5");
  std::vector<float> obs(11), info(6), zero(3, 0.f);
  env.reset(7, obs);
  int steps = 0;
  StepResult r;
  do {
    EXPECT_TRUE(env.healthy()) << "step " << steps;
    r = env.step(Action::box(zero), obs, info);
    ++steps;
  } while (!r.terminated && steps < 250);
  ASSERT_TRUE(r.terminated) << "still standing after 2 s";
  const double z = obs[0], angle = obs[1];  // qpos[1], qpos[2]
  EXPECT_TRUE(z <= 0.7 || angle <= -0.2 || angle >= 0.2) << "z " << z << " angle " << angle;
  EXPECT_EQ(info[2], 0.f);  // reward_survive
  EXPECT_GT(steps, 5);
}

TEST(MujocoSuiteTest, Walker2dFallsAndTerminatesUnderZeroAction) {
  Walker2d env = make<Walker2d>("Walker2d-v5");
  std::vector<float> obs(17), info(6), zero(6, 0.f);
  env.reset(7, obs);
  StepResult r;
  int steps = 0;
  do {
    r = env.step(Action::box(zero), obs, info);
    ++steps;
  } while (!r.terminated && steps < 1000);
  ASSERT_TRUE(r.terminated);
  const double z = obs[0], angle = obs[1];
  EXPECT_TRUE(z <= 0.8 || z >= 2.0 || angle <= -1 || angle >= 1) << "z " << z << " angle " << angle;
}

// An inverted pendulum left alone falls past 0.2 rad and terminates; the
// terminating step pays 0, every earlier one 1.
TEST(MujocoSuiteTest, InvertedPendulumFallsWithZeroAction) {
  InvertedPendulum env = make<InvertedPendulum>("InvertedPendulum-v5");
  std::vector<float> obs(4), info(1), zero(1, 0.f);
  env.reset(3, obs);
  double total = 0;
  int steps = 0;
  StepResult r;
  do {
    r = env.step(Action::box(zero), obs, info);
    total += r.reward;
    ++steps;
  } while (!r.terminated && steps < 1000);
  ASSERT_TRUE(r.terminated);
  EXPECT_GT(std::abs(obs[1]), 0.2);
  EXPECT_EQ(r.reward, 0.0);
  EXPECT_EQ(total, steps - 1);
  EXPECT_LT(steps, 200);
}

// The humanoid's published dimensions; standing at 1.4 m it is healthy,
// and with zero torques it collapses below 1 m and terminates.
TEST(MujocoSuiteTest, HumanoidModelAndCollapse) {
  Humanoid env = make<Humanoid>("Humanoid-v5");
  EXPECT_EQ(env.model()->nq, 24);
  EXPECT_EQ(env.model()->nv, 23);
  EXPECT_EQ(env.model()->nu, 17);
  EXPECT_EQ(env.model()->nbody, 14);
  EXPECT_EQ(env.model()->ntendon, 2);
  EXPECT_NEAR(env.dt(), 0.015, 1e-12);
  EXPECT_EQ(env.model()->opt.solver, mjSOL_PGS);
  std::vector<float> obs(348), info(8), zero(17, 0.f);
  env.reset(1, obs);
  EXPECT_TRUE(env.healthy());
  EXPECT_NEAR(obs[0], 1.4, 0.02);  // qpos[2], the torso height
  StepResult r;
  int steps = 0;
  do {
    r = env.step(Action::box(zero), obs, info);
    ++steps;
  } while (!r.terminated && steps < 1000);
  ASSERT_TRUE(r.terminated);
  EXPECT_LE(obs[0], 1.0);
  EXPECT_EQ(info[3], 0.f);  // no healthy reward on the terminating step
  EXPECT_LE(-info[2], 10.0);  // contact cost capped
}

// The double pendulum left alone topples: its tip drops to z <= 1 and the
// episode ends; while up, the tip of the two 0.6 m poles is near z = 1.2.
TEST(MujocoSuiteTest, InvertedDoublePendulumFallsWithZeroAction) {
  InvertedDoublePendulum env = make<InvertedDoublePendulum>("InvertedDoublePendulum-v5");
  std::vector<float> obs(9), info(3), zero(1, 0.f);
  env.reset(2, obs);
  const int tip = mj_name2id(env.model(), mjOBJ_SITE, "tip");
  EXPECT_NEAR(env.data()->site_xpos[3 * tip + 2], 1.2, 0.1);
  StepResult r;
  int steps = 0;
  do {
    r = env.step(Action::box(zero), obs, info);
    ++steps;
  } while (!r.terminated && steps < 1000);
  ASSERT_TRUE(r.terminated);
  EXPECT_LE(env.data()->site_xpos[3 * tip + 2], 1.0);
  EXPECT_EQ(info[0], 0.f);
}

// The target sits inside the disc of radius 0.2 after every reset; the
// observation's last two entries are fingertip - target, and the distance
// term is minus its norm (the target and fingertip share z).
TEST(MujocoSuiteTest, ReacherTargetsAndDistanceReward) {
  Reacher env = make<Reacher>("Reacher-v5");
  std::vector<float> obs(10), info(2), zero(2, 0.f);
  for (uint64_t seed = 0; seed < 20; ++seed) {
    env.reset(seed, obs);
    EXPECT_LT(std::hypot(obs[4], obs[5]), 0.2);
    EXPECT_EQ(env.data()->qvel[2], 0.0);
    env.step(Action::box(zero), obs, info);
    EXPECT_NEAR(info[0], -std::hypot(obs[8], obs[9]), 1e-5);
    EXPECT_EQ(info[1], 0.f);
  }
}

// A fixed open-loop gait (a 3 Hz sine per joint with these phases, found by
// a random search over phases) moves the cheetah forward: x grows by metres,
// and reward_forward is positive on average.
constexpr double kGaitPhases[6] = {2.45, 5.12, 3.85, 4.67, 5.99, 4.53};

TEST(MujocoSuiteTest, HalfCheetahRunsForwardUnderAFixedGait) {
  HalfCheetah env = make<HalfCheetah>("HalfCheetah-v5");
  std::vector<float> obs(17), info(4), action(6);
  env.reset(0, obs);
  const double x0 = env.data()->qpos[0];
  double forward = 0;
  for (int t = 0; t < 300; ++t) {
    const double phase = 2 * std::numbers::pi * t * env.dt() * 3.0;
    for (int j = 0; j < 6; ++j) action[j] = static_cast<float>(std::sin(phase + kGaitPhases[j]));
    env.step(Action::box(action), obs, info);
    forward += info[0];
  }
  EXPECT_GT(env.data()->qpos[0] - x0, 1.0);
  EXPECT_GT(forward / 300, 0.0);
}

}  // namespace
}  // namespace rl::envs
