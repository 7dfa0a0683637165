// A conditional model's whole pass: the condition encoder (src/model/conditionEncoder.ts: each condition value's
// learned vector, the row's vectors side by side, one dense tanh layer) gives each row its initial state, the
// recurrent network (network.h) runs from it, and the state's gradient flows back into the encoder's weights.
#pragma once
#include <cstdint>
#include <vector>

#include "network.h"

namespace gn {

/** The shape of a conditional model: its recurrent network and its condition encoder. */
struct ConditionalSpec {
  Spec network;
  /** Rows of the table of condition vectors (every condition's values, one shared table). */
  int values;
  /** Size of each value's vector. */
  int dim;
  /** Conditions per row (ids per row). */
  int count;
};

/**
 * Sizes of its parameter arrays: the network's (param_sizes), then the encoder's — the table [values, dim], the
 * dense kernel [count·dim, state width] and its bias [state width], the state width being parts·units.
 */
std::vector<size_t> conditional_param_sizes(const ConditionalSpec& s);

/**
 * Mean loss per real target token of `batch` (its initial state is the encoder's, whatever the batch says) whose rows
 * have the condition ids `ids` ([batch, count], each below `values`) and, when `grads` is not empty, its gradients
 * (same layout as `weights`, overwritten); the network's rows are split over `threads` threads.
 */
double conditional_loss_and_gradients(const ConditionalSpec& s, const std::vector<float*>& weights, const Batch& batch, const int32_t* ids,
                                      int threads, const std::vector<float*>& grads);

}  // namespace gn
