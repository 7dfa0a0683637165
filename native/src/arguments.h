// Readers of the addon's JavaScript arguments, shared by its bindings: each checks what it reads, so a wrong call is a
// JavaScript error, never a crash.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gn {

/** Pointers into the Float32Arrays of `value`, one per entry of `sizes`, each of that many values. */
inline std::vector<float*> read_arrays(const Napi::Env& env, const Napi::Value& value, const std::vector<size_t>& sizes,
                                       const char* what) {
  if (!value.IsArray()) throw Napi::Error::New(env, std::string("native: ") + what + " must be an array of Float32Array");
  Napi::Array list = value.As<Napi::Array>();
  if (list.Length() != sizes.size()) throw Napi::Error::New(env, std::string("native: ") + what + " has " + std::to_string(list.Length()) + " arrays, the network needs " + std::to_string(sizes.size()));
  std::vector<float*> arrays;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value item = list.Get(i);
    if (!item.IsTypedArray() || item.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) throw Napi::Error::New(env, std::string("native: ") + what + "[" + std::to_string(i) + "] is not a Float32Array");
    Napi::Float32Array array = item.As<Napi::Float32Array>();
    if (array.ElementLength() != sizes[i]) throw Napi::Error::New(env, std::string("native: ") + what + "[" + std::to_string(i) + "] has " + std::to_string(array.ElementLength()) + " values, expected " + std::to_string(sizes[i]));
    arrays.push_back(array.Data());
  }
  return arrays;
}

/** Token ids of `value` (an Int32Array of `count` ids, each < vocab). */
inline const int32_t* read_ids(const Napi::Env& env, const Napi::Value& value, size_t count, int vocab, const char* what) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) throw Napi::Error::New(env, std::string("native: ") + what + " must be an Int32Array");
  Napi::Int32Array ids = value.As<Napi::Int32Array>();
  if (ids.ElementLength() != count) throw Napi::Error::New(env, std::string("native: ") + what + " has " + std::to_string(ids.ElementLength()) + " ids, expected " + std::to_string(count));
  for (size_t k = 0; k < count; k++) {
    if (ids[k] < 0 || ids[k] >= vocab) throw Napi::Error::New(env, "Token id " + std::to_string(ids[k]) + " is outside the vocabulary of " + std::to_string(vocab) + "; the ids and the vocabulary do not match.");
  }
  return ids.Data();
}

/** Loss weights: null (every position counts) or a Float32Array of `count` values. */
inline const float* read_mask(const Napi::Env& env, const Napi::Value& mask, size_t count) {
  if (mask.IsNull()) return nullptr;
  if (!mask.IsTypedArray() || mask.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array || mask.As<Napi::Float32Array>().ElementLength() != count) {
    throw Napi::Error::New(env, "native: mask must be null or a Float32Array of batch × steps");
  }
  return mask.As<Napi::Float32Array>().Data();
}

/** Dropout seeds: null (no dropout) or a Uint32Array of one seed per dropout layer (`layers` of them). */
inline const uint32_t* read_seeds(const Napi::Value& value, int layers) {
  if (value.IsNull()) return nullptr;
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array || value.As<Napi::Uint32Array>().ElementLength() != size_t(layers)) {
    throw Napi::Error::New(value.Env(), "native: dropoutSeeds must be null or a Uint32Array of one seed per dropout layer");
  }
  return value.As<Napi::Uint32Array>().Data();
}

inline int read_threads(const Napi::Value& value) {
  const int threads = value.IsNumber() ? value.As<Napi::Number>().Int32Value() : 0;
  if (threads < 1 || threads > 256) throw Napi::Error::New(value.Env(), "native: threads must be between 1 and 256");
  return threads;
}

}  // namespace gn
