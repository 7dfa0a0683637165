// Luong attention with the "general" score, without input feeding (src/model/attention/luong.ts), between a decoder's
// top recurrent layer and its logits: for each state h of a row, weights a = softmax over the row's real source
// positions of h·W_a·m, the context c = Σ a·m and the attentional state tanh([c; h]·W_c); forward and backward over a
// time-major block of rows, the products through the BLAS.
#pragma once
#include <cstdint>
#include <vector>

namespace gn {

/** The encoder memory of a block of rows, batch-major: row b's positions at values + b·length·width. */
struct MemoryBlock {
  /** [rows, length, width]; what lies past a row's length is never read. */
  const float* values;
  /** [rows] each row's real positions (0: an empty source, whose context is zero). */
  const int32_t* lengths;
  int length, width;
};

/** What the forward pass keeps for the backward one. */
struct AttentionTrace {
  std::vector<float> queries;  // [TB, width] h·W_a
  std::vector<float> weights;  // [rows, steps, length]: row b's step t weights over its positions (0 past its length)
  std::vector<float> joined;   // [TB, width + units] [context; h]
  std::vector<float> out;      // [TB, units] the attentional states
};

/**
 * The attentional states (`tr.out`) of the top-layer states `top` ([steps·rows, units], row t·rows + b), with
 * `score` [units, width] and `combine` [width + units, units].
 */
void attention_forward(int units, const float* score, const float* combine, const float* top, int steps, int rows, const MemoryBlock& memory,
                       AttentionTrace& tr);

/**
 * Back through {@link attention_forward}: `dout` ([TB, units], overwritten as scratch) is the gradient of its output;
 * writes the gradient of `top` into `dtop`, adds those of the weights into `dscore` and `dcombine`, and, when
 * `dmemory` is not null, those of the memory into it ([rows, length, width], the memory's layout).
 */
void attention_backward(int units, const float* score, const float* combine, const float* top, int steps, int rows, const MemoryBlock& memory,
                        const AttentionTrace& tr, float* dout, float* dtop, float* dscore, float* dcombine, float* dmemory);

}  // namespace gn
