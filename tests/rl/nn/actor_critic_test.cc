#include "rl/nn/actor_critic.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace rl {
namespace {

// log N(a; mu, sigma) summed over dims; d/dmu = (a - mu) / sigma^2 and
// d/dlog_sigma = (a - mu)^2 / sigma^2 - 1 per dim.
TEST(ActorCriticTest, GaussianLogProbAndItsGradientMatchTheClosedForm) {
  PolicyConfig config;
  config.log_std_init = -0.5;
  ActorCritic model(3, Space::box({2}, -1.f, 1.f), config);
  const torch::Tensor mean = torch::tensor({{0.2f, -0.3f}}).set_requires_grad(true);
  const torch::Tensor action = torch::tensor({{0.5f, 0.1f}});
  const PolicyOutput out{mean, torch::zeros({1})};
  const torch::Tensor lp = model->log_prob(out, action);
  const double sigma = std::exp(-0.5);
  double expected = 0;
  for (int j = 0; j < 2; ++j) {
    const double d = action[0][j].item<double>() - mean[0][j].item<double>();
    expected += -d * d / (2 * sigma * sigma) + 0.5 - 0.5 * std::log(2 * std::numbers::pi);
  }
  EXPECT_NEAR(lp.item<double>(), expected, 1e-5);

  lp.sum().backward();
  for (int j = 0; j < 2; ++j) {
    const double d = action[0][j].item<double>() - mean[0][j].item<double>();
    EXPECT_NEAR(mean.grad()[0][j].item<double>(), d / (sigma * sigma), 1e-5);
    EXPECT_NEAR(model->log_std().grad()[j].item<double>(), d * d / (sigma * sigma) - 1, 1e-5);
  }
  // Entropy sum_j (1/2 + log(2 pi)/2 + log sigma_j), independent of the mean.
  EXPECT_NEAR(model->entropy(out).item<double>(), 2 * (0.5 + 0.5 * std::log(2 * std::numbers::pi) - 0.5),
              1e-5);
}

TEST(ActorCriticTest, CategoricalLogProbEntropyAndMode) {
  ActorCritic model(3, Space::discrete(3), PolicyConfig{});
  const torch::Tensor logits = torch::log(torch::tensor({{0.2f, 0.5f, 0.3f}}));
  const PolicyOutput out{logits, torch::zeros({1})};
  EXPECT_NEAR(model->log_prob(out, torch::tensor({1}, torch::kLong)).item<double>(), std::log(0.5), 1e-6);
  EXPECT_NEAR(model->entropy(out).item<double>(),
              -(0.2 * std::log(0.2) + 0.5 * std::log(0.5) + 0.3 * std::log(0.3)), 1e-6);
  EXPECT_EQ(model->mode(out).item<int64_t>(), 1);
}

TEST(ActorCriticTest, SamplingIsSeededAndFollowsTheDistribution) {
  ActorCritic model(3, Space::discrete(3), PolicyConfig{});
  const torch::Tensor logits = torch::log(torch::tensor({0.2f, 0.5f, 0.3f})).expand({20000, 3});
  const PolicyOutput out{logits.contiguous(), torch::zeros({20000})};
  Rng a(1), b(1);
  const torch::Tensor s = model->sample(out, a);
  EXPECT_TRUE(torch::equal(s, model->sample(out, b)));
  const double probabilities[3] = {0.2, 0.5, 0.3};
  for (int k = 0; k < 3; ++k) {
    const double share = (s == k).to(torch::kFloat).mean().item<double>();
    EXPECT_NEAR(share, probabilities[k], 0.015);
  }

  PolicyConfig config;
  config.log_std_init = std::log(0.5);
  ActorCritic gaussian(3, Space::box({1}, -1.f, 1.f), config);
  const PolicyOutput g{torch::full({20000, 1}, 0.3f), torch::zeros({20000})};
  Rng c(2);
  const torch::Tensor x = gaussian->sample(g, c);
  EXPECT_NEAR(x.mean().item<double>(), 0.3, 0.02);
  EXPECT_NEAR(x.std().item<double>(), 0.5, 0.02);
}

TEST(ActorCriticTest, OrthogonalInitWithTheCustomaryGains) {
  torch::manual_seed(0);
  ActorCritic model(4, Space::discrete(2), PolicyConfig{});
  const auto params = model->named_parameters();
  // A square orthogonal matrix times the gain: W W^T = gain^2 I.
  const torch::Tensor hidden = params["pi_trunk.2.weight"];  // 64 x 64
  EXPECT_TRUE(torch::allclose(hidden.matmul(hidden.t()), 2.0 * torch::eye(64), 1e-4, 1e-4));
  const torch::Tensor pi_head = params["pi_head.weight"];  // 2 x 64, rows orthonormal * 0.01
  EXPECT_TRUE(torch::allclose(pi_head.matmul(pi_head.t()), 1e-4 * torch::eye(2), 1e-6, 1e-7));
  const torch::Tensor v_head = params["v_head.weight"];
  EXPECT_NEAR(v_head.norm().item<double>(), 1.0, 1e-5);
  EXPECT_EQ(params["v_head.bias"].abs().sum().item<double>(), 0.0);
  // Separate trunks by default, one shared when asked.
  EXPECT_TRUE(params.contains("v_trunk.0.weight"));
  PolicyConfig shared;
  shared.shared_trunk = true;
  ActorCritic one(4, Space::discrete(2), shared);
  EXPECT_TRUE(one->named_parameters().contains("trunk.0.weight"));
  EXPECT_FALSE(one->named_parameters().contains("v_trunk.0.weight"));
}

TEST(ActorCriticTest, ForwardShapes) {
  PolicyConfig config;
  config.hidden_sizes = {32, 16, 8};
  config.activation = "relu";
  ActorCritic model(5, Space::box({3}, -2.f, 2.f), config);
  const PolicyOutput out = model->forward(torch::randn({7, 5}));
  EXPECT_EQ(out.params.sizes(), (std::vector<int64_t>{7, 3}));
  EXPECT_EQ(out.value.sizes(), (std::vector<int64_t>{7}));
  EXPECT_EQ(model->value(torch::randn({7, 5})).sizes(), (std::vector<int64_t>{7}));
}

int64_t count_parameters(torch::nn::Module& module, const std::string& prefix) {
  int64_t n = 0;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    if (item.key().rfind(prefix, 0) == 0) n += item.value().numel();
  }
  return n;
}

