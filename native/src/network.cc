#include "network.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <functional>
#include <mutex>
#include <cmath>
#include <thread>
#include <type_traits>

#include "blas.h"
#include "mathx.h"

// The elementwise loops are compiled three times on x86-64 with GCC: for x86-64-v4 (AVX-512), x86-64-v3 (AVX2 + FMA)
// and the baseline (SSE2); the loader picks by the CPU's features (ifunc; GCC ≥ 11 with glibc, else the baseline
// only). No -march=native in the shipped build.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11 && defined(__GLIBC__)
#define GN_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define GN_VECTOR_CLONES
#endif

namespace gn {

namespace {

/** C = alpha·op(A)·op(B) + beta·C, row-major. */
void gemm(bool trans_a, bool trans_b, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (beta == 0.0f) for (int i = 0; i < m; i++) std::fill(c + size_t(i) * ldc, c + size_t(i) * ldc + n, 0.0f);
    return;
  }
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a, lda, b, ldb,
              beta, c, ldc);
}

/**
 * C (+)= A·B for the small products of one time step (A [m×k], B [k×n], no transposes), in column chunks of at most
 * 2^19 multiply-adds each. OpenBLAS (0.3.21 here, AVX-512) multiplies a product that small straight from its operands,
 * while a larger one first packs all of B again on every call: [16×128]·[128×512] took 32 µs in one call and 18 µs
 * in two (same for 32 and 64 rows in 4 and 8 chunks). Chunks are whole multiples of 16 columns.
 */
void step_gemm(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  constexpr double kSmallProduct = 1 << 19;
  const int chunks = std::max(1, int(std::ceil(double(m) * n * k / kSmallProduct)));
  const int width = std::min(n, (n + chunks - 1) / chunks + 15 & ~15);
  for (int j = 0; j < n; j += width) gemm(false, false, m, std::min(width, n - j), k, a, lda, b + j, ldb, beta, c + j, ldc);
}

/** The transpose of a row-major [rows, cols] matrix, into `out` ([cols, rows]). */
void transpose(const float* x, int rows, int cols, std::vector<float>& out) {
  out.resize(size_t(rows) * cols);
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) out[size_t(c) * rows + r] = x[size_t(r) * cols + c];
}

/** out[j] += Σ_rows x[r, j] (column sums of a row-major [rows, cols] matrix). */
void add_column_sums(const float* x, int rows, int cols, float* out) {
  for (int r = 0; r < rows; r++) {
    const float* row = x + size_t(r) * cols;
    for (int j = 0; j < cols; j++) out[j] += row[j];
  }
}

GN_VECTOR_CLONES void activate_gate(GateKind gate, float* x, int n) {
  if (gate == GateKind::sigmoid) {
    for (int i = 0; i < n; i++) x[i] = sigmoid(x[i]);
  } else {
    for (int i = 0; i < n; i++) x[i] = hard_sigmoid(x[i]);
  }
}

GN_VECTOR_CLONES void activate_tanh(float* x, int n) {
  for (int i = 0; i < n; i++) x[i] = tanh_approx(x[i]);
}

/**
 * d gate / d x where the gate's value is y; `sigmoid_gate` is 1 for the sigmoid and 0 for the hard sigmoid. Plain
 * arithmetic, no branch, so that the loops calling it vectorise.
 */
inline float gate_slope(float sigmoid_gate, float y) {
  const float hard = (y > 0.0f ? 0.2f : 0.0f) * (y < 1.0f ? 1.0f : 0.0f);
  return sigmoid_gate * (y * (1.0f - y)) + (1.0f - sigmoid_gate) * hard;
}

// ---- the elementwise parts of each cell's backward step, for `rows` rows of `n` units (restrict: no aliasing, so
// ---- they vectorise). `sig` is 1 for sigmoid gates, 0 for hard sigmoid.

/** LSTM: dz (i, f, g, o) from dh and the carried dc; updates the carry to dc·f. */
GN_VECTOR_CLONES void lstm_backward_gates(int rows, int n, float sig, const float* __restrict z, const float* __restrict tc,
                                          const float* __restrict cprev, const float* __restrict dh, float* __restrict carry, float* __restrict dz) {
  const int w = 4 * n;
  for (int b = 0; b < rows; b++) {
    const float* g = z + size_t(b) * w;
    float* d = dz + size_t(b) * w;
    for (int j = 0; j < n; j++) {
      const size_t k = size_t(b) * n + j;
      const float i = g[j], f = g[n + j], cand = g[2 * n + j], o = g[3 * n + j], tcv = tc[k], dhv = dh[k];
      const float dc = carry[k] + dhv * o * (1.0f - tcv * tcv);
      d[j] = dc * cand * gate_slope(sig, i);
      d[n + j] = dc * cprev[k] * gate_slope(sig, f);
      d[2 * n + j] = dc * i * (1.0f - cand * cand);
      d[3 * n + j] = dhv * tcv * gate_slope(sig, o);
      carry[k] = dc * f;
    }
  }
}

