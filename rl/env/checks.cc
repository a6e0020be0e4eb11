#include "rl/env/checks.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace rl {
namespace {

[[noreturn]] void fail(std::string_view who, const std::string& what) {
  throw std::invalid_argument(std::string(who) + ": " + what);
}

std::string row_label(size_t k, size_t row) {
  return k == 1 ? std::string("action") : "action[" + std::to_string(row) + "]";
}

void check_index(const Space& space, int64_t index, std::string_view who, size_t k, size_t row) {
  if (index < 0 || index >= space.n()) {
    fail(who, row_label(k, row) + " = " + std::to_string(index) + " is outside " +
                  space.to_string() + " (expected 0 <= action < " + std::to_string(space.n()) +
                  ")");
  }
}

void check_values(const Space& space, std::span<const float> values, std::string_view who, size_t k,
                  size_t row) {
  for (size_t j = 0; j < values.size(); ++j) {
    if (!std::isfinite(values[j])) {
      fail(who, row_label(k, row) + " element " + std::to_string(j) + " is " +
                    std::to_string(values[j]) + "; actions of " + space.to_string() +
                    " must be finite");
    }
  }
}

}  // namespace

void check_action(const Space& space, const Action& action, std::string_view who) {
  if (space.is_discrete()) {
    if (!action.values.empty()) {
      fail(who, "got a Box action of " + std::to_string(action.values.size()) +
                    " values for the action space " + space.to_string());
    }
    check_index(space, action.index, who, 1, 0);
    return;
  }
  if (static_cast<int64_t>(action.values.size()) != space.flat_size()) {
    fail(who, "action has " + std::to_string(action.values.size()) + " values, expected " +
                  std::to_string(space.flat_size()) + " for " + space.to_string());
  }
  check_values(space, action.values, who, 1, 0);
}

void check_discrete_actions(const Space& space, std::span<const int64_t> actions, size_t k,
                            std::string_view who) {
  if (!space.is_discrete()) {
    fail(who, "got discrete (int64) actions for the Box action space " + space.to_string() +
                  "; pass float actions");
  }
  if (actions.size() != k) {
    fail(who, "got " + std::to_string(actions.size()) + " actions for " + std::to_string(k) +
                  " envs");
  }
  for (size_t i = 0; i < k; ++i) {
    // The in-range test is the hot path; only a failure builds a message.
    if (actions[i] < 0 || actions[i] >= space.n()) check_index(space, actions[i], who, k, i);
  }
}

void check_box_actions(const Space& space, std::span<const float> actions, size_t k,
                       std::string_view who) {
  if (!space.is_box()) {
    fail(who, "got float actions for the action space " + space.to_string() +
                  "; pass int64 indices");
  }
  const size_t width = static_cast<size_t>(space.flat_size());
  if (actions.size() != k * width) {
    fail(who, "got " + std::to_string(actions.size()) + " action values, expected " +
                  std::to_string(k) + " envs x " + std::to_string(width) + " = " +
                  std::to_string(k * width));
  }
  for (size_t i = 0; i < actions.size(); ++i) {
    if (!std::isfinite(actions[i])) {
      check_values(space, actions.subspan(i / width * width, width), who, k, i / width);
    }
  }
}

}  // namespace rl