PolicyConfig encoder_config(const std::string& encoder) {
  PolicyConfig config;
  config.encoder = encoder;
  return config;
}

// The MinAtar paper's network on a 4-channel grid: conv 16 3x3 (4*16*9 + 16
// = 592 parameters) leaves 8x8x16 = 1,024 features, FC 128 (1,024*128 + 128).
TEST(ActorCriticTest, MinAtarCnnHasThePublishedShapeAndSize) {
  ActorCritic model(Space::box_u8({4, 10, 10}, 0, 1), Space::discrete(6), encoder_config("minatar_cnn"));
  EXPECT_EQ(count_parameters(*model, "encoder."), 592 + 1024 * 128 + 128);
  EXPECT_EQ(count_parameters(*model, "pi_head."), 128 * 6 + 6);
  EXPECT_EQ(count_parameters(*model, "v_head."), 128 + 1);
  const PolicyOutput out = model->forward(torch::rand({5, 400}));
  EXPECT_EQ(out.params.sizes(), (std::vector<int64_t>{5, 6}));
  EXPECT_EQ(out.value.sizes(), (std::vector<int64_t>{5}));
}

// TorchBeast's AtariNet body on 4x84x84: conv 32 8x8/4 (8,224), 64 4x4/2
// (32,832), 64 3x3/1 (36,928), 3,136 features, FC 512 (1,606,144).
TEST(ActorCriticTest, NatureCnnHasThePublishedShapeAndSize) {
  ActorCritic model(Space::box_u8({4, 84, 84}, 0, 255), Space::discrete(18), encoder_config("nature_cnn"));
  EXPECT_EQ(count_parameters(*model, "encoder."), 8224 + 32832 + 36928 + 3136 * 512 + 512);
  const PolicyOutput out = model->forward(torch::rand({2, 4 * 84 * 84}) * 255);
  EXPECT_EQ(out.params.sizes(), (std::vector<int64_t>{2, 18}));
}

