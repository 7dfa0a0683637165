// Node-API bindings of the native engine: `lossAndGradients(...)` for a training step and `Stepper` for generation.
// Every argument is checked here, so a wrong call is a JavaScript error, never a crash.
#include <napi.h>

#include <cmath>
#include <string>

#include "arguments.h"
#include "blas.h"
#include "gptAddon.h"
#include "cells/cell.h"
#include "network.h"

namespace {

gn::Spec read_spec(const Napi::Object& o) {
  auto integer = [&](const char* key, int min) {
    Napi::Value v = o.Get(key);
    if (!v.IsNumber() || v.As<Napi::Number>().Int32Value() < min) throw Napi::Error::New(o.Env(), std::string("native: spec.") + key + " must be a whole number ≥ " + std::to_string(min));
    return v.As<Napi::Number>().Int32Value();
  };
  gn::Spec s{};
  const Napi::Value cell = o.Get("cell");
  s.cell = cell.IsString() ? gn::find_cell(cell.As<Napi::String>().Utf8Value().c_str()) : nullptr;
  if (s.cell == nullptr) throw Napi::Error::New(o.Env(), "native: spec.cell must name a cell the addon knows (see its cells)");
  int gate = integer("gate", 0);
  if (gate > 1) throw Napi::Error::New(o.Env(), "native: unknown gate code");
  s.gate = static_cast<gn::GateKind>(gate);
  s.layers = integer("layers", 1);
  s.units = integer("units", 1);
  s.vocab = integer("vocab", 2);
  s.embed = integer("embed", 0);
  const Napi::Value dropout = o.Get("dropout");
  s.dropout = dropout.IsNumber() ? dropout.As<Napi::Number>().FloatValue() : -1.0f;
  if (!(s.dropout >= 0.0f && s.dropout < 1.0f)) throw Napi::Error::New(o.Env(), "native: spec.dropout must be a number in [0, 1) (as a float)");
  return s;
}

/** Pointers into the Float32Arrays of `value`, each checked against the size the spec implies. */
gn::Params read_params(const Napi::Env& env, const gn::Spec& s, const Napi::Value& value, const char* what) {
  return gn::Params{gn::read_arrays(env, value, gn::param_sizes(s), what)};
}

/** The arguments shared by `lossAndGradients` and `loss`: (spec, weights, inputs, targets, mask, batch, steps, threads, …). */
struct StepArguments {
  gn::Spec spec;
  gn::Params params;
  gn::Batch batch;
  int threads;
};

/** A recurrent state of `batch` rows: null (zeros) or a Float32Array laid out as gn::state_size describes. */
const float* read_state(const Napi::Value& value, const gn::Spec& spec, int batch, const char* what) {
  if (value.IsNull()) return nullptr;
  const size_t size = gn::state_size(spec, batch);
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array || value.As<Napi::Float32Array>().ElementLength() != size) {
    throw Napi::Error::New(value.Env(), std::string("native: ") + what + " must be null or a Float32Array of " + std::to_string(size) +
                                            " values (per layer h [batch, units], then c for an LSTM)");
  }
  return value.As<Napi::Float32Array>().Data();
}

/**
 * The batch given as (inputs, targets, mask, batch, steps) from argument `at` on, checked against the vocabulary,
 * with the dropout seeds `seeds` (null: no dropout) and the initial state `initial` (null: zeros).
 */
gn::Batch read_batch(const Napi::CallbackInfo& info, size_t at, const gn::Spec& spec, const Napi::Value& seeds, const Napi::Value& initial) {
  const int vocab = spec.vocab;
  Napi::Env env = info.Env();
  const int batch = info[at + 3].As<Napi::Number>().Int32Value(), steps = info[at + 4].As<Napi::Number>().Int32Value();
  if (batch < 1 || steps < 1) throw Napi::Error::New(env, "native: batch and steps must be ≥ 1");
  const size_t cells = size_t(batch) * steps;
  gn::Batch b{gn::read_ids(env, info[at], cells, vocab, "inputs"), gn::read_ids(env, info[at + 1], cells, vocab, "targets"), nullptr, batch, steps,
              gn::read_seeds(seeds, spec.layers), read_state(initial, spec, batch, "initialState")};
  b.mask = gn::read_mask(env, info[at + 2], cells);
  return b;
}

/** A learning rate or a weight decay: a finite number ≥ 0 (kept in double). */
double read_rate(const Napi::Value& value, const char* what) {
  const double rate = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : -1.0;
  if (!(rate >= 0.0 && std::isfinite(rate))) {
    throw Napi::Error::New(value.Env(), std::string("native: ") + what + " must be a finite number ≥ 0");
  }
  return rate;
}


