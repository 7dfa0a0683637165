// The GPT's forward and backward pass (see gpt.h): one block of batch rows per thread, every product over the
// block's positions a BLAS call, LayerNorm, GELU and the attention's softmax in plain loops.
#include "gpt.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>

#include "elementwise.h"
#include "linear.h"
#include "mathx.h"

namespace gn {

namespace {

constexpr float kLayerNormEpsilon = 1e-5f;

/** The parameters of one block, as pointers into the engine's arrays (or into their gradients). */
struct BlockParams {
  float *ln1_gamma, *ln1_beta, *qkv_kernel, *qkv_bias, *out_kernel, *out_bias;
  float *ln2_gamma, *ln2_beta, *mlp_in_kernel, *mlp_in_bias, *mlp_out_kernel, *mlp_out_bias;
};

/** A GPT's parameters (or gradients) by name, over arrays in the order of gpt_param_sizes. */
struct GptParams {
  float *tokens, *positions, *final_gamma, *final_beta, *out_kernel, *out_bias;
  std::vector<BlockParams> blocks;

  GptParams(const GptSpec& s, const std::vector<float*>& arrays) {
    size_t i = 0;
    tokens = arrays[i++];
    positions = arrays[i++];
    for (int l = 0; l < s.layers; l++, i += 12) {
      float* const* a = arrays.data() + i;
      blocks.push_back({a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]});
    }
    final_gamma = arrays[i++];
    final_beta = arrays[i++];
    out_kernel = s.tied ? nullptr : arrays[i++];
    out_bias = s.tied ? nullptr : arrays[i++];
  }
};

/** What a block's forward pass keeps for its backward pass. */
struct BlockTrace {
  std::vector<float> xhat1, rstd1, h1, qkv, probs, mixed, drop1, xhat2, rstd2, h2, pre_gelu, post_gelu, drop2;
};

/** LayerNorm of `rows` rows of `x` [rows, n] into `y`, keeping x̂ and 1/σ for the backward pass. */
void layer_norm(const float* x, int rows, int n, const float* gamma, const float* beta, float* xhat, float* rstd,
                float* y) {
  for (int r = 0; r < rows; r++) {
    const float* xr = x + size_t(r) * n;
    float mean = 0.0f;
    for (int k = 0; k < n; k++) mean += xr[k];
    mean /= float(n);
    float variance = 0.0f;
    for (int k = 0; k < n; k++) variance += (xr[k] - mean) * (xr[k] - mean);
    const float inv = 1.0f / std::sqrt(variance / float(n) + kLayerNormEpsilon);
    rstd[r] = inv;
    for (int k = 0; k < n; k++) {
      const float h = (xr[k] - mean) * inv;
      xhat[size_t(r) * n + k] = h;
      y[size_t(r) * n + k] = h * gamma[k] + beta[k];
    }
  }
}

/** The LayerNorm's backward pass: adds to dγ, dβ and to `dx` the gradient of `dy`. */
void layer_norm_backward(const float* dy, const float* xhat, const float* rstd, int rows, int n, const float* gamma,
                         float* dgamma, float* dbeta, float* dx) {
  for (int r = 0; r < rows; r++) {
    const float* g = dy + size_t(r) * n;
    const float* h = xhat + size_t(r) * n;
    float mean_d = 0.0f, mean_dh = 0.0f;
    for (int k = 0; k < n; k++) {
      const float d = g[k] * gamma[k];
      mean_d += d;
      mean_dh += d * h[k];
      dgamma[k] += g[k] * h[k];
      dbeta[k] += g[k];
    }
    mean_d /= float(n), mean_dh /= float(n);
    for (int k = 0; k < n; k++) dx[size_t(r) * n + k] += rstd[r] * (g[k] * gamma[k] - mean_d - h[k] * mean_dh);
  }
}

/** The exact GELU, u·Φ(u), of `n` values. */
GN_VECTOR_CLONES void gelu(const float* __restrict u, float* __restrict y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = 0.5f * u[i] * (1.0f + erf_approx(u[i] * float(M_SQRT1_2)));
}

/** dy ⊙= GELU'(u) = Φ(u) + u·φ(u), for `n` values. */
GN_VECTOR_CLONES void gelu_backward(const float* __restrict u, float* __restrict dy, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const float cdf = 0.5f * (1.0f + erf_approx(u[i] * float(M_SQRT1_2)));
    dy[i] *= cdf + u[i] * exp_approx(-0.5f * u[i] * u[i]) * 0.3989422804014327f;
  }
}

