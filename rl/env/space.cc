#include "rl/env/space.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace rl {
namespace {

std::string format_values(std::span<const float> values) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out << ", ";
    out << values[i];
  }
  out << ']';
  return out.str();
}

}  // namespace

Space Space::box(std::vector<int64_t> shape, std::vector<float> low, std::vector<float> high) {
  int64_t size = 1;
  for (int64_t dim : shape) {
    if (dim <= 0) {
      throw std::invalid_argument("Box space: every dimension of the shape must be positive, got " +
                                  std::to_string(dim));
    }
    size *= dim;
  }
  if (static_cast<int64_t>(low.size()) != size || static_cast<int64_t>(high.size()) != size) {
    throw std::invalid_argument("Box space: low and high need " + std::to_string(size) +
                                " values each (the product of the shape), got " +
                                std::to_string(low.size()) + " and " + std::to_string(high.size()));
  }
  for (int64_t i = 0; i < size; ++i) {
    if (std::isnan(low[i]) || std::isnan(high[i]) || low[i] > high[i]) {
      throw std::invalid_argument("Box space: element " + std::to_string(i) + " has bounds [" +
                                  std::to_string(low[i]) + ", " + std::to_string(high[i]) +
                                  "]; expected low <= high and no NaN");
    }
  }
  Space space;
  space.kind_ = Kind::kBox;
  space.shape_ = std::move(shape);
  space.flat_size_ = size;
  space.low_ = std::move(low);
  space.high_ = std::move(high);
  return space;
}

Space Space::box(std::vector<int64_t> shape, float low, float high) {
  int64_t size = 1;
  for (int64_t dim : shape) size *= dim > 0 ? dim : 1;
  return box(std::move(shape), std::vector<float>(size, low), std::vector<float>(size, high));
}

Space Space::box_u8(std::vector<int64_t> shape, uint8_t low, uint8_t high) {
  Space space = box(std::move(shape), static_cast<float>(low), static_cast<float>(high));
  space.dtype_ = ElementType::kUint8;
  return space;
}

Space Space::discrete(int64_t n) {
  if (n <= 0) {
    throw std::invalid_argument("Discrete space: n must be positive, got " + std::to_string(n));
  }
  Space space;
  space.kind_ = Kind::kDiscrete;
  space.n_ = n;
  space.flat_size_ = 1;
  return space;
}

const char* element_type_name(ElementType dtype) { return dtype == ElementType::kUint8 ? "uint8" : "float32"; }

std::string Space::to_string() const {
  if (is_discrete()) return "Discrete(" + std::to_string(n_) + ")";
  std::ostringstream out;
  out << "Box(" << (is_uint8() ? "uint8, " : "") << "shape=[";
  for (size_t i = 0; i < shape_.size(); ++i) out << (i ? ", " : "") << shape_[i];
  if (is_uint8()) {
    // Same bounds everywhere by construction: one number each.
    out << "], low=" << low_.front() << ", high=" << high_.front() << ')';
  } else {
    out << "], low=" << format_values(low_) << ", high=" << format_values(high_) << ')';
  }
  return out.str();
}

}  // namespace rl
