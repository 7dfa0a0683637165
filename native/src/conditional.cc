// The conditional pass (see conditional.h). The encoder is small (a few condition vectors into one state per row), so
// it runs on the calling thread around the network's threaded pass.
#include "conditional.h"

#include <algorithm>
#include <cmath>

#include "linear.h"

namespace gn {

namespace {

/** Copies between the encoder's rows [batch, parts·units] and the engines' state layout [parts, batch, units]. */
void regroup(const float* from, float* to, const Spec& s, int batch, bool to_state) {
  const int parts = s.layers * s.states(), n = s.units;
  for (int p = 0; p < parts; p++) {
    for (int b = 0; b < batch; b++) {
      const size_t row = (size_t(b) * parts + p) * n, state = (size_t(p) * batch + b) * n;
      std::copy_n(from + (to_state ? row : state), n, to + (to_state ? state : row));
    }
  }
}

}  // namespace

std::vector<size_t> conditional_param_sizes(const ConditionalSpec& s) {
  std::vector<size_t> sizes = param_sizes(s.network);
  const size_t width = state_size(s.network, 1);  // one row: every part (layer, h or c) side by side
  sizes.push_back(size_t(s.values) * s.dim);
  sizes.push_back(size_t(s.count) * s.dim * width);
  sizes.push_back(width);
  return sizes;
}

double conditional_loss_and_gradients(const ConditionalSpec& s, const std::vector<float*>& weights, const Batch& batch, const int32_t* ids,
                                      int threads, const std::vector<float*>& grads) {
  const size_t network_arrays = param_sizes(s.network).size();
  const float* table = weights[network_arrays];
  const float* kernel = weights[network_arrays + 1];
  const float* bias = weights[network_arrays + 2];
  const int rows = batch.batch, joined = s.count * s.dim, width = int(state_size(s.network, 1));
  const bool backward = !grads.empty();
  // Forward: the rows' vectors side by side, then tanh(joined · kernel + bias).
  std::vector<float> inputs(size_t(rows) * joined), outputs(size_t(rows) * width), state(outputs.size());
  gather_rows(table, s.dim, ids, size_t(rows) * s.count, inputs.data());
  for (int b = 0; b < rows; b++) std::copy_n(bias, width, outputs.data() + size_t(b) * width);
  gemm(false, false, rows, width, joined, inputs.data(), joined, kernel, width, 1.0f, outputs.data(), width);
  for (float& y : outputs) y = std::tanh(y);
  regroup(outputs.data(), state.data(), s.network, rows, true);
  Batch run = batch;
  run.initial_state = state.data();
  std::vector<float> state_grads(backward ? state.size() : 0);
  const Params network_grads{std::vector<float*>(grads.begin(), grads.begin() + (backward ? network_arrays : 0))};
  const double loss = loss_and_gradients(s.network, Params{std::vector<float*>(weights.begin(), weights.begin() + network_arrays)}, run, threads,
                                         network_grads, StateResults{nullptr, backward ? state_grads.data() : nullptr});
  if (!backward) return loss;
  // Backward: through tanh, then into the kernel, the bias and the table rows the batch used.
  std::vector<float> d_outputs(outputs.size()), d_inputs(inputs.size());
  regroup(state_grads.data(), d_outputs.data(), s.network, rows, false);
  for (size_t i = 0; i < d_outputs.size(); i++) d_outputs[i] *= 1.0f - outputs[i] * outputs[i];
  float* d_table = grads[network_arrays];
  float* d_kernel = grads[network_arrays + 1];
  float* d_bias = grads[network_arrays + 2];
  gemm(true, false, joined, width, rows, inputs.data(), joined, d_outputs.data(), width, 0.0f, d_kernel, width);
  std::fill_n(d_bias, width, 0.0f);
  add_column_sums(d_outputs.data(), rows, width, d_bias);
  gemm(false, true, rows, joined, width, d_outputs.data(), width, kernel, width, 0.0f, d_inputs.data(), joined);
  std::fill_n(d_table, size_t(s.values) * s.dim, 0.0f);
  scatter_add_rows(d_inputs.data(), s.dim, ids, size_t(rows) * s.count, d_table);
  return loss;
}

}  // namespace gn
