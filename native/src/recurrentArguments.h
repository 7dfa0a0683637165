// Readers of the recurrent networks' arguments (their spec, weights, a batch, a state, an encoder memory), shared by
// the bindings of the recurrent networks (addon.cc), the sequence-to-sequence models (seq2seqAddon.cc) and the
// conditional models (conditionalAddon.cc).
#pragma once
#include <napi.h>

#include <string>

#include "arguments.h"
#include "cells/cell.h"
#include "network.h"

namespace gn {

/** A whole number `o[key]` ≥ `min`, or an error naming `what.key`. */
inline int read_integer(const Napi::Object& o, const char* what, const char* key, int min) {
  const Napi::Value v = o.Get(key);
  if (!v.IsNumber() || v.As<Napi::Number>().Int32Value() < min)
    throw Napi::Error::New(o.Env(), std::string("native: ") + what + "." + key + " must be a whole number ≥ " + std::to_string(min));
  return v.As<Napi::Number>().Int32Value();
}

/** The cell named `o.cell` and the gate code `o.gate` (0 sigmoid, 1 hard sigmoid). */
inline void read_cell(const Napi::Object& o, const char* what, const CellKernels*& cell, GateKind& gate) {
  const Napi::Value name = o.Get("cell");
  cell = name.IsString() ? find_cell(name.As<Napi::String>().Utf8Value().c_str()) : nullptr;
  if (cell == nullptr) throw Napi::Error::New(o.Env(), std::string("native: ") + what + ".cell must name a cell the addon knows (see its cells)");
  const int code = read_integer(o, what, "gate", 0);
  if (code > 1) throw Napi::Error::New(o.Env(), std::string("native: unknown ") + what + ".gate code");
  gate = static_cast<GateKind>(code);
}

/**
 * A recurrent network's spec: {cell, gate, layers, units, vocab, embed, dropout, attention (optional: memory width),
 * attentionKind (optional: 0 Luong, 1 Bahdanau)}.
 */
inline Spec read_spec(const Napi::Object& o) {
  Spec s{};
  read_cell(o, "spec", s.cell, s.gate);
  s.layers = read_integer(o, "spec", "layers", 1);
  s.units = read_integer(o, "spec", "units", 1);
  s.vocab = read_integer(o, "spec", "vocab", 2);
  s.embed = read_integer(o, "spec", "embed", 0);
  s.attention = o.Get("attention").IsUndefined() ? 0 : read_integer(o, "spec", "attention", 0);
  const int kind = o.Get("attentionKind").IsUndefined() ? 0 : read_integer(o, "spec", "attentionKind", 0);
  if (kind > 1) throw Napi::Error::New(o.Env(), "native: unknown spec.attentionKind (0 Luong, 1 Bahdanau)");
  s.attention_kind = static_cast<AttentionKind>(kind);
  const Napi::Value dropout = o.Get("dropout");
  s.dropout = dropout.IsNumber() ? dropout.As<Napi::Number>().FloatValue() : -1.0f;
  if (!(s.dropout >= 0.0f && s.dropout < 1.0f)) throw Napi::Error::New(o.Env(), "native: spec.dropout must be a number in [0, 1) (as a float)");
  s.label_smoothing = read_label_smoothing(o, "spec");
  return s;
}

/** Pointers into the Float32Arrays of `value`, each checked against the size the spec implies. */
inline Params read_params(const Napi::Env& env, const Spec& s, const Napi::Value& value, const char* what) {
  return Params{read_arrays(env, value, param_sizes(s), what)};
}

/** A recurrent state of `batch` rows: null (zeros) or a Float32Array laid out as state_size describes. */
inline const float* read_state(const Napi::Value& value, const Spec& spec, int batch, const char* what) {
  if (value.IsNull()) return nullptr;
  const size_t size = state_size(spec, batch);
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array || value.As<Napi::Float32Array>().ElementLength() != size) {
    throw Napi::Error::New(value.Env(), std::string("native: ") + what + " must be null or a Float32Array of " + std::to_string(size) +
                                            " values (per layer h [batch, units], then c for an LSTM)");
  }
  return value.As<Napi::Float32Array>().Data();
}

/**
 * The batch given as (inputs, targets, mask, batch, steps) from argument `at` on, checked against the vocabulary,
 * with the dropout seeds `seeds` (null: no dropout; else `seed_count` of them, by default one per layer) and the
 * initial state `initial` (null: zeros).
 */
inline Batch read_batch(const Napi::CallbackInfo& info, size_t at, const Spec& spec, const Napi::Value& seeds, const Napi::Value& initial,
                        int seed_count = -1) {
  const int vocab = spec.vocab;
  Napi::Env env = info.Env();
  const int batch = info[at + 3].As<Napi::Number>().Int32Value(), steps = info[at + 4].As<Napi::Number>().Int32Value();
  if (batch < 1 || steps < 1) throw Napi::Error::New(env, "native: batch and steps must be ≥ 1");
  const size_t cells = size_t(batch) * steps;
  Batch b{read_ids(env, info[at], cells, vocab, "inputs"), read_ids(env, info[at + 1], cells, vocab, "targets"), nullptr, batch, steps,
          read_seeds(seeds, seed_count < 0 ? spec.layers : seed_count), read_state(initial, spec, batch, "initialState")};
  b.mask = read_mask(env, info[at + 2], cells);
  return b;
}

/** Each row's real positions: an Int32Array of `rows` values in 0 … `length`. */
inline const int32_t* read_lengths(const Napi::Value& value, int rows, int length, const char* what) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array || value.As<Napi::Int32Array>().ElementLength() != size_t(rows))
    throw Napi::Error::New(value.Env(), std::string("native: ") + what + " must be an Int32Array of one length per row");
  const int32_t* lengths = value.As<Napi::Int32Array>().Data();
  for (int r = 0; r < rows; r++)
    if (lengths[r] < 0 || lengths[r] > length) throw Napi::Error::New(value.Env(), std::string("native: ") + what + "[" + std::to_string(r) + "] is outside 0 … " + std::to_string(length));
  return lengths;
}

/**
 * The encoder memory of a decoder with attention, `{values, lengths, length}` (values: a Float32Array [batch, length,
 * spec.attention]; lengths: each row's real positions), into `batch`; null (or absent) for a network without attention.
 */
inline void read_memory(const Napi::Value& value, const Spec& spec, Batch& batch) {
  Napi::Env env = value.Env();
  const bool absent = value.IsNull() || value.IsUndefined();
  if (absent != (spec.attention == 0))
    throw Napi::Error::New(env, spec.attention > 0 ? "native: a decoder with attention needs its encoder memory {values, lengths, length}"
                                                   : "native: a memory was given to a network without attention");
  if (absent) return;
  if (!value.IsObject()) throw Napi::Error::New(env, "native: memory must be null or {values, lengths, length}");
  const Napi::Object memory = value.As<Napi::Object>();
  batch.memory_length = read_integer(memory, "memory", "length", 0);
  const Napi::Value values = memory.Get("values");
  const size_t size = size_t(batch.batch) * batch.memory_length * spec.attention;
  if (!values.IsTypedArray() || values.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array || values.As<Napi::Float32Array>().ElementLength() != size)
    throw Napi::Error::New(env, "native: memory.values must be a Float32Array of " + std::to_string(size) + " values [batch, length, width]");
  batch.memory = values.As<Napi::Float32Array>().Data();
  batch.memory_lengths = read_lengths(memory.Get("lengths"), batch.batch, batch.memory_length, "memory.lengths");
}

}  // namespace gn
