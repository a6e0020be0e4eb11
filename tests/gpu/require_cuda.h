// The gate of every test labelled `gpu`: skip (GoogleTest's SKIPPED, which
// ctest reports as "Skipped") unless libtorch is a CUDA build and a GPU is
// there, and say which of the two is missing. RL_TORCH_CUDA comes from CMake
// (the libtorch found lists CUDA libraries).
//
// RL_GPU_TEST_DEVICE=cpu runs these tests with the CPU in the GPU's place:
// the comparisons are then trivial, but every other step of them (the
// batches, the updates, the runs, the checkpoints) is checked on machines
// without a GPU.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <string>

namespace rl::testing {

inline torch::Device gpu_test_device() {
  const char* named = std::getenv("RL_GPU_TEST_DEVICE");
  return named ? torch::Device(named) : torch::Device(torch::kCUDA, 0);
}

inline std::string gpu_test_device_flag() {
  return gpu_test_device().is_cuda() ? "cuda" : gpu_test_device().str();
}

}  // namespace rl::testing

#define RL_REQUIRE_CUDA()                                                                    \
  do {                                                                                       \
    if (rl::testing::gpu_test_device().is_cuda()) {                                          \
      if (!RL_TORCH_CUDA) GTEST_SKIP() << "no CUDA: this libtorch is a CPU build";           \
      if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA: no GPU found on this host"; \
    }                                                                                        \
  } while (0)
