// The phase timer of the training steps (see StepProfile in network.h).
#pragma once
#include <chrono>

#include "network.h"

namespace gn {

/** Adds the time since the previous lap to a phase of the profile (when on). */
class PhaseTimer {
 public:
  explicit PhaseTimer(bool on) : on_(on), last_(std::chrono::steady_clock::now()) {}
  void lap(double StepProfile::*phase) {
    if (!on_) return;
    const auto now = std::chrono::steady_clock::now();
    step_profile().*phase += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }

 private:
  bool on_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace gn
