// A sequence-to-sequence model's source encoder, as buildSequenceEncoder (src/model/sequenceEncoder.ts) builds it: an
// embedding of the source ids, then recurrent layers (uni- or bidirectional: half the units each way, outputs side
// by side) that read each row up to its length. The rows of a block run as a packed sequence — sorted by length,
// longest first, each step running only the rows not yet ended — so each row stops at its own last token, as the
// masked tfjs-layers encoder does. Forward gives the decoder's initial state and the memory; backward takes their
// gradients.
#pragma once
#include <cstdint>
#include <vector>

#include "layers.h"
#include "network.h"

namespace gn {

/** The shape of an encoder. */
struct EncoderSpec {
  const CellKernels* cell;
  GateKind gate;
  int layers;
  /** Units of each direction (a bidirectional layer's outputs and states are twice as wide). */
  int units;
  bool bidirectional;
  int vocab;
  int embed;
  /** Rate of the dropout on each layer's outputs while training, in [0, 1); 0 for none. */
  float dropout = 0.0f;
  /** Whether a decoder attends to the top layer's outputs (the memory): only then does that layer have dropout. */
  bool attended = false;
  int directions() const { return bidirectional ? 2 : 1; }
  /** Whether layer `l`'s outputs pass a dropout: every layer below the top, and the top one when it is attended. */
  bool dropped(int l) const { return dropout > 0.0f && (l < layers - 1 || attended); }
  /** Dropout layers (one seed each): the layers {@link dropped} says, which are the first ones. */
  int dropout_layers() const { return dropout > 0.0f ? layers - (attended ? 0 : 1) : 0; }
  /** The width of a layer's outputs and states: the decoder's units. */
  int width() const { return units * directions(); }
  /** The Spec its cells run with (one direction's units). */
  Spec cell_spec() const;
};

/**
 * Sizes of the encoder's parameter arrays, in the order of its trainable weights: the embedding [vocab, embed], then
 * per layer and direction (forward, then backward) its kernel [in, gates·units], recurrent kernel and bias.
 */
std::vector<size_t> encoder_param_sizes(const EncoderSpec& e);

/** What an encoder's forward pass over a block of rows keeps for its backward pass (one per thread, reused). */
struct EncoderTrace {
  int rows = 0, steps = 0;
  /** order[k]: the block's row at sorted place k (longest first); lengths[k] its length; active[t]: rows still running at step t. */
  std::vector<int> order, lengths, active;
  /** Time-major sorted ids [steps·rows] and their embeddings. */
  std::vector<int32_t> ids;
  std::vector<float> x;
  /** Per layer and direction: the layer's trace, and its input (the backward direction's, reversed in time per row). */
  std::vector<LayerTrace> traces;
  std::vector<std::vector<float>> inputs;
  /** Per layer its outputs [steps·rows, width], directions side by side, in time order (after its dropout, if any). */
  std::vector<std::vector<float>> outputs;
  /** Per layer its dropout scales, laid out as its outputs (empty: no dropout on that layer in this pass). */
  std::vector<std::vector<float>> masks;
  /** The backward pass's working arrays, kept between steps (no allocation, no page faults per step). */
  std::vector<float> dy, dx, dh, dz, dinput, final_c;
};

/**
 * Encodes rows [row0, row0 + rows) of `sources` ([batch, source_length] ids, padded with 0 at the end; `lengths`
 * [batch] each row's ids before its padding, see source_lengths): writes each
 * row's decoder initial state into `state` (laid out as state_size(decoder, batch): per layer h, then c for an LSTM,
 * `width` wide) and its memory into `memory` ([batch, memory_length, width], zeros past the row's length).
 * `dropout_seeds`: one per dropout layer (see EncoderSpec::dropout_layers) while training, or null for no dropout; a
 * position's mask depends on its seed, its row in the batch and its place in the source, never on the thread.
 */
void encoder_forward(const EncoderSpec& e, const Params& p, const int32_t* sources, const int32_t* lengths, int source_length, int batch,
                     int row0, int rows, const uint32_t* dropout_seeds, EncoderTrace& tr, float* state, float* memory, int memory_length);

/** Each of the `rows` sources' length ([rows, source_length] ids): its ids up to the last that is not padding (0). */
std::vector<int32_t> source_lengths(const int32_t* sources, int source_length, int rows);

/**
 * Back through {@link encoder_forward}'s rows from the gradients of the state and the memory it wrote (same layouts):
 * adds the parameters' gradients into `grads`. `recurrent_t`: each layer and direction's recurrent kernel transposed.
 */
void encoder_backward(const EncoderSpec& e, const Params& p, const std::vector<std::vector<float>>& recurrent_t, EncoderTrace& tr,
                      const float* state_grads, const float* memory_grads, int memory_length, int batch, int row0, const Params& grads);

/** Each layer and direction's recurrent kernel transposed, into `out` (for encoder_backward; its arrays reused). */
void encoder_recurrent_t(const EncoderSpec& e, const Params& p, std::vector<std::vector<float>>& out);

}  // namespace gn