/** GRU, first half: dz for the update gate and the candidate; the carry becomes dh·z. */
GN_VECTOR_CLONES void gru_backward_update(int rows, int n, float sig, const float* __restrict z, const float* __restrict hprev,
                                          const float* __restrict dh, float* __restrict carry, float* __restrict dz) {
  const int w = 3 * n;
  for (int b = 0; b < rows; b++) {
    const float* g = z + size_t(b) * w;
    float* d = dz + size_t(b) * w;
    for (int j = 0; j < n; j++) {
      const size_t k = size_t(b) * n + j;
      const float zg = g[j], hh = g[2 * n + j], dhv = dh[k] + carry[k];
      d[2 * n + j] = dhv * (1.0f - zg) * (1.0f - hh * hh);
      d[j] = dhv * (hprev[k] - hh) * gate_slope(sig, zg);
      carry[k] = dhv * zg;
    }
  }
}

/** GRU, second half: dz for the reset gate from d(r⊙h); the carry gains d(r⊙h)·r. */
GN_VECTOR_CLONES void gru_backward_reset(int rows, int n, float sig, const float* __restrict z, const float* __restrict hprev,
                                         const float* __restrict drh, float* __restrict carry, float* __restrict dz) {
  for (int b = 0; b < rows; b++) {
    const float* reset = z + size_t(b) * 3 * n + n;  // row b's reset gates
    float* d_reset = dz + size_t(b) * 3 * n + n;
    const size_t row = size_t(b) * n;
    for (int j = 0; j < n; j++) {
      d_reset[j] = drh[row + j] * hprev[row + j] * gate_slope(sig, reset[j]);
      carry[row + j] += drh[row + j] * reset[j];
    }
  }
}

/** A 32-bit integer hash (Wellons' lowbias32): 32-bit operations only, so the mask loops vectorise. */
inline uint32_t hash32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  return x ^ (x >> 16);
}

/**
 * Dropout masks of rows [row0, row0 + rows) of a batch of `steps` steps, time-major ([steps, rows, n]): the value at
 * (row b, step t, unit j) comes from a hash of the seed and the position's index ((b·steps + t)·n + j) in the whole
 * batch, so it is the same whichever thread computes it. A position is dropped (0) when its uniform value in [0, 1)
 * is below `rate`; kept ones get 1 / (1 − rate). The index is taken modulo 2^32, so masks would repeat only past
 * 4·10^9 positions in one batch.
 */
GN_VECTOR_CLONES void dropout_mask(uint32_t seed, float rate, int row0, int rows, int steps, int n, float* __restrict mask) {
  const uint32_t key = hash32(seed);
  const float keep = 1.0f / (1.0f - rate);
  for (int t = 0; t < steps; t++) {
    for (int b = 0; b < rows; b++) {
      const uint32_t base = (uint32_t(row0 + b) * uint32_t(steps) + uint32_t(t)) * uint32_t(n);
      float* m = mask + (size_t(t) * rows + b) * n;
      for (int j = 0; j < n; j++) {
        const float u = float(hash32(hash32(base + uint32_t(j)) ^ key) >> 8) * (1.0f / 16777216.0f);
        m[j] = u < rate ? 0.0f : keep;
      }
    }
  }
}

/** x ⊙= y (n values). */
GN_VECTOR_CLONES void multiply_by(float* __restrict x, const float* __restrict y, size_t n) {
  for (size_t k = 0; k < n; k++) x[k] *= y[k];
}

/** Simple RNN: dz = dh · (1 − h²) for `count` values. */
GN_VECTOR_CLONES void rnn_backward(size_t count, const float* __restrict h, const float* __restrict dh, float* __restrict dz) {
  for (size_t k = 0; k < count; k++) dz[k] = dh[k] * (1.0f - h[k] * h[k]);
}

/** `count` zeros to read in place of an absent (zero) previous state, so loops need no branch per element. */
const float* zeros(size_t count) {
  thread_local std::vector<float> buffer;
  if (buffer.size() < count) buffer.assign(count, 0.0f);
  return buffer.data();
}

// ---- one step of each cell, for a batch of `rows` rows; `z` holds the input projections x·W + b and is turned
// ---- into the activations the backward pass needs. `hprev`/`cprev` null = zero state.

/** One row of the LSTM's state update from its activated gates g (i, f, candidate, o): c, tanh(c) and h. */
GN_VECTOR_CLONES void lstm_cell_update(int n, const float* __restrict g, const float* __restrict cprev, float* __restrict c, float* __restrict tc,
                                       float* __restrict h) {
  for (int j = 0; j < n; j++) {
    const float cell = g[n + j] * cprev[j] + g[j] * g[2 * n + j];
    c[j] = cell;
    tc[j] = tanh_approx(cell);
    h[j] = g[3 * n + j] * tc[j];
  }
}

