#include "rl/nn/distributions.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace rl::dist {
namespace {
constexpr float kHalfLog2Pi = 0.918938533204672741780329736f;  // log(2 pi) / 2
}

void log_softmax(const float* logits, int64_t n, float* out) {
  float max_logit = logits[0];
  for (int64_t j = 1; j < n; ++j) max_logit = std::max(max_logit, logits[j]);
  float total = 0;
  for (int64_t j = 0; j < n; ++j) total += std::exp(logits[j] - max_logit);
  const float log_total = std::log(total);
  for (int64_t j = 0; j < n; ++j) out[j] = logits[j] - max_logit - log_total;
}

int64_t sample_categorical(const float* logits, int64_t n, Rng& rng) {
  double max_logit = logits[0];
  for (int64_t j = 1; j < n; ++j) max_logit = std::max(max_logit, double(logits[j]));
  double total = 0;
  for (int64_t j = 0; j < n; ++j) total += std::exp(logits[j] - max_logit);
  double u = rng.uniform() * total;
  for (int64_t j = 0; j < n; ++j) {
    u -= std::exp(logits[j] - max_logit);
    if (u < 0) return j;
  }
  return n - 1;
}

int64_t argmax(const float* logits, int64_t n) {
  return std::max_element(logits, logits + n) - logits;
}

float categorical_entropy(const float* log_probs, int64_t n) {
  float h = 0;
  for (int64_t j = 0; j < n; ++j) h -= std::exp(log_probs[j]) * log_probs[j];
  return h;
}

void categorical_backward(const float* log_probs, int64_t n, int64_t action, float entropy,
                          float g_log_prob, float g_entropy, float* d_logits) {
  // d log p_a / d z_j = [j == a] - p_j ;  d H / d z_j = -p_j (log p_j + H)
  for (int64_t j = 0; j < n; ++j) {
    const float p = std::exp(log_probs[j]);
    d_logits[j] += g_log_prob * ((j == action ? 1.f : 0.f) - p) -
                   g_entropy * p * (log_probs[j] + entropy);
  }
}

void sample_gaussian(const float* mean, const float* std_dev, int64_t d, Rng& rng, float* action) {
  for (int64_t j = 0; j < d; ++j) action[j] = static_cast<float>(mean[j] + std_dev[j] * rng.normal());
}

float gaussian_log_prob(const float* action, const float* mean, const float* log_std, int64_t d) {
  float total = 0;
  for (int64_t j = 0; j < d; ++j) {
    const float z = (action[j] - mean[j]) * std::exp(-log_std[j]);
    total += -0.5f * z * z - log_std[j] - kHalfLog2Pi;
  }
  return total;
}

float gaussian_entropy(const float* log_std, int64_t d) {
  float total = 0;
  for (int64_t j = 0; j < d; ++j) total += 0.5f + kHalfLog2Pi + log_std[j];
  return total;
}

void gaussian_backward(const float* action, const float* mean, const float* log_std, int64_t d,
                       float g_log_prob, float g_entropy, float* d_mean, float* d_log_std) {
  // With z = (a - mu) / sigma:  d log p / d mu = z / sigma,
  // d log p / d log sigma = z^2 - 1,  d H / d log sigma = 1.
  for (int64_t j = 0; j < d; ++j) {
    const float inv_std = std::exp(-log_std[j]);
    const float z = (action[j] - mean[j]) * inv_std;
    d_mean[j] += g_log_prob * z * inv_std;
    d_log_std[j] += g_log_prob * (z * z - 1.f) + g_entropy;
  }
}

float action_log_prob(bool discrete, int64_t width, const float* head, const float* log_std,
                      int64_t discrete_action, const float* box_action, float* log_softmax, float* entropy) {
  if (discrete) {
    dist::log_softmax(head, width, log_softmax);
    *entropy = categorical_entropy(log_softmax, width);
    return log_softmax[discrete_action];
  }
  *entropy = gaussian_entropy(log_std, width);
  return gaussian_log_prob(box_action, head, log_std, width);
}

void action_backward(bool discrete, int64_t width, const float* head, const float* log_std,
                     const float* log_softmax, int64_t discrete_action, const float* box_action,
                     float entropy, float g_log_prob, float g_entropy, float* d_head, float* d_log_std) {
  if (discrete) {
    categorical_backward(log_softmax, width, discrete_action, entropy, g_log_prob, g_entropy, d_head);
  } else {
    gaussian_backward(box_action, head, log_std, width, g_log_prob, g_entropy, d_head, d_log_std);
  }
}

}  // namespace rl::dist
