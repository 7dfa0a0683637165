// The whole network over a batch: the shapes of its parameters and states, the forward and backward pass of a block of
// rows (input projections, the recurrent layers, dropout, the output layer and the loss), and the batch split over threads.
#include <algorithm>
#include <mutex>
#include <type_traits>

#include "elementwise.h"
#include "layers.h"
#include "linear.h"
#include "network.h"
#include "parts.h"
#include "profile.h"

namespace gn {

namespace {

/** One thread's buffers, kept between calls so that steps do not pay for fresh allocations. */
struct Workspace {
  std::vector<int32_t> ids, targets;
  std::vector<float> weights, x, logits, dh, dz, dx, dtop;
  std::vector<LayerTrace> layers;
  AttentionTrace attention;
  std::vector<std::vector<float>> grads;
};

std::vector<Workspace>& workspaces() {
  static std::vector<Workspace> all;
  return all;
}

/**
 * Forward and backward pass of rows [row0, row0 + rows) of the batch; adds their gradients (scaled by `scale`, the
 * inverse of the whole batch's real-token count) into `grads` (zeroed by the caller) and returns Σ weight · loss.
 * `recurrent_t` holds each layer's recurrent kernel transposed (for the backward pass; shared by the parts).
 */
double run_part(const Spec& s, const Params& p, const std::vector<std::vector<float>>& recurrent_t, const Batch& batch, int row0, int rows,
                float scale, const Params& grads, Workspace& ws, bool profiled, const StateResults& results) {
  const int steps = batch.steps, n = s.units, w = s.gates() * n, v = s.vocab;
  PhaseTimer timer(profiled);
  const size_t tb = size_t(steps) * rows;
  // This part's rows of layer l's h (and c) in a state laid out as state_size describes (null stays null).
  const size_t per_layer = state_size(s, batch.batch) / s.layers;
  const auto state_rows = [&](auto* state, int l) {
    RowState<std::remove_pointer_t<decltype(state)>> part;
    if (state == nullptr) return part;
    part.h = state + l * per_layer + size_t(row0) * n;
    if (s.states() == 2) part.c = part.h + size_t(batch.batch) * n;
    return part;
  };
  ws.ids.resize(tb), ws.targets.resize(tb), ws.weights.resize(tb);
  for (int b = 0; b < rows; b++) {
    for (int t = 0; t < steps; t++) {
      size_t from = size_t(row0 + b) * steps + t, to = size_t(t) * rows + b;
      ws.ids[to] = batch.inputs[from];
      ws.targets[to] = batch.targets[from];
      ws.weights[to] = batch.mask == nullptr ? 1.0f : batch.mask[from];
    }
  }
  ws.layers.resize(s.layers);
  // Input projections x·W + b. One-hot input: the kernel's rows, gathered (with the bias) step by step in forward_layer;
  // an embedding or a layer below: one sgemm over every step here, the bias added step by step.
  const bool one_hot = s.embed == 0;
  if (!one_hot) {
    ws.x.resize(tb * s.embed);
    gather_rows(p.embedding(s), s.embed, ws.ids.data(), tb, ws.x.data());
  }
  for (int l = 0; l < s.layers; l++) {
    LayerTrace& tr = ws.layers[l];
    tr.z.resize(tb * w);
    const float* bias = p.bias(s, l);
    if (l > 0 || !one_hot) {
      const float* in = l > 0 ? ws.layers[l - 1].output() : ws.x.data();
      const int width = l > 0 ? n : s.embed;
      gemm(false, false, tb, w, width, in, width, p.kernel(s, l), w, 0.0f, tr.z.data(), w);
    }
    timer.lap(&StepProfile::input);
    const bool gathered = l == 0 && one_hot;
    forward_layer(s, p.recurrent(s, l), tr, steps, rows, [&](int t, float* zt) {
      if (gathered) gather_rows(p.kernel(s, 0), w, ws.ids.data() + size_t(t) * rows, rows, zt);
      add_bias(zt, rows, w, bias);
    }, state_rows(batch.initial_state, l));
    const RowState<float> final_state = state_rows(results.final_state, l);
    const size_t last = size_t(steps - 1) * rows * n;
    if (final_state.h != nullptr) std::copy_n(tr.h.data() + last, size_t(rows) * n, final_state.h);
    if (final_state.c != nullptr) std::copy_n(tr.c.data() + last, size_t(rows) * n, final_state.c);
    const bool dropped = s.dropout > 0.0f && batch.dropout_seeds != nullptr;
    tr.mask.resize(dropped ? tb * n : 0);
    if (dropped) {
      dropout_mask(batch.dropout_seeds[l], s.dropout, row0, rows, steps, n, tr.mask.data());
      tr.out.assign(tr.h.begin(), tr.h.end());
      multiply_by(tr.out.data(), tr.mask.data(), tb * n);
    }
    timer.lap(&StepProfile::recurrent_forward);
  }
  // Attention over the rows' memory (a decoder with attention), then the output layer and softmax cross-entropy; the
  // logits become their own gradient.
  const float* top = ws.layers[s.layers - 1].output();
  const MemoryBlock memory = s.attention == 0 ? MemoryBlock{}
                                                : MemoryBlock{batch.memory + size_t(row0) * batch.memory_length * s.attention,
                                                              batch.memory_lengths + row0, batch.memory_length, s.attention};
  if (s.attention > 0) attention_forward(n, p.attention(s), top, steps, rows, memory, ws.attention);
  const float* attended = s.attention > 0 ? ws.attention.out.data() : top;
  ws.logits.resize(tb * v);
  gemm(false, false, tb, v, n, attended, n, p.out_kernel(s), v, 0.0f, ws.logits.data(), v);
  const float smoothing = grads.tensors.empty() ? 0.0f : s.label_smoothing;
  const double loss = softmax_cross_entropy(ws.logits.data(), tb, v, p.out_bias(s), ws.targets.data(), ws.weights.data(), scale, smoothing);
  if (grads.tensors.empty()) return loss;  // the loss alone (evaluation)
  gemm(true, false, n, v, tb, attended, n, ws.logits.data(), v, 1.0f, grads.out_kernel(s), v);
  add_column_sums(ws.logits.data(), tb, v, grads.out_bias(s));
  ws.dh.resize(tb * n);
  gemm(false, true, tb, n, v, ws.logits.data(), v, p.out_kernel(s), v, 0.0f, ws.dh.data(), n);
  if (s.attention > 0) {
    ws.dtop.resize(tb * n);
    float* dmemory = results.memory_grads == nullptr ? nullptr : results.memory_grads + size_t(row0) * batch.memory_length * s.attention;
    attention_backward(n, p.attention(s), top, steps, rows, memory, ws.attention, ws.dh.data(), ws.dtop.data(), grads.attention(s), dmemory);
    ws.dh.swap(ws.dtop);
  }
  timer.lap(&StepProfile::output);
  // Back through the layers.
  ws.dz.resize(tb * w);
  for (int l = s.layers - 1; l >= 0; l--) {
    const LayerTrace& tr = ws.layers[l];
    if (!tr.mask.empty()) multiply_by(ws.dh.data(), tr.mask.data(), tb * n);  // through the dropout
    const bool gathered = l == 0 && s.embed == 0;
    backward_layer(s, recurrent_t[l].data(), tr, ws.dh.data(), ws.dz.data(), grads.recurrent(s, l), steps, rows, [&](int t, const float* dzt) {
      add_column_sums(dzt, rows, w, grads.bias(s, l));
      if (gathered) scatter_add_rows(dzt, w, ws.ids.data() + size_t(t) * rows, rows, grads.kernel(s, 0));
    }, state_rows(batch.initial_state, l), state_rows(results.initial_state_grads, l));
    timer.lap(&StepProfile::recurrent_backward);
    if (l > 0) {
      gemm(true, false, n, w, tb, ws.layers[l - 1].output(), n, ws.dz.data(), w, 1.0f, grads.kernel(s, l), w);
      gemm(false, true, tb, n, w, ws.dz.data(), w, p.kernel(s, l), w, 0.0f, ws.dh.data(), n);
    } else if (s.embed > 0) {
      gemm(true, false, s.embed, w, tb, ws.x.data(), s.embed, ws.dz.data(), w, 1.0f, grads.kernel(s, 0), w);
      ws.dx.resize(tb * s.embed);
      gemm(false, true, tb, s.embed, w, ws.dz.data(), w, p.kernel(s, 0), w, 0.0f, ws.dx.data(), s.embed);
      scatter_add_rows(ws.dx.data(), s.embed, ws.ids.data(), tb, grads.tensors[0]);
    }
    timer.lap(&StepProfile::weight_gradients);
  }
  return loss;
}

}  // namespace

size_t state_size(const Spec& s, int batch) { return size_t(s.layers) * s.states() * batch * s.units; }

std::vector<size_t> param_sizes(const Spec& s) {
  std::vector<size_t> sizes;
  const size_t w = size_t(s.gates()) * s.units;
  if (s.embed > 0) sizes.push_back(size_t(s.vocab) * s.embed);
  for (int l = 0; l < s.layers; l++) {
    const size_t in = l > 0 ? s.units : (s.embed > 0 ? s.embed : s.vocab);
    sizes.insert(sizes.end(), {in * w, size_t(s.units) * w, w});
  }
  const size_t u = s.units, width = s.attention;
  if (s.attention > 0 && s.attention_kind == AttentionKind::luong) sizes.insert(sizes.end(), {u * width, (width + u) * u});
  if (s.attention > 0 && s.attention_kind == AttentionKind::bahdanau) sizes.insert(sizes.end(), {u * u, width * u, u, (width + u) * u});
  sizes.insert(sizes.end(), {size_t(s.units) * s.vocab, size_t(s.vocab)});
  return sizes;
}

PassShared prepare_pass(const Spec& s, const Params& params, const Batch& batch, bool backward, int threads) {
  auto& ws = workspaces();
  const size_t parts = size_t(std::max(1, std::min(threads, batch.batch)));
  if (ws.size() < parts) ws.resize(parts);  // here, before the parts' threads take references into it
  PassShared shared;
  double total_weight = 0.0;
  const size_t cells = size_t(batch.batch) * batch.steps;
  for (size_t k = 0; k < cells; k++) total_weight += batch.mask == nullptr ? 1.0 : batch.mask[k];
  shared.scale = float(1.0 / std::max(total_weight, 1.0));
  shared.recurrent_t.resize(backward ? s.layers : 0);
  for (int l = 0; l < s.layers && backward; l++) transpose(params.recurrent(s, l), s.units, s.gates() * s.units, shared.recurrent_t[l]);
  return shared;
}

double network_part(const Spec& s, const Params& p, const PassShared& shared, const Batch& batch, int part, int row0, int rows, const Params& grads,
                    const StateResults& results) {
  return run_part(s, p, shared.recurrent_t, batch, row0, rows, shared.scale, grads, workspaces().at(part), part == 0 && !grads.tensors.empty(), results);
}

double loss_and_gradients(const Spec& s, const Params& params, const Batch& batch, int threads, const Params& grads, const StateResults& states) {
  const std::lock_guard<std::mutex> lock(pass_lock());
  if (states.memory_grads != nullptr) std::fill_n(states.memory_grads, size_t(batch.batch) * batch.memory_length * s.attention, 0.0f);
  const PassShared shared = prepare_pass(s, params, batch, !grads.tensors.empty(), threads);
  const double loss = run_parts(batch.batch, threads, param_sizes(s), grads.tensors, [&](int part, int row0, int rows, const std::vector<float*>& into) {
    return network_part(s, params, shared, batch, part, row0, rows, Params{into}, states);
  });
  return loss * shared.scale;
}

}  // namespace gn
