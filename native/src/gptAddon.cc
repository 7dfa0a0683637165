// Node-API binding of the GPT pass: `gptLossAndGradients(spec, weights, inputs, targets, mask, batch, steps, threads,
// dropoutSeeds, withGradients)` → `{ loss, grads }` (grads null when not asked for).
#include "gptAddon.h"

#include <string>

#include "arguments.h"
#include "gpt.h"

namespace gn {

namespace {

GptSpec read_gpt_spec(const Napi::Object& o) {
  auto integer = [&](const char* key, int min) {
    Napi::Value v = o.Get(key);
    if (!v.IsNumber() || v.As<Napi::Number>().Int32Value() < min) throw Napi::Error::New(o.Env(), std::string("native: gpt spec.") + key + " must be a whole number ≥ " + std::to_string(min));
    return v.As<Napi::Number>().Int32Value();
  };
  GptSpec s{};
  s.layers = integer("layers", 1);
  s.width = integer("width", 1);
  s.heads = integer("heads", 1);
  s.context = integer("context", 1);
  s.vocab = integer("vocab", 2);
  s.tied = o.Get("tied").ToBoolean().Value();
  const Napi::Value dropout = o.Get("dropout");
  s.dropout = dropout.IsNumber() ? dropout.As<Napi::Number>().FloatValue() : -1.0f;
  if (s.width % s.heads != 0) throw Napi::Error::New(o.Env(), "native: gpt spec.width must split into spec.heads heads");
  if (!(s.dropout >= 0.0f && s.dropout < 1.0f)) throw Napi::Error::New(o.Env(), "native: gpt spec.dropout must be a number in [0, 1)");
  return s;
}

Napi::Value GptLossAndGradients(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 10 || !info[0].IsObject() || !info[5].IsNumber() || !info[6].IsNumber()) {
    throw Napi::Error::New(env, "native: gptLossAndGradients(spec, weights, inputs, targets, mask, batch, steps, threads, dropoutSeeds, withGradients)");
  }
  const GptSpec s = read_gpt_spec(info[0].As<Napi::Object>());
  const std::vector<size_t> sizes = gpt_param_sizes(s);
  const std::vector<float*> weights = read_arrays(env, info[1], sizes, "weights");
  const int batch = info[5].As<Napi::Number>().Int32Value(), steps = info[6].As<Napi::Number>().Int32Value();
  if (batch < 1 || steps < 1 || steps > s.context) throw Napi::Error::New(env, "native: batch must be ≥ 1 and steps from 1 to the context");
  const size_t cells = size_t(batch) * steps;
  const int32_t* inputs = read_ids(env, info[2], cells, s.vocab, "inputs");
  const int32_t* targets = read_ids(env, info[3], cells, s.vocab, "targets");
  const float* mask = read_mask(env, info[4], cells);
  const int threads = read_threads(info[7]);
  const uint32_t* seeds = read_seeds(info[8], gpt_dropout_layers(s));
  const bool with_gradients = info[9].ToBoolean().Value();
  // The gradients are written straight into the arrays JavaScript gets.
  Napi::Array list = Napi::Array::New(env, with_gradients ? sizes.size() : 0);
  std::vector<float*> grads;
  for (size_t i = 0; i < sizes.size() && with_gradients; i++) {
    Napi::Float32Array array = Napi::Float32Array::New(env, sizes[i]);
    list.Set(static_cast<uint32_t>(i), array);
    grads.push_back(array.Data());
  }
  const double loss = gpt_loss_and_gradients(s, std::vector<const float*>(weights.begin(), weights.end()), inputs, targets, mask, batch,
                                             steps, seeds, threads, grads);
  Napi::Object result = Napi::Object::New(env);
  result.Set("loss", Napi::Number::New(env, loss));
  result.Set("grads", with_gradients ? Napi::Value(list) : env.Null());
  return result;
}

}  // namespace

void register_gpt(Napi::Env env, Napi::Object exports) {
  exports.Set("gptLossAndGradients", Napi::Function::New(env, GptLossAndGradients));
}

}  // namespace gn
