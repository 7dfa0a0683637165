// A sequence-to-sequence model's whole pass: the encoder (encoder.h) reads each row's source, the decoder (network.h,
// with or without attention) runs from the state it leaves and attends to its memory, and the gradients flow back
// through both — every row's encoder and decoder on the same thread, the rows split over threads (parts.h).
#pragma once
#include <cstdint>
#include <vector>

#include "encoder.h"
#include "network.h"

namespace gn {

/** The shape of a sequence-to-sequence model: its decoder (its units the encoder's width) and its encoder. */
struct Seq2SeqSpec {
  Spec decoder;
  EncoderSpec encoder;
};

/** Sizes of its parameter arrays: the decoder's (param_sizes), then the encoder's (encoder_param_sizes). */
std::vector<size_t> seq2seq_param_sizes(const Seq2SeqSpec& s);

/** The sources of a batch's rows: [batch, length] ids, padded with 0 at the end. */
struct Sources {
  const int32_t* ids;
  int length;
};

/** Dropout seeds a training step takes: one per decoder layer, then one per encoder dropout layer. */
inline int seq2seq_dropout_seeds(const Seq2SeqSpec& s) { return s.decoder.layers + s.encoder.dropout_layers(); }

/**
 * Mean loss per real target token of `batch` (the decoder's inputs and targets; its initial state and memory are the
 * encoder's, whatever the batch says) read from `sources`, and, when `grads` is not empty, its gradients (same layout
 * as `weights`, overwritten), the rows split over `threads` threads. The batch's dropout seeds, when not null, are
 * {@link seq2seq_dropout_seeds} of them (a network without dropout ignores its own).
 */
double seq2seq_loss_and_gradients(const Seq2SeqSpec& s, const std::vector<float*>& weights, const Batch& batch, const Sources& sources, int threads,
                                  const std::vector<float*>& grads);

}  // namespace gn
