// Elementwise math for the gate loops, written so that GCC/Clang vectorise it (no branches, no libm calls):
// a Cephes-style expf (range reduction by ln 2 and a degree-5 polynomial, ~2 ulp), and sigmoid / tanh built on it.
// Inputs are clamped first, so overflow never makes inf/inf = NaN (the -ffast-math trap is avoided by not using it).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

// The elementwise loops are compiled three times on x86-64 with GCC: for x86-64-v4 (AVX-512), x86-64-v3 (AVX2 + FMA)
// and the baseline (SSE2); the loader picks by the CPU's features (ifunc; GCC ≥ 11 with glibc, else the baseline
// only). No -march=native in the shipped build. Put it on the definitions of the functions whose loops should vectorise.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11 && defined(__GLIBC__)
#define GN_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define GN_VECTOR_CLONES
#endif

namespace gn {

inline float exp_approx(float x) {
  x = x > 88.0f ? 88.0f : (x < -87.0f ? -87.0f : x);
  // x = n·ln2 + r, |r| ≤ ln2/2
  float n = x * 1.44269504088896341f + (x >= 0.0f ? 0.5f : -0.5f);
  int32_t ni = static_cast<int32_t>(n);
  float fn = static_cast<float>(ni);
  float r = x - fn * 0.693359375f;
  r = r - fn * -2.12194440e-4f;
  float r2 = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float e = p * r2 + r + 1.0f;
  int32_t bits = (ni + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return e * scale;
}

inline float sigmoid(float x) { return 1.0f / (1.0f + exp_approx(-x)); }

inline float tanh_approx(float x) {
  // |x| ≥ 0.25: (1 − e^{−2|x|}) / (1 + e^{−2|x|}) with the sign of x; below, the Taylor series (no cancellation).
  // Both are computed and blended by arithmetic (a select here stops GCC from vectorising the loops that call it);
  // |x| is capped at 9 (tanh(9) is 1 in float) so the series stays finite; std::min keeps a NaN.
  const float a = std::min(std::fabs(x), 9.0f);
  const float e = exp_approx(-2.0f * a);
  const float far = (1.0f - e) / (1.0f + e);
  const float a2 = a * a;
  const float near = a * (1.0f + a2 * (-0.333333333f + a2 * (0.133333333f + a2 * (-0.053968254f + a2 * 0.021869488f))));
  const float small = a < 0.25f ? 1.0f : 0.0f;
  return std::copysign(far + small * (near - far), x);
}

/**
 * The error function by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7, the formula of TensorFlow.js's cpu
 * kernel), branch-free over exp_approx so that GELU's loops vectorise.
 */
inline float erf_approx(float x) {
  const float a = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.3275911f * a);
  const float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  return std::copysign(1.0f - poly * exp_approx(-a * a), x);
}

inline float hard_sigmoid(float x) {
  float y = 0.2f * x + 0.5f;
  return y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y);
}

}  // namespace gn
