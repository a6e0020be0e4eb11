// The few places where Debian's libtorch 1.13 (the tested CPU build) and
// libtorch 2.x (PyTorch's CUDA wheels, the GPU machines) differ in API. The
// project builds against both; every version test lives here.
#pragma once

#include <torch/torch.h>
#include <torch/version.h>

#include <sstream>
#include <string>

#define RL_TORCH_2 (TORCH_VERSION_MAJOR >= 2)

namespace rl::torch_compat {

// A parameter's key in torch::optim::Optimizer::state(): its TensorImpl's
// address as text in 1.x, the address itself in 2.x.
#if RL_TORCH_2
inline void* optimizer_state_key(const torch::Tensor& p) { return p.unsafeGetTensorImpl(); }
#else
inline std::string optimizer_state_key(const torch::Tensor& p) {
  std::ostringstream text;
  text << p.unsafeGetTensorImpl();
  return text.str();
}
#endif

}  // namespace rl::torch_compat
