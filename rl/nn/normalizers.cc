#include "rl/nn/normalizers.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace rl {
namespace {

constexpr double kEpsilon = 1e-8;

}  // namespace

namespace {

template <typename T>
Moments moments_of(std::span<const T> batch, int64_t rows, int64_t size) {
  Moments m;
  m.count = static_cast<double>(rows);
  m.mean.assign(size, 0.0);
  m.var.assign(size, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < size; ++j) m.mean[j] += batch[r * size + j];
  }
  for (auto& v : m.mean) v /= static_cast<double>(rows);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < size; ++j) {
      const double d = batch[r * size + j] - m.mean[j];
      m.var[j] += d * d;
    }
  }
  for (auto& v : m.var) v /= static_cast<double>(rows);  // population variance, as numpy's var
  return m;
}

}  // namespace

Moments Moments::of(std::span<const float> batch, int64_t rows, int64_t size) {
  return moments_of(batch, rows, size);
}

Moments Moments::of(std::span<const double> batch, int64_t rows, int64_t size) {
  return moments_of(batch, rows, size);
}

std::vector<double> Moments::to_sums() const {
  std::vector<double> sums{count};
  for (double m : mean) sums.push_back(count * m);
  for (size_t j = 0; j < mean.size(); ++j) sums.push_back(count * (var[j] + mean[j] * mean[j]));
  return sums;
}

Moments Moments::from_sums(const std::vector<double>& sums) {
  Moments m;
  m.count = sums[0];
  const size_t size = (sums.size() - 1) / 2;
  for (size_t j = 0; j < size; ++j) {
    const double mean = m.count > 0 ? sums[1 + j] / m.count : 0.0;
    m.mean.push_back(mean);
    m.var.push_back(m.count > 0 ? std::max(0.0, sums[1 + size + j] / m.count - mean * mean) : 0.0);
  }
  return m;
}

RunningMeanStd::RunningMeanStd(int64_t size) : mean_(size, 0.0), var_(size, 1.0) {
  if (size <= 0) throw std::invalid_argument("RunningMeanStd: size must be positive");
}

void RunningMeanStd::update(std::span<const float> batch, int64_t rows) {
  if (rows <= 0) return;
  if (static_cast<int64_t>(batch.size()) != rows * size()) {
    throw std::invalid_argument("RunningMeanStd: batch of " + std::to_string(batch.size()) +
                                " values is not " + std::to_string(rows) + " rows of " +
                                std::to_string(size()));
  }
  update(Moments::of(batch, rows, size()));
}

void RunningMeanStd::update(std::span<const double> batch, int64_t rows) {
  if (rows <= 0) return;
  if (static_cast<int64_t>(batch.size()) != rows * size()) {
    throw std::invalid_argument("RunningMeanStd: batch size mismatch");
  }
  update(Moments::of(batch, rows, size()));
}

void RunningMeanStd::update(const Moments& batch) {
  if (batch.count <= 0) return;
  const double total = count_ + batch.count;
  for (size_t j = 0; j < mean_.size(); ++j) {
    const double delta = batch.mean[j] - mean_[j];
    const double m2 = var_[j] * count_ + batch.var[j] * batch.count +
                      delta * delta * count_ * batch.count / total;
    mean_[j] += delta * batch.count / total;
    var_[j] = m2 / total;
  }
  count_ = total;
}

void RunningMeanStd::set(std::vector<double> mean, std::vector<double> var, double count) {
  if (mean.size() != mean_.size() || var.size() != var_.size() || !(count > 0)) {
    throw std::invalid_argument("RunningMeanStd: saved statistics have " +
                                std::to_string(mean.size()) + " values, expected " +
                                std::to_string(mean_.size()) + " (and a positive count)");
  }
  mean_ = std::move(mean);
  var_ = std::move(var);
  count_ = count;
}

ObservationNormalizer::ObservationNormalizer(int64_t size, bool enabled, double clip)
    : stats_(size), enabled_(enabled), clip_(clip) {}

void ObservationNormalizer::normalize(std::span<const float> in, std::span<float> out) const {
  if (!enabled_) {
    if (in.data() != out.data()) std::copy(in.begin(), in.end(), out.begin());
    return;
  }
  const size_t size = stats_.size();
  const auto& mean = stats_.mean();
  const auto& var = stats_.var();
  for (size_t i = 0; i < in.size(); ++i) {
    const size_t j = i % size;
    const double z = (in[i] - mean[j]) / std::sqrt(var[j] + kEpsilon);
    out[i] = static_cast<float>(std::clamp(z, -clip_, clip_));
  }
}

void ObservationNormalizer::update(std::span<const float> raw, int64_t rows) {
  if (enabled_) stats_.update(raw, rows);
}

RewardScaler::RewardScaler(bool enabled, double gamma, double clip)
    : enabled_(enabled), gamma_(gamma), clip_(clip) {}

void RewardScaler::scale(std::span<float> rewards, std::span<const uint8_t> done,
                         int64_t num_steps, int64_t num_streams, int64_t first_stream) {
  if (!enabled_) return;
  const std::vector<double> block = accumulate(rewards, done, num_steps, num_streams, first_stream);
  stats_.update(std::span<const double>(block), num_steps * num_streams);
  apply(rewards);
}

std::vector<double> RewardScaler::accumulate(std::span<const float> rewards, std::span<const uint8_t> done,
                                             int64_t num_steps, int64_t num_streams, int64_t first_stream) {
  if (static_cast<int64_t>(returns_.size()) < first_stream + num_streams) {
    returns_.resize(first_stream + num_streams, 0.0);
  }
  std::vector<double> block(num_steps * num_streams);
  for (int64_t t = 0; t < num_steps; ++t) {
    for (int64_t i = 0; i < num_streams; ++i) {
      double& ret = returns_[first_stream + i];
      ret = gamma_ * ret + rewards[t * num_streams + i];
      block[t * num_streams + i] = ret;
      if (done[t * num_streams + i]) ret = 0.0;
    }
  }
  return block;
}

void RewardScaler::accumulate_columns(std::span<const float> rewards, std::span<const uint8_t> done,
                                      int64_t num_steps, std::span<const int64_t> streams,
                                      std::vector<double>& out) {
  const int64_t K = static_cast<int64_t>(streams.size());
  int64_t needed = 0;
  for (int64_t s : streams) needed = std::max(needed, s + 1);
  if (static_cast<int64_t>(returns_.size()) < needed) returns_.resize(needed, 0.0);
  out.resize(num_steps * K);
  // Column by column: a stream that appears in two columns (two unrolls of
  // one actor in a batch) continues in time order.
  for (int64_t j = 0; j < K; ++j) {
    double& ret = returns_[streams[j]];
    for (int64_t t = 0; t < num_steps; ++t) {
      ret = gamma_ * ret + rewards[t * K + j];
      out[t * K + j] = ret;
      if (done[t * K + j]) ret = 0.0;
    }
  }
}

void RewardScaler::apply(std::span<float> rewards) const {
  if (!enabled_) return;
  const double f = factor();
  for (auto& r : rewards) r = static_cast<float>(std::clamp(r * f, -clip_, clip_));
}

double RewardScaler::factor() const {
  return enabled_ ? 1.0 / std::sqrt(stats_.var()[0] + kEpsilon) : 1.0;
}

}  // namespace rl
