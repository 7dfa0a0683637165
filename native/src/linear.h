// The matrix parts of the passes: products through the BLAS (see blas.h), transposes, column sums, row gathers (one-hot
// inputs and embeddings) and their gradients, bias rows. Row-major throughout.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gn {

/** C = op(A)·op(B) + beta·C, row-major. */
void gemm(bool trans_a, bool trans_b, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc);

/** C (+)= A·B for the small products of one time step (A [m×k], B [k×n], no transposes), in column chunks (see linear.cc). */
void step_gemm(int m, int n, int k, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc);

/** The transpose of a row-major [rows, cols] matrix, into `out` ([cols, rows]). */
void transpose(const float* x, int rows, int cols, std::vector<float>& out);

/** out[j] += Σ_rows x[r, j] (column sums of a row-major [rows, cols] matrix). */
void add_column_sums(const float* x, int rows, int cols, float* out);

/** out[r] = table[ids[r]] for `rows` rows of `width` values (one-hot input times a matrix, or an embedding lookup). */
void gather_rows(const float* table, int width, const int32_t* ids, size_t rows, float* out);

/** table[ids[r]] += x[r] for `rows` rows of `width` values: the gradient of {@link gather_rows}. */
void scatter_add_rows(const float* x, int width, const int32_t* ids, size_t rows, float* table);

/** Adds `bias` [cols] to every row of `x` [rows, cols]. */
void add_bias(float* __restrict x, size_t rows, int cols, const float* __restrict bias);

}  // namespace gn
