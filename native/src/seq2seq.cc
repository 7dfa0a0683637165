// The sequence-to-sequence pass (see seq2seq.h): per part of the rows, encoder forward, decoder forward and backward,
// encoder backward; the encoder's outputs and their gradients pass through batch-wide buffers, each part on its rows.
#include "seq2seq.h"

#include <algorithm>
#include <mutex>

#include "parts.h"

namespace gn {

std::vector<size_t> seq2seq_param_sizes(const Seq2SeqSpec& s) {
  std::vector<size_t> sizes = param_sizes(s.decoder);
  const std::vector<size_t> encoder = encoder_param_sizes(s.encoder);
  sizes.insert(sizes.end(), encoder.begin(), encoder.end());
  return sizes;
}

double seq2seq_loss_and_gradients(const Seq2SeqSpec& s, const std::vector<float*>& weights, const Batch& batch, const Sources& sources, int threads,
                                  const std::vector<float*>& grads) {
  const std::lock_guard<std::mutex> lock(pass_lock());
  const size_t decoder_arrays = param_sizes(s.decoder).size();
  const Params decoder{std::vector<float*>(weights.begin(), weights.begin() + decoder_arrays)};
  const Params encoder{std::vector<float*>(weights.begin() + decoder_arrays, weights.end())};
  const bool backward = !grads.empty();
  const int rows = batch.batch, width = s.encoder.width();
  // Each row's source length, and the memory's: the longest.
  const std::vector<int32_t> lengths = source_lengths(sources.ids, sources.length, rows);
  const int memory_length = rows > 0 ? *std::max_element(lengths.begin(), lengths.end()) : 0;
  static std::vector<float> state, memory, state_grads, memory_grads;
  state.resize(state_size(s.decoder, rows)), memory.resize(size_t(rows) * memory_length * width);
  state_grads.resize(backward ? state.size() : 0), memory_grads.assign(backward ? memory.size() : 0, 0.0f);
  Batch run = batch;
  run.initial_state = state.data();
  run.memory = s.decoder.attention > 0 ? memory.data() : nullptr;
  run.memory_lengths = lengths.data();
  run.memory_length = memory_length;
  const StateResults results{nullptr, backward ? state_grads.data() : nullptr, backward && s.decoder.attention > 0 ? memory_grads.data() : nullptr};
  // The seeds: the decoder's layers', then the encoder's dropout layers' (seq2seq.h).
  const uint32_t* encoder_seeds = batch.dropout_seeds == nullptr ? nullptr : batch.dropout_seeds + s.decoder.layers;
  const PassShared shared = prepare_pass(s.decoder, decoder, run, backward, threads);
  static std::vector<std::vector<float>> encoder_t;
  if (backward) encoder_recurrent_t(s.encoder, encoder, encoder_t);
  static std::vector<EncoderTrace> traces;
  traces.resize(std::max(1, std::min(threads, rows)));
  const double loss = run_parts(rows, threads, seq2seq_param_sizes(s), grads, [&](int part, int row0, int count, const std::vector<float*>& into) {
    encoder_forward(s.encoder, encoder, sources.ids, lengths.data(), sources.length, rows, row0, count, encoder_seeds, traces[part], state.data(),
                    memory.data(), memory_length);
    const auto split = into.begin() + (into.empty() ? 0 : decoder_arrays);
    const double part_loss = network_part(s.decoder, decoder, shared, run, part, row0, count, Params{std::vector<float*>(into.begin(), split)}, results);
    if (backward)
      encoder_backward(s.encoder, encoder, encoder_t, traces[part], state_grads.data(), memory_grads.data(), memory_length, rows, row0,
                       Params{std::vector<float*>(split, into.end())});
    return part_loss;
  });
  return loss * shared.scale;
}

}  // namespace gn
