// CPU threads of the math libraries. Debian's libtorch calls the system BLAS
// (OpenBLAS when libopenblas0-pthread is installed), which starts its own
// thread pool of one thread per core and spins in sched_yield between calls:
// next to actor processes on the same cores that cost the learner about
// half its speed (measured, BENCHMARKS.md). Every process of a run sets both
// pools explicitly.
#pragma once

#include <string>

namespace rl {

// libtorch's intra-op threads and OpenBLAS's threads, both to `threads`.
void set_compute_threads(int threads);

// "OpenBLAS 0.3.21 ..." (from openblas_get_config), or "reference BLAS or
// unknown" when no OpenBLAS is loaded.
std::string blas_description();

}  // namespace rl
