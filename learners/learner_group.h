// A group of learners that train one policy together (data parallel): a
// torch.distributed (c10d) process group with a TCPStore rendezvous, as
// torchrun sets it up (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT). Each
// learner serves its own actors; gradients are averaged across the group
// every step, and the normalizer statistics merge the whole group's batch,
// so every learner holds the same parameters after every update. Gloo on
// the CPU; NCCL on CUDA needs a CUDA libtorch (GPU.md).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rl {

struct GroupInfo {
  int rank = 0;
  int world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;  // 0 on rank 0: pick a free port (then given to the others)
};

// The group described by RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT, if
// WORLD_SIZE is set; throws std::invalid_argument naming a bad variable.
std::optional<GroupInfo> group_from_environment();

class LearnerGroup {
 public:
  // Joins (rank 0: hosts) the rendezvous and builds the process group,
  // which waits for every member. `store_ready(port)` runs once the
  // rendezvous store listens (rank 0 starts the other members there).
  // Collectives fail after `timeout_seconds` instead of hanging when a
  // member is gone.
  LearnerGroup(const GroupInfo& info, torch::Device device, double timeout_seconds,
               const std::function<void(int port)>& store_ready = {});
  ~LearnerGroup();

  int rank() const { return info_.rank; }
  int world_size() const { return info_.world_size; }
  // The rendezvous port actually used (after a rank 0 picked a free one).
  int master_port() const { return info_.master_port; }

  // Replaces every tensor with rank 0's.
  void broadcast(std::vector<torch::Tensor> tensors);
  // Averages the gradients of `parameters` over the group (one flat all-reduce).
  void average_gradients(const std::vector<torch::Tensor>& parameters);
  // Element-wise sum over the group.
  std::vector<double> sum(const std::vector<double>& values);

 private:
  struct Impl;
  GroupInfo info_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rl