/**
 * The arguments of `lossAndGradients` (…, threads, dropoutSeeds, initialState) or `loss` (…, threads, initialState:
 * evaluation has no dropout).
 */
StepArguments read_step(const Napi::CallbackInfo& info, const char* name, bool with_seeds) {
  Napi::Env env = info.Env();
  if (info.Length() != (with_seeds ? 10u : 9u) || !info[0].IsObject()) {
    throw Napi::Error::New(env, std::string("native: ") + name + "(spec, weights, inputs, targets, mask, batch, steps, threads, " +
                                    (with_seeds ? "dropoutSeeds, " : "") + "initialState)");
  }
  StepArguments a{read_spec(info[0].As<Napi::Object>()), {}, {}, 0};
  a.params = read_params(env, a.spec, info[1], "weights");
  a.batch = read_batch(info, 2, a.spec, with_seeds ? info[8] : env.Null(), info[with_seeds ? 9 : 8]);
  a.threads = gn::read_threads(info[7]);
  return a;
}

/**
 * `lossAndGradients(...)` → `{ loss, grads, finalState, initialStateGrads }`: one training step's forward and backward
 * pass, the state after the last step and (given an initial state, else null) the loss's gradient with respect to it.
 */
Napi::Value LossAndGradients(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const StepArguments a = read_step(info, "lossAndGradients", true);
  Napi::Array grads = Napi::Array::New(env);
  gn::Params out;
  const std::vector<size_t> sizes = gn::param_sizes(a.spec);
  for (size_t i = 0; i < sizes.size(); i++) {
    Napi::Float32Array g = Napi::Float32Array::New(env, sizes[i]);
    grads.Set(uint32_t(i), g);
    out.tensors.push_back(g.Data());
  }
  const size_t state = gn::state_size(a.spec, a.batch.batch);
  Napi::Float32Array final_state = Napi::Float32Array::New(env, state);
  Napi::Value initial_grads = env.Null();
  gn::StateResults states{final_state.Data(), nullptr};
  if (a.batch.initial_state != nullptr) {
    Napi::Float32Array array = Napi::Float32Array::New(env, state);
    states.initial_state_grads = array.Data();
    initial_grads = array;
  }
  const double loss = gn::loss_and_gradients(a.spec, a.params, a.batch, a.threads, out, states);
  Napi::Object result = Napi::Object::New(env);
  result.Set("loss", loss);
  result.Set("grads", grads);
  result.Set("finalState", final_state);
  result.Set("initialStateGrads", initial_grads);
  return result;
}

/** `loss(...)` → the mean loss alone (forward pass only: evaluation). */
Napi::Value Loss(const Napi::CallbackInfo& info) {
  const StepArguments a = read_step(info, "loss", false);
  return Napi::Number::New(info.Env(), gn::loss_and_gradients(a.spec, a.params, a.batch, a.threads, gn::Params{}));
}

/** Copies of the arrays a Params points to (sizes from the spec). */
std::vector<std::vector<float>> copies(const gn::Spec& s, const gn::Params& p) {
  const std::vector<size_t> sizes = gn::param_sizes(s);
  std::vector<std::vector<float>> out;
  for (size_t i = 0; i < sizes.size(); i++) out.emplace_back(p.tensors[i], p.tensors[i] + sizes[i]);
  return out;
}

/** A new Float32Array holding a copy of `values`. */
Napi::Float32Array to_array(Napi::Env env, const std::vector<float>& values) {
  Napi::Float32Array out = Napi::Float32Array::New(env, values.size());
  std::copy(values.begin(), values.end(), out.Data());
  return out;
}

Napi::Array to_arrays(Napi::Env env, const std::vector<std::vector<float>>& arrays) {
  Napi::Array out = Napi::Array::New(env, arrays.size());
  for (size_t i = 0; i < arrays.size(); i++) out.Set(uint32_t(i), to_array(env, arrays[i]));
  return out;
}

/** The per-tensor flags `decayed` (an array of one boolean per weight): which tensors the weight decay applies to. */
std::vector<bool> read_decayed(const Napi::Env& env, const Napi::Value& value, size_t count) {
  if (!value.IsArray() || value.As<Napi::Array>().Length() != count) {
    throw Napi::Error::New(env, "native: decayed must be an array of " + std::to_string(count) + " booleans (one per weight)");
  }
  Napi::Array list = value.As<Napi::Array>();
  std::vector<bool> decayed;
  for (uint32_t i = 0; i < count; i++) {
    const Napi::Value flag = list.Get(i);
    if (!flag.IsBoolean()) throw Napi::Error::New(env, "native: decayed[" + std::to_string(i) + "] is not a boolean");
    decayed.push_back(flag.As<Napi::Boolean>().Value());
  }
  return decayed;
}

