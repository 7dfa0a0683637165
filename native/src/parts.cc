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

double run_parts(int batch, int threads, const std::vector<size_t>& sizes, const std::vector<float*>& grads, const PartPass& pass) {
  const int parts = std::max(1, std::min(threads, batch));
  static std::vector<std::vector<std::vector<float>>> buffers;  // parts 1 … : their own gradients
  if (int(buffers.size()) < parts) buffers.resize(parts);
  const bool backward = !grads.empty();
  std::vector<std::vector<float*>> part_grads(parts);
  for (int k = 0; k < parts && backward; k++) {
    if (k == 0) {
      part_grads[0] = grads;
    } else {
      buffers[k].resize(sizes.size());
      for (size_t i = 0; i < sizes.size(); i++) buffers[k][i].resize(sizes[i]), part_grads[k].push_back(buffers[k][i].data());
    }
    for (size_t i = 0; i < sizes.size(); i++) std::fill_n(part_grads[k][i], sizes[i], 0.0f);
  }
  std::vector<double> losses(parts, 0.0);
  std::vector<std::exception_ptr> failures(parts);
  std::vector<std::thread> workers;
  const auto rows_of = [&](int k) { return batch / parts + (k < batch % parts ? 1 : 0); };  // consecutive rows
  int row = rows_of(0);
  for (int k = 1; k < parts; k++) {
    const int rows = rows_of(k);
    try {
      workers.emplace_back([&, k, row, rows] {
        try {
          losses[k] = pass(k, row, rows, part_grads[k]);
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
    losses[0] = pass(0, 0, rows_of(0), part_grads[0]);
  } catch (...) {
    failures[0] = std::current_exception();
  }
  for (auto& worker : workers) worker.join();
  for (const auto& failure : failures) if (failure) std::rethrow_exception(failure);
  for (int k = 1; k < parts && backward; k++) {
    for (size_t i = 0; i < sizes.size(); i++) {
      float* into = grads[i];
      const float* from = part_grads[k][i];
      for (size_t j = 0; j < sizes[i]; j++) into[j] += from[j];
    }
  }
  double total = 0.0;
  for (double part : losses) total += part;
  return total;
}

}  // namespace gn
