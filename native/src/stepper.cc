// Generation: the network one step at a time for a fixed batch of rows, carrying the recurrent state.
#include <algorithm>
#include <stdexcept>
#include <utility>

#include "cells/cell.h"
#include "linear.h"
#include "network.h"

namespace gn {

Stepper::Stepper(const Spec& s, std::vector<std::vector<float>> weights, int batch)
    : spec_(s), weights_(std::move(weights)), batch_(batch), hidden_(s.layers), cell_(s.layers), fresh_(true) {
  for (auto& w : weights_) params_.tensors.push_back(w.data());
  for (int l = 0; l < s.layers; l++) hidden_[l].assign(size_t(batch) * s.units, 0.0f), cell_[l].assign(size_t(batch) * s.units, 0.0f);
}

void Stepper::reset() { fresh_ = true; }

std::vector<float> Stepper::state() const {
  std::vector<float> out(state_size(spec_, batch_), 0.0f);
  if (fresh_) return out;
  float* at = out.data();
  for (int l = 0; l < spec_.layers; l++) {
    at = std::copy(hidden_[l].begin(), hidden_[l].end(), at);
    if (spec_.states() == 2) at = std::copy(cell_[l].begin(), cell_[l].end(), at);
  }
  return out;
}

void Stepper::set_state(const float* state) {
  for (int l = 0; l < spec_.layers; l++) {
    std::copy_n(state, hidden_[l].size(), hidden_[l].begin());
    state += hidden_[l].size();
    if (spec_.states() == 2) {
      std::copy_n(state, cell_[l].size(), cell_[l].begin());
      state += cell_[l].size();
    }
  }
  fresh_ = false;
}

void Stepper::set_memory(const float* values, const int32_t* lengths, int length) {
  memory_.assign(values, values + size_t(batch_) * length * spec_.attention);
  memory_lengths_.assign(lengths, lengths + batch_);
  memory_length_ = length;
  attention_.weights.clear();
}

const std::vector<float>& Stepper::feed(const int32_t* tokens, int steps) {
  const Spec& s = spec_;
  const CellKernels& cell = *s.cell;
  const int n = s.units, w = cell.gates * n, v = s.vocab;
  z_.resize(size_t(batch_) * w);
  for (auto* state : {&h_, &c_, &tc_, &rh_}) state->resize(size_t(batch_) * n);
  std::vector<float>&z = z_, &x = x_;
  std::vector<int32_t>& ids = ids_;
  ids.resize(batch_);
  for (int t = 0; t < steps; t++) {
    for (int b = 0; b < batch_; b++) ids[b] = tokens[size_t(b) * steps + t];
    const float* input = nullptr;
    for (int l = 0; l < s.layers; l++) {
      if (l == 0 && s.embed == 0) {
        gather_rows(params_.kernel(s, 0), w, ids.data(), batch_, z.data());
      } else if (l == 0) {
        x.resize(size_t(batch_) * s.embed);
        gather_rows(params_.embedding(s), s.embed, ids.data(), batch_, x.data());
        gemm(false, false, batch_, w, s.embed, x.data(), s.embed, params_.kernel(s, 0), w, 0.0f, z.data(), w);
      } else {
        gemm(false, false, batch_, w, n, input, n, params_.kernel(s, l), w, 0.0f, z.data(), w);
      }
      add_bias(z.data(), batch_, w, params_.bias(s, l));
      cell.step(s, fresh_ ? nullptr : hidden_[l].data(), fresh_ ? nullptr : cell_[l].data(), params_.recurrent(s, l), z.data(),
                {c_.data(), tc_.data(), rh_.data(), h_.data()}, batch_);
      cell_[l].swap(c_);  // the new states become the layer's; the old ones are the next step's scratch
      hidden_[l].swap(h_);
      input = hidden_[l].data();
    }
    fresh_ = false;
  }
  const float* top = hidden_[s.layers - 1].data();
  if (s.attention > 0) {
    if (memory_lengths_.empty()) throw std::invalid_argument("a decoder with attention was fed before set_memory");
    attention_forward(n, params_.attention(s), top, 1, batch_, {memory_.data(), memory_lengths_.data(), memory_length_, s.attention}, attention_);
    top = attention_.out.data();
  }
  logits_.resize(size_t(batch_) * v);
  gemm(false, false, batch_, v, n, top, n, params_.out_kernel(s), v, 0.0f, logits_.data(), v);
  add_bias(logits_.data(), batch_, v, params_.out_bias(s));
  return logits_;
}

}  // namespace gn
