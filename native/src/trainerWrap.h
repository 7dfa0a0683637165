// The Node-API class of a training run, for any network the addon trains: `new <Name>(spec, weights, state, adam,
// decayed)` holds a copy of the weights and Adam's state (`state`: null for a fresh Adam, or `{first, second,
// iterations, accBeta1, accBeta2}`; `adam`: {learningRate, beta1, beta2, epsilon, clipNorm, weightDecay}; `decayed`:
// one boolean per weight); `step(inputs, targets, mask, batch, steps, threads, dropoutSeeds, …)` trains on one batch
// and returns its loss; `setLearningRate(lr)` changes the learning rate from the next step on; `weights()` and
// `state()` copy them out. A network kind is a `Model`: `kClassName` names its class, `kStepUsage` and
// `kStepArguments` its step's arguments, `Model::read(spec)` checks a spec, `sizes()` gives its weight arrays' sizes,
// `step(info, trainer)` reads a step's arguments and runs `trainer.step` with its pass.
#pragma once
#include <napi.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "arguments.h"
#include "trainer.h"

namespace gn {

/** The per-tensor flags `decayed` (an array of one boolean per weight): which tensors the weight decay applies to. */
inline std::vector<bool> read_decayed(const Napi::Env& env, const Napi::Value& value, size_t count) {
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

/** The number `object[key]`, or an error naming `what.key`. */
inline double read_number(const Napi::Env& env, const Napi::Object& object, const char* what, const char* key) {
  const Napi::Value value = object.Get(key);
  if (!value.IsNumber() || !std::isfinite(value.As<Napi::Number>().DoubleValue())) {
    throw Napi::Error::New(env, std::string("native: ") + what + "." + key + " must be a finite number");
  }
  return value.As<Napi::Number>().DoubleValue();
}

/** Adam's settings from JavaScript's `adam` object (see the comment at the top). */
inline AdamSettings read_adam(const Napi::Env& env, const Napi::Object& adam) {
  auto number = [&](const char* key) { return read_number(env, adam, "adam", key); };
  const double beta1 = number("beta1"), beta2 = number("beta2");
  return AdamSettings{read_rate(adam.Get("learningRate"), "adam.learningRate"),
                      float(beta1), float(beta2), float(1.0 - beta1), float(1.0 - beta2),
                      float(number("epsilon")), float(number("clipNorm")),
                      read_rate(adam.Get("weightDecay"), "adam.weightDecay")};
}

template <class Model>
class TrainerWrap : public Napi::ObjectWrap<TrainerWrap<Model>> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return TrainerWrap::DefineClass(env, Model::kClassName, {TrainerWrap::InstanceMethod("step", &TrainerWrap::Step),
                                                TrainerWrap::InstanceMethod("weights", &TrainerWrap::Weights),
                                                TrainerWrap::InstanceMethod("state", &TrainerWrap::State),
                                                TrainerWrap::InstanceMethod("setLearningRate", &TrainerWrap::SetLearningRate)});
  }

  explicit TrainerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainerWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() != 5 || !info[0].IsObject() || !info[3].IsObject() || !(info[2].IsNull() || info[2].IsObject())) {
      throw Napi::Error::New(env, std::string("native: new ") + Model::kClassName + "(spec, weights, state, adam, decayed)");
    }
    model_ = Model::read(info[0].As<Napi::Object>());
    const std::vector<size_t> sizes = model_.sizes();
    const AdamSettings adam = read_adam(env, info[3].As<Napi::Object>());
    std::vector<std::vector<float>> first, second;
    int iterations = 0;
    float acc1 = adam.beta1, acc2 = adam.beta2;
    if (!info[2].IsNull()) {
      Napi::Object state = info[2].As<Napi::Object>();
      auto number = [&](const char* key) { return read_number(env, state, "state", key); };
      first = read_copies(env, state.Get("first"), sizes, "state.first");
      second = read_copies(env, state.Get("second"), sizes, "state.second");
      const double steps = number("iterations");
      if (!(steps >= 0 && steps <= 2e9 && steps == std::floor(steps))) throw Napi::Error::New(env, "native: state.iterations must be a whole number ≥ 0");
      iterations = int(steps);
      acc1 = float(number("accBeta1"));
      acc2 = float(number("accBeta2"));
    }
    trainer_ = std::make_unique<Trainer>(read_copies(env, info[1], sizes, "weights"), std::move(first), std::move(second),
                                         iterations, acc1, acc2, adam, read_decayed(env, info[4], sizes.size()));
  }

 private:
  Napi::Value Step(const Napi::CallbackInfo& info) {
    if (info.Length() != Model::kStepArguments || !info[3].IsNumber() || !info[4].IsNumber()) {
      throw Napi::Error::New(info.Env(), std::string("native: ") + Model::kStepUsage);
    }
    return Napi::Number::New(info.Env(), model_.step(info, *trainer_));
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

  Model model_{};
  std::unique_ptr<Trainer> trainer_;
};

}  // namespace gn
