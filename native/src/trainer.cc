// Training: the loss and gradients of a batch (any network's gradient pass), then gradient clipping, the decoupled weight
// decay (AdamW) and Adam, as tfjs computes them.
#include <algorithm>
#include <cmath>
#include <utility>

#include "elementwise.h"
#include "mathx.h"
#include "parts.h"
#include "profile.h"
#include "trainer.h"

namespace gn {

Trainer::Trainer(std::vector<std::vector<float>> weights, std::vector<std::vector<float>> first,
                 std::vector<std::vector<float>> second, int iterations, float acc_beta1, float acc_beta2,
                 const AdamSettings& adam, std::vector<bool> decayed)
    : weights_(std::move(weights)), first_(std::move(first)), second_(std::move(second)), iterations_(iterations),
      acc_beta1_(acc_beta1), acc_beta2_(acc_beta2), adam_(adam), decayed_(std::move(decayed)) {
  decayed_.resize(weights_.size(), false);
  for (size_t i = 0; i < weights_.size(); i++) {
    if (first_.size() <= i) first_.emplace_back(weights_[i].size(), 0.0f);
    if (second_.size() <= i) second_.emplace_back(weights_[i].size(), 0.0f);
    grads_.emplace_back(weights_[i].size(), 0.0f);
    weight_arrays_.push_back(weights_[i].data());
    grad_arrays_.push_back(grads_[i].data());
  }
}

// `decay` (1 − lr·wd, or 1 for a tensor without decay) multiplies the weights first, in a pass of its own, as the
// TensorFlow.js update assigns the decayed variable before Adam reads it; 1 skips it, so plain Adam is unchanged.
static GN_VECTOR_CLONES void adam_update(float* __restrict w, float* __restrict m, float* __restrict v, const float* __restrict g, size_t n, float scale,
                                  const AdamSettings& a, float learning_rate, float decay, float one_minus_acc1,
                                  float one_minus_acc2) {
  if (decay != 1.0f) {
    for (size_t k = 0; k < n; k++) w[k] = w[k] * decay;
  }
  for (size_t k = 0; k < n; k++) {
    const float grad = g[k] * scale;
    m[k] = m[k] * a.beta1 + grad * a.one_minus_beta1;
    v[k] = v[k] * a.beta2 + (grad * grad) * a.one_minus_beta2;
    const float m_hat = m[k] / one_minus_acc1, v_hat = v[k] / one_minus_acc2;
    w[k] = (m_hat / (std::sqrt(v_hat) + a.epsilon)) * -learning_rate + w[k];
  }
}

StepProfile& step_profile() {
  static StepProfile profile;
  return profile;
}

void Trainer::update(float scale, int threads) {
  const float one_minus_acc1 = 1.0f - acc_beta1_, one_minus_acc2 = 1.0f - acc_beta2_;
  // tfjs multiplies by the learning rate as a float32 scalar; the decay factor is 1 − lr·wd in double, then float.
  const float learning_rate = float(adam_.learning_rate), decay = float(1.0 - adam_.learning_rate * adam_.weight_decay);
  // Elements [lo, hi) of all the weights laid end to end: every element's update depends on it alone, so any split
  // gives the same numbers.
  const auto update_range = [&](size_t lo, size_t hi) {
    size_t offset = 0;
    for (size_t i = 0; i < weights_.size(); offset += weights_[i].size(), i++) {
      const size_t from = std::max(lo, offset), to = std::min(hi, offset + weights_[i].size());
      if (from >= to) continue;
      const size_t at = from - offset;
      adam_update(weights_[i].data() + at, first_[i].data() + at, second_[i].data() + at, grads_[i].data() + at, to - from, scale, adam_,
                  learning_rate, decayed_[i] ? decay : 1.0f, one_minus_acc1, one_minus_acc2);
    }
  };
  size_t total = 0;
  for (const auto& w : weights_) total += w.size();
  // The elements shared among the threads as a batch's rows are (run_parts: no gradients of its own to sum).
  run_parts(int(total), total >= kParallelUpdate ? threads : 1, {}, {}, [&](int, int first, int count, const std::vector<float*>&) {
    update_range(size_t(first), size_t(first) + size_t(count));
    return 0.0;
  });
}

double Trainer::step(const GradientPass& pass, int threads) {
  const double loss = pass(weight_arrays_, grad_arrays_);
  PhaseTimer timer(true);
  float scale = 1.0f;
  if (adam_.clip_norm > 0.0f) {
    double sum = 0.0;
    for (const auto& g : grads_) sum += sum_of_squares(g.data(), g.size());
    scale = std::min(1.0f, adam_.clip_norm / (float(std::sqrt(sum)) + 1e-6f));
  }
  update(scale, threads);
  acc_beta1_ *= adam_.beta1;
  acc_beta2_ *= adam_.beta2;
  iterations_ += 1;
  timer.lap(&StepProfile::update);
  step_profile().steps += 1;
  return loss;
}

}  // namespace gn