// IMPALA's deep ResNet: 15 conv layers (3 stacks of 1 + 2 blocks x 2), and
// 3,872 features (11x11x32) on 84x84, FC 256.
TEST(ActorCriticTest, ImpalaCnnHasFifteenConvolutionsAndThePublishedFeatureSize) {
  ActorCritic model(Space::box_u8({4, 84, 84}, 0, 255), Space::discrete(18), encoder_config("impala_cnn"));
  int convs = 0;
  for (const auto& module : model->modules(/*include_self=*/false)) convs += module->as<torch::nn::Conv2d>() != nullptr;
  EXPECT_EQ(convs, 15);
  int64_t conv_params = 0;
  int64_t in = 4;
  for (int64_t c : {16, 32, 32}) {
    conv_params += in * c * 9 + c + 4 * (c * c * 9 + c);
    in = c;
  }
  EXPECT_EQ(count_parameters(*model, "encoder."), conv_params + 3872 * 256 + 256);
  const PolicyOutput out = model->forward(torch::rand({3, 4 * 84 * 84}) * 255);
  EXPECT_EQ(out.params.sizes(), (std::vector<int64_t>{3, 18}));
  EXPECT_EQ(out.value.sizes(), (std::vector<int64_t>{3}));
}

TEST(ActorCriticTest, CnnSettingsThatCannotWorkAreClearErrors) {
  // A CNN needs [C, H, W] observations.
  try {
    ActorCritic(Space::box({8}, -1.f, 1.f), Space::discrete(2), encoder_config("minatar_cnn"));
    ADD_FAILURE() << "a CNN was built on vector observations";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("[C, H, W]"), std::string::npos) << e.what();
  }
  // Convolutions larger than the picture.
  EXPECT_THROW(ActorCritic(Space::box_u8({4, 10, 10}, 0, 1), Space::discrete(2), encoder_config("nature_cnn")),
               std::invalid_argument);
  // The fast path runs MLPs only.
  PolicyConfig on = encoder_config("minatar_cnn");
  on.fast_path = "on";
  EXPECT_THROW(on.validate(), std::invalid_argument);
  EXPECT_FALSE(encoder_config("minatar_cnn").fast_path_applies());
  EXPECT_TRUE(encoder_config("mlp").fast_path_applies());
  EXPECT_THROW(encoder_config("resnet50").validate(), std::invalid_argument);
}

// nature_cnn and impala_cnn scale uint8 pixels by 1/255 before the first
// convolution; obs_scale overrides it.
TEST(ActorCriticTest, TheEncoderScalesPixels) {
  PolicyConfig config = encoder_config("nature_cnn");
  torch::manual_seed(3);
  ActorCritic scaled(Space::box_u8({4, 84, 84}, 0, 255), Space::discrete(4), config);
  config.obs_scale = 1.0;
  torch::manual_seed(3);
  ActorCritic plain(Space::box_u8({4, 84, 84}, 0, 255), Space::discrete(4), config);
  const torch::Tensor pixels = torch::randint(0, 256, {2, 4 * 84 * 84}).to(torch::kFloat);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::allclose(scaled->forward(pixels).value, plain->forward(pixels / 255.0).value, 1e-5, 1e-6));
}