/** x ⊙ mask, or x when there is no mask. */
void apply_mask(float* x, const std::vector<float>& mask, size_t n) {
  if (!mask.empty()) multiply_by(x, mask.data(), n);
}

/**
 * One thread's block of rows: its forward pass, loss and (with gradients) backward pass. Its buffers are kept
 * between calls (see `workspaces`): fresh ones cost more in page faults than the pass in products.
 */
class GptPart {
 public:
  /** Σ weight · loss of rows [row0, row0 + rows); with `grads`, adds their gradients (times `scale`). */
  double run(const GptSpec& s, const GptParams& p, int row0, int rows, int steps, const int32_t* inputs,
             const int32_t* targets, const float* mask, const uint32_t* seeds, float scale, const GptParams* grads) {
    s_ = s, p_ = &p, row0_ = row0, rows_ = rows, steps_ = steps, n_ = size_t(rows) * steps;
    const int c = s_.width, v = s_.vocab;
    ids_.assign(inputs + size_t(row0_) * steps_, inputs + size_t(row0_) * steps_ + n_);
    targets_.assign(targets + size_t(row0_) * steps_, targets + size_t(row0_) * steps_ + n_);
    weights_.assign(n_, 1.0f);
    if (mask != nullptr) weights_.assign(mask + size_t(row0_) * steps_, mask + size_t(row0_) * steps_ + n_);
    x_.resize(n_ * c);
    gather_rows(p_->tokens, c, ids_.data(), n_, x_.data());
    for (size_t i = 0; i < n_; i++)
      for (int k = 0; k < c; k++) x_[i * c + k] += p_->positions[(i % steps_) * c + k];
    masks(seeds, 0, c, drop0_);
    apply_mask(x_.data(), drop0_, n_ * c);
    blocks_.resize(s_.layers);
    for (int l = 0; l < s_.layers; l++) forward_block(l, seeds);
    xhatf_.resize(n_ * c), rstdf_.resize(n_), hf_.resize(n_ * c), logits_.resize(n_ * v);
    layer_norm(x_.data(), n_, c, p_->final_gamma, p_->final_beta, xhatf_.data(), rstdf_.data(), hf_.data());
    if (s_.tied) gemm(false, true, n_, v, c, hf_.data(), c, p_->tokens, c, 0.0f, logits_.data(), v);
    else gemm(false, false, n_, v, c, hf_.data(), c, p_->out_kernel, v, 0.0f, logits_.data(), v);
    const double loss = softmax_cross_entropy(logits_.data(), n_, v, s_.tied ? zeros(v) : p_->out_bias, targets_.data(),
                                              weights_.data(), scale, grads == nullptr ? 0.0f : s_.label_smoothing);
    if (grads != nullptr) backward(*grads);
    return loss;
  }

 private:
  /** Dropout layer `k`'s masks for this part's rows of [rows, steps, n] into `m` (left empty without dropout). */
  void masks(const uint32_t* seeds, int k, int n, std::vector<float>& m) const {
    m.clear();  // keeps its buffer for the next call
    if (seeds == nullptr || s_.dropout <= 0.0f) return;
    m.resize(n_ * n);
    for (int b = 0; b < rows_; b++) dropout_mask(seeds[k], s_.dropout, row0_ + b, 1, steps_, n, m.data() + size_t(b) * steps_ * n);
  }

