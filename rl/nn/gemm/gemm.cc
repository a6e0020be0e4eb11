// One ISA level's build of the MLP products (see gemm.h). RL_GEMM_LEVEL
// names the entry points: rl_gemm_<level>_nt and so on.
#include <Eigen/Core>

#include <cstdint>

#define RL_GEMM_CAT2(a, b) a##b
#define RL_GEMM_CAT(a, b) RL_GEMM_CAT2(a, b)
#define RL_GEMM_ENTRY(op) RL_GEMM_CAT(RL_GEMM_CAT(rl_gemm_, RL_GEMM_LEVEL), RL_GEMM_CAT(_, op))

namespace {

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using In = Eigen::Map<const RowMajor>;
using Out = Eigen::Map<RowMajor>;

}  // namespace

// A few rows through a large B (an actor's handful of envs through a wide
// layer, MinAtar's 1,600 x 128 FC): Eigen's GEMM packs all of B on every
// call, which costs more than the products themselves (44% of an actor's
// time, measured). One matrix-vector product per row of B reads B once and
// packs nothing.
constexpr int64_t kFewRows = 8;
constexpr int64_t kLargeB = 65536;  // floats

extern "C" __attribute__((visibility("default"))) void RL_GEMM_ENTRY(nt)(
    int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c) {
  if (m <= kFewRows && n * k >= kLargeB) {
    const In rows(a, m, k);
    Eigen::Matrix<float, Eigen::Dynamic, 1, 0, kFewRows, 1> column(m);
    for (int64_t j = 0; j < n; ++j) {
      column.noalias() = rows * Eigen::Map<const Eigen::VectorXf>(b + j * k, k);
      for (int64_t i = 0; i < m; ++i) c[i * n + j] = column[i];
    }
    return;
  }
  Out(c, m, n).noalias() = In(a, m, k) * In(b, n, k).transpose();
}

extern "C" __attribute__((visibility("default"))) void RL_GEMM_ENTRY(tn_add)(
    int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c) {
  Out(c, m, n).noalias() += In(a, k, m).transpose() * In(b, k, n);
}

extern "C" __attribute__((visibility("default"))) void RL_GEMM_ENTRY(nn)(
    int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c) {
  Out(c, m, n).noalias() = In(a, m, k) * In(b, k, n);
}
