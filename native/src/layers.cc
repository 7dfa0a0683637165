// One recurrent layer through time, forward and backward: the loops over steps, the cell's kernels for each step.
#include "layers.h"

#include <algorithm>

#include "cells/cell.h"
#include "elementwise.h"
#include "linear.h"

namespace gn {

void forward_layer(const Spec& s, const float* u, LayerTrace& tr, int steps, int batch, const std::function<void(int, float*)>& step_inputs,
                   const RowState<const float>& start, const int* active) {
  const CellKernels& cell = *s.cell;
  const int n = s.units, w = cell.gates * n;
  const size_t step_z = size_t(batch) * w, step_h = size_t(batch) * n;
  for (auto* states : {&tr.h, &tr.c, &tr.tc, &tr.rh}) states->resize(size_t(steps) * step_h);  // a cell fills those it uses
  auto at = [&](std::vector<float>& a, int t) { return a.data() + t * step_h; };
  for (int t = 0; t < steps; t++) {
    const float* hprev = t == 0 ? start.h : at(tr.h, t - 1);
    const float* cprev = t == 0 ? start.c : at(tr.c, t - 1);
    step_inputs(t, tr.z.data() + t * step_z);
    const int rows = active == nullptr ? batch : active[t];
    cell.step(s, hprev, cprev, u, tr.z.data() + t * step_z, {at(tr.c, t), at(tr.tc, t), at(tr.rh, t), at(tr.h, t)}, rows);
    if (rows < batch) {  // finite zeros where the backward pass's products over every row read them
      std::fill(at(tr.h, t) + size_t(rows) * n, at(tr.h, t) + step_h, 0.0f);
      std::fill(at(tr.rh, t) + size_t(rows) * n, at(tr.rh, t) + step_h, 0.0f);
    }
  }
}

void backward_layer(const Spec& s, const float* ut, const LayerTrace& tr, float* dh, float* dz, float* du, int steps, int batch,
                    const std::function<void(int, const float*)>& step_gradients, const RowState<const float>& start, const RowState<float>& start_grads,
                    const float* final_c_grads, const int* active) {
  const CellKernels& cell = *s.cell;
  const int n = s.units, w = cell.gates * n;
  const size_t step_z = size_t(batch) * w, step_h = size_t(batch) * n;
  // What the cell carries back from step to step (LSTM: dc, from the final c's gradient; GRU: dh through z⊙h and r⊙h).
  std::vector<float> carry(step_h, 0.0f);
  if (final_c_grads != nullptr) std::copy_n(final_c_grads, step_h, carry.begin());
  std::vector<float> scratch(cell.backward_scratch * step_h);
  const float sig = s.gate == GateKind::sigmoid ? 1.0f : 0.0f;
  for (int t = steps - 1; t >= 0; t--) {
    float* dzt = dz + t * step_z;
    const float* hprev = t > 0 ? tr.h.data() + (t - 1) * step_h : start.h != nullptr ? start.h : zeros(step_h);
    const float* cprev = cell.states < 2 ? nullptr : t > 0 ? tr.c.data() + (t - 1) * step_h : start.c != nullptr ? start.c : zeros(step_h);
    // Where dh_{t-1} goes: the previous step's dh (it holds what the layer above sent), or the start state's gradient.
    float* dprev = t > 0 ? dh + (t - 1) * step_h : start_grads.h;
    const int rows = active == nullptr ? batch : active[t];
    std::fill(dzt + size_t(rows) * w, dzt + step_z, 0.0f);
    cell.backward({rows, n, sig, t == 0, ut, tr.z.data() + t * step_z, tr.h.data() + t * step_h, tr.tc.data() + t * step_h, hprev, cprev,
                   dh + t * step_h, carry.data(), scratch.data(), dzt, dprev, t == 0 ? start_grads.c : nullptr});
    step_gradients(t, dzt);
  }
  // Recurrent kernel: Σ_t h_{t-1}ᵀ·dz_t in one sgemm over steps 1 … T−1, plus step 0 when it started from a state.
  const int rows = (steps - 1) * batch;
  const int hw = cell.h_gates * n;  // the columns multiplied by h_{t-1}
  gemm(true, false, n, hw, rows, tr.h.data(), n, dz + step_z, w, 1.0f, du, w);
  if (start.h != nullptr) gemm(true, false, n, hw, batch, start.h, n, dz, w, 1.0f, du, w);
  if (cell.add_recurrent_gradient != nullptr) cell.add_recurrent_gradient(n, steps, batch, tr.rh.data(), dz, start.h != nullptr, du);
}

}  // namespace gn