  void forward_block(int l, const uint32_t* seeds) {
    const int c = s_.width;
    const BlockParams& w = p_->blocks[l];
    BlockTrace& t = blocks_[l];
    t.xhat1.resize(n_ * c), t.rstd1.resize(n_), t.h1.resize(n_ * c), t.qkv.resize(n_ * 3 * c);
    layer_norm(x_.data(), n_, c, w.ln1_gamma, w.ln1_beta, t.xhat1.data(), t.rstd1.data(), t.h1.data());
    gemm(false, false, n_, 3 * c, c, t.h1.data(), c, w.qkv_kernel, 3 * c, 0.0f, t.qkv.data(), 3 * c);
    add_bias(t.qkv.data(), n_, 3 * c, w.qkv_bias);
    attend(t);
    proj_.resize(n_ * c);
    gemm(false, false, n_, c, c, t.mixed.data(), c, w.out_kernel, c, 0.0f, proj_.data(), c);
    add_bias(proj_.data(), n_, c, w.out_bias);
    masks(seeds, 1 + 2 * l, c, t.drop1);
    apply_mask(proj_.data(), t.drop1, n_ * c);
    for (size_t i = 0; i < n_ * c; i++) x_[i] += proj_[i];
    t.xhat2.resize(n_ * c), t.rstd2.resize(n_), t.h2.resize(n_ * c);
    t.pre_gelu.resize(n_ * 4 * c), t.post_gelu.resize(n_ * 4 * c);
    layer_norm(x_.data(), n_, c, w.ln2_gamma, w.ln2_beta, t.xhat2.data(), t.rstd2.data(), t.h2.data());
    gemm(false, false, n_, 4 * c, c, t.h2.data(), c, w.mlp_in_kernel, 4 * c, 0.0f, t.pre_gelu.data(), 4 * c);
    add_bias(t.pre_gelu.data(), n_, 4 * c, w.mlp_in_bias);
    gelu(t.pre_gelu.data(), t.post_gelu.data(), n_ * 4 * c);
    gemm(false, false, n_, c, 4 * c, t.post_gelu.data(), 4 * c, w.mlp_out_kernel, c, 0.0f, proj_.data(), c);
    add_bias(proj_.data(), n_, c, w.mlp_out_bias);
    masks(seeds, 2 + 2 * l, c, t.drop2);
    apply_mask(proj_.data(), t.drop2, n_ * c);
    for (size_t i = 0; i < n_ * c; i++) x_[i] += proj_[i];
  }

  /** Causal attention of every row and head: softmax(q·kᵀ/√size) over positions ≤ t, times v, into `t.mixed`. */
  void attend(BlockTrace& t) {
    const int c = s_.width, h = s_.heads, d = c / h, T = steps_;
    const float scale = 1.0f / std::sqrt(float(d));
    t.probs.resize(size_t(rows_) * h * T * T), t.mixed.resize(n_ * c);
    for (int b = 0; b < rows_; b++) {
      for (int head = 0; head < h; head++) {
        const float* q = t.qkv.data() + size_t(b) * T * 3 * c + head * d;
        float* p = t.probs.data() + (size_t(b) * h + head) * T * T;
        gemm(false, true, T, T, d, q, 3 * c, q + c, 3 * c, 0.0f, p, T);
        for (int i = 0; i < T; i++) {
          float* row = p + size_t(i) * T;
          float max = -INFINITY;
          for (int j = 0; j <= i; j++) max = std::max(max, row[j] * scale);
          float sum = 0.0f;
          for (int j = 0; j <= i; j++) sum += row[j] = exp_approx(row[j] * scale - max);
          for (int j = 0; j <= i; j++) row[j] /= sum;
          std::fill(row + i + 1, row + T, 0.0f);
        }
        gemm(false, false, T, d, T, p, T, q + 2 * c, 3 * c, 0.0f, t.mixed.data() + size_t(b) * T * c + head * d, c);
      }
    }
  }

  void backward(const GptParams& g) {
    const int c = s_.width, v = s_.vocab;
    // logits_ now holds d loss / d logits (softmax_cross_entropy), already scaled.
    dx_.assign(n_ * c, 0.0f);
    dh_.resize(n_ * c);
    if (s_.tied) {
      gemm(false, false, n_, c, v, logits_.data(), v, p_->tokens, c, 0.0f, dh_.data(), c);
      gemm(true, false, v, c, n_, logits_.data(), v, hf_.data(), c, 1.0f, g.tokens, c);
    } else {
      gemm(false, true, n_, c, v, logits_.data(), v, p_->out_kernel, v, 0.0f, dh_.data(), c);
      gemm(true, false, c, v, n_, hf_.data(), c, logits_.data(), v, 1.0f, g.out_kernel, v);
      add_column_sums(logits_.data(), n_, v, g.out_bias);
    }
    layer_norm_backward(dh_.data(), xhatf_.data(), rstdf_.data(), n_, c, p_->final_gamma, g.final_gamma, g.final_beta,
                        dx_.data());
    for (int l = s_.layers - 1; l >= 0; l--) backward_block(l, g);
    apply_mask(dx_.data(), drop0_, n_ * c);
    scatter_add_rows(dx_.data(), c, ids_.data(), n_, g.tokens);
    for (size_t i = 0; i < n_; i++)
      for (int k = 0; k < c; k++) g.positions[(i % steps_) * c + k] += dx_[i * c + k];
  }