// The learner's replay of an LSTM core over L steps (forward_sequence)
// equals the actor's step-by-step forward from the same state with the
// same resets, outputs and states, to 1e-5; a reset forgets the past.
TEST(ActorCriticTest, AnLstmSequenceForwardEqualsTheStepByStepForward) {
  for (const std::string encoder : {"mlp", "minatar_cnn"}) {
    SCOPED_TRACE(encoder);
    PolicyConfig config = encoder_config(encoder);
    config.core = "lstm";
    config.lstm_size = 16;
    const Space obs_space = encoder == "mlp" ? Space::box({5}, -1.f, 1.f) : Space::box_u8({2, 10, 10}, 0, 1);
    torch::manual_seed(11);
    ActorCritic model(obs_space, Space::discrete(3), config);
    ASSERT_TRUE(model->recurrent());
    EXPECT_EQ(model->state_size(), 32);
    const int64_t L = 9, B = 4, d = obs_space.flat_size();
    torch::NoGradGuard no_grad;
    const torch::Tensor obs = torch::rand({L * B, d});
    torch::Tensor starts = torch::zeros({L, B});
    starts[3][1] = 1;
    starts[6][0] = 1;
    starts[6][3] = 1;
    const torch::Tensor state0 = torch::randn({B, 32}) * 0.5;
    const SequenceOutput replay = model->forward_sequence(obs, state0, starts);
    ASSERT_EQ(replay.out.params.sizes(), (std::vector<int64_t>{L * B, 3}));
    ASSERT_EQ(replay.states_after.sizes(), (std::vector<int64_t>{L, B, 32}));

    torch::Tensor state = state0.clone();
    for (int64_t t = 0; t < L; ++t) {
      state = state * (1 - starts[t]).unsqueeze(1);
      const PolicyOutput out = model->step(obs.slice(0, t * B, (t + 1) * B), state);
      EXPECT_TRUE(torch::allclose(out.params, replay.out.params.slice(0, t * B, (t + 1) * B), 1e-5, 1e-5)) << t;
      EXPECT_TRUE(torch::allclose(out.value, replay.out.value.slice(0, t * B, (t + 1) * B), 1e-5, 1e-5)) << t;
      EXPECT_TRUE(torch::allclose(state, replay.states_after[t], 1e-5, 1e-5)) << t;
    }
    // After a reset the outputs no longer depend on the state before it.
    const SequenceOutput other = model->forward_sequence(obs, torch::randn({B, 32}), starts);
    const int64_t t = 7;  // stream 0 reset at step 6
    EXPECT_TRUE(torch::allclose(other.out.params[t * B], replay.out.params[t * B], 1e-5, 1e-5));
    EXPECT_FALSE(torch::allclose(other.out.params[t * B + 2], replay.out.params[t * B + 2], 1e-5, 1e-5))
        << "stream 2 never reset: its outputs should depend on its initial state";
    // value_from: the value of an observation seen from a given state.
    const torch::Tensor v = model->value_from(obs.slice(0, 0, B), state0);
    EXPECT_TRUE(torch::allclose(v, replay.out.value.slice(0, 0, B), 1e-5, 1e-5));
  }
}

