// One recurrent layer through time over a time-major block of rows (row t·batch + b is step t of row b), forward and
// backward, its cell's math through the cell's kernels (cells/cell.h).
#pragma once
#include <functional>
#include <vector>

#include "network.h"

namespace gn {

/** One layer's recurrent state for a block of rows: h and, for a cell with two state arrays (LSTM), c ([rows, units] each; null: none). */
template <typename T>
struct RowState {
  T* h = nullptr;
  T* c = nullptr;
};

/** What one recurrent layer keeps of a sequence for its backward pass (time-major rows t·batch + b). */
struct LayerTrace {
  std::vector<float> z;   // [TB, gates·units] activations (LSTM i f g o; GRU z r hh; RNN pre-activations)
  std::vector<float> c;   // LSTM cell states [TB, units]
  std::vector<float> tc;  // LSTM tanh(c)
  std::vector<float> rh;  // GRU r ⊙ h_prev
  std::vector<float> h;   // hidden states [TB, units]
  std::vector<float> mask;  // dropout scales [TB, units] (empty: this call had no dropout)
  std::vector<float> out;   // h ⊙ mask, what the next layer sees when there is dropout
  /** The layer's output as the layer above (or the output layer) sees it. */
  const float* output() const { return mask.empty() ? h.data() : out.data(); }
};

/**
 * Forward through time of one layer; `step_inputs(t, z_t)` completes step t's input projections (x·W + b) in place
 * just before the step uses them, while they are in cache. The rows start from `start` (null members: zeros).
 * `active` (null: every row at every step) gives for each step how many leading rows still run: rows sorted by
 * length, longest first, as a packed sequence; the others' h (and GRU r⊙h) at that step are zeros.
 */
void forward_layer(const Spec& s, const float* u, LayerTrace& tr, int steps, int batch, const std::function<void(int, float*)>& step_inputs,
                   const RowState<const float>& start, const int* active = nullptr);

/**
 * Backward through time of one layer: from dh (gradients of its outputs, [TB, units]; used as scratch) to dz
 * (gradients of its input projections, [TB, gates·units]); adds the recurrent kernel's gradient into du. `ut` is the
 * recurrent kernel transposed ([gates·units, units]), so that the per-step products need no transposes.
 * `step_gradients(t, dz_t)` takes each step's dz while it is in cache. `start` is the state the forward pass started
 * from (null members: zeros); its gradient goes to `start_grads` (null members: not wanted). `final_c_grads` ([batch,
 * units], an LSTM's; null: zeros) is the gradient of each row's last c (the final h's belongs in dh at its last step).
 * `active` as in forward_layer: the rows past it get dz = 0 at that step.
 */
void backward_layer(const Spec& s, const float* ut, const LayerTrace& tr, float* dh, float* dz, float* du, int steps, int batch,
                    const std::function<void(int, const float*)>& step_gradients, const RowState<const float>& start, const RowState<float>& start_grads,
                    const float* final_c_grads = nullptr, const int* active = nullptr);

}  // namespace gn