  void backward_block(int l, const GptParams& grads) {
    const int c = s_.width;
    const BlockParams& w = p_->blocks[l];
    const BlockParams& g = grads.blocks[l];
    BlockTrace& t = blocks_[l];
    // MLP: x += drop(gelu(LN2(x)·W1 + b1)·W2 + b2)
    proj_.assign(dx_.begin(), dx_.end());
    apply_mask(proj_.data(), t.drop2, n_ * c);
    add_column_sums(proj_.data(), n_, c, g.mlp_out_bias);
    gemm(true, false, 4 * c, c, n_, t.post_gelu.data(), 4 * c, proj_.data(), c, 1.0f, g.mlp_out_kernel, c);
    dwide_.resize(n_ * 4 * c);
    gemm(false, true, n_, 4 * c, c, proj_.data(), c, w.mlp_out_kernel, c, 0.0f, dwide_.data(), 4 * c);
    gelu_backward(t.pre_gelu.data(), dwide_.data(), n_ * 4 * c);
    add_column_sums(dwide_.data(), n_, 4 * c, g.mlp_in_bias);
    gemm(true, false, c, 4 * c, n_, t.h2.data(), c, dwide_.data(), 4 * c, 1.0f, g.mlp_in_kernel, 4 * c);
    gemm(false, true, n_, c, 4 * c, dwide_.data(), 4 * c, w.mlp_in_kernel, 4 * c, 0.0f, dh_.data(), c);
    layer_norm_backward(dh_.data(), t.xhat2.data(), t.rstd2.data(), n_, c, w.ln2_gamma, g.ln2_gamma, g.ln2_beta,
                        dx_.data());
    // Attention: x += drop(attention(LN1(x))·Wo + bo)
    proj_.assign(dx_.begin(), dx_.end());
    apply_mask(proj_.data(), t.drop1, n_ * c);
    add_column_sums(proj_.data(), n_, c, g.out_bias);
    gemm(true, false, c, c, n_, t.mixed.data(), c, proj_.data(), c, 1.0f, g.out_kernel, c);
    dh_.resize(n_ * c);
    gemm(false, true, n_, c, c, proj_.data(), c, w.out_kernel, c, 0.0f, dh_.data(), c);  // d mixed
    dqkv_.resize(n_ * 3 * c);  // every row's q, k and v columns are written by attend_backward
    attend_backward(t);
    add_column_sums(dqkv_.data(), n_, 3 * c, g.qkv_bias);
    gemm(true, false, c, 3 * c, n_, t.h1.data(), c, dqkv_.data(), 3 * c, 1.0f, g.qkv_kernel, 3 * c);
    gemm(false, true, n_, c, 3 * c, dqkv_.data(), 3 * c, w.qkv_kernel, 3 * c, 0.0f, dh_.data(), c);
    layer_norm_backward(dh_.data(), t.xhat1.data(), t.rstd1.data(), n_, c, w.ln1_gamma, g.ln1_gamma, g.ln1_beta,
                        dx_.data());
  }

  /** The attention's backward pass: from d mixed (in dh_) to d q, d k, d v (into dqkv_). */
  void attend_backward(const BlockTrace& t) {
    const int c = s_.width, h = s_.heads, d = c / h, T = steps_;
    const float scale = 1.0f / std::sqrt(float(d));
    dprobs_.resize(size_t(T) * T);
    for (int b = 0; b < rows_; b++) {
      for (int head = 0; head < h; head++) {
        const size_t at = size_t(b) * T * 3 * c + head * d;
        const float* q = t.qkv.data() + at;
        const float* p = t.probs.data() + (size_t(b) * h + head) * T * T;
        const float* dout = dh_.data() + size_t(b) * T * c + head * d;
        float* dq = dqkv_.data() + at;
        gemm(false, true, T, T, d, dout, c, q + 2 * c, 3 * c, 0.0f, dprobs_.data(), T);      // d probs = d out · vᵀ
        gemm(true, false, T, d, T, p, T, dout, c, 0.0f, dq + 2 * c, 3 * c);                  // d v = probsᵀ · d out
        for (int i = 0; i < T; i++) {
          float* ds = dprobs_.data() + size_t(i) * T;
          const float* pr = p + size_t(i) * T;
          float dot = 0.0f;
          for (int j = 0; j <= i; j++) dot += pr[j] * ds[j];
          for (int j = 0; j <= i; j++) ds[j] = pr[j] * (ds[j] - dot) * scale;
          std::fill(ds + i + 1, ds + T, 0.0f);
        }
        gemm(false, false, T, d, T, dprobs_.data(), T, q + c, 3 * c, 0.0f, dq, 3 * c);       // d q = d scores · k
        gemm(true, false, T, d, T, dprobs_.data(), T, q, 3 * c, 0.0f, dq + c, 3 * c);        // d k = d scoresᵀ · q
      }
    }
  }

