#include "actors/remote_inference.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <stdexcept>

#include "rl/wire/wire_message.h"

namespace rl {

RemoteInference::RemoteInference(RemoteInferenceConfig config)
    : config_(std::move(config)), socket_(wire::SocketType::kDealer) {
  socket_.set_routing_id("infer-" + std::to_string(config_.actor_id) + "-" + std::to_string(::getpid()) + "-" +
                         std::to_string(std::random_device{}()));
  if (config_.curve) socket_.set_curve_client(config_.curve_server_key, *config_.curve);
  socket_.set_linger(0);
  socket_.connect(config_.endpoint);
  sender_.run = config_.run_id;
  sender_.from = "actor-" + std::to_string(config_.actor_id);
  starts_.assign(config_.rows, 1);
  rewards_.assign(config_.rows, 0.f);
  previous_discrete_.assign(config_.action_floats == 0 ? config_.rows : 0, 0);
  previous_box_.assign(config_.rows * config_.action_floats, 0.f);
  start_state_.assign(config_.rows * config_.state_size, 0.f);
}

void RemoteInference::episodes_started(std::span<const uint8_t> starts) {
  std::copy(starts.begin(), starts.end(), starts_.begin());
}

void RemoteInference::stepped(std::span<const float> rewards) {
  std::copy(rewards.begin(), rewards.end(), rewards_.begin());
  have_previous_ = true;
}

void RemoteInference::act(std::span<const float> obs, std::span<int64_t> discrete, std::span<float> box,
                          std::span<float> log_probs, std::span<float> values) {
  wire::WireMessage m = sender_.start("act");
  m.add_array("obs", wire::DType::kFloat32, {config_.rows, config_.obs_size}, obs.data(), obs.size());
  exchange(std::move(m), discrete, box, log_probs, values);
}

void RemoteInference::act(std::span<const uint8_t> obs, std::span<int64_t> discrete, std::span<float> box,
                          std::span<float> log_probs, std::span<float> values) {
  wire::WireMessage m = sender_.start("act");
  m.add_array("obs", wire::DType::kUInt8, {config_.rows, config_.obs_size}, obs.data(), obs.size());
  exchange(std::move(m), discrete, box, log_probs, values);
}

void RemoteInference::exchange(wire::WireMessage m, std::span<int64_t> discrete, std::span<float> box,
                               std::span<float> log_probs, std::span<float> values) {
  const int64_t rows = config_.rows;
  const int64_t step = ++step_;
  m.body = {{"actor_id", config_.actor_id},
            {"step", step},
            {"min_version", min_version_},
            {"previous", have_previous_},
            {"closing", closing_}};
  closing_ = false;
  m.add_array("starts", wire::DType::kUInt8, {rows}, starts_.data(), starts_.size());
  if (have_previous_) {
    m.add_array("rewards", wire::DType::kFloat32, {rows}, rewards_.data(), rewards_.size());
    if (config_.action_floats == 0) {
      m.add_array("previous_actions", wire::DType::kInt64, {rows}, previous_discrete_.data(), previous_discrete_.size());
    } else {
      m.add_array("previous_actions", wire::DType::kFloat32, {rows, config_.action_floats}, previous_box_.data(),
                  previous_box_.size());
    }
  }
  const auto timeout_ms = static_cast<int>(config_.timeout_seconds * 1000);
  if (!socket_.send(wire::serialize(std::move(m)), timeout_ms)) {
    throw std::runtime_error("the learner's inference socket " + config_.endpoint + " took no request for " +
                             std::to_string(static_cast<int>(config_.timeout_seconds)) + " s");
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(config_.timeout_seconds);
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      throw std::runtime_error("the learner's inference at " + config_.endpoint + " did not answer for " +
                               std::to_string(static_cast<int>(config_.timeout_seconds)) +
                               " s (runtime.inference_timeout_seconds)");
    }
    auto frames = socket_.receive(static_cast<int>(std::min<int64_t>(left.count(), 100)));
    if (!frames) continue;
    wire::WireMessage answer = wire::parse(std::move(*frames));
    if (answer.kind == "error") {
      throw std::runtime_error("the learner's inference refused: " + answer.get_string("reason"));
    }
    // An answer to an earlier request (one that timed out) is not this one.
    if (answer.kind != "acted" || answer.get_int("step") != step) continue;
    const wire::WireArray& actions = answer.array("actions");
    const wire::WireArray& lp = answer.array("log_probs");
    const wire::WireArray& v = answer.array("values");
    const wire::WireArray& state = answer.array("start_state");
    const int64_t action_count = rows * std::max<int64_t>(1, config_.action_floats);
    if (actions.count() != action_count || lp.count() != rows || v.count() != rows ||
        state.count() != rows * config_.state_size) {
      throw wire::WireError("shape_mismatch", "an inference answer of another shape than this actor's envs");
    }
    if (config_.action_floats == 0) {
      std::copy_n(actions.data<int64_t>(), rows, discrete.begin());
      std::copy_n(actions.data<int64_t>(), rows, previous_discrete_.begin());
    } else {
      std::copy_n(actions.data<float>(), action_count, box.begin());
      std::copy_n(actions.data<float>(), action_count, previous_box_.begin());
    }
    std::copy_n(lp.data<float>(), rows, log_probs.begin());
    std::copy_n(v.data<float>(), rows, values.begin());
    std::copy_n(state.data<float>(), state.count(), start_state_.begin());
    version_ = answer.get_int("version");
    have_previous_ = false;
    return;
  }
}

}  // namespace rl
