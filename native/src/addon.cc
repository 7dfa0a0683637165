// Node-API bindings of the native engine: `lossAndGradients(...)` for a training step and `Stepper` for generation.
// Every argument is checked here, so a wrong call is a JavaScript error, never a crash.
#include <napi.h>

#include <string>

#include "blas.h"
#include "network.h"

namespace {

gn::Spec read_spec(const Napi::Object& o) {
  auto integer = [&](const char* key, int min) {
    Napi::Value v = o.Get(key);
    if (!v.IsNumber() || v.As<Napi::Number>().Int32Value() < min) throw Napi::Error::New(o.Env(), std::string("native: spec.") + key + " must be a whole number ≥ " + std::to_string(min));
    return v.As<Napi::Number>().Int32Value();
  };
  gn::Spec s{};
  int cell = integer("cell", 0), gate = integer("gate", 0);
  if (cell > 2 || gate > 1) throw Napi::Error::New(o.Env(), "native: unknown cell or gate code");
  s.cell = static_cast<gn::CellKind>(cell);
  s.gate = static_cast<gn::GateKind>(gate);
  s.layers = integer("layers", 1);
  s.units = integer("units", 1);
  s.vocab = integer("vocab", 2);
  s.embed = integer("embed", 0);
  return s;
}

/** Pointers into the Float32Arrays of `list`, each checked against the size the spec implies. */
gn::Params read_params(const Napi::Env& env, const gn::Spec& s, const Napi::Value& value, const char* what) {
  if (!value.IsArray()) throw Napi::Error::New(env, std::string("native: ") + what + " must be an array of Float32Array");
  Napi::Array list = value.As<Napi::Array>();
  const std::vector<size_t> sizes = gn::param_sizes(s);
  if (list.Length() != sizes.size()) throw Napi::Error::New(env, std::string("native: ") + what + " has " + std::to_string(list.Length()) + " arrays, the network needs " + std::to_string(sizes.size()));
  gn::Params p;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value item = list.Get(i);
    if (!item.IsTypedArray() || item.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) throw Napi::Error::New(env, std::string("native: ") + what + "[" + std::to_string(i) + "] is not a Float32Array");
    Napi::Float32Array array = item.As<Napi::Float32Array>();
    if (array.ElementLength() != sizes[i]) throw Napi::Error::New(env, std::string("native: ") + what + "[" + std::to_string(i) + "] has " + std::to_string(array.ElementLength()) + " values, expected " + std::to_string(sizes[i]));
    p.tensors.push_back(array.Data());
  }
  return p;
}

/** Token ids of `value` (an Int32Array of `count` ids, each < vocab). */
const int32_t* read_ids(const Napi::Env& env, const Napi::Value& value, size_t count, int vocab, const char* what) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) throw Napi::Error::New(env, std::string("native: ") + what + " must be an Int32Array");
  Napi::Int32Array ids = value.As<Napi::Int32Array>();
  if (ids.ElementLength() != count) throw Napi::Error::New(env, std::string("native: ") + what + " has " + std::to_string(ids.ElementLength()) + " ids, expected " + std::to_string(count));
  for (size_t k = 0; k < count; k++) {
    if (ids[k] < 0 || ids[k] >= vocab) throw Napi::Error::New(env, "Token id " + std::to_string(ids[k]) + " is outside the vocabulary of " + std::to_string(vocab) + "; the ids and the vocabulary do not match.");
  }
  return ids.Data();
}

/** The arguments shared by `lossAndGradients` and `loss`: (spec, weights, inputs, targets, mask, batch, steps, threads). */
struct StepArguments {
  gn::Spec spec;
  gn::Params params;
  gn::Batch batch;
  int threads;
};

