// Running statistics for observation normalization and reward scaling.
//
// Torch-free on purpose: actors normalize observations with them before the
// forward pass, learners update them, and their state travels with the
// weights and lives in checkpoints, so that actors, learners and rl_eval
// normalize identically.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace rl {

// Mean, population variance and count of one batch of vectors.
struct Moments {
  std::vector<double> mean, var;
  double count = 0;

  static Moments of(std::span<const float> batch, int64_t rows, int64_t size);
  static Moments of(std::span<const double> batch, int64_t rows, int64_t size);
  // [count, count * mean_j..., count * (var_j + mean_j^2)...]: sums that add
  // across processes (an all-reduce), and back.
  std::vector<double> to_sums() const;
  static Moments from_sums(const std::vector<double>& sums);
};

// Running mean and variance of a vector, merged batch by batch (Chan et
// al.'s parallel formula, as baselines/SB3/gymnasium's RunningMeanStd):
// mean 0, var 1, count 1e-4 initially.
class RunningMeanStd {
 public:
  explicit RunningMeanStd(int64_t size = 1);

  // Merges a batch of `rows` vectors of size() values each, row-major.
  void update(std::span<const float> batch, int64_t rows);
  void update(std::span<const double> batch, int64_t rows);
  // Merges a batch summarized by its moments (of the whole group's batch).
  void update(const Moments& batch);

  int64_t size() const { return static_cast<int64_t>(mean_.size()); }
  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& var() const { return var_; }
  double count() const { return count_; }

  // Restores saved statistics; throws std::invalid_argument on a size mismatch.
  void set(std::vector<double> mean, std::vector<double> var, double count);

  bool operator==(const RunningMeanStd&) const = default;

 private:
  std::vector<double> mean_;
  std::vector<double> var_;
  double count_ = 1e-4;
};

// o' = clip((o - mean) / sqrt(var + 1e-8), -clip, clip). Disabled: o' = o.
class ObservationNormalizer {
 public:
  ObservationNormalizer(int64_t size, bool enabled, double clip);

  bool enabled() const { return enabled_; }
  // Normalizes `rows` rows of `in` into `out` (same size; may alias).
  void normalize(std::span<const float> in, std::span<float> out) const;
  // Adds the raw observations to the statistics.
  void update(std::span<const float> raw, int64_t rows);

  const RunningMeanStd& stats() const { return stats_; }
  RunningMeanStd& stats() { return stats_; }
  double clip() const { return clip_; }

 private:
  RunningMeanStd stats_;
  bool enabled_;
  double clip_;
};

// Reward scaling of the common PPO recipe: per stream (env) a discounted
// return ret = gamma * ret + r, reset at every episode end; the variance of
// those returns scales the rewards: r' = clip(r / sqrt(var + 1e-8), -clip,
// clip). No mean is subtracted. Disabled: r' = r.
class RewardScaler {
 public:
  RewardScaler(bool enabled, double gamma, double clip);

  bool enabled() const { return enabled_; }
  // Scales a [T, k] block of rewards of k streams starting at `first_stream`,
  // in place, after adding its returns to the statistics. `done` [T, k]
  // marks the steps that ended an episode.
  void scale(std::span<float> rewards, std::span<const uint8_t> done, int64_t num_steps,
             int64_t num_streams, int64_t first_stream = 0);
  // The two halves of scale(), for learners that merge statistics across
  // processes in between: the discounted returns of the block (advancing
  // the accumulators), then the scaling with the current statistics.
  std::vector<double> accumulate(std::span<const float> rewards, std::span<const uint8_t> done,
                                 int64_t num_steps, int64_t num_streams, int64_t first_stream);
  // The same over a [T, K] block whose column j is stream `streams[j]`
  // (a learner's batch of several actors' unrolls), into `out` [T * K].
  void accumulate_columns(std::span<const float> rewards, std::span<const uint8_t> done, int64_t num_steps,
                          std::span<const int64_t> streams, std::vector<double>& out);
  void apply(std::span<float> rewards) const;
  // The factor rewards are multiplied by now (1 when disabled).
  double factor() const;

  const RunningMeanStd& stats() const { return stats_; }
  RunningMeanStd& stats() { return stats_; }
  const std::vector<double>& stream_returns() const { return returns_; }
  void set_stream_returns(std::vector<double> returns) { returns_ = std::move(returns); }

 private:
  RunningMeanStd stats_{1};
  std::vector<double> returns_;  // per stream, grown on demand
  bool enabled_;
  double gamma_;
  double clip_;
};

}  // namespace rl
