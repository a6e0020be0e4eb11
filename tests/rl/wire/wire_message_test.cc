#include "rl/wire/wire_message.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <utility>

#include "rl/wire/half.h"
#include "rl/wire/messages.h"

namespace rl::wire {
namespace {

using ::testing::HasSubstr;

std::string reason_of(std::vector<std::string> frames) {
  try {
    parse(std::move(frames));
  } catch (const WireError& e) {
    return e.reason();
  }
  return "accepted";
}

Unroll sample_unroll(bool discrete) {
  Unroll u;
  u.resize(3, 2, 4, discrete ? 0 : 2, discrete);
  for (size_t i = 0; i < u.obs.size(); ++i) u.obs[i] = static_cast<float>(i) * 0.5f;
  for (size_t i = 0; i < u.discrete_actions.size(); ++i) u.discrete_actions[i] = static_cast<int64_t>(i % 2);
  for (size_t i = 0; i < u.box_actions.size(); ++i) u.box_actions[i] = -0.25f * static_cast<float>(i);
  for (size_t j = 0; j < 6; ++j) {
    u.rewards[j] = 1.f + static_cast<float>(j);
    u.terminated[j] = j == 2;
    u.truncated[j] = j == 5;
    u.behaviour_log_probs[j] = -0.7f;
    u.values[j] = 0.1f * static_cast<float>(j);
  }
  u.final_index = {5};
  u.final_obs = {9, 8, 7, 6};
  u.policy_version = 7;
  u.actor_id = 1;
  u.sequence = 42;
  u.episodes = {{0, 12.5, 9}, {1, 3.0, 4}};
  return u;
}

UnrollLimits limits_for(bool discrete) {
  return {.obs_size = 4, .discrete = discrete, .num_actions = 2, .action_size = discrete ? 0 : 2};
}

TEST(WireTest, EveryKindRoundTrips) {
  Sender sender{"run-1", "learner-0", 0};
  for (const char* kind : {"hello", "config", "heartbeat", "stop", "error"}) {
    WireMessage m = sender.start(kind);
    m.body = {{"i", int64_t{-3}}, {"d", 2.5}, {"b", true}, {"s", std::string("text")}};
    const WireMessage back = parse(serialize(std::move(m)));
    EXPECT_EQ(back.kind, kind);
    EXPECT_EQ(back.run, "run-1");
    EXPECT_EQ(back.from, "learner-0");
    EXPECT_EQ(back.proto, kProtocolVersion);
    EXPECT_EQ(back.get_int("i"), -3);
    EXPECT_EQ(back.get_double("d"), 2.5);
    EXPECT_TRUE(back.get_bool("b"));
    EXPECT_EQ(back.get_string("s"), "text");
  }
  EXPECT_EQ(sender.seq, 5u);

  for (bool discrete : {true, false}) {
    const Unroll u = sample_unroll(discrete);
    const Unroll back = decode_unroll(parse(serialize(encode_unroll(sender, u))), limits_for(discrete));
    EXPECT_EQ(back.obs, u.obs);
    EXPECT_EQ(back.discrete_actions, u.discrete_actions);
    EXPECT_EQ(back.box_actions, u.box_actions);
    EXPECT_EQ(back.rewards, u.rewards);
    EXPECT_EQ(back.terminated, u.terminated);
    EXPECT_EQ(back.truncated, u.truncated);
    EXPECT_EQ(back.behaviour_log_probs, u.behaviour_log_probs);
    EXPECT_EQ(back.values, u.values);
    EXPECT_EQ(back.final_index, u.final_index);
    EXPECT_EQ(back.final_obs, u.final_obs);
    EXPECT_EQ(back.policy_version, 7);
    EXPECT_EQ(back.actor_id, 1);
    EXPECT_EQ(back.sequence, 42);
    ASSERT_EQ(back.episodes.size(), 2u);
    EXPECT_EQ(back.episodes[0].return_, 12.5);
    EXPECT_EQ(back.episodes[1].length, 4);
  }

  WeightsPayload w{.version = 3,
                   .parameters = {{"pi_head.weight", {2, 3}, {1, 2, 3, 4, 5, 6}}, {"log_std", {2}, {0, -1}}},
                   .obs_mean = {0.5, 1.5},
                   .obs_var = {2, 3},
                   .obs_count = 10};
  const WeightsPayload wb = decode_weights(parse(serialize(encode_weights(sender, w))));
  EXPECT_EQ(wb.version, 3);
  ASSERT_EQ(wb.parameters.size(), 2u);
  EXPECT_EQ(wb.parameters[0].name, "pi_head.weight");
  EXPECT_EQ(wb.parameters[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(wb.parameters[0].values, w.parameters[0].values);
  EXPECT_EQ(wb.obs_var, w.obs_var);
  EXPECT_EQ(wb.obs_count, 10);
}

// Weights as f16 and bf16: the conversions against IEEE bit patterns
// (rounding to nearest, ties to even, subnormals, overflow), and weights
// that round-trip within the format's precision with their epoch.
TEST(WireTest, HalfAndBfloat16WeightsConvertAsIeeeSays) {
  EXPECT_EQ(float_to_f16(1.0f), 0x3C00);
  EXPECT_EQ(float_to_f16(-2.0f), 0xC000);
  EXPECT_EQ(float_to_f16(65504.0f), 0x7BFF);                  // the largest finite half
  EXPECT_EQ(float_to_f16(70000.0f), 0x7C00);                  // beyond it: infinity
  EXPECT_EQ(float_to_f16(0.1f), 0x2E66);
  EXPECT_EQ(float_to_f16(std::ldexp(1.0f, -24)), 0x0001);     // the smallest subnormal
  EXPECT_EQ(float_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3C00);      // a tie goes to the even 1.0
  EXPECT_EQ(float_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);  // a tie goes to the even 0x3C02
  EXPECT_EQ(f16_to_float(0x3C00), 1.0f);
  EXPECT_EQ(f16_to_float(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f16_to_float(0x2E66), 0.0999755859375f);
  EXPECT_EQ(float_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(float_to_bf16(1.0f / 3.0f), 0x3EAB);               // 0x3EAAAAAB rounds up
  EXPECT_EQ(float_to_bf16(bits_float(0x3F808000u)), 0x3F80);   // a tie goes to the even 0x3F80
  EXPECT_EQ(float_to_bf16(bits_float(0x3F818000u)), 0x3F82);   // a tie goes to the even 0x3F82
  EXPECT_EQ(bf16_to_float(0x3EAB), 0.333984375f);

  Sender sender{"run", "learner-0", 0};
  std::vector<float> values;
  for (int i = 0; i < 64; ++i) values.push_back(std::ldexp(1.0f, i % 20 - 10) * (i % 3 == 0 ? -1.3f : 0.7f));
  const WeightsPayload w{.version = 9, .epoch = 12345, .parameters = {{"p", {64}, values}},
                         .obs_mean = {0.0}, .obs_var = {1.0}, .obs_count = 2};
  for (const auto& [dtype, relative] : {std::pair{DType::kFloat16, 1.0 / 2048}, std::pair{DType::kBFloat16, 1.0 / 256}}) {
    const WeightsPayload back = decode_weights(parse(serialize(encode_weights(sender, w, dtype))));
    EXPECT_EQ(back.epoch, 12345);
    ASSERT_EQ(back.parameters.size(), 1u);
    for (int i = 0; i < 64; ++i) {
      EXPECT_NEAR(back.parameters[0].values[i], values[i], std::abs(values[i]) * relative) << dtype_name(dtype) << " " << i;
    }
  }
}

// Image and grid observations cross the wire as bytes: the same bytes come
// out, the obs frame is one byte an element, and a learner whose run has
// float observations drops a byte unroll (and the other way round).
TEST(WireTest, AByteObservationUnrollRoundTripsByteForByte) {
  Unroll u = sample_unroll(true);
  u.resize(3, 2, 400, 0, /*is_discrete=*/true, /*bytes=*/true);
  for (size_t i = 0; i < u.obs_u8.size(); ++i) u.obs_u8[i] = static_cast<uint8_t>((i * 7) % 256);
  u.final_index = {5};
  u.final_obs_u8.assign(400, 0);
  for (size_t i = 0; i < 400; ++i) u.final_obs_u8[i] = static_cast<uint8_t>(255 - i % 256);
  for (size_t j = 0; j < 6; ++j) {
    u.discrete_actions[j] = static_cast<int64_t>(j % 2);
    u.terminated[j] = j == 2;
    u.truncated[j] = j == 5;
  }
  Sender sender{"r", "a", 0};
  const auto frames = serialize(encode_unroll(sender, u));
  size_t total = 0;
  for (const auto& f : frames) total += f.size();
  EXPECT_LT(total, 4 * 400 * 2 * 4u / 2) << "a uint8 observation frame is not 4 bytes an element";
  EXPECT_TRUE(std::any_of(frames.begin(), frames.end(),
                          [&](const std::string& f) { return f.size() == u.obs_u8.size(); }))
      << "no frame holds exactly the observation bytes";
  const UnrollLimits bytes{.obs_size = 400, .byte_obs = true, .discrete = true, .num_actions = 2};
  const Unroll back = decode_unroll(parse(std::vector<std::string>(frames)), bytes);
  EXPECT_TRUE(back.byte_obs);
  EXPECT_EQ(back.obs_u8, u.obs_u8);
  EXPECT_EQ(back.final_obs_u8, u.final_obs_u8);
  EXPECT_TRUE(back.obs.empty());
  back.check_consistent();

  UnrollLimits floats = bytes;
  floats.byte_obs = false;
  try {
    decode_unroll(parse(std::vector<std::string>(frames)), floats);
    ADD_FAILURE() << "a byte unroll was accepted by a float run";
  } catch (const WireError& e) {
    EXPECT_EQ(e.reason(), "bad_dtype");
  }
  Unroll float_unroll = sample_unroll(true);
  try {
    decode_unroll(parse(serialize(encode_unroll(sender, float_unroll))),
                  {.obs_size = 4, .byte_obs = true, .discrete = true, .num_actions = 2});
    ADD_FAILURE() << "a float unroll was accepted by a byte run";
  } catch (const WireError& e) {
    EXPECT_EQ(e.reason(), "bad_dtype");
  }
}

// A recurrent policy's unroll carries the core state its first step
// started from; a learner checks its size against the run's core.
TEST(WireTest, ARecurrentUnrollCarriesItsCoreState) {
  Unroll u = sample_unroll(true);
  u.core_state_size = 6;
  u.core_state = {0.5f, -1.f, 2.f, 0.f, 0.25f, 3.f, 1.f, 1.f, 1.f, -2.f, 0.f, 7.f};
  Sender sender{"r", "a", 0};
  UnrollLimits limits = limits_for(true);
  limits.core_state_size = 6;
  const Unroll back = decode_unroll(parse(serialize(encode_unroll(sender, u))), limits);
  EXPECT_EQ(back.core_state, u.core_state);
  EXPECT_EQ(back.core_state_size, 6);
  back.check_consistent();
  auto reason = [&](const Unroll& unroll, const UnrollLimits& l) {
    try {
      decode_unroll(parse(serialize(encode_unroll(sender, unroll))), l);
    } catch (const WireError& e) {
      return e.reason();
    }
    return std::string("accepted");
  };
  limits.core_state_size = 8;
  EXPECT_EQ(reason(u, limits), "shape_mismatch") << "a state of another size";
  EXPECT_EQ(reason(sample_unroll(true), limits), "missing_array") << "a recurrent run needs the state";
  Unroll nan = u;
  nan.core_state[3] = std::nanf("");
  limits.core_state_size = 6;
  EXPECT_EQ(reason(nan, limits), "non_finite");
}

TEST(WireTest, LargeArraysTravelInTheirOwnFrames) {
  Sender sender{"r", "a", 0};
  const auto frames = serialize(encode_unroll(sender, sample_unroll(true)));
  // Header + one frame per array; the header holds no array bytes.
  EXPECT_EQ(frames.size(), 1u + 12u);
  EXPECT_LT(frames[0].size(), 1024u);
  EXPECT_EQ(frames[1].size(), 4u * 2 * 4 * sizeof(float));  // obs [T+1, k, obs]
}

TEST(WireTest, StructuralDamageIsRejectedWithAReason) {
  Sender sender{"r", "a", 0};
  const auto good = serialize(encode_unroll(sender, sample_unroll(true)));

  EXPECT_EQ(reason_of({}), "malformed");
  EXPECT_EQ(reason_of({"\xc1\xc1\xc1 not msgpack"}), "malformed");
  std::mt19937 gen(1);
  for (int trial = 0; trial < 200; ++trial) {
    std::string noise(1 + gen() % 64, '\0');
    for (auto& c : noise) c = static_cast<char>(gen());
    const std::string r = reason_of({noise});
    EXPECT_NE(r, "accepted") << "random bytes were accepted";
  }
  auto truncated = good;
  truncated.pop_back();
  EXPECT_EQ(reason_of(truncated), "frame_count");
  auto short_array = good;
  short_array[1].resize(short_array[1].size() - 4);
  EXPECT_EQ(reason_of(short_array), "size_mismatch");
  auto cut_header = good;
  cut_header[0].resize(cut_header[0].size() / 2);
  EXPECT_EQ(reason_of(cut_header), "malformed");
  auto too_many = good;
  too_many.resize(100, "x");
  EXPECT_EQ(reason_of(too_many), "oversize");

  WireMessage unknown = sender.start("hello");
  unknown.kind = "gossip";
  EXPECT_EQ(reason_of(serialize(std::move(unknown))), "unknown_kind");
}

TEST(WireTest, UnrollContentsAreCheckedAgainstTheEnv) {
  Sender sender{"r", "a", 0};
  auto reason = [&](Unroll u, UnrollLimits limits = limits_for(true)) {
    try {
      decode_unroll(parse(serialize(encode_unroll(sender, u))), limits);
    } catch (const WireError& e) {
      return e.reason();
    }
    return std::string("accepted");
  };
  EXPECT_EQ(reason(sample_unroll(true)), "accepted");
  EXPECT_EQ(reason(sample_unroll(true), {.obs_size = 5, .discrete = true, .num_actions = 2}), "shape_mismatch");
  EXPECT_EQ(reason(sample_unroll(true), limits_for(false)), "shape_mismatch");
  Unroll nan = sample_unroll(true);
  nan.rewards[3] = std::nanf("");
  EXPECT_EQ(reason(nan), "non_finite");
  Unroll inf = sample_unroll(true);
  inf.obs[0] = INFINITY;
  EXPECT_EQ(reason(inf), "non_finite");
  Unroll action = sample_unroll(true);
  action.discrete_actions[0] = 2;
  EXPECT_EQ(reason(action), "bad_action");
  Unroll flag = sample_unroll(true);
  flag.terminated[0] = 7;
  EXPECT_EQ(reason(flag), "bad_flag");
  Unroll index = sample_unroll(true);
  index.final_index = {2};  // a terminated step, not a truncated one
  EXPECT_EQ(reason(index), "bad_index");
  Unroll missing_final = sample_unroll(true);
  missing_final.final_index.clear();
  missing_final.final_obs.clear();
  EXPECT_EQ(reason(missing_final), "bad_index");

  // A wrong dtype on the wire: obs as float64.
  WireMessage m = encode_unroll(sender, sample_unroll(true));
  m.arrays[0].dtype = DType::kFloat64;
  m.arrays[0].bytes.resize(m.arrays[0].bytes.size() * 2);
  try {
    decode_unroll(parse(serialize(std::move(m))), limits_for(true));
    FAIL();
  } catch (const WireError& e) {
    EXPECT_EQ(e.reason(), "bad_dtype");
    EXPECT_THAT(e.what(), HasSubstr("'obs' is f64, expected f32"));
  }
}

// Every body field and every array of the kinds a receiver decodes into
// data (unroll, weights), removed, given another type, another dtype or
// another shape: each is a WireError with a reason, never an accepted
// message or another exception. (Optional: an unroll's env_errors.)
TEST(WireTest, EveryFieldOfEveryDecodedKindIsChecked) {
  Sender sender{"run", "actor-1", 0};
  WeightsPayload weights;
  weights.version = 2;
  weights.parameters.push_back({"w", {2, 2}, {1, 2, 3, 4}});
  weights.obs_mean = {0, 0, 0, 0};
  weights.obs_var = {1, 1, 1, 1};
  struct Case {
    const char* name;
    WireMessage message;
    std::function<void(const WireMessage&)> decode;
    std::set<std::string> optional_fields;
  };
  std::vector<Case> cases;
  for (bool discrete : {true, false}) {
    cases.push_back({discrete ? "unroll (discrete)" : "unroll (box)", encode_unroll(sender, sample_unroll(discrete)),
                     [discrete](const WireMessage& m) { decode_unroll(m, limits_for(discrete)); },
                     {"env_errors"}});
  }
  cases.push_back({"weights", encode_weights(sender, weights), [](const WireMessage& m) { decode_weights(m); }, {}});

  auto outcome = [](const Case& c, const WireMessage& m) -> std::string {
    try {
      c.decode(m);
      return "accepted";
    } catch (const WireError& e) {
      return e.reason();
    } catch (const std::exception& e) {
      return std::string("escaped: ") + e.what();
    }
  };
  for (const Case& c : cases) {
    ASSERT_EQ(outcome(c, c.message), "accepted") << c.name;
    for (const auto& [key, value] : c.message.body) {
      if (c.optional_fields.count(key)) continue;
      WireMessage removed = c.message;
      removed.body.erase(key);
      EXPECT_EQ(outcome(c, removed), "missing_field") << c.name << " without " << key;
      WireMessage retyped = c.message;
      retyped.body[key] = std::holds_alternative<std::string>(value) ? WireValue(int64_t{1}) : WireValue(std::string("x"));
      EXPECT_EQ(outcome(c, retyped), "missing_field") << c.name << " with a mistyped " << key;
    }
    for (size_t a = 0; a < c.message.arrays.size(); ++a) {
      const WireArray& array = c.message.arrays[a];
      if (array.name.rfind("p:", 0) == 0) continue;  // parameters: names and shapes are checked by the policy
      WireMessage removed = c.message;
      removed.arrays.erase(removed.arrays.begin() + static_cast<std::ptrdiff_t>(a));
      const std::string without = outcome(c, removed);
      EXPECT_NE(without, "accepted") << c.name << " without array " << array.name;
      EXPECT_EQ(without.rfind("escaped", 0), std::string::npos) << without;
      // Another dtype of the same width, so that only the dtype is wrong.
      const std::map<DType, DType> same_width = {{DType::kFloat32, DType::kInt32}, {DType::kInt32, DType::kFloat32},
                                                 {DType::kInt64, DType::kFloat64}, {DType::kFloat64, DType::kInt64}};
      if (same_width.count(array.dtype)) {
        WireMessage retyped = c.message;
        retyped.arrays[a].dtype = same_width.at(array.dtype);
        const std::string got = outcome(c, retyped);
        EXPECT_NE(got, "accepted") << c.name << " with array " << array.name << " as " << dtype_name(same_width.at(array.dtype));
        EXPECT_EQ(got.rfind("escaped", 0), std::string::npos) << got;
      }
      // Another shape of the same size (an extra dimension of 1).
      WireMessage reshaped = c.message;
      reshaped.arrays[a].shape.push_back(1);
      const std::string got = outcome(c, reshaped);
      EXPECT_NE(got, "accepted") << c.name << " with array " << array.name << " reshaped";
      EXPECT_EQ(got.rfind("escaped", 0), std::string::npos) << got;
    }
  }
  // Values a decoder must refuse even when the structure is right.
  WeightsPayload negative = weights;
  negative.obs_var[2] = -1;
  EXPECT_THROW(decode_weights(encode_weights(sender, negative)), WireError);
  Unroll bad_count = sample_unroll(true);
  bad_count.env_errors = -3;
  EXPECT_THROW(decode_unroll(encode_unroll(sender, bad_count), limits_for(true)), WireError);
}

}  // namespace
}  // namespace rl::wire