/**
 * `new Trainer(spec, weights, state, adam, decayed)`: a run's weights and Adam state (`state`: null for a fresh Adam,
 * or `{first, second, iterations, accBeta1, accBeta2}`; `adam`: {learningRate, beta1, beta2, epsilon, clipNorm,
 * weightDecay}; `decayed`: one boolean per weight), stepped by `step(inputs, targets, mask, batch, steps, threads,
 * dropoutSeeds)` (rows start from zeros); `setLearningRate(lr)` changes the learning rate from the next step on.
 */
class TrainerWrap : public Napi::ObjectWrap<TrainerWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Trainer", {InstanceMethod("step", &TrainerWrap::Step), InstanceMethod("weights", &TrainerWrap::Weights),
                                        InstanceMethod("state", &TrainerWrap::State),
                                        InstanceMethod("setLearningRate", &TrainerWrap::SetLearningRate)});
  }

  explicit TrainerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainerWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() != 5 || !info[0].IsObject() || !info[3].IsObject()) {
      throw Napi::Error::New(env, "native: new Trainer(spec, weights, state, adam, decayed)");
    }
    spec_ = read_spec(info[0].As<Napi::Object>());
    std::vector<std::vector<float>> first, second;
    int iterations = 0;
    Napi::Object adam = info[3].As<Napi::Object>();
    auto number = [&](const Napi::Object& o, const char* key) {
      if (!o.Get(key).IsNumber()) throw Napi::Error::New(env, std::string("native: ") + key + " must be a number");
      return o.Get(key).As<Napi::Number>().DoubleValue();
    };
    const double beta1 = number(adam, "beta1"), beta2 = number(adam, "beta2");
    const gn::AdamSettings settings{read_rate(adam.Get("learningRate"), "adam.learningRate"),
                                    float(beta1), float(beta2), float(1.0 - beta1), float(1.0 - beta2),
                                    float(number(adam, "epsilon")), float(number(adam, "clipNorm")),
                                    read_rate(adam.Get("weightDecay"), "adam.weightDecay")};
    float acc1 = settings.beta1, acc2 = settings.beta2;
    if (!info[2].IsNull()) {
      Napi::Object state = info[2].As<Napi::Object>();
      first = copies(spec_, read_params(env, spec_, state.Get("first"), "state.first"));
      second = copies(spec_, read_params(env, spec_, state.Get("second"), "state.second"));
      iterations = int(number(state, "iterations"));
      acc1 = float(number(state, "accBeta1"));
      acc2 = float(number(state, "accBeta2"));
    }
    trainer_ = std::make_unique<gn::Trainer>(spec_, copies(spec_, read_params(env, spec_, info[1], "weights")), std::move(first), std::move(second),
                                             iterations, acc1, acc2, settings,
                                             read_decayed(env, info[4], gn::param_sizes(spec_).size()));
  }

 private:
  Napi::Value Step(const Napi::CallbackInfo& info) {
    if (info.Length() != 7) throw Napi::Error::New(info.Env(), "native: step(inputs, targets, mask, batch, steps, threads, dropoutSeeds)");
    const gn::Batch batch = read_batch(info, 0, spec_, info[6], info.Env().Null());
    return Napi::Number::New(info.Env(), trainer_->step(batch, gn::read_threads(info[5])));
  }

  Napi::Value SetLearningRate(const Napi::CallbackInfo& info) {
    if (info.Length() != 1) throw Napi::Error::New(info.Env(), "native: setLearningRate(learningRate)");
    trainer_->set_learning_rate(read_rate(info[0], "learningRate"));
    return info.Env().Undefined();
  }

  Napi::Value Weights(const Napi::CallbackInfo& info) { return to_arrays(info.Env(), trainer_->weights()); }

  Napi::Value State(const Napi::CallbackInfo& info) {
    Napi::Object state = Napi::Object::New(info.Env());
    state.Set("first", to_arrays(info.Env(), trainer_->first_moments()));
    state.Set("second", to_arrays(info.Env(), trainer_->second_moments()));
    state.Set("iterations", trainer_->iterations());
    state.Set("accBeta1", trainer_->acc_beta1());
    state.Set("accBeta2", trainer_->acc_beta2());
    return state;
  }

  gn::Spec spec_{};
  std::unique_ptr<gn::Trainer> trainer_;
};

/**
 * `new Stepper(spec, weights, batch)`: a generation stepper over a copy of the weights; `state()` and `setState(state)`
 * read and replace its recurrent state (laid out as gn::state_size describes).
 */
