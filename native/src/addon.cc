// Node-API bindings of the native engine: `lossAndGradients(...)` for a training step, `Trainer` for whole training
// steps (trainerWrap.h) and `Stepper` for generation.
// Every argument is checked here, so a wrong call is a JavaScript error, never a crash.
#include <napi.h>

#include <cmath>
#include <string>

#include "arguments.h"
#include "recurrentArguments.h"
#include "blas.h"
#include "gptAddon.h"
#include "seq2seqAddon.h"
#include "conditionalAddon.h"
#include "cells/cell.h"
#include "network.h"
#include "trainerWrap.h"

namespace {

/** The arguments shared by `lossAndGradients` and `loss`: (spec, weights, inputs, targets, mask, batch, steps, threads, …). */
struct StepArguments {
  gn::Spec spec;
  gn::Params params;
  gn::Batch batch;
  int threads;
};

/**
 * The arguments of `lossAndGradients` (…, threads, dropoutSeeds, initialState, memory) or `loss` (…, threads,
 * initialState, memory: evaluation has no dropout); the memory (gn::read_memory) may be left out for a network
 * without attention.
 */
StepArguments read_step(const Napi::CallbackInfo& info, const char* name, bool with_seeds) {
  Napi::Env env = info.Env();
  const size_t count = with_seeds ? 10u : 9u;
  if ((info.Length() != count && info.Length() != count + 1) || !info[0].IsObject()) {
    throw Napi::Error::New(env, std::string("native: ") + name + "(spec, weights, inputs, targets, mask, batch, steps, threads, " +
                                    (with_seeds ? "dropoutSeeds, " : "") + "initialState, memory)");
  }
  StepArguments a{gn::read_spec(info[0].As<Napi::Object>()), {}, {}, 0};
  a.params = gn::read_params(env, a.spec, info[1], "weights");
  a.batch = gn::read_batch(info, 2, a.spec, with_seeds ? info[8] : env.Null(), info[count - 1]);
  gn::read_memory(info.Length() > count ? info[count] : env.Null(), a.spec, a.batch);
  a.threads = gn::read_threads(info[7]);
  return a;
}

/**
 * `lossAndGradients(...)` → `{ loss, grads, finalState, initialStateGrads, memoryGrads }`: one training step's forward
 * and backward pass, the state after the last step and (given an initial state, else null) the loss's gradient with
 * respect to it, and (a decoder with attention, else null) with respect to the memory.
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
  Napi::Value memory_grads = env.Null();
  if (a.spec.attention > 0) {
    Napi::Float32Array array = Napi::Float32Array::New(env, size_t(a.batch.batch) * a.batch.memory_length * a.spec.attention);
    states.memory_grads = array.Data();
    memory_grads = array;
  }
  const double loss = gn::loss_and_gradients(a.spec, a.params, a.batch, a.threads, out, states);
  Napi::Object result = Napi::Object::New(env);
  result.Set("loss", loss);
  result.Set("grads", grads);
  result.Set("finalState", final_state);
  result.Set("initialStateGrads", initial_grads);
  result.Set("memoryGrads", memory_grads);
  return result;
}

/** `loss(...)` → the mean loss alone (forward pass only: evaluation). */
Napi::Value Loss(const Napi::CallbackInfo& info) {
  const StepArguments a = read_step(info, "loss", false);
  return Napi::Number::New(info.Env(), gn::loss_and_gradients(a.spec, a.params, a.batch, a.threads, gn::Params{}));
}

/** The recurrent networks as gn::TrainerWrap trains them (`new Trainer(...)`, see trainerWrap.h). */
struct RecurrentModel {
  static constexpr const char* kClassName = "Trainer";
  static constexpr const char* kStepUsage = "step(inputs, targets, mask, batch, steps, threads, dropoutSeeds)";
  static constexpr size_t kStepArguments = 7;
  gn::Spec spec{};
  static RecurrentModel read(const Napi::Object& o) {
    RecurrentModel model{gn::read_spec(o)};
    if (model.spec.attention > 0) throw Napi::Error::New(o.Env(), "native: a decoder with attention trains with its encoder (Seq2SeqTrainer)");
    return model;
  }
  std::vector<size_t> sizes() const { return gn::param_sizes(spec); }
  /** step(inputs, targets, mask, batch, steps, threads, dropoutSeeds): the rows start from zeros. */
  double step(const Napi::CallbackInfo& info, gn::Trainer& trainer) const {
    const gn::Batch batch = gn::read_batch(info, 0, spec, info[6], info.Env().Null());
    const int threads = gn::read_threads(info[5]);
    return trainer.step([&](const std::vector<float*>& weights, const std::vector<float*>& grads) {
      return gn::loss_and_gradients(spec, gn::Params{weights}, batch, threads, gn::Params{grads});
    }, threads);
  }
};

/**
 * `new Stepper(spec, weights, batch)`: a generation stepper over a copy of the weights; `state()` and `setState(state)`
 * read and replace its recurrent state (laid out as gn::state_size describes). A decoder with attention:
 * `setMemory({values, lengths, length})` gives its rows' memory (gn::read_memory), `lastAttention()` the weights of
 * the last token fed, [batch, length]. `dispose()` frees its copy of the weights and its state at once (the garbage
 * collector does not see their size, so a program that makes many steppers must dispose of them).
 */
class StepperWrap : public Napi::ObjectWrap<StepperWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Stepper", {InstanceMethod("feed", &StepperWrap::Feed), InstanceMethod("reset", &StepperWrap::Reset),
                                        InstanceMethod("state", &StepperWrap::State), InstanceMethod("setState", &StepperWrap::SetState),
                                        InstanceMethod("setMemory", &StepperWrap::SetMemory), InstanceMethod("lastAttention", &StepperWrap::LastAttention),
                                        InstanceMethod("dispose", &StepperWrap::Dispose)});
  }

  explicit StepperWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<StepperWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() != 3 || !info[0].IsObject() || !info[2].IsNumber()) throw Napi::Error::New(env, "native: new Stepper(spec, weights, batch)");
    spec_ = gn::read_spec(info[0].As<Napi::Object>());
    batch_ = info[2].As<Napi::Number>().Int32Value();
    if (batch_ < 1) throw Napi::Error::New(env, "native: the stepper's batch must be ≥ 1");
    stepper_ = std::make_unique<gn::Stepper>(spec_, gn::read_copies(env, info[1], gn::param_sizes(spec_), "weights"), batch_);
  }

 private:
  Napi::Value Feed(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int steps = info.Length() == 2 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;
    if (steps < 1) throw Napi::Error::New(env, "native: feed(tokens, steps) needs steps ≥ 1");
    const int32_t* tokens = gn::read_ids(env, info[0], size_t(batch_) * steps, spec_.vocab, "tokens");
    const std::vector<float>& logits = stepper().feed(tokens, steps);
    return gn::to_array(env, logits);
  }

  Napi::Value Reset(const Napi::CallbackInfo& info) {
    stepper().reset();
    return info.Env().Undefined();
  }

  Napi::Value State(const Napi::CallbackInfo& info) {
    return gn::to_array(info.Env(), stepper().state());
  }

  Napi::Value SetState(const Napi::CallbackInfo& info) {
    const float* state = info.Length() == 1 ? gn::read_state(info[0], spec_, batch_, "state") : nullptr;
    if (state == nullptr) throw Napi::Error::New(info.Env(), "native: setState(state) needs the state as a Float32Array");
    stepper().set_state(state);
    return info.Env().Undefined();
  }

  Napi::Value SetMemory(const Napi::CallbackInfo& info) {
    if (info.Length() != 1 || spec_.attention == 0) throw Napi::Error::New(info.Env(), "native: setMemory(memory) is for a decoder with attention");
    gn::Batch rows{};
    rows.batch = batch_;
    gn::read_memory(info[0], spec_, rows);
    stepper().set_memory(rows.memory, rows.memory_lengths, rows.memory_length);
    return info.Env().Undefined();
  }

  Napi::Value LastAttention(const Napi::CallbackInfo& info) { return gn::to_array(info.Env(), stepper().last_attention()); }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    stepper_.reset();
    return info.Env().Undefined();
  }

  /** The stepper, or an error once disposed. */
  gn::Stepper& stepper() const {
    if (stepper_ == nullptr) throw Napi::Error::New(Env(), "native: the stepper was disposed");
    return *stepper_;
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
  return gn::to_array(env, gn::dropout_masks(info[0].As<Napi::Number>().Uint32Value(), rate, batch, steps, units));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  gn::blas_single_thread();
  exports.Set("lossAndGradients", Napi::Function::New(env, LossAndGradients));
  exports.Set("loss", Napi::Function::New(env, Loss));
  exports.Set("Stepper", StepperWrap::Define(env));
  exports.Set(RecurrentModel::kClassName, gn::TrainerWrap<RecurrentModel>::Define(env));
  exports.Set("profile", Napi::Function::New(env, Profile));
  exports.Set("dropoutMasks", Napi::Function::New(env, DropoutMasks));
  exports.Set("labelSmoothing", Napi::Boolean::New(env, true));  // this build reads the specs' labelSmoothing
  gn::register_gpt(env, exports);
  gn::register_seq2seq(env, exports);
  gn::register_conditional(env, exports);
  const std::vector<const char*> names = gn::cell_names();
  Napi::Array cells = Napi::Array::New(env, names.size());
  for (size_t i = 0; i < names.size(); i++) cells.Set(static_cast<uint32_t>(i), Napi::String::New(env, names[i]));
  exports.Set("cells", cells);
  return exports;
}

}  // namespace

NODE_API_MODULE(gennet_native, Init)
