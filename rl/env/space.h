// Observation and action spaces (Gymnasium's Box and Discrete).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rl {

// A Box (a float32 array of a fixed shape with per-element bounds) or a
// Discrete space (an integer in [0, n)). Immutable once built; the
// constructors check their arguments and throw std::invalid_argument.
class Space {
 public:
  enum class Kind { kBox, kDiscrete };

  // Box with per-element bounds, each of prod(shape) values (row-major).
  static Space box(std::vector<int64_t> shape, std::vector<float> low, std::vector<float> high);
  // Box with the same bounds for every element (+-infinity allowed).
  static Space box(std::vector<int64_t> shape, float low, float high);
  static Space discrete(int64_t n);

  Kind kind() const { return kind_; }
  bool is_discrete() const { return kind_ == Kind::kDiscrete; }
  bool is_box() const { return kind_ == Kind::kBox; }

  // Number of choices of a Discrete space (0 for a Box).
  int64_t n() const { return n_; }
  // Shape of a Box; empty for a Discrete space.
  const std::vector<int64_t>& shape() const { return shape_; }
  // Number of float32 elements of a Box, 1 for a Discrete space: the width
  // of one env's row in a batch array.
  int64_t flat_size() const { return flat_size_; }
  // Per-element bounds of a Box (empty for Discrete).
  std::span<const float> low() const { return low_; }
  std::span<const float> high() const { return high_; }

  // "Box(shape=[4], low=[-4.8, ...], high=[...])" or "Discrete(2)".
  std::string to_string() const;

  bool operator==(const Space&) const = default;

 private:
  Space() = default;

  Kind kind_ = Kind::kBox;
  int64_t n_ = 0;
  std::vector<int64_t> shape_;
  int64_t flat_size_ = 0;
  std::vector<float> low_;
  std::vector<float> high_;
};

}  // namespace rl
