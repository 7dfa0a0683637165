#include "blas.h"

#if defined(GN_OPENBLAS)
extern "C" void openblas_set_num_threads(int);
#endif

namespace gn {
void blas_single_thread() {
#if defined(GN_OPENBLAS)
  openblas_set_num_threads(1);
#endif
}
}  // namespace gn
