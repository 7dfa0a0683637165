// Node-API bindings of the sequence-to-sequence models (see seq2seqAddon.cc).
#pragma once
#include <napi.h>

namespace gn {

/** Adds `seq2seqLossAndGradients` and the `Seq2SeqTrainer` class to the addon's exports. */
void register_seq2seq(Napi::Env env, Napi::Object exports);

}  // namespace gn
