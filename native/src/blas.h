// The BLAS the addon is built against: OpenBLAS (Linux, the default), Apple Accelerate (macOS), or any CBLAS
// chosen with GN_BLAS at build time (see binding.gyp).
#pragma once
#if defined(GN_ACCELERATE)
#include <Accelerate/Accelerate.h>
#else
#include <cblas.h>
#endif

namespace gn {
/** Keeps the BLAS on one thread: the engine's own threads split the batch. */
void blas_single_thread();
}  // namespace gn
