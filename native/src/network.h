// The native engine's network: token input (one-hot rows or an embedding) → recurrent layers (LSTM, GRU or simple
// RNN, as tfjs-layers computes them) → dense logits → softmax cross-entropy, forward and backward over a time-major
// batch with the per-step products in BLAS calls and the gate math fused in loops. Weights are the tfjs-layers
// model's own arrays.
// Where the parts are: cells/ (each cell's kernels, behind one table: cells/cell.h), layers.cc (one recurrent layer
// through time, forward and backward), network.cc (the whole network over a batch, split over threads), trainer.h
// (Adam, for every network), stepper.cc (generation), linear.cc and elementwise.cc (the matrix and the elementwise math).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "attention.h"

namespace gn {

/** A cell's kernels: each cell defines its own in cells/NAME.cc, listed in cells/registry.cc. */
struct CellKernels;
enum class GateKind { sigmoid = 0, hard_sigmoid = 1 };

/** The shape of a generator network. */
struct Spec {
  /** The cell of every layer (see cells/cell.h), found by its name (find_cell). */
  const CellKernels* cell;
  GateKind gate;
  int layers;
  int units;
  int vocab;
  /** Embedding width; 0 for one-hot input. */
  int embed;
  /** Rate of the dropout after every recurrent layer, in [0, 1); 0 for none. */
  float dropout;
  /**
   * Width of the encoder memory a decoder with attention reads between its top layer and its logits (attention.h);
   * 0 for a network without attention.
   */
  int attention = 0;
  /** The score of that attention (attention.h). */
  AttentionKind attention_kind = AttentionKind::luong;
  /**
   * Label smoothing of the training loss (softmax_cross_entropy): the passes that compute gradients score the targets
   * (1 − label_smoothing) · one-hot + label_smoothing / vocab; the loss alone (evaluation) is the plain cross-entropy.
   */
  float label_smoothing = 0.0f;
  /** Parameter arrays of the attention (0 without). */
  int attention_arrays() const { return attention > 0 ? gn::attention_arrays(attention_kind) : 0; }
  /** Gate blocks per unit: LSTM 4, GRU 3, RNN 1 (the cell's, cells/cell.h). */
  int gates() const;
  /** Arrays [batch, units] in a layer's recurrent state: LSTM 2 (h, c), GRU and RNN 1 (h). */
  int states() const;
};

/**
 * Pointers to the network's parameters, in this order: [embedding [vocab, embed]], then per layer kernel
 * [in, gates·units], recurrent kernel [units, gates·units], bias [gates·units]; [with attention: its arrays, see
 * AttentionParams]; then the output kernel [units, vocab] and bias [vocab].
 * Row-major, as tfjs stores them.
 */
struct Params {
  std::vector<float*> tensors;
  const float* embedding(const Spec& s) const { return s.embed > 0 ? tensors[0] : nullptr; }
  int base(const Spec& s) const { return s.embed > 0 ? 1 : 0; }
  float* kernel(const Spec& s, int l) const { return tensors[base(s) + 3 * l]; }
  float* recurrent(const Spec& s, int l) const { return tensors[base(s) + 3 * l + 1]; }
  float* bias(const Spec& s, int l) const { return tensors[base(s) + 3 * l + 2]; }
  AttentionParams attention(const Spec& s) const {
    const auto first = tensors.begin() + base(s) + 3 * s.layers;
    return AttentionParams{s.attention_kind, std::vector<float*>(first, first + s.attention_arrays())};
  }
  float* out_kernel(const Spec& s) const { return tensors[base(s) + 3 * s.layers + s.attention_arrays()]; }
  float* out_bias(const Spec& s) const { return tensors[base(s) + 3 * s.layers + s.attention_arrays() + 1]; }
};

/** Sizes of every parameter array, in {@link Params} order. */
std::vector<size_t> param_sizes(const Spec& s);

/** A batch as the trainer gives it: row-major [batch, steps] token ids, targets and optional loss weights. */
struct Batch {
  const int32_t* inputs;
  const int32_t* targets;
  /** 1 for real tokens, 0 for padding; null when every position counts. */
  const float* mask;
  int batch;
  int steps;
  /**
   * One seed per layer for this step's dropout masks (see {@link dropout_masks}); null for no dropout (evaluation).
   * Each position's mask depends on its seed and its place in the whole batch, never on the thread that computes it.
   */
  const uint32_t* dropout_seeds;
  /**
   * The recurrent state every row starts from (see {@link state_size}); null for zeros. With it, the loss also
   * depends on the state, and the gradient with respect to it can be asked for ({@link StateResults}).
   */
  const float* initial_state;
  /**
   * A decoder with attention: the encoder memory of every row, batch-major [batch, memory_length, spec.attention]
   * (null for a network without attention), and each row's real positions.
   */
  const float* memory = nullptr;
  const int32_t* memory_lengths = nullptr;
  int memory_length = 0;
};

/**
 * Floats in a recurrent state of `batch` rows: per layer, h [batch, units] and, for an LSTM, then c [batch, units].
 * The initial and final states of a batch, and their gradients, are laid out so.
 */
size_t state_size(const Spec& s, int batch);

/** Where a training call writes the state after the last step and the gradient of the loss with respect to the initial state. */
struct StateResults {
  /** The state after the last step of every row (null: not wanted); padded rows run through their padding too. */
  float* final_state = nullptr;
  /** d loss / d initial state (null: not wanted; needs the gradients to be computed). */
  float* initial_state_grads = nullptr;
  /** d loss / d memory, [batch, memory_length, width] as the memory (null: not wanted). */
  float* memory_grads = nullptr;
};

/**
 * The dropout masks of `seed` for a [batch, steps, units] output, batch-major: each value is 0 (dropped, with
 * probability `rate`) or 1 / (1 − rate), as tf.dropout scales what it keeps. The training steps use the same masks.
 */
std::vector<float> dropout_masks(uint32_t seed, float rate, int batch, int steps, int units);

/**
 * Mean loss per real target token of `batch` and its gradients (written into `grads`, same layout as `params`,
 * overwritten; `grads` without tensors computes the loss alone), the batch rows split over `threads` threads; the
 * final state and the initial state's gradient go to `states` when asked for.
 */
double loss_and_gradients(const Spec& s, const Params& params, const Batch& batch, int threads, const Params& grads,
                          const StateResults& states = {});

/** What a pass computes once for all its parts: the loss scale (1 / real target tokens) and, for the backward pass,
 * each layer's recurrent kernel transposed. */
struct PassShared {
  float scale = 1.0f;
  std::vector<std::vector<float>> recurrent_t;
};

/**
 * The {@link PassShared} of a pass over `batch` (with `backward`: one that computes gradients) split over `threads`
 * parts at most; makes the parts' workspaces (before their threads start).
 */
PassShared prepare_pass(const Spec& s, const Params& params, const Batch& batch, bool backward, int threads);

/**
 * The forward (and, `grads` not empty, backward) pass of rows [row0, row0 + rows) of `batch` on part `part`'s
 * workspace (parts.h; the caller holds pass_lock and made the workspaces with prepare_pass): adds the gradients scaled by `shared.scale` into `grads`, writes
 * its rows of the final state and of the initial state's and the memory's gradients into `results` (the memory's
 * zeroed before), and returns Σ weight · loss of its rows.
 */
double network_part(const Spec& s, const Params& p, const PassShared& shared, const Batch& batch, int part, int row0, int rows, const Params& grads,
                    const StateResults& results);

/**
 * Seconds the training steps spent in each phase since the last reset, as seen by the thread that runs the first
 * part of each batch (the others run the same phases on their rows at the same time), and the steps counted. Every
 * whole step (trainer.h) counts in `steps` and `update`; the other phases are the recurrent networks' (a GPT's steps
 * add nothing to them, so reset the profile between the two kinds).
 */
struct StepProfile {
  double input = 0, recurrent_forward = 0, output = 0, recurrent_backward = 0, weight_gradients = 0, update = 0;
  int steps = 0;
};

/** The profile of the training steps so far (reset it by assigning `StepProfile{}`). */
StepProfile& step_profile();

/** Runs the network one step at a time for a fixed batch, carrying the recurrent state (generation). */
class Stepper {
 public:
  Stepper(const Spec& s, std::vector<std::vector<float>> weights, int batch);
  /** Feeds `steps` tokens per row (row-major [batch, steps]); returns the logits after the last, [batch, vocab]. */
  const std::vector<float>& feed(const int32_t* tokens, int steps);
  void reset();
  /** The recurrent state now (zeros after a reset), laid out as {@link state_size} describes. */
  std::vector<float> state() const;
  /** Continues from `state` (state_size(spec, batch) values) instead of the current state. */
  void set_state(const float* state);
  /**
   * A decoder with attention: the memory its rows attend to from now on, [batch, length, spec.attention] batch-major,
   * and each row's real positions (copied).
   */
  void set_memory(const float* values, const int32_t* lengths, int length);
  /** A decoder with attention: [batch, memory length] each row's weights at the last token fed (empty before one). */
  const std::vector<float>& last_attention() const { return attention_.weights; }

 private:
  Spec spec_;
  std::vector<std::vector<float>> weights_;
  Params params_;
  int batch_;
  /** Per layer: hidden state [batch, units] (and cell state for LSTM). */
  std::vector<std::vector<float>> hidden_, cell_;
  /** Scratch of one step, kept between calls: projections, embedded inputs, new states, logits. */
  std::vector<float> z_, x_, h_, c_, tc_, rh_, logits_;
  /** The batch's token ids at one time step (kept between calls, as the arrays above). */
  std::vector<int32_t> ids_;
  bool fresh_;
  /** A decoder with attention: its rows' memory and the last step's attention. */
  std::vector<float> memory_;
  std::vector<int32_t> memory_lengths_;
  int memory_length_ = 0;
  AttentionTrace attention_;
};

}  // namespace gn
