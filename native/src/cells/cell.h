// A recurrent cell's kernels, described once, as the TypeScript `Cell` (src/model/cells/cell.ts) describes a cell: its
// name, its gate blocks and state arrays, its step for a batch of rows and its backward step. The loops over time and
// layers (layers.cc, stepper.cc) call them once per step of a whole block of rows; the loops over elements stay inside
// the cell's own functions (their arrays __restrict, compiled per CPU level: GN_VECTOR_CLONES), so that they
// vectorise. A new cell is one file (cells/NAME.cc, defining its CellKernels) plus one entry in cells/registry.cc.
#pragma once
#include "../network.h"

namespace gn {

/** The arrays [rows, units] one step writes: `h`, and those of the others the cell uses (LSTM: c, tc; GRU: rh). */
struct StepState {
  float *c, *tc, *rh, *h;
};

/** What a cell's backward step reads and writes at step t of a layer; [rows, units] arrays unless said otherwise. */
struct BackwardStep {
  int rows, units;
  /** 1 for sigmoid gates, 0 for hard sigmoid (see gate_slope). */
  float sig;
  /** Step 0: `dh_prev` is the start state's gradient, written rather than added to. */
  bool first;
  /** The recurrent kernel transposed, [gates·units, units]. */
  const float* ut;
  /** The forward step's activations z [rows, gates·units], its h and (LSTM) its tanh(c). */
  const float *z, *h, *tc;
  /** The state the step started from, h_{t−1} and (LSTM) c_{t−1}: zeros when the layer started from none. */
  const float *hprev, *cprev;
  /** dh_t, what the layer above and the later steps sent (may be used as scratch). */
  float* dh;
  /** What the cell carries back from step t + 1 to step t, zeros before the last step (LSTM: dc; GRU: dh through z⊙h and r⊙h). */
  float* carry;
  /** The cell's scratch: CellKernels::backward_scratch arrays. */
  float* scratch;
  /** dz_t [rows, gates·units], the gradient of the step's input projections (written). */
  float* dz;
  /** Where dh_{t−1} goes: the previous step's dh (added to) or, at step 0, the start state's h gradient; null: nowhere. */
  float* dh_prev;
  /** At step 0, where the start state's c gradient goes (LSTM); else null. */
  float* dc_prev;
};

/** One recurrent cell's kernels (see the top of this file). */
struct CellKernels {
  /** Name in model configurations, as the TypeScript cell's `name`. */
  const char* name;
  /** Gate blocks per unit: the width of the input projection and of the recurrent kernel in units (LSTM 4, GRU 3, RNN 1). */
  int gates;
  /** Arrays [batch, units] in the recurrent state, in tfjs-layers' order: LSTM 2 (h, c), GRU and RNN 1 (h). */
  int states;
  /**
   * One step for `rows` rows: `z` [rows, gates·units] holds the input projections x·W + b and becomes the activations
   * the backward step reads; `u` is the recurrent kernel [units, gates·units]; null `hprev`/`cprev`: a zero state.
   */
  void (*step)(const Spec& s, const float* hprev, const float* cprev, const float* u, float* z, const StepState& out, int rows);
  /** Scratch arrays [rows, units] the backward step needs (GRU 1, for d(r⊙h); else 0). */
  int backward_scratch;
  /** Back through one step: dz_t from dh_t and the carry, the carry for step t − 1, and dh_{t−1} (see BackwardStep). */
  void (*backward)(const BackwardStep& b);
  /**
   * The leading gate blocks whose recurrent product is h_{t−1}·U, so that their part of the recurrent kernel's
   * gradient is Σ_t h_{t−1}ᵀ·dz_t: all `gates` but for the GRU (2: z and r; its candidate's product is (r⊙h_{t−1})·U).
   */
  int h_gates;
  /**
   * The recurrent kernel's gradient for the blocks past `h_gates`, added into `du` [units, gates·units]; null when there
   * are none. `rh` is the forward pass's [steps·batch, units] array of the cell's own (GRU: r⊙h_{t−1}), `dz` all steps'
   * dz, `started`: whether the layer started from a given state (else h_{−1} is zero).
   */
  void (*add_recurrent_gradient)(int units, int steps, int batch, const float* rh, const float* dz, bool started, float* du);
};

/** The kernels of the cell called `name` (cells/registry.cc), or null when there is none. */
const CellKernels* find_cell(const char* name);

/** The names of every cell the addon runs, in the registry's order. */
std::vector<const char*> cell_names();

}  // namespace gn
