#include "actors/inference_server.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <optional>

#include "actors/actor_process.h"
#include "actors/actor_view.h"
#include "envs/builtin.h"
#include "rl/env/plugin.h"
#include "rl/env/vector_env.h"
#include "rl/runtime/logging.h"
#include "rl/runtime/supervisor.h"
#include "rl/wire/messages.h"
#include "rl/wire/wire_message.h"
#ifndef RL_ACTOR_NO_TORCH
#include "rl/nn/threads.h"
#endif

namespace rl {
namespace {

using Clock = std::chrono::steady_clock;

std::atomic<bool> g_server_stop{false};
extern "C" void on_server_signal(int) { g_server_stop.store(true); }

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

PolicyConfig InferenceServer::faster_path(const EnvSpec& spec, const PolicyConfig& policy,
                                          const NormalizeConfig& normalize) const {
#ifdef RL_ACTOR_NO_TORCH
  (void)spec;
  (void)normalize;
  return policy;
#else
  // A CNN on the actors' path (ActorForward: im2col and GEMMs sized for an
  // actor's few rows) or on libtorch's convolutions (oneDNN), which are
  // several times faster for big networks in big batches (nature_cnn) and
  // slower for small ones (minatar_cnn: per-operator overhead). The server
  // times both on a batch of its size and keeps the faster. MLPs stay on
  // the fast path, which wins at every batch size.
  if (policy.encoder == "mlp" && policy.core == "none") return policy;
  if (config_.device != "cpu") {
    PolicyConfig on_device = policy;
    on_device.fast_path = "off";
    logf(LogLevel::kInfo, "inference server: %s%s runs on %s\n", policy.encoder.c_str(),
         policy.core == "none" ? "" : (" with an " + policy.core + " core").c_str(), config_.device.c_str());
    return on_device;
  }
  if (policy.encoder == "mlp" || policy.fast_path != "auto" ||
      !ActorForwardSpec::applies(policy, spec.observation_space, spec.action_space)) {
    return policy;
  }
  const wire::InferenceLayout& l = board_.layout();
  int64_t rows = static_cast<int64_t>(l.slots) * l.rows;
  if (config_.max_rows > 0) rows = std::min<int64_t>(rows, std::max<int>(config_.max_rows, l.rows));
  rows = std::max<int64_t>(1, rows / config_.threads);
  PolicyConfig on_libtorch = policy;
  on_libtorch.fast_path = "off";
  auto seconds_per_pass = [&](const PolicyConfig& candidate) {
    PolicyActor probe(spec, candidate, normalize, 1);
    const int64_t state = probe.core_state_size();
    std::vector<float> obs(static_cast<size_t>(rows * spec.obs_size()), 0.5f), states(static_cast<size_t>(rows * state));
    std::vector<float> log_probs(rows), values(rows);
    std::vector<int64_t> actions(rows);
    double best = 1e9;
    for (int rep = 0; rep < 4; ++rep) {  // the first warms up
      const auto start = Clock::now();
      probe.act_on_state(obs, states, actions, {}, log_probs, values);
      if (rep > 0) best = std::min(best, seconds_since(start));
    }
    return best;
  };
  const double own = seconds_per_pass(policy), torch = seconds_per_pass(on_libtorch);
  logf(LogLevel::kInfo, "inference server: %s on %lld rows per pass takes %.2f ms on the actors' kernels, %.2f ms on "
       "libtorch: runs on %s\n", policy.encoder.c_str(), static_cast<long long>(rows), 1e3 * own, 1e3 * torch,
       torch < own ? "libtorch" : "the actors' kernels");
  return torch < own ? on_libtorch : policy;
#endif
}

InferenceServer::InferenceServer(wire::InferenceBoard& board, const wire::WeightsBoard& weights, const EnvSpec& spec,
                                 const PolicyConfig& policy, const NormalizeConfig& normalize, uint64_t seed,
                                 InferenceServerConfig config)
    : board_(board), weights_(weights), config_(config) {
  config_.threads = std::max(1, config_.threads);
  const PolicyConfig served = faster_path(spec, policy, normalize);
  // A device for CNNs and cores (faster_path put them on libtorch); MLPs
  // without a core stay on the CPU.
  const bool on_device = config_.device != "cpu" && !(policy.encoder == "mlp" && policy.core == "none");
  const std::string device = on_device ? config_.device : "cpu";
  for (int i = 0; i < config_.threads; ++i) {
    policies_.push_back(
        std::make_unique<PolicyActor>(spec, served, normalize, i == 0 ? seed : derive_seed(seed, i), device));
  }
  const PolicyActor& first = *policies_[0];
  const wire::InferenceLayout& l = board_.layout();
  if (l.obs_size != spec.obs_size() || l.state_size != first.core_state_size() ||
      l.action_floats != (spec.action_space.is_discrete() ? 0 : spec.action_size()) ||
      static_cast<bool>(l.obs_bytes) != spec.observation_space.is_uint8()) {
    throw std::invalid_argument("inference board: made for " + std::to_string(l.obs_size) + " observation floats, " +
                                std::to_string(l.action_floats) + " action floats and " +
                                std::to_string(l.state_size) + " core state floats; the policy has " +
                                std::to_string(spec.obs_size()) + ", " +
                                std::to_string(spec.action_space.is_discrete() ? 0 : spec.action_size()) + " and " +
                                std::to_string(first.core_state_size()));
  }
  for (int i = 1; i < config_.threads; ++i) helpers_.emplace_back([this, i] { helper_loop(i); });
}

InferenceServer::~InferenceServer() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  work_.notify_all();
  for (auto& helper : helpers_) helper.join();
}

void InferenceServer::helper_loop(int part) {
  uint64_t seen = 0;
  while (true) {
    int64_t rows = 0;
    {
      std::unique_lock lock(mutex_);
      work_.wait(lock, [&] { return quit_ || pass_ != seen; });
      if (quit_) return;
      seen = pass_;
      rows = pass_rows_;
    }
    forward_part(part, rows);
    {
      std::lock_guard lock(mutex_);
      --parts_left_;
    }
    done_.notify_one();
  }
}

void InferenceServer::forward_part(int part, int64_t rows) {
  // Part i takes rows [rows * i / n, rows * (i + 1) / n).
  const int64_t parts = static_cast<int64_t>(policies_.size());
  const int64_t begin = rows * part / parts, end = rows * (part + 1) / parts;
  if (begin == end) return;
  const wire::InferenceLayout& l = board_.layout();
  const int64_t n = end - begin, obs_size = l.obs_size, state_size = l.state_size, action_floats = l.action_floats;
  PolicyActor& policy = *policies_[part];
  const std::span<const float> obs(obs_.data() + begin * obs_size, n * obs_size);
  const std::span<int64_t> discrete(discrete_.data() + (action_floats == 0 ? begin : 0), action_floats == 0 ? n : 0);
  const std::span<float> box(box_.data() + begin * action_floats, n * action_floats);
  const std::span<float> log_probs(log_probs_.data() + begin, n), values(values_.data() + begin, n);
  if (state_size > 0) {
    policy.act_on_state(obs, std::span<float>(state_.data() + begin * state_size, n * state_size), discrete, box,
                        log_probs, values);
  } else {
    policy.act(obs, /*deterministic=*/false, discrete, box, log_probs, values);
  }
}

void InferenceServer::forward(int64_t rows) {
  // Helpers only where each part gets a few rows: a pass of a small MLP
  // takes less than waking a thread.
  if (helpers_.empty() || rows < 4 * static_cast<int64_t>(policies_.size())) {
    PolicyActor& policy = *policies_[0];
    const wire::InferenceLayout& l = board_.layout();
    if (l.state_size > 0) {
      policy.act_on_state(obs_, state_, discrete_, box_, log_probs_, values_);
    } else {
      policy.act(obs_, /*deterministic=*/false, discrete_, box_, log_probs_, values_);
    }
    return;
  }
  {
    std::lock_guard lock(mutex_);
    pass_rows_ = rows;
    parts_left_ = static_cast<int>(helpers_.size());
    ++pass_;
  }
  work_.notify_all();
  forward_part(0, rows);
  std::unique_lock lock(mutex_);
  done_.wait(lock, [&] { return parts_left_ == 0; });
}

bool InferenceServer::load_weights(int64_t min_sequence) {
  if (weights_.version() > weights_seen_) {
    const auto sequence = weights_.read_newer(weights_seen_, frames_);
    if (sequence) {
      weights_seen_ = *sequence;  // a version that fails to load is not retried
      try {
        const wire::WeightsPayload payload = wire::decode_weights(wire::parse(std::move(frames_)));
        for (auto& policy : policies_) policy->load(payload);
        have_weights_ = true;
      } catch (const std::exception& e) {
        logf(LogLevel::kWarn, "inference server: dropped bad weights: %s\n", e.what());
      }
    }
  }
  return have_weights_ && weights_seen_ >= min_sequence;
}

std::vector<int> InferenceServer::gather_requests(double timeout_seconds) {
  const int rows_per_slot = board_.layout().rows;
  const int most = config_.max_rows > 0 ? std::max(1, config_.max_rows / rows_per_slot) : board_.layout().slots;
  uint32_t seen = board_.doorbell();
  std::vector<int> slots = board_.requested();
  if (slots.empty()) {
    board_.wait_requests(seen, timeout_seconds);
    slots = board_.requested();
    if (slots.empty()) return slots;
  }
  // More may be on their way: wait for them within the latency bound, but
  // only for actors in the middle of an unroll.
  const auto first = Clock::now();
  while (static_cast<int>(slots.size()) < std::min(most, board_.active())) {
    const double left = config_.wait_seconds - seconds_since(first);
    if (left <= 0) break;
    seen = board_.doorbell();
    std::vector<int> now = board_.requested();
    if (now.size() > slots.size()) {
      slots = std::move(now);
      continue;
    }
    board_.wait_requests(seen, left);
    slots = board_.requested();
  }
  if (static_cast<int>(slots.size()) > most) slots.resize(most);
  return slots;
}

bool InferenceServer::serve_batch(double timeout_seconds) {
  const std::vector<int> slots = gather_requests(timeout_seconds);
  if (slots.empty()) return false;
  int64_t min_sequence = 0;
  for (int s : slots) min_sequence = std::max(min_sequence, board_.min_weights(s));
  if (!load_weights(min_sequence)) {
    // The actors saw a version on the board that this server has not
    // loaded yet: it is there, read it on the next call.
    weights_.wait_newer(weights_seen_, std::min(timeout_seconds, 0.05));
    return false;
  }

  const wire::InferenceLayout& l = board_.layout();
  const int64_t rows = l.rows, obs_size = l.obs_size, state_size = l.state_size, action_floats = l.action_floats;
  const int64_t total = rows * static_cast<int64_t>(slots.size());
  obs_.resize(total * obs_size);
  state_.resize(total * state_size);
  log_probs_.resize(total);
  values_.resize(total);
  discrete_.resize(action_floats == 0 ? total : 0);
  box_.resize(total * action_floats);

  for (size_t j = 0; j < slots.size(); ++j) {
    const wire::InferenceSlotView v = board_.slot(slots[j]);
    if (l.obs_bytes) {
      std::copy_n(v.obs_u8, rows * obs_size, obs_.begin() + static_cast<int64_t>(j) * rows * obs_size);  // widened
    } else {
      std::copy_n(v.obs, rows * obs_size, obs_.begin() + static_cast<int64_t>(j) * rows * obs_size);
    }
    if (state_size == 0) continue;
    // The slot's state: the previous step recorded (a core that sees the
    // last action and reward), rows whose episode starts zeroed.
    std::span<float> state(state_.data() + static_cast<int64_t>(j) * rows * state_size, rows * state_size);
    const float* current = v.state[board_.current_state_buffer(slots[j])];
    std::copy_n(current, rows * state_size, state.begin());
    if (board_.flags(slots[j]) & wire::InferenceBoard::kPreviousStep) {
      policies_[0]->record_on_state(state, std::span<const int64_t>(v.previous_discrete, action_floats == 0 ? rows : 0),
                              std::span<const float>(v.previous_box, rows * action_floats),
                              std::span<const float>(v.rewards, rows));
    }
    for (int64_t r = 0; r < rows; ++r) {
      if (v.starts[r]) std::fill_n(state.begin() + r * state_size, state_size, 0.f);
    }
    std::copy(state.begin(), state.end(), v.start_state);
  }

  forward(total);

  // Counted before the answers, which the actors may act on at once.
  board_.count_batch(static_cast<int64_t>(slots.size()), total);
  for (size_t j = 0; j < slots.size(); ++j) {
    const wire::InferenceSlotView v = board_.slot(slots[j]);
    const int64_t r0 = static_cast<int64_t>(j) * rows;
    if (action_floats == 0) std::copy_n(discrete_.begin() + r0, rows, v.discrete);
    std::copy_n(box_.begin() + r0 * action_floats, rows * action_floats, v.box);
    std::copy_n(log_probs_.begin() + r0, rows, v.log_probs);
    std::copy_n(values_.begin() + r0, rows, v.values);
    if (state_size > 0) {
      float* next = v.state[1 - board_.current_state_buffer(slots[j])];
      std::copy_n(state_.begin() + r0 * state_size, rows * state_size, next);
    }
    board_.answer(slots[j], policies_[0]->version(), policies_[0]->epoch());
  }
  if (config_.answered_fd >= 0) {
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t put = ::write(config_.answered_fd, &one, sizeof one);
  }
  return true;
}

void InferenceServer::run(const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_relaxed)) serve_batch(0.1);
}

