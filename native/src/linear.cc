// The matrix parts of the passes: products through the BLAS, transposes, column sums, row gathers and bias rows.
#include "linear.h"

#include <algorithm>
#include <cmath>

#include "blas.h"
#include "mathx.h"

namespace gn {

void gemm(bool trans_a, bool trans_b, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (beta == 0.0f) for (int i = 0; i < m; i++) std::fill(c + size_t(i) * ldc, c + size_t(i) * ldc + n, 0.0f);
    return;
  }
  if (m == 1 && !trans_a) {
    // One row times a matrix (generation one sample at a time, a packed encoder's last rows, a GPT at T = 1):
    // OpenBLAS 0.3.21's sgemm takes 15 µs for [1×128]·[128×512], packing B on every call; its sgemv 2.7 µs.
    if (trans_b) cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0f, b, ldb, a, 1, beta, c, 1);
    else cblas_sgemv(CblasRowMajor, CblasTrans, k, n, 1.0f, b, ldb, a, 1, beta, c, 1);
    return;
  }
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a, lda, b, ldb,
              beta, c, ldc);
}

/**
 * C (+)= A·B in column chunks of at most 2^19 multiply-adds each. OpenBLAS (0.3.21 here, AVX-512) multiplies a
 * product that small straight from its operands, while a larger one first packs all of B again on every call:
 * [16×128]·[128×512] took 32 µs in one call and 18 µs in two (same for 32 and 64 rows in 4 and 8 chunks). Chunks are
 * whole multiples of 16 columns.
 */
void step_gemm(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  constexpr double kSmallProduct = 1 << 19;
  const int chunks = std::max(1, int(std::ceil(double(m) * n * k / kSmallProduct)));
  const int width = std::min(n, ((n + chunks - 1) / chunks + 15) & ~15);
  for (int j = 0; j < n; j += width) gemm(false, false, m, std::min(width, n - j), k, a, lda, b + j, ldb, beta, c + j, ldc);
}

void transpose(const float* x, int rows, int cols, std::vector<float>& out) {
  out.resize(size_t(rows) * cols);
  // In tiles that stay in the L1 cache, so that neither side is read or written a cache line per value.
  constexpr int kTile = 32;
  float* to = out.data();
  for (int r0 = 0; r0 < rows; r0 += kTile)
    for (int c0 = 0; c0 < cols; c0 += kTile) {
      const int r1 = std::min(rows, r0 + kTile), c1 = std::min(cols, c0 + kTile);
      for (int c = c0; c < c1; c++)
        for (int r = r0; r < r1; r++) to[size_t(c) * rows + r] = x[size_t(r) * cols + c];
    }
}

void add_column_sums(const float* x, int rows, int cols, float* out) {
  for (int r = 0; r < rows; r++) {
    const float* row = x + size_t(r) * cols;
    for (int j = 0; j < cols; j++) out[j] += row[j];
  }
}

void gather_rows(const float* table, int width, const int32_t* ids, size_t rows, float* out) {
  for (size_t r = 0; r < rows; r++) std::copy_n(table + size_t(ids[r]) * width, width, out + r * width);
}

void scatter_add_rows(const float* x, int width, const int32_t* ids, size_t rows, float* table) {
  for (size_t r = 0; r < rows; r++) {
    float* row = table + size_t(ids[r]) * width;
    const float* d = x + r * width;
    for (int j = 0; j < width; j++) row[j] += d[j];
  }
}

GN_VECTOR_CLONES void add_bias(float* __restrict x, size_t rows, int cols, const float* __restrict bias) {
  for (size_t r = 0; r < rows; r++) {
    float* row = x + r * cols;
    for (int j = 0; j < cols; j++) row[j] += bias[j];
  }
}

}  // namespace gn
