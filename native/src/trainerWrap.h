// The Node-API class of a training run, for any network the addon trains: `new <Name>(spec, weights, state, adam,
// decayed)` holds a copy of the weights and Adam's state (`state`: null for a fresh Adam, or `{first, second,
// iterations, accBeta1, accBeta2}`; `adam`: {learningRate, beta1, beta2, epsilon, clipNorm, weightDecay}; `decayed`:
// one boolean per weight); `step(inputs, targets, mask, batch, steps, threads, dropoutSeeds)` trains on one batch and
// returns its loss; `setLearningRate(lr)` changes the learning rate from the next step on; `weights()` and `state()`
// copy them out. A network kind is a `Model`: `Model::read(spec)` checks a spec, `sizes()` gives its weight arrays'
// sizes, `step(info, trainer)` reads a step's arguments and runs `trainer.step` with its gradient pass.
#pragma once
#include <napi.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "arguments.h"
#include "trainer.h"

namespace gn {

/** A learning rate or a weight decay: a finite number ≥ 0 (kept in double). */
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

/** Adam's settings from JavaScript's `adam` object (see the comment at the top). */
inline AdamSettings read_adam(const Napi::Env& env, const Napi::Object& adam) {
  auto number = [&](const char* key) {
    if (!adam.Get(key).IsNumber()) throw Napi::Error::New(env, std::string("native: adam.") + key + " must be a number");
    return adam.Get(key).As<Napi::Number>().DoubleValue();
  };
  const double beta1 = number("beta1"), beta2 = number("beta2");
  return AdamSettings{read_rate(adam.Get("learningRate"), "adam.learningRate"),
                      float(beta1), float(beta2), float(1.0 - beta1), float(1.0 - beta2),
                      float(number("epsilon")), float(number("clipNorm")),
                      read_rate(adam.Get("weightDecay"), "adam.weightDecay")};
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

template <class Model>
class TrainerWrap : public Napi::ObjectWrap<TrainerWrap<Model>> {
 public:
  static Napi::Function Define(Napi::Env env, const char* name) {
    return TrainerWrap::DefineClass(env, name, {TrainerWrap::InstanceMethod("step", &TrainerWrap::Step),
                                                TrainerWrap::InstanceMethod("weights", &TrainerWrap::Weights),
                                                TrainerWrap::InstanceMethod("state", &TrainerWrap::State),
                                                TrainerWrap::InstanceMethod("setLearningRate", &TrainerWrap::SetLearningRate)});
  }

  explicit TrainerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainerWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() != 5 || !info[0].IsObject() || !info[3].IsObject() || !(info[2].IsNull() || info[2].IsObject())) {
      throw Napi::Error::New(env, "native: new Trainer(spec, weights, state, adam, decayed)");
    }
    model_ = Model::read(info[0].As<Napi::Object>());
    const std::vector<size_t> sizes = model_.sizes();
    const AdamSettings adam = read_adam(env, info[3].As<Napi::Object>());
    std::vector<std::vector<float>> first, second;
    int iterations = 0;
    float acc1 = adam.beta1, acc2 = adam.beta2;
    if (!info[2].IsNull()) {
      Napi::Object state = info[2].As<Napi::Object>();
      auto number = [&](const char* key) {
        if (!state.Get(key).IsNumber()) throw Napi::Error::New(env, std::string("native: state.") + key + " must be a number");
        return state.Get(key).As<Napi::Number>().DoubleValue();
      };
      first = read_copies(env, state.Get("first"), sizes, "state.first");
      second = read_copies(env, state.Get("second"), sizes, "state.second");
      iterations = int(number("iterations"));
      acc1 = float(number("accBeta1"));
      acc2 = float(number("accBeta2"));
    }
    trainer_ = std::make_unique<Trainer>(read_copies(env, info[1], sizes, "weights"), std::move(first), std::move(second),
                                         iterations, acc1, acc2, adam, read_decayed(env, info[4], sizes.size()));
  }

 private:
  Napi::Value Step(const Napi::CallbackInfo& info) {
    if (info.Length() != 7 || !info[3].IsNumber() || !info[4].IsNumber()) {
      throw Napi::Error::New(info.Env(), "native: step(inputs, targets, mask, batch, steps, threads, dropoutSeeds)");
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
