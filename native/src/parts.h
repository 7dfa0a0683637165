// A batch's rows shared among threads: each thread runs a whole pass on consecutive rows (its part), into its own
// gradient buffers, summed at the end. Shared by the recurrent networks and the sequence-to-sequence models.
#pragma once
#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

namespace gn {

/**
 * One thread's pass over rows [row0, row0 + rows) of the batch: adds its gradients into `grads` (zeroed before; empty
 * when no gradients are wanted) and returns its rows' Σ weight · loss. `part` is its index (0 … parts − 1: which
 * workspace it may use); part 0 runs on the calling thread.
 */
using PartPass = std::function<double(int part, int row0, int rows, const std::vector<float*>& grads)>;

/**
 * Runs `pass` over min(threads, batch) parts of consecutive rows; part 0 writes into `grads` (arrays of `sizes`; empty:
 * the loss alone), the others into their own buffers, summed into it after every thread has joined. Returns the sum of
 * the parts' results; an exception of any part is rethrown once all have stopped.
 */
double run_parts(int batch, int threads, const std::vector<size_t>& sizes, const std::vector<float*>& grads, const PartPass& pass);

/** Held by every pass that uses the process's shared workspaces (several worker_threads may call the addon). */
std::mutex& pass_lock();

}  // namespace gn