GN_VECTOR_CLONES void lstm_step(const Spec& s, const float* hprev, const float* cprev, const float* u, float* z, float* c, float* tc, float* h, int rows) {
  const int n = s.units, w = 4 * n;
  if (hprev != nullptr) step_gemm(rows, w, n, hprev, n, u, w, 1.0f, z, w);
  for (int b = 0; b < rows; b++) {
    float* g = z + size_t(b) * w;
    activate_gate(s.gate, g, 2 * n);  // i, f
    activate_tanh(g + 2 * n, n);      // candidate
    activate_gate(s.gate, g + 3 * n, n);  // o
    lstm_cell_update(n, g, cprev == nullptr ? zeros(n) : cprev + size_t(b) * n, c + size_t(b) * n, tc + size_t(b) * n, h + size_t(b) * n);
  }
}

GN_VECTOR_CLONES void gru_step(const Spec& s, const float* hprev, const float* u, float* z, float* rh, float* h, int rows) {
  const int n = s.units, w = 3 * n;
  if (hprev != nullptr) step_gemm(rows, 2 * n, n, hprev, n, u, w, 1.0f, z, w);  // += h·U_zr
  const float* hp = hprev == nullptr ? zeros(size_t(rows) * n) : hprev;
  for (int b = 0; b < rows; b++) {
    float* g = z + size_t(b) * w;
    activate_gate(s.gate, g, 2 * n);
    float* rhb = rh + size_t(b) * n;
    const float* hb = hp + size_t(b) * n;
    for (int j = 0; j < n; j++) rhb[j] = g[n + j] * hb[j];
  }
  if (hprev != nullptr) step_gemm(rows, n, n, rh, n, u + 2 * n, w, 1.0f, z + 2 * n, w);  // += (r⊙h)·U_h
  for (int b = 0; b < rows; b++) {
    float* g = z + size_t(b) * w;
    activate_tanh(g + 2 * n, n);
    float* hb = h + size_t(b) * n;
    const float* pb = hp + size_t(b) * n;
    for (int j = 0; j < n; j++) hb[j] = g[j] * pb[j] + (1.0f - g[j]) * g[2 * n + j];
  }
}

GN_VECTOR_CLONES void rnn_step(const Spec& s, const float* hprev, const float* u, float* z, float* h, int rows) {
  const int n = s.units;
  if (hprev != nullptr) step_gemm(rows, n, n, hprev, n, u, n, 1.0f, z, n);
  for (size_t k = 0; k < size_t(rows) * n; k++) h[k] = tanh_approx(z[k]);
}

/** One layer's recurrent state for a block of rows: h and, for an LSTM, c ([rows, units] each; null: none). */
template <typename T>
struct RowState {
  T* h = nullptr;
  T* c = nullptr;
};

/** What one recurrent layer keeps of a sequence for its backward pass (time-major rows t·batch + b). */
struct LayerTrace {
  std::vector<float> z;   // [TB, gates·units] activations (LSTM i f g o; GRU z r hh; RNN pre-activations)
  std::vector<float> c;   // LSTM cell states [TB, units]
  std::vector<float> tc;  // LSTM tanh(c)
  std::vector<float> rh;  // GRU r ⊙ h_prev
  std::vector<float> h;   // hidden states [TB, units]
  std::vector<float> mask;  // dropout scales [TB, units] (empty: this call had no dropout)
  std::vector<float> out;   // h ⊙ mask, what the next layer sees when there is dropout
  /** The layer's output as the layer above (or the output layer) sees it. */
  const float* output() const { return mask.empty() ? h.data() : out.data(); }
};

/** The state arrays one step writes; the cell fills those it uses (LSTM: c, tc; GRU: rh) and `h`. */
struct StepState {
  float *c, *tc, *rh, *h;
};

/** One step of the spec's cell for `rows` rows (null `hprev`/`cprev`: a zero state). */
void cell_step(const Spec& s, const float* hprev, const float* cprev, const float* u, float* z, const StepState& out, int rows) {
  if (s.cell == CellKind::lstm) lstm_step(s, hprev, cprev, u, z, out.c, out.tc, out.h, rows);
  else if (s.cell == CellKind::gru) gru_step(s, hprev, u, z, out.rh, out.h, rows);
  else rnn_step(s, hprev, u, z, out.h, rows);
}

/**
 * Forward through time of one layer; `step_inputs(t, z_t)` completes step t's input projections (x·W + b) in place
 * just before the step uses them, while they are in cache. The rows start from `start` (null members: zeros).
 */
void forward_layer(const Spec& s, const float* u, LayerTrace& tr, int steps, int batch, const std::function<void(int, float*)>& step_inputs,
                   const RowState<const float>& start) {
  const int n = s.units, w = s.gates() * n;
  const size_t step_z = size_t(batch) * w, step_h = size_t(batch) * n;
  for (auto* states : {&tr.h, &tr.c, &tr.tc, &tr.rh}) states->resize(size_t(steps) * step_h);  // a cell fills those it uses
  auto at = [&](std::vector<float>& a, int t) { return a.data() + t * step_h; };
  for (int t = 0; t < steps; t++) {
    const float* hprev = t == 0 ? start.h : at(tr.h, t - 1);
    const float* cprev = t == 0 ? start.c : at(tr.c, t - 1);
    step_inputs(t, tr.z.data() + t * step_z);
    cell_step(s, hprev, cprev, u, tr.z.data() + t * step_z, {at(tr.c, t), at(tr.tc, t), at(tr.rh, t), at(tr.h, t)}, batch);
  }
}