  GptSpec s_{};
  const GptParams* p_ = nullptr;
  int row0_ = 0, rows_ = 0, steps_ = 0;
  size_t n_ = 0;
  std::vector<int32_t> ids_, targets_;
  std::vector<float> weights_, x_, proj_, drop0_, xhatf_, rstdf_, hf_, logits_, dx_, dh_, dwide_, dqkv_, dprobs_;
  std::vector<BlockTrace> blocks_;
};

}  // namespace

std::vector<size_t> gpt_param_sizes(const GptSpec& s) {
  const size_t c = s.width;
  std::vector<size_t> sizes = {size_t(s.vocab) * c, size_t(s.context) * c};
  for (int l = 0; l < s.layers; l++)
    sizes.insert(sizes.end(), {c, c, c * 3 * c, 3 * c, c * c, c, c, c, c * 4 * c, 4 * c, 4 * c * c, c});
  sizes.insert(sizes.end(), {c, c});
  if (!s.tied) sizes.insert(sizes.end(), {c * s.vocab, size_t(s.vocab)});
  return sizes;
}

double gpt_loss_and_gradients(const GptSpec& s, const std::vector<const float*>& params, const int32_t* inputs,
                              const int32_t* targets, const float* mask, int batch, int steps,
                              const uint32_t* dropout_seeds, int threads, const std::vector<float*>& grads) {
  const std::vector<size_t> sizes = gpt_param_sizes(s);
  double total_weight = 0.0;
  for (size_t k = 0; k < size_t(batch) * steps; k++) total_weight += mask == nullptr ? 1.0 : mask[k];
  const float scale = float(1.0 / std::max(total_weight, 1.0));
  std::vector<float*> arrays;  // read only: GptParams names parameters and gradients alike
  for (const float* param : params) arrays.push_back(const_cast<float*>(param));
  const GptParams p(s, arrays);
  static std::mutex busy;  // one call at a time: the parts' buffers are the process's
  const std::lock_guard<std::mutex> lock(busy);
  static std::vector<GptPart> parts_of_calls;
  const bool backward = !grads.empty();
  const int parts = std::max(1, std::min(threads, batch));
  if (int(parts_of_calls.size()) < parts) parts_of_calls.resize(parts);
  // Part 0 adds into `grads`; the others into buffers of their own (kept between calls), summed at the end.
  static std::vector<std::vector<std::vector<float>>> buffers;
  if (int(buffers.size()) < parts) buffers.resize(parts);
  std::vector<GptParams> part_grads;
  for (int k = 0; k < parts && backward; k++) {
    std::vector<float*> arrays;
    for (size_t i = 0; i < sizes.size(); i++) {
      if (k == 0) {
        std::fill_n(grads[i], sizes[i], 0.0f);
        arrays.push_back(grads[i]);
      } else {
        if (buffers[k].size() <= i) buffers[k].emplace_back();
        buffers[k][i].assign(sizes[i], 0.0f);
        arrays.push_back(buffers[k][i].data());
      }
    }
    part_grads.emplace_back(s, arrays);
  }
  std::vector<double> losses(parts, 0.0);
  std::vector<std::exception_ptr> failures(parts);
  const auto run = [&](int k, int row0, int rows) {
    try {
      losses[k] = parts_of_calls[k].run(s, p, row0, rows, steps, inputs, targets, mask, dropout_seeds, scale,
                                        backward ? &part_grads[k] : nullptr);
    } catch (...) {
      failures[k] = std::current_exception();  // rethrown below, after every thread has joined
    }
  };
  std::vector<std::thread> workers;
  const auto rows_of = [&](int k) { return batch / parts + (k < batch % parts ? 1 : 0); };
  for (int k = 1, row = rows_of(0); k < parts; row += rows_of(k), k++) {
    try {
      workers.emplace_back(run, k, row, rows_of(k));
    } catch (...) {
      failures[k] = std::current_exception();  // the thread could not start
    }
  }
  run(0, 0, rows_of(0));
  for (auto& worker : workers) worker.join();
  for (const auto& failure : failures)
    if (failure) std::rethrow_exception(failure);
  for (int k = 1; k < parts && backward; k++)
    for (size_t i = 0; i < sizes.size(); i++)
      for (size_t j = 0; j < sizes[i]; j++) grads[i][j] += buffers[k][i][j];
  double loss = 0.0;
  for (double part : losses) loss += part;
  return loss * scale;
}

}  // namespace gn
