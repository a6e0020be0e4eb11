#include "rl/nn/threads.h"

#include <dlfcn.h>
#include <torch/torch.h>

namespace rl {

void set_compute_threads(int threads) {
  torch::set_num_threads(threads);
  // Looked up at run time: the symbol exists only when the BLAS behind
  // libtorch is OpenBLAS.
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set(threads);
  }
}

std::string blas_description() {
  using GetConfig = const char* (*)();
  if (auto get = reinterpret_cast<GetConfig>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) {
    return get();  // "OpenBLAS 0.3.21 ..."
  }
  return "reference BLAS or unknown";
}

}  // namespace rl
