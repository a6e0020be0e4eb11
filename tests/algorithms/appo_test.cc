// APPO against its definition (Sample Factory's loss on V-trace targets,
// written out here independently with autograd), the fast path against
// libtorch, and the on-policy case against PPO with GAE(lambda = 1).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

#include "algorithms/appo.h"
#include "algorithms/appo_fast.h"
#include "algorithms/ppo.h"
#include "algorithms/ppo_fast.h"
#include "algorithms/returns.h"
#include "rl/nn/actor_critic.h"
#include "rl/nn/flat_parameters.h"
#include "rl/nn/mlp.h"

namespace rl {
namespace {

constexpr int64_t kObs = 5, kT = 6, kB = 3;

struct Case {
  std::string name;
  Space action_space;
};

std::vector<Case> cases() {
  return {{"discrete", Space::discrete(3)}, {"box", Space::box({2}, -1.f, 1.f)}};
}

PolicyConfig small_policy() {
  PolicyConfig c;
  c.hidden_sizes = {16, 16};
  c.ortho_init = false;
  c.log_std_init = -0.3;
  return c;
}

std::vector<float> host(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kFloat).contiguous().reshape({-1});
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

std::vector<float> flat_of(ActorCriticImpl& model, const MlpActorCritic& net) {
  std::vector<float> flat(net.num_parameters());
  copy_parameters(model, net.slots(), flat);
  return flat;
}

// A hand-sized off-policy batch: behaviour log-probabilities 0.6 nats
// around the current policy's, rewards, episode ends.
ImpalaBatch off_policy_batch(ActorCriticImpl& model, const Space& space) {
  ImpalaBatch b;
  b.obs = torch::randn({kT + 1, kB, kObs});
  b.actions = space.is_discrete() ? torch::randint(0, space.n(), {kT, kB}, torch::kLong)
                                  : torch::randn({kT, kB, space.flat_size()});
  {
    torch::NoGradGuard no_grad;
    const PolicyOutput out = model.forward(b.obs.slice(0, 0, kT).reshape({kT * kB, kObs}));
    const torch::Tensor actions = space.is_discrete() ? b.actions.reshape({-1}) : b.actions.reshape({kT * kB, -1});
    b.behaviour_log_probs = (model.log_prob(out, actions) + 0.6 * torch::randn({kT * kB})).reshape({kT, kB});
  }
  b.rewards = torch::randn({kT, kB}) * 2;
  b.discounts = (torch::rand({kT, kB}) > 0.25).to(torch::kFloat) * 0.97;
  return b;
}

// V-trace from its sum form (Espeholt et al. eq. 1), in double:
//   v_s = V_s + sum_{t >= s} (prod_{i=s}^{t-1} g_i c_i) g-free rho_t delta_t,
//   delta_t = r_t + g_t V_{t+1} - V_t,
// and A_s = min(pg_rho_bar, r_s) (r_s + g_s v_{s+1} - V_s).
void vtrace_by_definition(const std::vector<float>& log_rhos, const std::vector<float>& discounts,
                          const std::vector<float>& rewards, const std::vector<float>& values_all, double rho_bar,
                          double c_bar, double pg_rho_bar, std::vector<double>& vs, std::vector<double>& adv) {
  auto V = [&](int64_t t, int64_t b) { return double(values_all[t * kB + b]); };
  vs.assign(kT * kB + kB, 0.0);
  adv.assign(kT * kB, 0.0);
  for (int64_t b = 0; b < kB; ++b) {
    vs[kT * kB + b] = V(kT, b);
    for (int64_t s = 0; s < kT; ++s) {
      double sum = 0, weight = 1;
      for (int64_t t = s; t < kT; ++t) {
        const int64_t i = t * kB + b;
        const double ratio = std::exp(double(log_rhos[i]));
        const double delta = rewards[i] + discounts[i] * V(t + 1, b) - V(t, b);
        sum += weight * std::min(rho_bar, ratio) * delta;
        weight *= discounts[i] * std::min(c_bar, ratio);
      }
      vs[s * kB + b] = V(s, b) + sum;
    }
    for (int64_t s = 0; s < kT; ++s) {
      const int64_t i = s * kB + b;
      const double ratio = std::exp(double(log_rhos[i]));
      adv[i] = std::min(pg_rho_bar, ratio) * (rewards[i] + discounts[i] * vs[i + kB] - V(s, b));
    }
  }
}

}  // namespace

// The loss at parameters theta_1 on targets computed at theta_0 (what a
// second minibatch or epoch sees): Sample Factory's clipped surrogate on
// pi/mu with [1/(1+e), 1+e], the absolute value clip, the entropy bonus;
// written out with torch operations here and differentiated by autograd,
// then compared with both of the project's paths, loss and every
// parameter's gradient, with both clips active.
TEST(AppoLossTest, EqualsTheDefinitionWithAutogradOnBothPaths) {
  torch::manual_seed(11);
  for (const Case& c : cases()) {
    ActorCriticImpl model(kObs, c.action_space, small_policy());
    const MlpSpec spec = MlpSpec::of(kObs, c.action_space, small_policy());
    MlpActorCritic net(spec);
    const ImpalaBatch batch = off_policy_batch(model, c.action_space);
    AppoConfig config;  // Sample Factory's defaults: e 0.1 reciprocal, value clip 1
    config.ent_coef = 0.01;
    config.rho_bar = 0.9;  // clips some of the ratios in the targets too
    const PpoConfig update = config.update_config();

    // Targets at theta_0 on both paths.
    AppoTargetStats stats;
    const PpoBatch ppo = appo_batch(model, batch, config, &stats);
    const std::vector<float> theta0 = flat_of(model, net);
    const bool discrete = c.action_space.is_discrete();
    const torch::Tensor actions = batch.actions.contiguous();
    const std::vector<float> obs = host(batch.obs), log_mu = host(batch.behaviour_log_probs),
                             rewards = host(batch.rewards), discounts = host(batch.discounts);
    const ImpalaHostBatch host_batch{
        .num_steps = kT,
        .num_streams = kB,
        .obs = obs,
        .discrete_actions = discrete ? std::span<const int64_t>(actions.data_ptr<int64_t>(), kT * kB)
                                     : std::span<const int64_t>(),
        .box_actions = discrete ? std::span<const float>()
                                : std::span<const float>(actions.data_ptr<float>(), actions.numel()),
        .behaviour_log_probs = log_mu,
        .rewards = rewards,
        .discounts = discounts};
    FastAppoTargets fast_targets(spec);
    AppoHostTargets targets;
    fast_targets.compute(theta0, host_batch, config, targets);
    EXPECT_NEAR(targets.stats.mean_ratio, stats.mean_ratio, 1e-5) << c.name;
    EXPECT_GT(stats.clipped_rho_fraction, 0.0) << c.name;
    for (int64_t i = 0; i < kT * kB; ++i) {
      EXPECT_NEAR(targets.vs[i], ppo.returns[i].item<float>(), 1e-4) << c.name << " v_s " << i;
      EXPECT_NEAR(targets.advantages[i], ppo.advantages[i].item<float>(), 1e-4) << c.name << " A " << i;
      EXPECT_NEAR(targets.values[i], ppo.values[i].item<float>(), 1e-5) << c.name << " V " << i;
    }

    // V-trace by its definition, against the targets.
    std::vector<float> values_all;
    std::vector<float> log_rhos(kT * kB);
    {
      torch::NoGradGuard no_grad;
      const PolicyOutput out = model.forward(batch.obs.reshape({(kT + 1) * kB, kObs}));
      values_all = host(out.value);
      const torch::Tensor lp = model.log_prob({out.params.slice(0, 0, kT * kB), out.value.slice(0, 0, kT * kB)},
                                              ppo.actions);
      const std::vector<float> lp_host = host(lp);
      for (int64_t i = 0; i < kT * kB; ++i) log_rhos[i] = lp_host[i] - log_mu[i];
    }
    std::vector<double> vs_def, adv_def;
    vtrace_by_definition(log_rhos, discounts, rewards, values_all, config.rho_bar, config.c_bar, config.pg_rho_bar,
                         vs_def, adv_def);
    for (int64_t i = 0; i < kT * kB; ++i) {
      EXPECT_NEAR(targets.vs[i], vs_def[i], 1e-4) << c.name << " v_s by definition " << i;
      EXPECT_NEAR(targets.advantages[i], adv_def[i], 1e-4) << c.name << " A by definition " << i;
    }

    // Move to theta_1: the ratios and values drift, past both clips.
    {
      torch::NoGradGuard no_grad;
      for (auto& p : model.parameters()) p.add_(0.15 * torch::randn_like(p));
      for (const auto& item : model.named_parameters()) {
        if (item.key().rfind("v_head", 0) == 0) item.value().add_(0.8 * torch::randn_like(item.value()));
      }
    }
    const std::vector<float> theta1 = flat_of(model, net);

    // The definition, with autograd.
    const PolicyOutput out = model.forward(ppo.obs);
    const torch::Tensor ratio = (model.log_prob(out, ppo.actions) - ppo.log_probs).exp();
    const torch::Tensor a = (ppo.advantages - ppo.advantages.mean()) / (ppo.advantages.std() + 1e-8);
    const double e = config.clip_coef;
    const torch::Tensor policy =
        torch::max(-a * ratio, -a * torch::clamp(ratio, 1.0 / (1.0 + e), 1.0 + e)).mean();
    const torch::Tensor dv = out.value - ppo.values;
    const torch::Tensor v_clipped = ppo.values + torch::clamp(dv, -config.value_clip, config.value_clip);
    const torch::Tensor value =
        0.5 * torch::max((out.value - ppo.returns).pow(2), (v_clipped - ppo.returns).pow(2)).mean();
    const torch::Tensor entropy = model.entropy(out).mean();
    const torch::Tensor total = policy + config.vf_coef * value - config.ent_coef * entropy;
    model.zero_grad();
    total.backward();
    const int64_t ratio_clipped = ((ratio < 1.0 / (1.0 + e)) | (ratio > 1.0 + e)).sum().item<int64_t>();
    const int64_t value_clipped = (dv.abs() > config.value_clip).sum().item<int64_t>();
    EXPECT_GT(ratio_clipped, 0) << c.name << ": the case should exercise the ratio clip";
    EXPECT_LT(ratio_clipped, kT * kB) << c.name;
    EXPECT_GT(value_clipped, 0) << c.name << ": the case should exercise the value clip";
    EXPECT_LT(value_clipped, kT * kB) << c.name;

    // libtorch path (ppo_loss on the APPO batch).
    const PpoLoss loss = ppo_loss(model, ppo, update, config.clip_coef);
    EXPECT_NEAR(loss.total.item<double>(), total.item<double>(), 1e-5) << c.name;
    EXPECT_NEAR(loss.clip_fraction.item<double>(), double(ratio_clipped) / (kT * kB), 1e-6) << c.name;

    // Fast path, every parameter's gradient.
    FastPpoUpdater updater(spec);
    const PpoHostBatch fast_batch{.size = kT * kB,
                                  .obs = std::span<const float>(obs).first(kT * kB * kObs),
                                  .discrete_actions = host_batch.discrete_actions,
                                  .box_actions = host_batch.box_actions,
                                  .log_probs = log_mu,
                                  .values = targets.values,
                                  .advantages = targets.advantages,
                                  .returns = targets.vs};
    std::vector<int64_t> index(kT * kB);
    for (int64_t i = 0; i < kT * kB; ++i) index[i] = i;
    std::vector<float> grads(theta1.size(), 0.f);
    const PpoMinibatchLoss fast = updater.minibatch_gradient(theta1, grads, fast_batch, index, update, config.clip_coef);
    EXPECT_NEAR(fast.total, total.item<double>(), 1e-5) << c.name;
    EXPECT_NEAR(fast.policy, policy.item<double>(), 1e-5) << c.name;
    EXPECT_NEAR(fast.value, value.item<double>(), 1e-5) << c.name;
    const auto named = model.named_parameters();
    for (size_t i = 0; i < named.size(); ++i) {
      const FlatSlot& slot = net.slots()[i];
      const std::vector<float> expected = host(named[i].value().grad());
      double diff = 0, norm = 0;
      for (int64_t j = 0; j < slot.size; ++j) {
        diff += std::pow(grads[slot.offset + j] - expected[j], 2);
        norm += std::pow(expected[j], 2);
      }
      EXPECT_LT(std::sqrt(diff), 1e-4 * std::max(std::sqrt(norm), 1e-3)) << c.name << " " << slot.name;
    }
  }
}

// On-policy (mu = pi) with lambda 1 and PPO's clip shape, APPO is PPO with
// GAE(lambda = 1): the same advantages and value targets (a truncated step
// included: IMPALA's form folds gamma V(o_final) into the reward, PPO's
// bootstraps it in GAE), and one update leaves the same parameters.
TEST(AppoOnPolicyTest, EqualsPpoWithGaeLambdaOne) {
  torch::manual_seed(12);
  for (const Case& c : cases()) {
    ActorCriticImpl appo_model(kObs, c.action_space, small_policy());
    ActorCriticImpl ppo_model(kObs, c.action_space, small_policy());
    {
      torch::NoGradGuard no_grad;
      const auto from = appo_model.parameters();
      const auto to = ppo_model.parameters();
      for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
    }
    const double gamma = 0.97;
    ImpalaBatch batch = off_policy_batch(appo_model, c.action_space);
    std::vector<uint8_t> terminated(kT * kB, 0), truncated(kT * kB, 0);
    terminated[1 * kB + 0] = 1;
    truncated[3 * kB + 1] = 1;
    const torch::Tensor final_obs = torch::randn({1, kObs});
    torch::Tensor flat_actions =
        c.action_space.is_discrete() ? batch.actions.reshape({-1}) : batch.actions.reshape({kT * kB, -1});
    std::vector<float> values_all, final_value;
    {
      torch::NoGradGuard no_grad;
      const PolicyOutput out = appo_model.forward(batch.obs.reshape({(kT + 1) * kB, kObs}));
      values_all = host(out.value);
      batch.behaviour_log_probs = appo_model
                                      .log_prob({out.params.slice(0, 0, kT * kB), out.value.slice(0, 0, kT * kB)},
                                                flat_actions)
                                      .reshape({kT, kB});
      final_value = host(appo_model.value(final_obs));
    }
    const std::vector<float> rewards = host(batch.rewards);
    // IMPALA's form: discount 0 at every end, gamma V(o_final) in the reward.
    std::vector<float> impala_rewards = rewards, discounts(kT * kB, float(gamma));
    for (int64_t i = 0; i < kT * kB; ++i) {
      if (terminated[i] || truncated[i]) discounts[i] = 0.f;
    }
    impala_rewards[3 * kB + 1] += float(gamma) * final_value[0];
    batch.rewards = torch::tensor(impala_rewards).reshape({kT, kB});
    batch.discounts = torch::tensor(discounts).reshape({kT, kB});

    AppoConfig config;
    config.gamma = gamma;
    config.ratio_clip = "symmetric";
    config.value_clip = 0;  // PPO's: the surrogate's epsilon
    config.clip_coef = 0.2;
    config.update_epochs = 3;
    config.num_minibatches = 2;
    config.ent_coef = 0.01;
    config.vf_coef = 0.5;
    config.max_grad_norm = 0.5;
    AppoTargetStats stats;
    const PpoBatch appo = appo_batch(appo_model, batch, config, &stats);
    EXPECT_NEAR(stats.mean_ratio, 1.0, 1e-6) << c.name;

    // PPO: GAE(gamma, 1) with separate termination and truncation.
    const std::vector<float> values(values_all.begin(), values_all.begin() + kT * kB);
    const std::vector<float> bootstrap(values_all.begin() + kT * kB, values_all.end());
    const std::vector<int32_t> final_index{3 * kB + 1};
    std::vector<float> next(kT * kB), advantages(kT * kB), returns(kT * kB);
    successor_values(values, bootstrap, final_index, final_value, terminated, truncated, kT, kB, next);
    gae(rewards, values, next, terminated, truncated, kT, kB, gamma, 1.0, advantages, returns);
    for (int64_t i = 0; i < kT * kB; ++i) {
      EXPECT_NEAR(appo.advantages[i].item<float>(), advantages[i], 1e-4) << c.name << " A " << i;
      EXPECT_NEAR(appo.returns[i].item<float>(), returns[i], 1e-4) << c.name << " R " << i;
    }

    PpoBatch ppo = appo;
    ppo.advantages = torch::tensor(advantages);
    ppo.returns = torch::tensor(returns);
    PpoConfig ppo_config;
    ppo_config.gamma = gamma;
    ppo_config.gae_lambda = 1.0;
    ppo_config.update_epochs = 3;
    ppo_config.num_minibatches = 2;
    torch::optim::Adam appo_optimizer(appo_model.parameters(), torch::optim::AdamOptions(1e-2).eps(1e-5));
    torch::optim::Adam ppo_optimizer(ppo_model.parameters(), torch::optim::AdamOptions(1e-2).eps(1e-5));
    Rng appo_rng(5), ppo_rng(5);
    const PpoStats a = ppo_update(appo_model, appo_optimizer, appo, config.update_config(), 1e-2, 0.2, appo_rng);
    const PpoStats p = ppo_update(ppo_model, ppo_optimizer, ppo, ppo_config, 1e-2, 0.2, ppo_rng);
    EXPECT_NEAR(a.policy_loss, p.policy_loss, 1e-4) << c.name;
    EXPECT_NEAR(a.value_loss, p.value_loss, 1e-4) << c.name;
    EXPECT_GT(a.clip_fraction, 0.0) << c.name << ": later minibatches should clip";
    const auto appo_params = appo_model.parameters(), ppo_params = ppo_model.parameters();
    for (size_t i = 0; i < appo_params.size(); ++i) {
      EXPECT_TRUE(torch::allclose(appo_params[i], ppo_params[i], 1e-4, 1e-5)) << c.name << " parameter " << i;
    }
  }
}

// The reciprocal range is Sample Factory's: [1/(1+e), 1+e].
TEST(AppoConfigTest, ClipRangesAndErrorsNameTheAppoKey) {
  AppoConfig config;
  const ClipRange range = ClipRange::of(config.update_config(), 0.1);
  EXPECT_NEAR(range.low, 1.0 / 1.1, 1e-12);
  EXPECT_NEAR(range.high, 1.1, 1e-12);
  EXPECT_NEAR(range.value, 1.0, 1e-12);
  config.update_epochs = 0;
  try {
    config.validate();
    FAIL() << "update_epochs 0 was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("appo.update_epochs"), std::string::npos) << e.what();
  }
  config.update_epochs = 1;
  config.ratio_clip = "asymmetric";
  EXPECT_THROW(config.validate(), std::invalid_argument);
}

}  // namespace rl
