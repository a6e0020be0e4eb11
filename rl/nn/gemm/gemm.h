// The three matrix products of an MLP's forward and backward pass, row-major
// float, with Eigen. gemm.cc is compiled once per x86-64 ISA level (v4:
// AVX-512, v3: AVX2/FMA, baseline: SSE2), each into a shared library of its
// own whose Eigen code stays hidden, so that the three builds of the same
// templates cannot be mixed up by the linker. gemm_kernels() picks the best
// one the CPU runs, once.
#pragma once

#include <cstdint>

namespace rl {

struct GemmKernels {
  const char* name;  // "x86-64-v4 (AVX-512)", ...
  // C[M, N] = A[M, K] B[N, K]^T
  void (*nt)(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c);
  // C[M, N] += A[K, M]^T B[K, N]
  void (*tn_add)(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c);
  // C[M, N] = A[M, K] B[K, N]
  void (*nn)(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c);
};

const GemmKernels& gemm_kernels();

}  // namespace rl
