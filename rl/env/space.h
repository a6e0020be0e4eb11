// Observation and action spaces (Gymnasium's Box and Discrete).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rl {

// The element type of a Box: float32 (every vector env) or uint8 (images
// and grids, written by envs as bytes and carried as bytes to the learner).
enum class ElementType : uint8_t { kFloat32, kUint8 };

// "float32" or "uint8".
const char* element_type_name(ElementType dtype);
// Bytes per element.
inline int64_t element_size(ElementType dtype) { return dtype == ElementType::kUint8 ? 1 : 4; }

// A Box (an array of a fixed shape with per-element bounds, float32 or
// uint8 elements) or a Discrete space (an integer in [0, n)). Immutable once
// built; the constructors check their arguments and throw
// std::invalid_argument.
class Space {
 public:
  enum class Kind { kBox, kDiscrete };

  // Box with per-element bounds, each of prod(shape) values (row-major).
  static Space box(std::vector<int64_t> shape, std::vector<float> low, std::vector<float> high);
  // Box with the same bounds for every element (+-infinity allowed).
  static Space box(std::vector<int64_t> shape, float low, float high);
  // A uint8 Box (e.g. [C, H, W] channels first) with the same bounds for
  // every element, integers in [0, 255].
  static Space box_u8(std::vector<int64_t> shape, uint8_t low, uint8_t high);
  static Space discrete(int64_t n);

  Kind kind() const { return kind_; }
  bool is_discrete() const { return kind_ == Kind::kDiscrete; }
  bool is_box() const { return kind_ == Kind::kBox; }

  // Number of choices of a Discrete space (0 for a Box).
  int64_t n() const { return n_; }
  // Shape of a Box; empty for a Discrete space.
  const std::vector<int64_t>& shape() const { return shape_; }
  // Number of elements of a Box, 1 for a Discrete space: the width of one
  // env's row in a batch array.
  int64_t flat_size() const { return flat_size_; }
  // Element type of a Box (float32 for a Discrete space's batch rows).
  ElementType dtype() const { return dtype_; }
  bool is_uint8() const { return dtype_ == ElementType::kUint8; }
  // Per-element bounds of a Box (empty for Discrete).
  std::span<const float> low() const { return low_; }
  std::span<const float> high() const { return high_; }

  // "Box(shape=[4], low=[-4.8, ...], high=[...])", "Box(uint8, shape=[4, 10,
  // 10], low=0, high=1)" or "Discrete(2)".
  std::string to_string() const;

  bool operator==(const Space&) const = default;

 private:
  Space() = default;

  Kind kind_ = Kind::kBox;
  ElementType dtype_ = ElementType::kFloat32;
  int64_t n_ = 0;
  std::vector<int64_t> shape_;
  int64_t flat_size_ = 0;
  std::vector<float> low_;
  std::vector<float> high_;
};

}  // namespace rl
