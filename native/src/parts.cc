// The batch's rows over threads (see parts.h).
#include "parts.h"

#include <algorithm>
#include <exception>
#include <thread>

namespace gn {

std::mutex& pass_lock() {
  static std::mutex lock;
  return lock;
}

namespace {

/** Runs `each(k)` for k = 0 … count − 1, k ≥ 1 on threads of their own; rethrows a failure once all have stopped. */
void in_parallel(int count, const std::function<void(int)>& each) {
  std::vector<std::exception_ptr> failures(count);
  std::vector<std::thread> workers;
  const auto guarded = [&](int k) {
    try {
      each(k);
    } catch (...) {
      failures[k] = std::current_exception();  // rethrown below, after every thread has joined
    }
  };
  for (int k = 1; k < count; k++) {
    try {
      workers.emplace_back(guarded, k);
    } catch (...) {
      failures[k] = std::current_exception();  // the thread could not start
    }
  }
  guarded(0);
  for (auto& worker : workers) worker.join();
  for (const auto& failure : failures) if (failure) std::rethrow_exception(failure);
}

/**
 * Adds parts 1 … of `part_grads` into part 0's arrays (`grads`), part after part, each thread on its share of the
 * elements laid end to end: every element's sum in the same order whatever the split, so the same bytes.
 */
void sum_parts(const std::vector<size_t>& sizes, const std::vector<std::vector<float*>>& part_grads, int threads) {
  size_t total = 0;
  for (size_t size : sizes) total += size;
  const size_t share = (total + threads - 1) / threads;
  in_parallel(threads, [&](int t) {
    const size_t lo = std::min(total, share * t), hi = std::min(total, lo + share);
    size_t offset = 0;
    for (size_t i = 0; i < sizes.size(); offset += sizes[i], i++) {
      const size_t from = std::max(lo, offset), to = std::min(hi, offset + sizes[i]);
      if (from >= to) continue;
      float* into = part_grads[0][i];
      for (size_t k = 1; k < part_grads.size(); k++) {
        const float* add = part_grads[k][i];
        for (size_t j = from - offset; j < to - offset; j++) into[j] += add[j];
      }
    }
  });
}

}  // namespace

double run_parts(int batch, int threads, const std::vector<size_t>& sizes, const std::vector<float*>& grads, const PartPass& pass) {
  const int parts = std::max(1, std::min(threads, batch));
  // Parts 1 …: their own gradients. Only passes with gradients touch them, and those hold pass_lock (the Adam update,
  // which runs without it, has none).
  static std::vector<std::vector<std::vector<float>>> buffers;
  const bool backward = !grads.empty();
  if (backward && int(buffers.size()) < parts) buffers.resize(parts);
  std::vector<std::vector<float*>> part_grads(parts);
  for (int k = 0; k < parts && backward; k++) {
    if (k == 0) {
      part_grads[0] = grads;
    } else {
      buffers[k].resize(sizes.size());
      for (size_t i = 0; i < sizes.size(); i++) buffers[k][i].resize(sizes[i]), part_grads[k].push_back(buffers[k][i].data());
    }
  }
  std::vector<double> losses(parts, 0.0);
  const auto rows_of = [&](int k) { return batch / parts + (k < batch % parts ? 1 : 0); };  // consecutive rows
  std::vector<int> first_row(parts, 0);
  for (int k = 1; k < parts; k++) first_row[k] = first_row[k - 1] + rows_of(k - 1);
  in_parallel(parts, [&](int k) {
    for (size_t i = 0; i < sizes.size() && backward; i++) std::fill_n(part_grads[k][i], sizes[i], 0.0f);  // its own, on its thread
    losses[k] = pass(k, first_row[k], rows_of(k), part_grads[k]);
  });
  if (backward && parts > 1) sum_parts(sizes, part_grads, parts);
  double total = 0.0;
  for (double part : losses) total += part;
  return total;
}

}  // namespace gn
