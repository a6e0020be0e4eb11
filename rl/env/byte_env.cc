#include <algorithm>

#include "rl/env/env.h"

namespace rl {

void ByteEnv::reset(std::optional<uint64_t> seed, std::span<float> obs) {
  widen_scratch_.resize(obs.size());
  reset(seed, std::span<uint8_t>(widen_scratch_));
  std::copy(widen_scratch_.begin(), widen_scratch_.end(), obs.begin());
}

StepResult ByteEnv::step(const Action& action, std::span<float> obs, std::span<float> info) {
  widen_scratch_.resize(obs.size());
  const StepResult result = step(action, std::span<uint8_t>(widen_scratch_), info);
  std::copy(widen_scratch_.begin(), widen_scratch_.end(), obs.begin());
  return result;
}

}  // namespace rl