/**
 * Backward through time of one layer: from dh (gradients of its outputs, [TB, units]; used as scratch) to dz
 * (gradients of its input projections, [TB, gates·units]); adds the recurrent kernel's gradient into du. `ut` is the
 * recurrent kernel transposed ([gates·units, units]), so that the per-step products need no transposes.
 * `step_gradients(t, dz_t)` takes each step's dz while it is in cache. `start` is the state the forward pass started
 * from (null members: zeros); its gradient goes to `start_grads` (null members: not wanted).
 */
void backward_layer(const Spec& s, const float* ut, const LayerTrace& tr, float* dh, float* dz, float* du, int steps, int batch,
                    const std::function<void(int, const float*)>& step_gradients, const RowState<const float>& start, const RowState<float>& start_grads) {
  const int n = s.units, w = s.gates() * n;
  const size_t step_z = size_t(batch) * w, step_h = size_t(batch) * n;
  std::vector<float> carry(step_h, 0.0f);  // LSTM: dc carried back; GRU: dh carried back through z⊙h and r⊙h
  std::vector<float> drh(s.cell == CellKind::gru ? step_h : 0);
  const float sig = s.gate == GateKind::sigmoid ? 1.0f : 0.0f;
  for (int t = steps - 1; t >= 0; t--) {
    float* dht = dh + t * step_h;
    float* dzt = dz + t * step_z;
    const float* zt = tr.z.data() + t * step_z;
    const float* hprev = t > 0 ? tr.h.data() + (t - 1) * step_h : start.h != nullptr ? start.h : zeros(step_h);
    // Where dh_{t-1} goes: the previous step's dh (it holds what the layer above sent), or the start state's gradient.
    float* dprev = t > 0 ? dh + (t - 1) * step_h : start_grads.h;
    const float keep = t > 0 ? 1.0f : 0.0f;
    if (s.cell == CellKind::lstm) {
      const float* cprev = t > 0 ? tr.c.data() + (t - 1) * step_h : start.c != nullptr ? start.c : zeros(step_h);
      lstm_backward_gates(batch, n, sig, zt, tr.tc.data() + t * step_h, cprev, dht, carry.data(), dzt);
      if (dprev != nullptr) step_gemm(batch, n, w, dzt, w, ut, n, keep, dprev, n);  // dh_{t-1} += dz·Uᵀ
      if (t == 0 && start_grads.c != nullptr) std::copy(carry.begin(), carry.end(), start_grads.c);  // dc_{-1}
    } else if (s.cell == CellKind::gru) {
      gru_backward_update(batch, n, sig, zt, hprev, dht, carry.data(), dzt);
      step_gemm(batch, n, n, dzt + 2 * n, w, ut + size_t(2 * n) * n, n, 0.0f, drh.data(), n);  // d(r⊙h) = dhh·U_hᵀ
      gru_backward_reset(batch, n, sig, zt, hprev, drh.data(), carry.data(), dzt);
      if (t == 0 && dprev != nullptr) std::copy(carry.begin(), carry.end(), dprev);  // the carried part of dh_{-1}
      if (dprev != nullptr) step_gemm(batch, n, 2 * n, dzt, w, ut, n, 1.0f, dprev, n);  // dh_{t-1} += dz_zr·U_zrᵀ
    } else {
      rnn_backward(step_h, tr.h.data() + t * step_h, dht, dzt);
      if (dprev != nullptr) step_gemm(batch, n, n, dzt, n, ut, n, keep, dprev, n);
    }
    step_gradients(t, dzt);
  }
  // Recurrent kernel: Σ_t h_{t-1}ᵀ·dz_t in one sgemm over steps 1 … T−1, plus step 0 when it started from a state.
  const int rows = (steps - 1) * batch;
  const int zr = s.cell == CellKind::gru ? 2 * n : w;  // the columns multiplied by h_{t-1} (GRU: z and r)
  gemm(true, false, n, zr, rows, tr.h.data(), n, dz + step_z, w, 1.0f, du, w);
  if (start.h != nullptr) gemm(true, false, n, zr, batch, start.h, n, dz, w, 1.0f, du, w);
  if (s.cell == CellKind::gru) {  // the candidate's columns are multiplied by r ⊙ h_{t-1}
    const int from = start.h != nullptr ? 0 : 1;
    gemm(true, false, n, n, (steps - from) * batch, tr.rh.data() + from * step_h, n, dz + from * step_z + 2 * n, w, 1.0f, du + 2 * n, w);
  }
}

/** out[r] = table[ids[r]] for `rows` rows of `width` values (one-hot input times a matrix, or an embedding lookup). */
void gather_rows(const float* table, int width, const int32_t* ids, size_t rows, float* out) {
  for (size_t r = 0; r < rows; r++) std::copy_n(table + size_t(ids[r]) * width, width, out + r * width);
}

