// The source encoder forward and backward (see encoder.h): rows sorted by length run as a packed sequence; a backward
// direction reads each row's tokens last first, from a copy of its input reversed in time within the row's length.
#include "encoder.h"

#include <algorithm>
#include <numeric>

#include "cells/cell.h"
#include "elementwise.h"
#include "linear.h"

namespace gn {

namespace {

/** Parameter array of layer `l`, direction `d`: 0 kernel, 1 recurrent kernel, 2 bias. */
float* layer_param(const EncoderSpec& e, const Params& p, int l, int d, int which) { return p.tensors[1 + 3 * (l * e.directions() + d) + which]; }

/**
 * Calls `each(k, t, at)` for every real position of the sorted rows: row k's token t, and where direction `d` reads
 * it in its own time (the backward direction reads a row's tokens last first).
 */
template <typename F>
void for_positions(const EncoderTrace& tr, int d, F each) {
  for (int k = 0; k < tr.rows; k++) {
    const int len = tr.lengths[k];
    for (int t = 0; t < len; t++) each(k, t, d == 0 ? t : len - 1 - t);
  }
}

/** Where layer `l`'s state array `which` (0: h, 1: c) of block row `r` sits in a decoder state of `batch` rows. */
size_t state_at(const EncoderSpec& e, int l, int which, int batch, int r) {
  const int width = e.width(), states = e.cell->states;
  return (size_t(l) * states + which) * batch * width + size_t(r) * width;
}

/**
 * Layer `l`'s dropout scales for the sorted rows, laid out as its outputs (zeros past each row's length): each row's
 * from its place `row0 + order[k]` in the batch over `memory_length` steps, so that no split of the rows changes them.
 */
void layer_mask(const EncoderSpec& e, uint32_t seed, int row0, int memory_length, const EncoderTrace& tr, std::vector<float>& mask) {
  const int width = e.width();
  thread_local std::vector<float> row;
  row.resize(size_t(memory_length) * width);
  mask.assign(size_t(tr.steps) * tr.rows * width, 0.0f);
  for (int k = 0; k < tr.rows; k++) {
    dropout_mask(seed, e.dropout, row0 + tr.order[k], 1, memory_length, width, row.data());
    for (int t = 0; t < tr.lengths[k]; t++) std::copy_n(row.data() + size_t(t) * width, width, mask.data() + (size_t(t) * tr.rows + k) * width);
  }
}

}  // namespace

Spec EncoderSpec::cell_spec() const {
  Spec s{};
  s.cell = cell, s.gate = gate, s.layers = 1, s.units = units, s.vocab = vocab, s.embed = embed, s.dropout = 0.0f;
  return s;
}

std::vector<size_t> encoder_param_sizes(const EncoderSpec& e) {
  std::vector<size_t> sizes{size_t(e.vocab) * e.embed};
  const size_t w = size_t(e.cell->gates) * e.units;
  for (int l = 0; l < e.layers; l++) {
    const size_t in = l > 0 ? e.width() : e.embed;
    for (int d = 0; d < e.directions(); d++) sizes.insert(sizes.end(), {in * w, size_t(e.units) * w, w});
  }
  return sizes;
}

std::vector<int32_t> source_lengths(const int32_t* sources, int source_length, int rows) {
  std::vector<int32_t> lengths(rows);
  for (int r = 0; r < rows; r++) {
    const int32_t* ids = sources + size_t(r) * source_length;
    int len = source_length;
    while (len > 0 && ids[len - 1] == 0) len--;
    lengths[r] = len;
  }
  return lengths;
}

void encoder_recurrent_t(const EncoderSpec& e, const Params& p, std::vector<std::vector<float>>& out) {
  out.resize(size_t(e.layers) * e.directions());
  for (int l = 0; l < e.layers; l++)
    for (int d = 0; d < e.directions(); d++) transpose(layer_param(e, p, l, d, 1), e.units, e.cell->gates * e.units, out[l * e.directions() + d]);
}

void encoder_forward(const EncoderSpec& e, const Params& p, const int32_t* sources, const int32_t* lengths, int source_length, int batch,
                     int row0, int rows, const uint32_t* dropout_seeds, EncoderTrace& tr, float* state, float* memory, int memory_length) {
  const Spec cs = e.cell_spec();
  const int u = e.units, dirs = e.directions(), width = e.width(), gw = e.cell->gates * u;
  // The rows' lengths, longest first.
  const int32_t* length_of = lengths + row0;
  tr.rows = rows;
  tr.order.resize(rows);
  std::iota(tr.order.begin(), tr.order.end(), 0);
  std::stable_sort(tr.order.begin(), tr.order.end(), [&](int a, int b) { return length_of[a] > length_of[b]; });
  tr.lengths.resize(rows);
  for (int k = 0; k < rows; k++) tr.lengths[k] = length_of[tr.order[k]];
  const int steps = tr.steps = rows > 0 ? tr.lengths[0] : 0;
  tr.active.assign(steps, 0);
  for (int k = 0; k < rows; k++) for (int t = 0; t < tr.lengths[k]; t++) tr.active[t]++;
  // Zeros for what no step writes: the states of empty sources, the memory past each row's length.
  for (int l = 0; l < e.layers; l++)
    for (int which = 0; which < e.cell->states; which++) std::fill_n(state + state_at(e, l, which, batch, row0), size_t(rows) * width, 0.0f);
  std::fill_n(memory + size_t(row0) * memory_length * width, size_t(rows) * memory_length * width, 0.0f);
  if (steps == 0) return;
  const size_t tb = size_t(steps) * rows;
  tr.ids.assign(tb, 0);
  for_positions(tr, 0, [&](int k, int t, int) { tr.ids[size_t(t) * rows + k] = sources[size_t(row0 + tr.order[k]) * source_length + t]; });
  tr.x.resize(tb * e.embed);
  gather_rows(p.tensors[0], e.embed, tr.ids.data(), tb, tr.x.data());
  tr.traces.resize(size_t(e.layers) * dirs), tr.inputs.resize(size_t(e.layers) * dirs), tr.outputs.resize(e.layers), tr.masks.resize(e.layers);
  const float* in = tr.x.data();
  int in_width = e.embed;
  for (int l = 0; l < e.layers; l++) {
    tr.outputs[l].assign(tb * width, 0.0f);
    for (int d = 0; d < dirs; d++) {
      const size_t at = size_t(l) * dirs + d;
      LayerTrace& lt = tr.traces[at];
      const float* input = in;
      if (d == 1) {  // the row's tokens last first
        tr.inputs[at].assign(tb * in_width, 0.0f);
        for_positions(tr, d, [&](int k, int t, int own) {
          std::copy_n(in + (size_t(t) * rows + k) * in_width, in_width, tr.inputs[at].data() + (size_t(own) * rows + k) * in_width);
        });
        input = tr.inputs[at].data();
      }
      lt.z.resize(tb * gw);
      lt.mask.clear();
      gemm(false, false, tb, gw, in_width, input, in_width, layer_param(e, p, l, d, 0), gw, 0.0f, lt.z.data(), gw);
      const float* bias = layer_param(e, p, l, d, 2);
      forward_layer(cs, layer_param(e, p, l, d, 1), lt, steps, rows, [&](int, float* zt) { add_bias(zt, rows, gw, bias); }, {}, tr.active.data());
      for_positions(tr, d, [&](int k, int t, int own) {
        std::copy_n(lt.h.data() + (size_t(own) * rows + k) * u, u, tr.outputs[l].data() + (size_t(t) * rows + k) * width + d * u);
      });
      for (int k = 0; k < rows && tr.lengths[k] > 0; k++) {  // the state after each row's last token, both directions
        const size_t last = (size_t(tr.lengths[k] - 1) * rows + k) * u;
        const int r = row0 + tr.order[k];
        std::copy_n(lt.h.data() + last, u, state + state_at(e, l, 0, batch, r) + d * u);
        if (e.cell->states == 2) std::copy_n(lt.c.data() + last, u, state + state_at(e, l, 1, batch, r) + d * u);
      }
    }
    tr.masks[l].clear();
    if (dropout_seeds != nullptr && e.dropped(l)) {
      layer_mask(e, dropout_seeds[l], row0, memory_length, tr, tr.masks[l]);
      multiply_by(tr.outputs[l].data(), tr.masks[l].data(), tb * width);
    }
    in = tr.outputs[l].data();
    in_width = width;
  }
  for_positions(tr, 0, [&](int k, int t, int) {
    std::copy_n(in + (size_t(t) * rows + k) * width, width, memory + (size_t(row0 + tr.order[k]) * memory_length + t) * width);
  });
}

void encoder_backward(const EncoderSpec& e, const Params& p, const std::vector<std::vector<float>>& recurrent_t, EncoderTrace& tr,
                      const float* state_grads, const float* memory_grads, int memory_length, int batch, int row0, const Params& grads) {
  const Spec cs = e.cell_spec();
  const int u = e.units, dirs = e.directions(), width = e.width(), gw = e.cell->gates * u, rows = tr.rows, steps = tr.steps;
  if (steps == 0) return;
  const size_t tb = size_t(steps) * rows;
  std::vector<float> &dy = tr.dy, &dx = tr.dx, &dh = tr.dh, &dz = tr.dz, &dinput = tr.dinput, &final_c = tr.final_c;
  dy.assign(tb * width, 0.0f), dh.resize(tb * u), dz.resize(tb * gw), final_c.resize(size_t(rows) * u);
  for_positions(tr, 0, [&](int k, int t, int) {
    std::copy_n(memory_grads + (size_t(row0 + tr.order[k]) * memory_length + t) * width, width, dy.data() + (size_t(t) * rows + k) * width);
  });
  for (int l = e.layers - 1; l >= 0; l--) {
    if (!tr.masks[l].empty()) multiply_by(dy.data(), tr.masks[l].data(), tb * width);  // through the dropout
    const int in_width = l > 0 ? width : e.embed;
    const float* in = l > 0 ? tr.outputs[l - 1].data() : tr.x.data();
    dx.assign(tb * in_width, 0.0f);
    dinput.resize(tb * in_width);
    for (int d = 0; d < dirs; d++) {
      const size_t at = size_t(l) * dirs + d;
      std::fill(dh.begin(), dh.end(), 0.0f);
      for_positions(tr, d, [&](int k, int t, int own) {
        std::copy_n(dy.data() + (size_t(t) * rows + k) * width + d * u, u, dh.data() + (size_t(own) * rows + k) * u);
      });
      for (int k = 0; k < rows && tr.lengths[k] > 0; k++) {  // the final state's gradient, at each row's last step
        const int r = row0 + tr.order[k];
        const float* dstate = state_grads + state_at(e, l, 0, batch, r) + d * u;
        float* into = dh.data() + (size_t(tr.lengths[k] - 1) * rows + k) * u;
        for (int j = 0; j < u; j++) into[j] += dstate[j];
        if (e.cell->states == 2) std::copy_n(state_grads + state_at(e, l, 1, batch, r) + d * u, u, final_c.data() + size_t(k) * u);
      }
      float* bias_grads = layer_param(e, grads, l, d, 2);
      backward_layer(cs, recurrent_t[at].data(), tr.traces[at], dh.data(), dz.data(), layer_param(e, grads, l, d, 1), steps, rows,
                     [&](int, const float* dzt) { add_column_sums(dzt, rows, gw, bias_grads); }, {}, {},
                     e.cell->states == 2 ? final_c.data() : nullptr, tr.active.data());
      const float* input = d == 0 ? in : tr.inputs[at].data();
      gemm(true, false, in_width, gw, tb, input, in_width, dz.data(), gw, 1.0f, layer_param(e, grads, l, d, 0), gw);
      gemm(false, true, tb, in_width, gw, dz.data(), gw, layer_param(e, p, l, d, 0), gw, 0.0f, dinput.data(), in_width);
      for_positions(tr, d, [&](int k, int t, int own) {
        const float* from = dinput.data() + (size_t(own) * rows + k) * in_width;
        float* into = dx.data() + (size_t(t) * rows + k) * in_width;
        for (int j = 0; j < in_width; j++) into[j] += from[j];
      });
    }
    dy.swap(dx);
  }
  scatter_add_rows(dy.data(), e.embed, tr.ids.data(), tb, grads.tensors[0]);
}

}  // namespace gn
