// A training run's weights and Adam state, for any network whose loss and gradients a pass computes (the recurrent
// networks of network.h, the GPTs of gpt.h): gradient clipping, the decoupled weight decay (AdamW) and Adam, with the
// arithmetic of tfjs' AdamOptimizer (same order of operations, float32).
#pragma once
#include <cstddef>
#include <functional>
#include <vector>

namespace gn {

/**
 * Adam's settings, as tf.train.adam takes them, the global gradient-norm limit (0 = no clipping) and the decoupled
 * weight decay (AdamW; 0 = plain Adam). As in tfjs, 1 − β is computed in double precision and then rounded to float
 * (1.0f − 0.999f would differ by 1e-5 relative). The learning rate and the weight decay stay double, as JavaScript
 * gives them: the Adam step rounds the learning rate to float where it multiplies (as tfjs does), while the decay
 * factor 1 − lr·wd is computed in double, then rounded to float (as the TensorFlow.js update does).
 */
struct AdamSettings {
  double learning_rate;
  float beta1, beta2, one_minus_beta1, one_minus_beta2, epsilon, clip_norm;
  double weight_decay;
};

/**
 * A network's forward and backward pass over one batch: reads `weights` (one array per tensor), overwrites `grads`
 * (the same shapes) and returns the batch's mean loss.
 */
using GradientPass = std::function<double(const std::vector<float*>& weights, const std::vector<float*>& grads)>;

/**
 * The weights and Adam state of a run, owned here between steps: one `step` is a gradient pass, the clipping, the
 * weight decay of the tensors flagged `decayed` (the matrices: JavaScript's isDecayedWeight) and the Adam update.
 */
class Trainer {
 public:
  /** Empty `first`/`second` start a fresh Adam (zero moments). */
  Trainer(std::vector<std::vector<float>> weights, std::vector<std::vector<float>> first,
          std::vector<std::vector<float>> second, int iterations, float acc_beta1, float acc_beta2,
          const AdamSettings& adam, std::vector<bool> decayed);
  /**
   * One optimisation step with the gradients of `pass`; returns its loss (NaN stays NaN). The update of a large
   * network is shared by `threads` threads (the same numbers whatever their count).
   */
  double step(const GradientPass& pass, int threads = 1);
  /** The learning rate of the next steps (and so the weight decay's factor 1 − lr·wd). */
  void set_learning_rate(double learning_rate) { adam_.learning_rate = learning_rate; }
  const std::vector<std::vector<float>>& weights() const { return weights_; }
  const std::vector<std::vector<float>>& first_moments() const { return first_; }
  const std::vector<std::vector<float>>& second_moments() const { return second_; }
  int iterations() const { return iterations_; }
  float acc_beta1() const { return acc_beta1_; }
  float acc_beta2() const { return acc_beta2_; }

 private:
  /** Weights from which the update is worth sharing among threads (starting one costs tens of microseconds). */
  static constexpr size_t kParallelUpdate = 1 << 16;
  /** The weight decay and Adam update of every weight with the gradients scaled by `scale`, on `threads` threads. */
  void update(float scale, int threads);
  std::vector<std::vector<float>> weights_, first_, second_, grads_;
  std::vector<float*> weight_arrays_, grad_arrays_;
  int iterations_;
  float acc_beta1_, acc_beta2_;
  AdamSettings adam_;
  /** Per tensor: whether the weight decay applies to it. */
  std::vector<bool> decayed_;
};

}  // namespace gn