/** table[ids[r]] += x[r] for `rows` rows of `width` values: the gradient of {@link gather_rows}. */
void scatter_add_rows(const float* x, int width, const int32_t* ids, size_t rows, float* table) {
  for (size_t r = 0; r < rows; r++) {
    float* row = table + size_t(ids[r]) * width;
    const float* d = x + r * width;
    for (int j = 0; j < width; j++) row[j] += d[j];
  }
}

/** Adds `bias` [cols] to every row of `x` [rows, cols]. */
GN_VECTOR_CLONES void add_bias(float* __restrict x, size_t rows, int cols, const float* __restrict bias) {
  for (size_t r = 0; r < rows; r++) {
    float* row = x + r * cols;
    for (int j = 0; j < cols; j++) row[j] += bias[j];
  }
}

/**
 * Softmax cross-entropy of `rows` rows of logits [rows, v] (plus `bias`) against `targets`, weighted by `weights`;
 * returns Σ weight · loss and turns the logits into their gradient (softmax − one-hot) · weight · scale.
 */
GN_VECTOR_CLONES double softmax_cross_entropy(float* logits, size_t rows, int v, const float* __restrict bias, const int32_t* targets,
                                               const float* weights, float scale) {
  double loss = 0.0;
  for (size_t r = 0; r < rows; r++) {
    float* __restrict row = logits + r * v;
    float max = -INFINITY;
    for (int k = 0; k < v; k++) {
      row[k] += bias[k];
      max = std::max(max, row[k]);
    }
    const int target = targets[r];
    const float target_logit = row[target];
    float sum = 0.0f;
    for (int k = 0; k < v; k++) {
      row[k] = exp_approx(row[k] - max);
      sum += row[k];
    }
    const float weight = weights[r];
    if (weight != 0.0f) loss += double(weight) * (std::log(double(sum)) + double(max) - double(target_logit));
    const float factor = weight * scale / sum;
    for (int k = 0; k < v; k++) row[k] *= factor;
    row[target] -= weight * scale;
  }
  return loss;
}

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

/** One thread's buffers, kept between calls so that steps do not pay for fresh allocations. */
struct Workspace {
  std::vector<int32_t> ids, targets;
  std::vector<float> weights, x, logits, dh, dz, dx;
  std::vector<LayerTrace> layers;
  std::vector<std::vector<float>> grads;
};

std::vector<Workspace>& workspaces() {
  static std::vector<Workspace> all;
  return all;
}

/**
 * Forward and backward pass of rows [row0, row0 + rows) of the batch; adds their gradients (scaled by `scale`, the
 * inverse of the whole batch's real-token count) into `grads` (zeroed by the caller) and returns Σ weight · loss.
 * `recurrent_t` holds each layer's recurrent kernel transposed (for the backward pass; shared by the parts).
 */
