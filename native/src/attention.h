// Attention between a decoder's top recurrent layer and its logits (src/model/attention/), without input feeding: for
// each state h of a row, weights a = softmax over the row's real source positions of score(h, m), the context
// c = Σ a·m and the attentional state tanh([c; h]·W_c). The score is Luong's "general" h·W_a·m or Bahdanau's
// additive v·tanh(h·W_q + m·W_k). Forward and backward over a time-major block of rows, the products through the BLAS.
#pragma once
#include <cstdint>
#include <vector>

namespace gn {

/** The score of an attention: 0 Luong's "general" one, 1 Bahdanau's additive one. */
enum class AttentionKind { luong = 0, bahdanau = 1 };

/** Parameter arrays of an attention kind: Luong score [units, width], combine; Bahdanau query [units, units], key [width, units], vector [units], combine. */
int attention_arrays(AttentionKind kind);

/** The attention's parameters (or their gradients), in that order; `combine` [width + units, units] is the last. */
struct AttentionParams {
  AttentionKind kind;
  std::vector<float*> tensors;
  float* combine() const { return tensors.back(); }
};

/** The encoder memory of a block of rows, batch-major: row b's positions at values + b·length·width. */
struct MemoryBlock {
  /** [rows, length, width]; what lies past a row's length gets no weight (it must be finite: zeros). */
  const float* values;
  /** [rows] each row's real positions (0: an empty source, whose context is zero). */
  const int32_t* lengths;
  int length, width;
};

/** What the forward pass keeps for the backward one. */
struct AttentionTrace {
  std::vector<float> queries;  // [TB, width] h·W_a (Luong), [TB, units] h·W_q (Bahdanau)
  std::vector<float> keys;     // Bahdanau: [rows·length, units] m·W_k
  std::vector<float> hidden;   // Bahdanau: [rows, steps, length, units] tanh(h·W_q + m·W_k)
  std::vector<float> weights;  // [rows, steps, length]: row b's step t weights over its positions (0 past its length)
  std::vector<float> joined;   // [TB, width + units] [context; h]
  std::vector<float> out;      // [TB, units] the attentional states
};

/** The attentional states (`tr.out`) of the top-layer states `top` ([steps·rows, units], row t·rows + b). */
void attention_forward(int units, const AttentionParams& p, const float* top, int steps, int rows, const MemoryBlock& memory, AttentionTrace& tr);

/**
 * Back through {@link attention_forward}: `dout` ([TB, units], overwritten as scratch) is the gradient of its output;
 * writes the gradient of `top` into `dtop`, adds those of the parameters into `grads`, and, when `dmemory` is not
 * null, those of the memory into it ([rows, length, width], the memory's layout).
 */
void attention_backward(int units, const AttentionParams& p, const float* top, int steps, int rows, const MemoryBlock& memory,
                        const AttentionTrace& tr, float* dout, float* dtop, const AttentionParams& grads, float* dmemory);

}  // namespace gn