int run_inference_server(const ActorOptions& options) {
  g_server_stop.store(false);
  std::signal(SIGTERM, on_server_signal);
  std::signal(SIGINT, on_server_signal);
  std::signal(SIGUSR1, SIG_IGN);  // Slurm's warning: the stop comes from the parent
  try {
    if (options.weights_fd < 0) throw std::invalid_argument("an inference server needs --weights-fd");
    wire::InferenceBoard board = wire::InferenceBoard::attach(options.inference_fd);
    const wire::WeightsBoard weights = wire::WeightsBoard::attach(options.weights_fd);
    ActorView view;
    apply_yaml(fields_of(view), board.run_config(), "the run's config", /*ignore_unknown=*/true);
#ifndef RL_ACTOR_NO_TORCH
    set_compute_threads(1);
#endif
    EnvRegistry registry;
    envs::register_builtin_envs(registry);
    for (const auto& plugin : view.run.plugin_paths()) load_env_plugin(plugin, registry);
    VectorEnvConfig one;
    one.env_options = view.run.parsed_env_options();
    const EnvSpec spec = VectorEnv(registry, view.run.env, one).spec();
    // Each start of a server samples from streams of its own.
    const uint64_t seed = derive_seed(view.run.seed, 0x1FE0000ull + board.servers_started());
    InferenceServer server(board, weights, spec, view.policy, view.normalize, seed,
                           {.max_rows = view.runtime.inference_batch,
                            .wait_seconds = view.runtime.inference_wait_ms / 1e3,
                            .threads = view.runtime.inference_threads,
                            // A host's inference process: the CPU unless told.
                            .device = view.runtime.inference_device == "auto" ? "cpu" : view.runtime.inference_device});
    board.set_server(::getpid());
    logf(LogLevel::kInfo, "inference server: serving %d actor slots of %d envs (%s), ready %.0f ms after its start\n",
         board.layout().slots, board.layout().rows, view.policy.encoder.c_str(), 1e3 * process_age_seconds());
    server.run(g_server_stop);
    return kActorStopped;
  } catch (const std::exception& e) {
    logf(LogLevel::kError, "inference server: error: %s\n", e.what());
    return kActorFailed;
  }
}

}  // namespace rl