double run_part(const Spec& s, const Params& p, const std::vector<std::vector<float>>& recurrent_t, const Batch& batch, int row0, int rows,
                float scale, const Params& grads, Workspace& ws, bool profiled, const StateResults& results) {
  const int steps = batch.steps, n = s.units, w = s.gates() * n, v = s.vocab;
  PhaseTimer timer(profiled);
  const size_t tb = size_t(steps) * rows;
  // This part's rows of layer l's h (and c) in a state laid out as state_size describes (null stays null).
  const size_t per_layer = state_size(s, batch.batch) / s.layers;
  const auto state_rows = [&](auto* state, int l) {
    RowState<std::remove_pointer_t<decltype(state)>> part;
    if (state == nullptr) return part;
    part.h = state + l * per_layer + size_t(row0) * n;
    if (s.cell == CellKind::lstm) part.c = part.h + size_t(batch.batch) * n;
    return part;
  };
  ws.ids.resize(tb), ws.targets.resize(tb), ws.weights.resize(tb);
  for (int b = 0; b < rows; b++) {
    for (int t = 0; t < steps; t++) {
      size_t from = size_t(row0 + b) * steps + t, to = size_t(t) * rows + b;
      ws.ids[to] = batch.inputs[from];
      ws.targets[to] = batch.targets[from];
      ws.weights[to] = batch.mask == nullptr ? 1.0f : batch.mask[from];
    }
  }
  ws.layers.resize(s.layers);
  // Input projections x·W + b. One-hot input: the kernel's rows, gathered (with the bias) step by step in forward_layer;
  // an embedding or a layer below: one sgemm over every step here, the bias added step by step.
  const bool one_hot = s.embed == 0;
  if (!one_hot) {
    ws.x.resize(tb * s.embed);
    gather_rows(p.embedding(s), s.embed, ws.ids.data(), tb, ws.x.data());
  }
  for (int l = 0; l < s.layers; l++) {
    LayerTrace& tr = ws.layers[l];
    tr.z.resize(tb * w);
    const float* bias = p.bias(s, l);
    if (l > 0 || !one_hot) {
      const float* in = l > 0 ? ws.layers[l - 1].output() : ws.x.data();
      const int width = l > 0 ? n : s.embed;
      gemm(false, false, tb, w, width, in, width, p.kernel(s, l), w, 0.0f, tr.z.data(), w);
    }
    timer.lap(&StepProfile::input);
    const bool gathered = l == 0 && one_hot;
    forward_layer(s, p.recurrent(s, l), tr, steps, rows, [&](int t, float* zt) {
      if (gathered) gather_rows(p.kernel(s, 0), w, ws.ids.data() + size_t(t) * rows, rows, zt);
      add_bias(zt, rows, w, bias);
    }, state_rows(batch.initial_state, l));
    const RowState<float> final_state = state_rows(results.final_state, l);
    const size_t last = size_t(steps - 1) * rows * n;
    if (final_state.h != nullptr) std::copy_n(tr.h.data() + last, size_t(rows) * n, final_state.h);
    if (final_state.c != nullptr) std::copy_n(tr.c.data() + last, size_t(rows) * n, final_state.c);
    const bool dropped = s.dropout > 0.0f && batch.dropout_seeds != nullptr;
    tr.mask.resize(dropped ? tb * n : 0);
    if (dropped) {
      dropout_mask(batch.dropout_seeds[l], s.dropout, row0, rows, steps, n, tr.mask.data());
      tr.out.assign(tr.h.begin(), tr.h.end());
      multiply_by(tr.out.data(), tr.mask.data(), tb * n);
    }
    timer.lap(&StepProfile::recurrent_forward);
  }
  // Output layer and softmax cross-entropy; the logits become their own gradient.
  const float* top = ws.layers[s.layers - 1].output();
  ws.logits.resize(tb * v);
  gemm(false, false, tb, v, n, top, n, p.out_kernel(s), v, 0.0f, ws.logits.data(), v);
  const double loss = softmax_cross_entropy(ws.logits.data(), tb, v, p.out_bias(s), ws.targets.data(), ws.weights.data(), scale);
  if (grads.tensors.empty()) return loss;  // the loss alone (evaluation)
  gemm(true, false, n, v, tb, top, n, ws.logits.data(), v, 1.0f, grads.out_kernel(s), v);
  add_column_sums(ws.logits.data(), tb, v, grads.out_bias(s));
  ws.dh.resize(tb * n);
  gemm(false, true, tb, n, v, ws.logits.data(), v, p.out_kernel(s), v, 0.0f, ws.dh.data(), n);
  timer.lap(&StepProfile::output);
  // Back through the layers.
  ws.dz.resize(tb * w);
  for (int l = s.layers - 1; l >= 0; l--) {
    const LayerTrace& tr = ws.layers[l];
    if (!tr.mask.empty()) multiply_by(ws.dh.data(), tr.mask.data(), tb * n);  // through the dropout
    const bool gathered = l == 0 && s.embed == 0;
    backward_layer(s, recurrent_t[l].data(), tr, ws.dh.data(), ws.dz.data(), grads.recurrent(s, l), steps, rows, [&](int t, const float* dzt) {
      add_column_sums(dzt, rows, w, grads.bias(s, l));
      if (gathered) scatter_add_rows(dzt, w, ws.ids.data() + size_t(t) * rows, rows, grads.kernel(s, 0));
    }, state_rows(batch.initial_state, l), state_rows(results.initial_state_grads, l));
    timer.lap(&StepProfile::recurrent_backward);
    if (l > 0) {
      gemm(true, false, n, w, tb, ws.layers[l - 1].output(), n, ws.dz.data(), w, 1.0f, grads.kernel(s, l), w);
      gemm(false, true, tb, n, w, ws.dz.data(), w, p.kernel(s, l), w, 0.0f, ws.dh.data(), n);
    } else if (s.embed > 0) {
      gemm(true, false, s.embed, w, tb, ws.x.data(), s.embed, ws.dz.data(), w, 1.0f, grads.kernel(s, 0), w);
      ws.dx.resize(tb * s.embed);
      gemm(false, true, tb, s.embed, w, ws.dz.data(), w, p.kernel(s, 0), w, 0.0f, ws.dx.data(), s.embed);
      scatter_add_rows(ws.dx.data(), s.embed, ws.ids.data(), tb, grads.tensors[0]);
    }
    timer.lap(&StepProfile::weight_gradients);
  }
  return loss;
}

}  // namespace

std::vector<float> dropout_masks(uint32_t seed, float rate, int batch, int steps, int units) {
  std::vector<float> masks(size_t(batch) * steps * units);
  for (int b = 0; b < batch; b++) dropout_mask(seed, rate, b, 1, steps, units, masks.data() + size_t(b) * steps * units);  // one row: [steps, units]
  return masks;
}

size_t state_size(const Spec& s, int batch) { return size_t(s.layers) * (s.cell == CellKind::lstm ? 2 : 1) * batch * s.units; }

