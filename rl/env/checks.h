// Input checks shared by the single-env wrappers and the VectorEnv.
#pragma once

#include <string_view>

#include "rl/env/env.h"
#include "rl/env/space.h"

namespace rl {

// Throws std::invalid_argument naming `who`, the action and the space when
// `action` is not valid for `space`: a Discrete index outside [0, n), a Box
// action of the wrong size or with a NaN or infinite value. Box values out of
// the bounds are allowed: each env clips (or lets its simulator clamp) as its
// Gymnasium definition says.
void check_action(const Space& space, const Action& action, std::string_view who);

// Same for a batch of k discrete actions.
void check_discrete_actions(const Space& space, std::span<const int64_t> actions, size_t k,
                            std::string_view who);
// Same for a batch of k Box actions, [k, flat_size] row-major.
void check_box_actions(const Space& space, std::span<const float> actions, size_t k,
                       std::string_view who);

}  // namespace rl
