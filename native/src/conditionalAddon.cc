// Node-API bindings of the conditional models: `conditionalLossAndGradients(spec, weights, inputs, targets, mask, batch,
// steps, threads, dropoutSeeds, conditions, withGradients)` → `{ loss, grads }` (grads null when not asked for), and
// `ConditionalTrainer` for whole training steps (trainerWrap.h), whose `step` takes (inputs, targets, mask, batch,
// steps, threads, dropoutSeeds, conditions). `spec` is {network, values, dim, count}: the network's as the recurrent
// networks' (recurrentArguments.h, no attention), the encoder's table rows, vector size and conditions per row;
// `weights` the network's then the encoder's (conditional.h); `conditions` an Int32Array [batch, count] of table rows.
#include "conditionalAddon.h"

#include "conditional.h"
#include "recurrentArguments.h"
#include "trainerWrap.h"

namespace gn {

namespace {

ConditionalSpec read_conditional_spec(const Napi::Object& o) {
  if (!o.Get("network").IsObject()) throw Napi::Error::New(o.Env(), "native: a conditional spec is {network, values, dim, count}");
  ConditionalSpec s{read_spec(o.Get("network").As<Napi::Object>()), read_integer(o, "conditional", "values", 1),
                    read_integer(o, "conditional", "dim", 1), read_integer(o, "conditional", "count", 1)};
  if (s.network.attention != 0) throw Napi::Error::New(o.Env(), "native: a conditional network has no attention (it has no memory)");
  return s;
}

/** The rows' condition ids (argument `at`, an Int32Array [batch, count]), each a row of the encoder's table. */
const int32_t* read_conditions(const Napi::CallbackInfo& info, size_t at, const ConditionalSpec& s, int batch) {
  return read_ids(info.Env(), info[at], size_t(batch) * s.count, s.values, "conditions");
}

Napi::Value ConditionalLossAndGradients(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 11 || !info[0].IsObject() || !info[5].IsNumber() || !info[6].IsNumber()) {
    throw Napi::Error::New(env, "native: conditionalLossAndGradients(spec, weights, inputs, targets, mask, batch, steps, threads, dropoutSeeds, "
                                "conditions, withGradients)");
  }
  const ConditionalSpec s = read_conditional_spec(info[0].As<Napi::Object>());
  const std::vector<size_t> sizes = conditional_param_sizes(s);
  const std::vector<float*> weights = read_arrays(env, info[1], sizes, "weights");
  const Batch batch = read_batch(info, 2, s.network, info[8], env.Null());
  const int32_t* conditions = read_conditions(info, 9, s, batch.batch);
  const int threads = read_threads(info[7]);
  return loss_and_gradients_result(env, sizes, info[10].ToBoolean().Value(), [&](const std::vector<float*>& grads) {
    return conditional_loss_and_gradients(s, weights, batch, conditions, threads, grads);
  });
}

/** The conditional models as TrainerWrap trains them (`new ConditionalTrainer(...)`). */
struct ConditionalModel {
  static constexpr const char* kClassName = "ConditionalTrainer";
  static constexpr const char* kStepUsage = "step(inputs, targets, mask, batch, steps, threads, dropoutSeeds, conditions)";
  static constexpr size_t kStepArguments = 8;
  ConditionalSpec spec{};
  static ConditionalModel read(const Napi::Object& o) { return ConditionalModel{read_conditional_spec(o)}; }
  std::vector<size_t> sizes() const { return conditional_param_sizes(spec); }
  double step(const Napi::CallbackInfo& info, Trainer& trainer) const {
    const Batch batch = read_batch(info, 0, spec.network, info[6], info.Env().Null());
    const int32_t* conditions = read_conditions(info, 7, spec, batch.batch);
    const int threads = read_threads(info[5]);
    return trainer.step([&](const std::vector<float*>& weights, const std::vector<float*>& grads) {
      return conditional_loss_and_gradients(spec, weights, batch, conditions, threads, grads);
    }, threads);
  }
};

}  // namespace

void register_conditional(Napi::Env env, Napi::Object exports) {
  exports.Set("conditionalLossAndGradients", Napi::Function::New(env, ConditionalLossAndGradients));
  exports.Set(ConditionalModel::kClassName, TrainerWrap<ConditionalModel>::Define(env));
}

}  // namespace gn