class StepperWrap : public Napi::ObjectWrap<StepperWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Stepper", {InstanceMethod("feed", &StepperWrap::Feed), InstanceMethod("reset", &StepperWrap::Reset),
                                        InstanceMethod("state", &StepperWrap::State), InstanceMethod("setState", &StepperWrap::SetState)});
  }

  explicit StepperWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<StepperWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() != 3 || !info[0].IsObject() || !info[2].IsNumber()) throw Napi::Error::New(env, "native: new Stepper(spec, weights, batch)");
    spec_ = read_spec(info[0].As<Napi::Object>());
    batch_ = info[2].As<Napi::Number>().Int32Value();
    if (batch_ < 1) throw Napi::Error::New(env, "native: the stepper's batch must be ≥ 1");
    stepper_ = std::make_unique<gn::Stepper>(spec_, copies(spec_, read_params(env, spec_, info[1], "weights")), batch_);
  }

 private:
  Napi::Value Feed(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int steps = info.Length() == 2 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;
    if (steps < 1) throw Napi::Error::New(env, "native: feed(tokens, steps) needs steps ≥ 1");
    const int32_t* tokens = gn::read_ids(env, info[0], size_t(batch_) * steps, spec_.vocab, "tokens");
    const std::vector<float>& logits = stepper_->feed(tokens, steps);
    return to_array(env, logits);
  }

  Napi::Value Reset(const Napi::CallbackInfo& info) {
    stepper_->reset();
    return info.Env().Undefined();
  }

  Napi::Value State(const Napi::CallbackInfo& info) {
    return to_array(info.Env(), stepper_->state());
  }

  Napi::Value SetState(const Napi::CallbackInfo& info) {
    const float* state = info.Length() == 1 ? read_state(info[0], spec_, batch_, "state") : nullptr;
    if (state == nullptr) throw Napi::Error::New(info.Env(), "native: setState(state) needs the state as a Float32Array");
    stepper_->set_state(state);
    return info.Env().Undefined();
  }

  gn::Spec spec_{};
  int batch_ = 1;
  std::unique_ptr<gn::Stepper> stepper_;
};

/** `profile(reset)` → milliseconds per step in each phase of the training steps so far; `reset` starts afresh. */
Napi::Value Profile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const gn::StepProfile& p = gn::step_profile();
  Napi::Object out = Napi::Object::New(env);
  const double per_step = p.steps > 0 ? 1000.0 / p.steps : 0.0;
  out.Set("steps", p.steps);
  out.Set("input", p.input * per_step);
  out.Set("recurrentForward", p.recurrent_forward * per_step);
  out.Set("output", p.output * per_step);
  out.Set("recurrentBackward", p.recurrent_backward * per_step);
  out.Set("weightGradients", p.weight_gradients * per_step);
  out.Set("update", p.update * per_step);
  if (info.Length() > 0 && info[0].ToBoolean()) gn::step_profile() = gn::StepProfile{};
  return out;
}

/** `dropoutMasks(seed, rate, batch, steps, units)` → the training steps' masks for that seed, [batch, steps, units]. */
Napi::Value DropoutMasks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  for (size_t i = 0; i < 5; i++) if (info.Length() != 5 || !info[i].IsNumber()) throw Napi::Error::New(env, "native: dropoutMasks(seed, rate, batch, steps, units)");
  const float rate = info[1].As<Napi::Number>().FloatValue();
  const int batch = info[2].As<Napi::Number>().Int32Value(), steps = info[3].As<Napi::Number>().Int32Value(), units = info[4].As<Napi::Number>().Int32Value();
  if (!(rate >= 0.0f && rate < 1.0f) || batch < 1 || steps < 1 || units < 1) throw Napi::Error::New(env, "native: dropoutMasks needs a rate in [0, 1) and sizes ≥ 1");
  return to_array(env, gn::dropout_masks(info[0].As<Napi::Number>().Uint32Value(), rate, batch, steps, units));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  gn::blas_single_thread();
  exports.Set("lossAndGradients", Napi::Function::New(env, LossAndGradients));
  exports.Set("loss", Napi::Function::New(env, Loss));
  exports.Set("Stepper", StepperWrap::Define(env));
  exports.Set("Trainer", TrainerWrap::Define(env));
  exports.Set("profile", Napi::Function::New(env, Profile));
  exports.Set("dropoutMasks", Napi::Function::New(env, DropoutMasks));
  gn::register_gpt(env, exports);
  const std::vector<const char*> names = gn::cell_names();
  Napi::Array cells = Napi::Array::New(env, names.size());
  for (size_t i = 0; i < names.size(); i++) cells.Set(static_cast<uint32_t>(i), Napi::String::New(env, names[i]));
  exports.Set("cells", cells);
  return exports;
}

}  // namespace

NODE_API_MODULE(gennet_native, Init)
