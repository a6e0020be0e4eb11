// The sections of a learner's config that the actor side reads (actors,
// host agents, inference servers); the algorithm's sections are skipped.
#pragma once

#include "rl/data/rollout_config.h"
#include "rl/nn/policy_config.h"
#include "rl/runtime/config.h"
#include "rl/runtime/run_config.h"

namespace rl {

struct ActorView {
  RunConfig run;
  RuntimeConfig runtime;
  RolloutConfig rollout;
  PolicyConfig policy;
  NormalizeConfig normalize;
  void visit(ConfigFields& f) {
    f("run", run);
    f("runtime", runtime);
    f("rollout", rollout);
    f("policy", policy);
    f("normalize", normalize);
  }
};

}  // namespace rl
