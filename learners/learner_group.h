// A group of learners that train one policy together (data parallel): a
// torch.distributed (c10d) process group with a TCPStore rendezvous, as
// torchrun sets it up (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) or as
// Slurm does (SLURM_PROCID, SLURM_NTASKS, the step's first node). Ranks may
// be on different hosts: each binds its collectives on its own interface
// (GLOO_SOCKET_IFNAME, else the address of its route to MASTER_ADDR).
// Gradients are averaged across the group every step, and the normalizer
// statistics merge the whole group's batch, so every learner holds the same
// parameters after every update. Gloo on the CPU; NCCL on CUDA (where
// libtorch is a CUDA build), each rank on its own GPU.
//
// The store also carries what the ranks tell each other outside the
// collectives: each rank's actor endpoint and live actor count (rank 0
// assigns joining actors to ranks), and rank 0's checkpoint for --resume
// without a shared file system.
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
  std::string source;   // where it came from ("torchrun variables", "Slurm", "--learners")
  int local_rank = 0;   // the rank among this host's ranks (LOCAL_RANK, SLURM_LOCALID): picks its GPU
};

// The group described by RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT (if
// WORLD_SIZE is set), else by Slurm's SLURM_PROCID, SLURM_NTASKS and
// SLURM_STEP_NODELIST when SLURM_NTASKS > 1 (MASTER_PORT, if unset, derived
// from SLURM_JOB_ID); throws std::invalid_argument naming a bad variable.
std::optional<GroupInfo> group_from_environment();

// The first host of a Slurm node list ("node[1-3,7],gpu2" -> "node1").
std::string first_slurm_host(const std::string& nodelist);

// The local address this host uses to reach `host` (the source address of
// its route there), e.g. the interface Gloo must bind on a multi-host group.
std::string local_address_towards(const std::string& host, int port);

class LearnerGroup {
 public:
  // Joins (rank 0: hosts) the rendezvous and builds the process group,
  // which waits for every member. `store_ready(port)` runs once the
  // rendezvous store listens (rank 0 starts the other members there).
  // Collectives fail after `timeout_seconds` instead of hanging when a
  // member is gone. Every failure is a std::runtime_error of one line that
  // names the rank, the addresses and the cause.
  LearnerGroup(const GroupInfo& info, torch::Device device, double timeout_seconds,
               const std::function<void(int port)>& store_ready = {});
  ~LearnerGroup();

  int rank() const { return info_.rank; }
  int world_size() const { return info_.world_size; }
  // The rendezvous port actually used (after a rank 0 picked a free one).
  int master_port() const { return info_.master_port; }
  // The address this rank's collectives use.
  const std::string& local_address() const { return local_address_; }

  // Replaces every tensor with rank 0's.
  void broadcast(std::vector<torch::Tensor> tensors);
  // Averages the gradients of `parameters` over the group (one flat all-reduce).
  void average_gradients(const std::vector<torch::Tensor>& parameters);
  // Element-wise sum over the group.
  std::vector<double> sum(const std::vector<double>& values);

  // ---- The store, outside the collectives (any thread, one at a time) ----
  void store_set(const std::string& key, const std::string& value);
  // Waits for `key` up to the group's timeout.
  std::string store_get(const std::string& key);
  // The value of `key` if it is set, without waiting.
  std::optional<std::string> store_try_get(const std::string& key);

 private:
  void connect_gloo(const std::string& who, const std::string& rendezvous);
  void connect_nccl(const std::string& who, const std::string& rendezvous);
  void open_side_store(const std::string& who, const std::string& rendezvous);

  struct Impl;
  GroupInfo info_;
  std::string local_address_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rl
