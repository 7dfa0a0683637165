// A GPT (decoder-only transformer, as the gpt family builds it in TensorFlow.js: src/families/gpt/network.ts) forward
// and backward over a batch: token + position embeddings → pre-LayerNorm blocks (causal multi-head self-attention,
// a GELU MLP of 4× the width, each added to the residual stream after its dropout) → final LayerNorm → logits →
// softmax cross-entropy. Products over all positions are BLAS calls; attention runs per row and head.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gn {

/** The shape of a GPT. */
struct GptSpec {
  int layers;
  int width;
  int heads;
  /** Positions it has vectors for (the longest sequence it reads). */
  int context;
  int vocab;
  /** Whether the token table is also the output layer (no output kernel or bias then). */
  bool tied;
  /** Rate of every dropout (after the embeddings, after each attention and each MLP); 0 for none. */
  float dropout;
  /** Label smoothing of the training loss (a pass with gradients; see softmax_cross_entropy); 0 for none. */
  float label_smoothing = 0.0f;
};

/**
 * Sizes of a GPT's parameter arrays, in the order the engine hands them (the network's trainable weights): token
 * table [vocab, width], positions [context, width]; per block LayerNorm gamma and beta [width], query-key-value
 * kernel [width, 3·width] and bias, output projection [width, width] and bias, LayerNorm gamma and beta, MLP kernels
 * [width, 4·width] and [4·width, width] with their biases; the final LayerNorm's gamma and beta; unless tied, the
 * output kernel [width, vocab] and bias [vocab].
 */
std::vector<size_t> gpt_param_sizes(const GptSpec& s);

/** Dropout layers of a GPT, in the network's order: after the embeddings, then after each attention and each MLP. */
inline int gpt_dropout_layers(const GptSpec& s) { return s.dropout > 0.0f ? 1 + 2 * s.layers : 0; }

/**
 * Mean loss per real target token of a batch of `batch` rows × `steps` positions (row-major token ids and targets;
 * `mask` 1 for real tokens, 0 for padding, null: all real), with dropout from `dropout_seeds` (one per dropout layer,
 * null: none). With `grads` (one array per parameter, overwritten) it also computes the gradients; without, the loss
 * alone. The rows are split over `threads` threads.
 */
double gpt_loss_and_gradients(const GptSpec& s, const std::vector<const float*>& params, const int32_t* inputs,
                              const int32_t* targets, const float* mask, int batch, int steps,
                              const uint32_t* dropout_seeds, int threads, const std::vector<float*>& grads);

}  // namespace gn