std::vector<size_t> param_sizes(const Spec& s) {
  std::vector<size_t> sizes;
  const size_t w = size_t(s.gates()) * s.units;
  if (s.embed > 0) sizes.push_back(size_t(s.vocab) * s.embed);
  for (int l = 0; l < s.layers; l++) {
    const size_t in = l > 0 ? s.units : (s.embed > 0 ? s.embed : s.vocab);
    sizes.insert(sizes.end(), {in * w, size_t(s.units) * w, w});
  }
  sizes.insert(sizes.end(), {size_t(s.units) * s.vocab, size_t(s.vocab)});
  return sizes;
}

double loss_and_gradients(const Spec& s, const Params& params, const Batch& batch, int threads, const Params& grads, const StateResults& states) {
  // One call at a time: the workspaces (and the profile) are shared by the process, e.g. by several worker_threads.
  static std::mutex busy;
  const std::lock_guard<std::mutex> lock(busy);
  const std::vector<size_t> sizes = param_sizes(s);
  double total_weight = 0.0;
  const size_t cells = size_t(batch.batch) * batch.steps;
  for (size_t k = 0; k < cells; k++) total_weight += batch.mask == nullptr ? 1.0 : batch.mask[k];
  const float scale = float(1.0 / std::max(total_weight, 1.0));
  const int parts = std::max(1, std::min(threads, batch.batch));
  auto& ws = workspaces();
  if (int(ws.size()) < parts) ws.resize(parts);
  // Part 0 writes into `grads`; the others into their own buffers, summed at the end. No gradients: the loss alone.
  const bool backward = !grads.tensors.empty();
  static std::vector<std::vector<float>> recurrent_t;  // once per call, read by every part
  recurrent_t.resize(s.layers);
  for (int l = 0; l < s.layers && backward; l++) transpose(params.recurrent(s, l), s.units, s.gates() * s.units, recurrent_t[l]);
  std::vector<Params> part_grads(parts);
  for (int k = 0; k < parts && backward; k++) {
    if (k == 0) {
      part_grads[0] = grads;
    } else {
      ws[k].grads.resize(sizes.size());
      for (size_t i = 0; i < sizes.size(); i++) ws[k].grads[i].resize(sizes[i]), part_grads[k].tensors.push_back(ws[k].grads[i].data());
    }
    for (size_t i = 0; i < sizes.size(); i++) std::fill_n(part_grads[k].tensors[i], sizes[i], 0.0f);
  }
  std::vector<double> losses(parts, 0.0);
  std::vector<std::exception_ptr> failures(parts);
  std::vector<std::thread> workers;
  const auto rows_of = [&](int k) { return batch.batch / parts + (k < batch.batch % parts ? 1 : 0); };  // consecutive rows
  int row = rows_of(0);
  for (int k = 1; k < parts; k++) {
    const int rows = rows_of(k);
    try {
      workers.emplace_back([&, k, row, rows] {
        try {
          losses[k] = run_part(s, params, recurrent_t, batch, row, rows, scale, part_grads[k], ws[k], false, states);
        } catch (...) {
          failures[k] = std::current_exception();  // rethrown below, after every thread has joined
        }
      });
    } catch (...) {
      failures[k] = std::current_exception();  // the thread could not start
    }
    row += rows;
  }
  try {
    losses[0] = run_part(s, params, recurrent_t, batch, 0, rows_of(0), scale, grads, ws[0], backward, states);
  } catch (...) {
    failures[0] = std::current_exception();
  }
  for (auto& worker : workers) worker.join();
  for (const auto& failure : failures) if (failure) std::rethrow_exception(failure);
  for (int k = 1; k < parts && backward; k++) {
    for (size_t i = 0; i < sizes.size(); i++) {
      float* into = grads.tensors[i];
      const float* from = part_grads[k].tensors[i];
      for (size_t j = 0; j < sizes[i]; j++) into[j] += from[j];
    }
  }
  double loss = 0.0;
  for (double part : losses) loss += part;
  return loss * scale;
}

Trainer::Trainer(const Spec& s, std::vector<std::vector<float>> weights, std::vector<std::vector<float>> first,
                 std::vector<std::vector<float>> second, int iterations, float acc_beta1, float acc_beta2, const AdamSettings& adam)
    : spec_(s), weights_(std::move(weights)), first_(std::move(first)), second_(std::move(second)), iterations_(iterations),
      acc_beta1_(acc_beta1), acc_beta2_(acc_beta2), adam_(adam) {
  for (size_t i = 0; i < weights_.size(); i++) {
    if (first_.size() <= i) first_.emplace_back(weights_[i].size(), 0.0f);
    if (second_.size() <= i) second_.emplace_back(weights_[i].size(), 0.0f);
    grads_.emplace_back(weights_[i].size(), 0.0f);
    params_.tensors.push_back(weights_[i].data());
    grad_params_.tensors.push_back(grads_[i].data());
  }
}

static GN_VECTOR_CLONES void adam_update(float* __restrict w, float* __restrict m, float* __restrict v, const float* __restrict g, size_t n, float scale,
                                  const AdamSettings& a, float one_minus_acc1, float one_minus_acc2) {
  for (size_t k = 0; k < n; k++) {
    const float grad = g[k] * scale;
    m[k] = m[k] * a.beta1 + grad * a.one_minus_beta1;
    v[k] = v[k] * a.beta2 + (grad * grad) * a.one_minus_beta2;
    const float m_hat = m[k] / one_minus_acc1, v_hat = v[k] / one_minus_acc2;
    w[k] = (m_hat / (std::sqrt(v_hat) + a.epsilon)) * -a.learning_rate + w[k];
  }
}

