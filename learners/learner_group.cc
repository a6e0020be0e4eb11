#include "learners/learner_group.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>
#include <stdexcept>

namespace rl {
namespace {

int env_int(const char* name) {
  const char* value = std::getenv(name);
  if (!value) throw std::invalid_argument(std::string(name) + " is not set (WORLD_SIZE is)");
  try {
    return std::stoi(value);
  } catch (const std::exception&) {
    throw std::invalid_argument(std::string(name) + "='" + value + "' is not an integer");
  }
}

}  // namespace

std::optional<GroupInfo> group_from_environment() {
  if (!std::getenv("WORLD_SIZE")) return std::nullopt;
  GroupInfo info;
  info.world_size = env_int("WORLD_SIZE");
  info.rank = env_int("RANK");
  info.master_port = env_int("MASTER_PORT");
  const char* addr = std::getenv("MASTER_ADDR");
  info.master_addr = addr ? addr : "127.0.0.1";
  if (info.world_size < 1 || info.rank < 0 || info.rank >= info.world_size) {
    throw std::invalid_argument("RANK=" + std::to_string(info.rank) + " is not in [0, WORLD_SIZE=" +
                                std::to_string(info.world_size) + ")");
  }
  return info;
}

struct LearnerGroup::Impl {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

LearnerGroup::LearnerGroup(const GroupInfo& info, torch::Device device, double timeout_seconds,
                           const std::function<void(int port)>& store_ready)
    : info_(info), impl_(std::make_unique<Impl>()) {
  if (device.is_cuda()) {
    throw std::invalid_argument(
        "learner groups on CUDA use NCCL, which this libtorch (a CPU build) does not have; "
        "use --device cpu, or build against a CUDA libtorch (docs/gpu.md)");
  }
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
  c10d::TCPStoreOptions options;
  options.port = static_cast<uint16_t>(info.master_port);
  options.isServer = info.rank == 0;
  options.numWorkers = info.world_size;
  options.waitWorkers = false;
  options.timeout = timeout;
  impl_->store = c10::make_intrusive<c10d::TCPStore>(info.master_addr, options);
  info_.master_port = impl_->store->getPort();
  if (store_ready) store_ready(info_.master_port);
  auto gloo = c10d::ProcessGroupGloo::Options::create();
  gloo->timeout = timeout;
  gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(info.master_addr));
  impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, info.rank, info.world_size, gloo);
}

LearnerGroup::~LearnerGroup() = default;

void LearnerGroup::broadcast(std::vector<torch::Tensor> tensors) {
  torch::NoGradGuard no_grad;
  for (auto& t : tensors) {
    std::vector<at::Tensor> one{t.data()};
    impl_->group->broadcast(one)->wait();
  }
}

void LearnerGroup::average_gradients(const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters) {
    grads.push_back(p.grad().defined() ? p.grad() : torch::zeros_like(p));
  }
  std::vector<at::Tensor> flat{torch::cat([&] {
    std::vector<torch::Tensor> views;
    for (const auto& g : grads) views.push_back(g.reshape({-1}));
    return views;
  }())};
  impl_->group->allreduce(flat)->wait();
  flat[0].div_(static_cast<double>(info_.world_size));
  int64_t offset = 0;
  for (size_t i = 0; i < parameters.size(); ++i) {
    const int64_t n = parameters[i].numel();
    if (parameters[i].grad().defined()) {
      parameters[i].grad().copy_(flat[0].slice(0, offset, offset + n).view_as(parameters[i]));
    }
    offset += n;
  }
}

std::vector<double> LearnerGroup::sum(const std::vector<double>& values) {
  std::vector<at::Tensor> t{torch::tensor(at::ArrayRef<double>(values), torch::dtype(torch::kDouble))};
  impl_->group->allreduce(t)->wait();
  const torch::Tensor result = t[0].contiguous();
  return std::vector<double>(result.data_ptr<double>(), result.data_ptr<double>() + result.numel());
}

}  // namespace rl
