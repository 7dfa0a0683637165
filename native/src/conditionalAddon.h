// Node-API bindings of the conditional models (see conditionalAddon.cc).
#pragma once
#include <napi.h>

namespace gn {

/** Adds `conditionalLossAndGradients` and the `ConditionalTrainer` class to the addon's exports. */
void register_conditional(Napi::Env env, Napi::Object exports);

}  // namespace gn