StepProfile& step_profile() {
  static StepProfile profile;
  return profile;
}

double Trainer::step(const Batch& batch, int threads) {
  const double loss = loss_and_gradients(spec_, params_, batch, threads, grad_params_);
  PhaseTimer timer(true);
  float scale = 1.0f;
  if (adam_.clip_norm > 0.0f) {
    double sum = 0.0;
    for (const auto& g : grads_) for (float x : g) sum += double(x) * x;
    scale = std::min(1.0f, adam_.clip_norm / (float(std::sqrt(sum)) + 1e-6f));
  }
  const float one_minus_acc1 = 1.0f - acc_beta1_, one_minus_acc2 = 1.0f - acc_beta2_;
  for (size_t i = 0; i < weights_.size(); i++) {
    adam_update(weights_[i].data(), first_[i].data(), second_[i].data(), grads_[i].data(), weights_[i].size(), scale, adam_, one_minus_acc1, one_minus_acc2);
  }
  acc_beta1_ *= adam_.beta1;
  acc_beta2_ *= adam_.beta2;
  iterations_ += 1;
  timer.lap(&StepProfile::update);
  step_profile().steps += 1;
  return loss;
}

Stepper::Stepper(const Spec& s, std::vector<std::vector<float>> weights, int batch)
    : spec_(s), weights_(std::move(weights)), batch_(batch), hidden_(s.layers), cell_(s.layers), fresh_(true) {
  for (auto& w : weights_) params_.tensors.push_back(w.data());
  for (int l = 0; l < s.layers; l++) hidden_[l].assign(size_t(batch) * s.units, 0.0f), cell_[l].assign(size_t(batch) * s.units, 0.0f);
}

void Stepper::reset() { fresh_ = true; }

std::vector<float> Stepper::state() const {
  std::vector<float> out(state_size(spec_, batch_), 0.0f);
  if (fresh_) return out;
  float* at = out.data();
  for (int l = 0; l < spec_.layers; l++) {
    at = std::copy(hidden_[l].begin(), hidden_[l].end(), at);
    if (spec_.cell == CellKind::lstm) at = std::copy(cell_[l].begin(), cell_[l].end(), at);
  }
  return out;
}

void Stepper::set_state(const float* state) {
  for (int l = 0; l < spec_.layers; l++) {
    std::copy_n(state, hidden_[l].size(), hidden_[l].begin());
    state += hidden_[l].size();
    if (spec_.cell == CellKind::lstm) {
      std::copy_n(state, cell_[l].size(), cell_[l].begin());
      state += cell_[l].size();
    }
  }
  fresh_ = false;
}

const std::vector<float>& Stepper::feed(const int32_t* tokens, int steps) {
  const Spec& s = spec_;
  const int n = s.units, w = s.gates() * n, v = s.vocab;
  z_.resize(size_t(batch_) * w);
  for (auto* state : {&h_, &c_, &tc_, &rh_}) state->resize(size_t(batch_) * n);
  std::vector<float>&z = z_, &x = x_;
  std::vector<int32_t> ids(batch_);
  for (int t = 0; t < steps; t++) {
    for (int b = 0; b < batch_; b++) ids[b] = tokens[size_t(b) * steps + t];
    const float* input = nullptr;
    for (int l = 0; l < s.layers; l++) {
      if (l == 0 && s.embed == 0) {
        gather_rows(params_.kernel(s, 0), w, ids.data(), batch_, z.data());
      } else if (l == 0) {
        x.resize(size_t(batch_) * s.embed);
        gather_rows(params_.embedding(s), s.embed, ids.data(), batch_, x.data());
        gemm(false, false, batch_, w, s.embed, x.data(), s.embed, params_.kernel(s, 0), w, 0.0f, z.data(), w);
      } else {
        gemm(false, false, batch_, w, n, input, n, params_.kernel(s, l), w, 0.0f, z.data(), w);
      }
      add_bias(z.data(), batch_, w, params_.bias(s, l));
      cell_step(s, fresh_ ? nullptr : hidden_[l].data(), fresh_ ? nullptr : cell_[l].data(), params_.recurrent(s, l), z.data(),
                {c_.data(), tc_.data(), rh_.data(), h_.data()}, batch_);
      cell_[l].swap(c_);  // the new states become the layer's; the old ones are the next step's scratch
      hidden_[l].swap(h_);
      input = hidden_[l].data();
    }
    fresh_ = false;
  }
  logits_.resize(size_t(batch_) * v);
  gemm(false, false, batch_, v, n, hidden_[s.layers - 1].data(), n, params_.out_kernel(s), v, 0.0f, logits_.data(), v);
  add_bias(logits_.data(), batch_, v, params_.out_bias(s));
  return logits_;
}

}  // namespace gn