// policy.core_inputs: the core also sees the previous step's action
// (one-hot, or the Box vector) and its reward clipped to [-1, 1], carried at
// the state's tail. The actor records them after each env step
// (record_inputs); the learner hands forward_sequence each step's inputs,
// and the two forwards agree to 1e-5.
TEST(ActorCriticTest, CoreInputsOfTheLastActionAndRewardReplayAsTheActorRecordedThem) {
  for (const bool discrete : {true, false}) {
    SCOPED_TRACE(discrete ? "discrete" : "box");
    PolicyConfig config;
    config.hidden_sizes = {8};
    config.core = "lstm";
    config.lstm_size = 6;
    config.core_inputs = "action_reward";
    const Space actions_space = discrete ? Space::discrete(3) : Space::box({2}, -1.f, 1.f);
    torch::manual_seed(5);
    ActorCritic model(Space::box({4}, -1.f, 1.f), actions_space, config);
    const int64_t P = discrete ? 3 + 1 : 2 + 1;
    ASSERT_EQ(model->core_input_size(), P);
    ASSERT_EQ(model->state_size(), 12 + P);
    ASSERT_EQ(config.core_state_size(discrete ? 3 : 2), 12 + P);
    const int64_t L = 6, B = 3, S = 12 + P;
    torch::NoGradGuard no_grad;
    const torch::Tensor obs = torch::rand({L * B, 4});
    const torch::Tensor actions = discrete ? torch::randint(0, 3, {L, B}, torch::kLong) : torch::randn({L, B, 2});
    const torch::Tensor rewards = torch::randn({L, B}) * 3;  // beyond the clip
    torch::Tensor starts = torch::zeros({L, B});
    starts[2][1] = 1;
    starts[4][0] = 1;

    // The actor: step, then record the action taken and the reward seen.
    torch::Tensor state = torch::zeros({B, S});
    const torch::Tensor state0 = state.clone();
    std::vector<PolicyOutput> stepped;
    for (int64_t t = 0; t < L; ++t) {
      state = state * (1 - starts[t]).unsqueeze(1);
      stepped.push_back(model->step(obs.slice(0, t * B, (t + 1) * B), state));
      model->record_inputs(state, actions[t], rewards[t]);
    }
    const torch::Tensor tail = state.slice(1, 12, S);
    if (discrete) EXPECT_EQ(tail.slice(1, 0, 3).sum(1).eq(1).all().item<bool>(), true) << "a one-hot action";
    EXPECT_LE(tail.select(1, P - 1).abs().max().item<float>(), 1.f) << "the reward is clipped";

    // The learner: row 0 from the initial state's tail, row t from step t-1.
    const torch::Tensor flat_actions = discrete ? actions.reshape({L * B}) : actions.reshape({L * B, 2});
    const torch::Tensor later = model->core_inputs_of(flat_actions, rewards.reshape({L * B})).reshape({L, B, P});
    const torch::Tensor inputs = torch::cat({state0.slice(1, 12, S).unsqueeze(0), later.slice(0, 0, L - 1)}, 0);
    const SequenceOutput replay = model->forward_sequence(obs, state0, starts, inputs);
    for (int64_t t = 0; t < L; ++t) {
      EXPECT_TRUE(torch::allclose(stepped[t].params, replay.out.params.slice(0, t * B, (t + 1) * B), 1e-5, 1e-5)) << t;
      EXPECT_TRUE(torch::allclose(stepped[t].value, replay.out.value.slice(0, t * B, (t + 1) * B), 1e-5, 1e-5)) << t;
    }
    // The state after step t carries step t's inputs (those of step t+1).
    EXPECT_TRUE(torch::allclose(replay.states_after[2].slice(1, 12, S), later[2], 1e-6, 1e-6));
    // The inputs matter: another reward history changes the outputs.
    const SequenceOutput other = model->forward_sequence(obs, state0, starts, inputs * -1);
    EXPECT_FALSE(torch::allclose(other.out.params.slice(0, B, 2 * B), replay.out.params.slice(0, B, 2 * B), 1e-6, 1e-6));
    // Without the inputs the forward is refused, naming them.
    try {
      model->forward_sequence(obs, state0, starts);
      ADD_FAILURE() << "forward_sequence ran without its core inputs";
    } catch (const c10::Error& e) {
      EXPECT_NE(std::string(e.what()).find("core_inputs"), std::string::npos) << e.what();
    }
  }
  PolicyConfig bad;
  bad.core_inputs = "action_reward";  // no core
  EXPECT_THROW(bad.validate(), std::invalid_argument);
  bad.core = "lstm";
  EXPECT_NO_THROW(bad.validate());
  bad.core_inputs = "last_action";
  EXPECT_THROW(bad.validate(), std::invalid_argument);
}

TEST(ActorCriticTest, RecurrentPolicyConfigIsValidated) {
  PolicyConfig on;
  on.core = "lstm";
  on.fast_path = "on";
  EXPECT_THROW(on.validate(), std::invalid_argument);
  on.fast_path = "auto";
  EXPECT_FALSE(on.fast_path_applies());
  on.core = "gru";
  EXPECT_THROW(on.validate(), std::invalid_argument);
}

TEST(ActorCriticTest, InvalidConfigAndDeviceAreRejected) {
  PolicyConfig config;
  config.activation = "sigmoid";
  EXPECT_THROW(ActorCritic(3, Space::discrete(2), config), std::invalid_argument);
  EXPECT_THROW(resolve_device("tpu"), std::invalid_argument);
  EXPECT_EQ(resolve_device("cpu"), torch::Device(torch::kCPU));
  if (!torch::cuda::is_available()) {
    EXPECT_THROW(resolve_device("cuda"), std::invalid_argument);
  }
}

}  // namespace
}  // namespace rl
