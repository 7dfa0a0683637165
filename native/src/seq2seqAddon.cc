// Node-API bindings of the sequence-to-sequence models: `seq2seqLossAndGradients(spec, weights, inputs, targets, mask,
// batch, steps, threads, dropoutSeeds, sources, sourceLength, withGradients)` → `{ loss, grads }` (grads null when
// not asked for), and `Seq2SeqTrainer` for whole training steps (trainerWrap.h), whose `step` takes (inputs, targets,
// mask, batch, steps, threads, dropoutSeeds, sources, sourceLength). `spec` is {decoder, encoder}: the decoder's as
// the recurrent networks' (recurrentArguments.h), the encoder's {cell, gate, layers, units (per direction),
// bidirectional, vocab, embed, dropout (optional, 0)}; `weights` the decoder's then the encoder's; `dropoutSeeds` null or
// one per decoder layer then one per encoder dropout layer (seq2seq.h); `sources` an Int32Array [batch, sourceLength]
// of source ids padded with 0 at the end.
#include "seq2seqAddon.h"

#include <string>

#include "recurrentArguments.h"
#include "seq2seq.h"
#include "trainerWrap.h"

namespace gn {

namespace {

Seq2SeqSpec read_seq2seq_spec(const Napi::Object& o) {
  Napi::Env env = o.Env();
  if (!o.Get("decoder").IsObject() || !o.Get("encoder").IsObject()) throw Napi::Error::New(env, "native: a sequence-to-sequence spec is {decoder, encoder}");
  Seq2SeqSpec s{read_spec(o.Get("decoder").As<Napi::Object>()), {}};
  const Napi::Object e = o.Get("encoder").As<Napi::Object>();
  read_cell(e, "encoder", s.encoder.cell, s.encoder.gate);
  s.encoder.layers = read_integer(e, "encoder", "layers", 1);
  s.encoder.units = read_integer(e, "encoder", "units", 1);
  s.encoder.bidirectional = e.Get("bidirectional").ToBoolean().Value();
  s.encoder.vocab = read_integer(e, "encoder", "vocab", 2);
  s.encoder.embed = read_integer(e, "encoder", "embed", 1);
  const Napi::Value dropout = e.Get("dropout");
  s.encoder.dropout = dropout.IsUndefined() ? 0.0f : dropout.IsNumber() ? dropout.As<Napi::Number>().FloatValue() : -1.0f;
  if (!(s.encoder.dropout >= 0.0f && s.encoder.dropout < 1.0f)) throw Napi::Error::New(env, "native: the encoder's dropout must be a number in [0, 1)");
  const Spec& d = s.decoder;
  s.encoder.attended = d.attention > 0;
  if (s.encoder.cell != d.cell || s.encoder.layers != d.layers || s.encoder.width() != d.units)
    throw Napi::Error::New(env, "native: the encoder must have the decoder's cell and layers, and its width (both directions) the decoder's units");
  if (d.attention != 0 && d.attention != s.encoder.width())
    throw Napi::Error::New(env, "native: the decoder's attention width must be the encoder's width");
  return s;
}

/** The sources (argument `at`, an Int32Array [batch, sourceLength]; `sourceLength` at `at + 1`), checked against the encoder's vocabulary. */
Sources read_sources(const Napi::CallbackInfo& info, size_t at, const Seq2SeqSpec& s, int batch) {
  const int length = info[at + 1].IsNumber() ? info[at + 1].As<Napi::Number>().Int32Value() : -1;
  if (length < 1) throw Napi::Error::New(info.Env(), "native: sourceLength must be a whole number ≥ 1");
  return Sources{read_ids(info.Env(), info[at], size_t(batch) * length, s.encoder.vocab, "sources"), length};
}

Napi::Value Seq2SeqLossAndGradients(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 12 || !info[0].IsObject() || !info[5].IsNumber() || !info[6].IsNumber()) {
    throw Napi::Error::New(env, "native: seq2seqLossAndGradients(spec, weights, inputs, targets, mask, batch, steps, threads, dropoutSeeds, sources, "
                                "sourceLength, withGradients)");
  }
  const Seq2SeqSpec s = read_seq2seq_spec(info[0].As<Napi::Object>());
  const std::vector<size_t> sizes = seq2seq_param_sizes(s);
  const std::vector<float*> weights = read_arrays(env, info[1], sizes, "weights");
  const Batch batch = read_batch(info, 2, s.decoder, info[8], env.Null(), seq2seq_dropout_seeds(s));
  const Sources sources = read_sources(info, 9, s, batch.batch);
  const int threads = read_threads(info[7]);
  const bool with_gradients = info[11].ToBoolean().Value();
  return loss_and_gradients_result(env, sizes, with_gradients, [&](const std::vector<float*>& grads) {
    return seq2seq_loss_and_gradients(s, weights, batch, sources, threads, grads);
  });
}

/** The sequence-to-sequence models as TrainerWrap trains them (`new Seq2SeqTrainer(...)`). */
struct Seq2SeqModel {
  static constexpr const char* kClassName = "Seq2SeqTrainer";
  static constexpr const char* kStepUsage = "step(inputs, targets, mask, batch, steps, threads, dropoutSeeds, sources, sourceLength)";
  static constexpr size_t kStepArguments = 9;
  Seq2SeqSpec spec{};
  static Seq2SeqModel read(const Napi::Object& o) { return Seq2SeqModel{read_seq2seq_spec(o)}; }
  std::vector<size_t> sizes() const { return seq2seq_param_sizes(spec); }
  double step(const Napi::CallbackInfo& info, Trainer& trainer) const {
    const Batch batch = read_batch(info, 0, spec.decoder, info[6], info.Env().Null(), seq2seq_dropout_seeds(spec));
    const Sources sources = read_sources(info, 7, spec, batch.batch);
    const int threads = read_threads(info[5]);
    return trainer.step([&](const std::vector<float*>& weights, const std::vector<float*>& grads) {
      return seq2seq_loss_and_gradients(spec, weights, batch, sources, threads, grads);
    }, threads);
  }
};

}  // namespace

void register_seq2seq(Napi::Env env, Napi::Object exports) {
  exports.Set("seq2seqLossAndGradients", Napi::Function::New(env, Seq2SeqLossAndGradients));
  exports.Set("seq2seqEncoderDropout", Napi::Boolean::New(env, true));  // this build runs the encoder's dropout
  exports.Set(Seq2SeqModel::kClassName, TrainerWrap<Seq2SeqModel>::Define(env));
}

}  // namespace gn
