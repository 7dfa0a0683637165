// Readers of the addon's JavaScript arguments, shared by its bindings: each checks what it reads, so a wrong call is a
// JavaScript error, never a crash; and the makers of the arrays it returns.
#pragma once
#include <napi.h>

#include <algorithm>
#include <cmath>
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

/** A learning rate or a weight decay: a finite number ≥ 0 (kept in double). */
/** `object.labelSmoothing` (absent: 0), a number in [0, 1), or an error naming `what`. */
inline float read_label_smoothing(const Napi::Object& object, const char* what) {
  const Napi::Value value = object.Get("labelSmoothing");
  if (value.IsUndefined()) return 0.0f;
  const float smoothing = value.IsNumber() ? value.As<Napi::Number>().FloatValue() : -1.0f;
  if (!(smoothing >= 0.0f && smoothing < 1.0f)) throw Napi::Error::New(object.Env(), std::string("native: ") + what + ".labelSmoothing must be a number in [0, 1)");
  return smoothing;
}

inline double read_rate(const Napi::Value& value, const char* what) {
  const double rate = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : -1.0;
  if (!(rate >= 0.0 && std::isfinite(rate))) {
    throw Napi::Error::New(value.Env(), std::string("native: ") + what + " must be a finite number ≥ 0");
  }
  return rate;
}

/** Copies of the Float32Arrays of `value`, one per entry of `sizes`, each checked to hold that many values. */
inline std::vector<std::vector<float>> read_copies(const Napi::Env& env, const Napi::Value& value,
                                                   const std::vector<size_t>& sizes, const char* what) {
  const std::vector<float*> arrays = read_arrays(env, value, sizes, what);
  std::vector<std::vector<float>> out;
  for (size_t i = 0; i < sizes.size(); i++) out.emplace_back(arrays[i], arrays[i] + sizes[i]);
  return out;
}

/** A new Float32Array holding a copy of `values`. */
inline Napi::Float32Array to_array(Napi::Env env, const std::vector<float>& values) {
  Napi::Float32Array out = Napi::Float32Array::New(env, values.size());
  std::copy(values.begin(), values.end(), out.Data());
  return out;
}

inline Napi::Array to_arrays(Napi::Env env, const std::vector<std::vector<float>>& arrays) {
  Napi::Array out = Napi::Array::New(env, arrays.size());
  for (size_t i = 0; i < arrays.size(); i++) out.Set(uint32_t(i), to_array(env, arrays[i]));
  return out;
}

/**
 * A pass's `{ loss, grads }` result for JavaScript, its gradients written by `pass` straight into the Float32Arrays
 * JavaScript gets (one per entry of `sizes`; without `with_gradients` none, `pass` gets an empty list and grads is null).
 */
template <typename Pass>
Napi::Object loss_and_gradients_result(Napi::Env env, const std::vector<size_t>& sizes, bool with_gradients, const Pass& pass) {
  Napi::Array list = Napi::Array::New(env, with_gradients ? sizes.size() : 0);
  std::vector<float*> grads;
  for (size_t i = 0; i < sizes.size() && with_gradients; i++) {
    Napi::Float32Array array = Napi::Float32Array::New(env, sizes[i]);
    list.Set(static_cast<uint32_t>(i), array);
    grads.push_back(array.Data());
  }
  const double loss = pass(grads);
  Napi::Object result = Napi::Object::New(env);
  result.Set("loss", Napi::Number::New(env, loss));
  result.Set("grads", with_gradients ? Napi::Value(list) : env.Null());
  return result;
}

}  // namespace gn