StepArguments read_step(const Napi::CallbackInfo& info, const char* name) {
  Napi::Env env = info.Env();
  if (info.Length() != 8 || !info[0].IsObject()) throw Napi::Error::New(env, std::string("native: ") + name + "(spec, weights, inputs, targets, mask, batch, steps, threads)");
  StepArguments a{read_spec(info[0].As<Napi::Object>()), {}, {}, 0};
  a.params = read_params(env, a.spec, info[1], "weights");
  const int batch = info[5].As<Napi::Number>().Int32Value(), steps = info[6].As<Napi::Number>().Int32Value();
  a.threads = info[7].As<Napi::Number>().Int32Value();
  if (batch < 1 || steps < 1 || a.threads < 1) throw Napi::Error::New(env, "native: batch, steps and threads must be ≥ 1");
  const size_t cells = size_t(batch) * steps;
  a.batch = {read_ids(env, info[2], cells, a.spec.vocab, "inputs"), read_ids(env, info[3], cells, a.spec.vocab, "targets"), nullptr, batch, steps};
  if (!info[4].IsNull()) {
    if (!info[4].IsTypedArray() || info[4].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array || info[4].As<Napi::Float32Array>().ElementLength() != cells) {
      throw Napi::Error::New(env, "native: mask must be null or a Float32Array of batch × steps");
    }
    a.batch.mask = info[4].As<Napi::Float32Array>().Data();
  }
  return a;
}

/** `lossAndGradients(...)` → `{ loss, grads }`: one training step's forward and backward pass. */
Napi::Value LossAndGradients(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const StepArguments a = read_step(info, "lossAndGradients");
  Napi::Array grads = Napi::Array::New(env);
  gn::Params out;
  const std::vector<size_t> sizes = gn::param_sizes(a.spec);
  for (size_t i = 0; i < sizes.size(); i++) {
    Napi::Float32Array g = Napi::Float32Array::New(env, sizes[i]);
    grads.Set(uint32_t(i), g);
    out.tensors.push_back(g.Data());
  }
  const double loss = gn::loss_and_gradients(a.spec, a.params, a.batch, a.threads, out);
  Napi::Object result = Napi::Object::New(env);
  result.Set("loss", loss);
  result.Set("grads", grads);
  return result;
}

/** `loss(...)` → the mean loss alone (forward pass only: evaluation). */
Napi::Value Loss(const Napi::CallbackInfo& info) {
  const StepArguments a = read_step(info, "loss");
  return Napi::Number::New(info.Env(), gn::loss_and_gradients(a.spec, a.params, a.batch, a.threads, gn::Params{}));
}

/** `new Stepper(spec, weights, batch)`: a generation stepper over a copy of the weights. */
class StepperWrap : public Napi::ObjectWrap<StepperWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Stepper", {InstanceMethod("feed", &StepperWrap::Feed), InstanceMethod("reset", &StepperWrap::Reset)});
  }

  explicit StepperWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<StepperWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() != 3 || !info[0].IsObject() || !info[2].IsNumber()) throw Napi::Error::New(env, "native: new Stepper(spec, weights, batch)");
    spec_ = read_spec(info[0].As<Napi::Object>());
    const gn::Params given = read_params(env, spec_, info[1], "weights");
    const std::vector<size_t> sizes = gn::param_sizes(spec_);
    std::vector<std::vector<float>> copies;
    for (size_t i = 0; i < sizes.size(); i++) copies.emplace_back(given.tensors[i], given.tensors[i] + sizes[i]);
    batch_ = info[2].As<Napi::Number>().Int32Value();
    if (batch_ < 1) throw Napi::Error::New(env, "native: the stepper's batch must be ≥ 1");
    stepper_ = std::make_unique<gn::Stepper>(spec_, std::move(copies), batch_);
  }

 private:
  Napi::Value Feed(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int steps = info.Length() == 2 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;
    if (steps < 1) throw Napi::Error::New(env, "native: feed(tokens, steps) needs steps ≥ 1");
    const int32_t* tokens = read_ids(env, info[0], size_t(batch_) * steps, spec_.vocab, "tokens");
    std::vector<float> logits = stepper_->feed(tokens, steps);
    Napi::Float32Array out = Napi::Float32Array::New(env, logits.size());
    std::copy(logits.begin(), logits.end(), out.Data());
    return out;
  }

  Napi::Value Reset(const Napi::CallbackInfo& info) {
    stepper_->reset();
    return info.Env().Undefined();
  }

  gn::Spec spec_{};
  int batch_ = 1;
  std::unique_ptr<gn::Stepper> stepper_;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  gn::blas_single_thread();
  exports.Set("lossAndGradients", Napi::Function::New(env, LossAndGradients));
  exports.Set("loss", Napi::Function::New(env, Loss));
  exports.Set("Stepper", StepperWrap::Define(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(gennet_native, Init)
