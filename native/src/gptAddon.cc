// Node-API bindings of the GPT: `gptLossAndGradients(spec, weights, inputs, targets, mask, batch, steps, threads,
// dropoutSeeds, withGradients)` → `{ loss, grads }` (grads null when not asked for), and `GptTrainer` for whole
// training steps (trainerWrap.h).
#include "gptAddon.h"

#include <string>

#include "arguments.h"
#include "gpt.h"
#include "trainerWrap.h"

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
  s.label_smoothing = read_label_smoothing(o, "gpt spec");
  return s;
}

/** A batch as a GPT reads it: (inputs, targets, mask, batch, steps) from argument `at` on, checked against `s`. */
struct GptBatch {
  const int32_t *inputs, *targets;
  const float* mask;
  int batch, steps;
};

GptBatch read_gpt_batch(const Napi::CallbackInfo& info, size_t at, const GptSpec& s) {
  Napi::Env env = info.Env();
  const int batch = info[at + 3].As<Napi::Number>().Int32Value(), steps = info[at + 4].As<Napi::Number>().Int32Value();
  if (batch < 1 || steps < 1 || steps > s.context) throw Napi::Error::New(env, "native: batch must be ≥ 1 and steps from 1 to the context");
  const size_t cells = size_t(batch) * steps;
  return GptBatch{read_ids(env, info[at], cells, s.vocab, "inputs"), read_ids(env, info[at + 1], cells, s.vocab, "targets"),
                  read_mask(env, info[at + 2], cells), batch, steps};
}

Napi::Value GptLossAndGradients(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 10 || !info[0].IsObject() || !info[5].IsNumber() || !info[6].IsNumber()) {
    throw Napi::Error::New(env, "native: gptLossAndGradients(spec, weights, inputs, targets, mask, batch, steps, threads, dropoutSeeds, withGradients)");
  }
  const GptSpec s = read_gpt_spec(info[0].As<Napi::Object>());
  const std::vector<size_t> sizes = gpt_param_sizes(s);
  const std::vector<float*> weights = read_arrays(env, info[1], sizes, "weights");
  const GptBatch b = read_gpt_batch(info, 2, s);
  const int threads = read_threads(info[7]);
  const uint32_t* seeds = read_seeds(info[8], gpt_dropout_layers(s));
  const bool with_gradients = info[9].ToBoolean().Value();
  return loss_and_gradients_result(env, sizes, with_gradients, [&](const std::vector<float*>& grads) {
    return gpt_loss_and_gradients(s, std::vector<const float*>(weights.begin(), weights.end()), b.inputs, b.targets, b.mask, b.batch, b.steps,
                                  seeds, threads, grads);
  });
}

/** The GPTs as TrainerWrap trains them (`new GptTrainer(...)`). */
struct GptModel {
  static constexpr const char* kClassName = "GptTrainer";
  static constexpr const char* kStepUsage = "step(inputs, targets, mask, batch, steps, threads, dropoutSeeds)";
  static constexpr size_t kStepArguments = 7;
  GptSpec spec{};
  static GptModel read(const Napi::Object& o) { return GptModel{read_gpt_spec(o)}; }
  std::vector<size_t> sizes() const { return gpt_param_sizes(spec); }
  /** step(inputs, targets, mask, batch, steps, threads, dropoutSeeds). */
  double step(const Napi::CallbackInfo& info, Trainer& trainer) const {
    const GptBatch b = read_gpt_batch(info, 0, spec);
    const int threads = read_threads(info[5]);
    const uint32_t* seeds = read_seeds(info[6], gpt_dropout_layers(spec));
    return trainer.step([&](const std::vector<float*>& weights, const std::vector<float*>& grads) {
      return gpt_loss_and_gradients(spec, std::vector<const float*>(weights.begin(), weights.end()), b.inputs, b.targets,
                                    b.mask, b.batch, b.steps, seeds, threads, grads);
    }, threads);
  }
};

}  // namespace

void register_gpt(Napi::Env env, Napi::Object exports) {
  exports.Set("gptLossAndGradients", Napi::Function::New(env, GptLossAndGradients));
  exports.Set(GptModel::kClassName, TrainerWrap<GptModel>::Define(env));
}

}  // namespace gn
