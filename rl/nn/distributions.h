// The policy distributions one row at a time, without libtorch: Categorical
// over logits and the diagonal Gaussian with a state-independent log-std.
// The libtorch actor-critic samples through these too, so both inference
// paths draw the same actions from the same RNG.
#pragma once

#include <cstdint>

#include "rl/env/rng.h"

namespace rl::dist {

// ---- Categorical over n logits ----------------------------------------------

// log softmax(logits) into out[n] (max-shifted, as torch computes it).
void log_softmax(const float* logits, int64_t n, float* out);
// Inverse CDF of softmax(logits) at one uniform draw, computed in double.
int64_t sample_categorical(const float* logits, int64_t n, Rng& rng);
// Index of the largest logit (the first on ties, like torch's argmax).
int64_t argmax(const float* logits, int64_t n);
// -sum p log p, from log-probabilities.
float categorical_entropy(const float* log_probs, int64_t n);
// Adds to d_logits[n] the gradient of  g_log_prob * log p(action) + g_entropy * H
// with respect to the logits, given the row's log-probabilities and entropy.
void categorical_backward(const float* log_probs, int64_t n, int64_t action, float entropy,
                          float g_log_prob, float g_entropy, float* d_logits);

// ---- Diagonal Gaussian with mean[d] and log_std[d] ----------------------------

// action_j = mean_j + exp(log_std_j) * N(0, 1) draws, in order of j.
void sample_gaussian(const float* mean, const float* std_dev, int64_t d, Rng& rng, float* action);
// sum_j -(a_j - mu_j)^2 / (2 sigma_j^2) - log sigma_j - log(2 pi) / 2
float gaussian_log_prob(const float* action, const float* mean, const float* log_std, int64_t d);
// sum_j 1/2 + log(2 pi) / 2 + log sigma_j (the same for every row)
float gaussian_entropy(const float* log_std, int64_t d);
// Adds the gradient of  g_log_prob * log p(action) + g_entropy * H  to d_mean[d]
// and d_log_std[d].
void gaussian_backward(const float* action, const float* mean, const float* log_std, int64_t d,
                       float g_log_prob, float g_entropy, float* d_mean, float* d_log_std);

// ---- One row of a policy head, either distribution ----------------------------
// What the losses of both algorithms need per sample: the log-probability
// of the taken action (`discrete_action`, or `box_action` [width]) and the
// entropy, under the head row [width] (logits or means) and log_std
// (Box). Discrete rows leave their log-softmax in `log_softmax` [width] for
// the backward.
float action_log_prob(bool discrete, int64_t width, const float* head, const float* log_std,
                      int64_t discrete_action, const float* box_action, float* log_softmax, float* entropy);
// Adds the gradient of  g_log_prob * log p(action) + g_entropy * H  to
// d_head [width] and (Box) d_log_std [width].
void action_backward(bool discrete, int64_t width, const float* head, const float* log_std,
                     const float* log_softmax, int64_t discrete_action, const float* box_action,
                     float entropy, float g_log_prob, float g_entropy, float* d_head, float* d_log_std);

}  // namespace rl::dist
