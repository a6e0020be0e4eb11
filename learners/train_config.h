// The configuration of a training run: plain structs, one section each,
// composed per algorithm. Every field is a YAML key and a --set path.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "rl/data/rollout_config.h"
#include "algorithms/appo_config.h"
#include "algorithms/impala_config.h"
#include "algorithms/ppo_config.h"
#include "rl/nn/policy_config.h"
#include "rl/runtime/config.h"
#include "rl/runtime/run_config.h"

namespace rl {

// rl_actor has no libtorch: it runs MLPs and the built-in CNNs (minatar_cnn,
// nature_cnn, impala_cnn), with or without an LSTM core (the CNNs' actions
// must be Discrete: checked by the actor); not a plugin's encoder.
inline void check_actor_program(const RuntimeConfig& runtime, const PolicyConfig& policy) {
  if (runtime.actor_program == "rl_actor" && !policy.actor_fast_path_applies()) {
    throw std::invalid_argument(
        "runtime.actor_program=rl_actor runs mlp, minatar_cnn, nature_cnn and impala_cnn policies, and this one is "
        "not (policy."
        "encoder " + policy.encoder + (policy.fast_path == "off" ? ", policy.fast_path off" : "") +
        "): use auto or trainer");
  }
}

struct PpoTrainConfig {
  static constexpr const char* kAlgorithm = "ppo";
  RunConfig run;
  RuntimeConfig runtime;
  RolloutConfig rollout;
  PolicyConfig policy;
  NormalizeConfig normalize;
  PpoConfig ppo;

  void visit(ConfigFields& f) {
    f("run", run);
    f("runtime", runtime);
    f("rollout", rollout);
    f("policy", policy);
    f("normalize", normalize);
    f("ppo", ppo);
  }
  void validate() const {
    run.validate();
    runtime.validate();
    rollout.validate();
    policy.validate();
    normalize.validate();
    ppo.validate();
    check_actor_program(runtime, policy);
    const int64_t batch = static_cast<int64_t>(rollout.num_envs) * rollout.num_steps;
    if (batch < ppo.num_minibatches) {
      throw std::invalid_argument("ppo.num_minibatches (" + std::to_string(ppo.num_minibatches) +
                                  ") exceeds the batch of rollout.num_envs x rollout.num_steps = " +
                                  std::to_string(batch));
    }
  }
  double gamma() const { return ppo.gamma; }
};

// Asynchronous algorithms: credits return only as a batch starts, so a
// global cap below one batch could never form one (the per-actor queue
// adapts at run time, see HubConfig::batch_unrolls).
inline void check_credits(const RuntimeConfig& runtime, int unrolls_per_batch, const char* batch_key) {
  if (runtime.unrolls_in_flight > 0 && runtime.unrolls_in_flight < unrolls_per_batch) {
    throw std::invalid_argument("runtime.unrolls_in_flight=" + std::to_string(runtime.unrolls_in_flight) +
                                " is below " + batch_key + "=" + std::to_string(unrolls_per_batch) +
                                ": no batch could ever form (credits come back only as a batch starts); set it to at "
                                "least " + std::to_string(unrolls_per_batch) + ", or 0 for twice the batch");
  }
}

struct ImpalaTrainConfig {
  static constexpr const char* kAlgorithm = "impala";
  RunConfig run;
  RuntimeConfig runtime;
  RolloutConfig rollout{.num_envs = 16, .num_steps = 20};
  PolicyConfig policy;
  NormalizeConfig normalize;
  ImpalaConfig impala;

  void visit(ConfigFields& f) {
    f("run", run);
    f("runtime", runtime);
    f("rollout", rollout);
    f("policy", policy);
    f("normalize", normalize);
    f("impala", impala);
  }
  void validate() const {
    run.validate();
    runtime.validate();
    rollout.validate();
    policy.validate();
    normalize.validate();
    impala.validate();
    check_credits(runtime, impala.unrolls_per_batch, "impala.unrolls_per_batch");
    check_actor_program(runtime, policy);
  }
  double gamma() const { return impala.gamma; }
};

// APPO: 16 envs x 32 steps per unroll, two unrolls per update: Sample
// Factory's batch of 1,024 samples.
struct AppoTrainConfig {
  static constexpr const char* kAlgorithm = "appo";
  RunConfig run;
  RuntimeConfig runtime;
  RolloutConfig rollout{.num_envs = 16, .num_steps = 32};
  PolicyConfig policy;
  NormalizeConfig normalize;
  AppoConfig appo{.unrolls_per_batch = 2};

  void visit(ConfigFields& f) {
    f("run", run);
    f("runtime", runtime);
    f("rollout", rollout);
    f("policy", policy);
    f("normalize", normalize);
    f("appo", appo);
  }
  void validate() const {
    run.validate();
    runtime.validate();
    rollout.validate();
    policy.validate();
    normalize.validate();
    appo.validate();
    check_credits(runtime, appo.unrolls_per_batch, "appo.unrolls_per_batch");
    check_actor_program(runtime, policy);
    const int64_t batch = static_cast<int64_t>(rollout.num_envs) * rollout.num_steps * appo.unrolls_per_batch;
    if (batch < appo.num_minibatches) {
      throw std::invalid_argument("appo.num_minibatches (" + std::to_string(appo.num_minibatches) +
                                  ") exceeds the batch of rollout.num_envs x rollout.num_steps x "
                                  "appo.unrolls_per_batch = " + std::to_string(batch));
    }
  }
  double gamma() const { return appo.gamma; }
};

}  // namespace rl
