// The GPT's part of the addon's exports (gptAddon.cc).
#pragma once
#include <napi.h>

namespace gn {
/** Adds `gptLossAndGradients` to the addon's exports. */
void register_gpt(Napi::Env env, Napi::Object exports);
}  // namespace gn
