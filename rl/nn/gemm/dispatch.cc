#include "rl/nn/gemm/gemm.h"

#define RL_DECLARE_GEMM(level)                                                                    \
  extern "C" void rl_gemm_##level##_nt(int64_t, int64_t, int64_t, const float*, const float*,    \
                                       float*);                                                   \
  extern "C" void rl_gemm_##level##_tn_add(int64_t, int64_t, int64_t, const float*, const float*, \
                                           float*);                                               \
  extern "C" void rl_gemm_##level##_nn(int64_t, int64_t, int64_t, const float*, const float*, float*);

RL_DECLARE_GEMM(v4)
RL_DECLARE_GEMM(v3)
RL_DECLARE_GEMM(v1)

namespace rl {

const GemmKernels& gemm_kernels() {
  static const GemmKernels kernels = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4")) {
      return GemmKernels{"x86-64-v4 (AVX-512)", rl_gemm_v4_nt, rl_gemm_v4_tn_add, rl_gemm_v4_nn};
    }
    if (__builtin_cpu_supports("x86-64-v3")) {
      return GemmKernels{"x86-64-v3 (AVX2, FMA)", rl_gemm_v3_nt, rl_gemm_v3_tn_add, rl_gemm_v3_nn};
    }
    return GemmKernels{"x86-64 (SSE2)", rl_gemm_v1_nt, rl_gemm_v1_tn_add, rl_gemm_v1_nn};
  }();
  return kernels;
}

}  // namespace rl
