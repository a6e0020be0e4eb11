#include "learners/learner_group.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "rl/nn/torch_compat.h"
#if !RL_TORCH_2
#include <glog/logging.h>
#endif

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace rl {
namespace {

std::string env_or(const char* name, const std::string& fallback = "") {
  const char* value = std::getenv(name);
  return value ? value : fallback;
}

int env_int(const char* name, const char* because) {
  const char* value = std::getenv(name);
  if (!value) throw std::invalid_argument(std::string(name) + " is not set (" + because + " is)");
  try {
    size_t used = 0;
    const int n = std::stoi(value, &used);
    if (used != std::strlen(value)) throw std::invalid_argument("trailing");
    return n;
  } catch (const std::exception&) {
    throw std::invalid_argument(std::string(name) + "='" + value + "' is not an integer");
  }
}

std::string first_line(const std::string& text) {
  const size_t nl = text.find('\n');
  return nl == std::string::npos ? text : text.substr(0, nl);
}

// The first line of an error, without c10's C++ backtrace. c10d throws
// c10::Errors and, for its own failures (TimeoutError when no store
// answers), std::runtime_errors; Gloo throws its own (gloo::IoException).
std::string cause_of(const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  return first_line(c10_error ? c10_error->what_without_backtrace() : e.what());
}

}  // namespace

std::string first_slurm_host(const std::string& nodelist) {
  // The first entry at bracket depth 0: "node[1-3,7]" of "node[1-3,7],gpu2".
  std::string entry;
  int depth = 0;
  for (char c : nodelist) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (c == ',' && depth == 0) break;
    entry += c;
  }
  const size_t open = entry.find('[');
  if (open == std::string::npos) return entry;
  const size_t close = entry.find(']', open);
  if (close == std::string::npos) throw std::invalid_argument("node list '" + nodelist + "' has an unclosed '['");
  const std::string ranges = entry.substr(open + 1, close - open - 1);
  std::string first = ranges.substr(0, ranges.find_first_of(",-"));
  return entry.substr(0, open) + first + entry.substr(close + 1);
}

std::optional<GroupInfo> group_from_environment() {
  GroupInfo info;
  if (std::getenv("WORLD_SIZE")) {
    info.world_size = env_int("WORLD_SIZE", "WORLD_SIZE");
    info.rank = env_int("RANK", "WORLD_SIZE");
    info.master_port = env_int("MASTER_PORT", "WORLD_SIZE");
    info.master_addr = env_or("MASTER_ADDR", "127.0.0.1");
    info.source = "torchrun variables";
    info.local_rank = std::getenv("LOCAL_RANK") ? env_int("LOCAL_RANK", "WORLD_SIZE") : info.rank;
  } else if (std::getenv("SLURM_NTASKS") && env_int("SLURM_NTASKS", "SLURM_NTASKS") > 1) {
    // A Slurm step of several tasks: one learner per task, rank 0 on the
    // step's first node.
    info.world_size = env_int("SLURM_NTASKS", "SLURM_NTASKS");
    info.rank = env_int("SLURM_PROCID", "SLURM_NTASKS");
    const std::string nodes = env_or("SLURM_STEP_NODELIST", env_or("SLURM_JOB_NODELIST"));
    if (nodes.empty()) throw std::invalid_argument("SLURM_STEP_NODELIST is not set (SLURM_NTASKS is)");
    info.master_addr = env_or("MASTER_ADDR", first_slurm_host(nodes));
    info.master_port = std::getenv("MASTER_PORT") ? env_int("MASTER_PORT", "SLURM_NTASKS")
                                                  : 20000 + env_int("SLURM_JOB_ID", "SLURM_NTASKS") % 20000;
    info.source = "Slurm";
    info.local_rank = std::getenv("SLURM_LOCALID") ? env_int("SLURM_LOCALID", "SLURM_NTASKS") : info.rank;
  } else {
    return std::nullopt;
  }
  if (info.world_size < 1 || info.rank < 0 || info.rank >= info.world_size) {
    throw std::invalid_argument("the rank " + std::to_string(info.rank) + " is not in [0, " +
                                std::to_string(info.world_size) + ") (" + info.source + ")");
  }
  if (info.master_port <= 0 || info.master_port > 65535) {
    throw std::invalid_argument("MASTER_PORT " + std::to_string(info.master_port) + " is not a port");
  }
  return info;
}

std::string local_address_towards(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  const int status = ::getaddrinfo(host.c_str(), std::to_string(port > 0 ? port : 1).c_str(), &hints, &found);
  if (status != 0 || !found) {
    throw std::runtime_error("cannot resolve '" + host + "': " + ::gai_strerror(status));
  }
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  // A UDP connect sends nothing: it only picks the route, and its source.
  const bool routed = fd >= 0 && ::connect(fd, found->ai_addr, found->ai_addrlen) == 0;
  ::freeaddrinfo(found);
  sockaddr_in local{};
  socklen_t length = sizeof local;
  const bool named = routed && ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0;
  if (fd >= 0) ::close(fd);
  if (!named) throw std::runtime_error("no route from this host to '" + host + "'");
  char text[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &local.sin_addr, text, sizeof text);
  return text;
}

// The collectives' common base: c10d::ProcessGroup in libtorch 1.x, the
// Backend under it in 2.x (Gloo and NCCL derive from it).
#if RL_TORCH_2
using CollectiveBackend = c10d::Backend;
#else
using CollectiveBackend = c10d::ProcessGroup;
#endif

namespace {

// c10d logs each failure (through glog in Debian's 1.13, c10's own logging
// in 2.x) before it throws it; the exception carries the same cause, and the
// program prints it once, as one line.
void quiet_c10d_logging() {
#if RL_TORCH_2
  FLAGS_caffe2_log_level = 3;  // c10's FATAL
#else
  FLAGS_minloglevel = google::GLOG_FATAL;
#endif
}

}  // namespace

struct LearnerGroup::Impl {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::TCPStore> side;  // the runner's own connection, off the collectives'
  std::mutex side_mutex;
  c10::intrusive_ptr<CollectiveBackend> group;
  torch::Device device{torch::kCPU};  // where the collectives' tensors live (NCCL: this rank's GPU)
  double timeout_seconds = 60;
  std::chrono::milliseconds timeout() const {
    return std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
  }
};

namespace {

// NCCL for a group on CUDA: each rank on its own GPU, picked by the runner
// from the rank's local rank.
c10::intrusive_ptr<CollectiveBackend> nccl_group(const c10::intrusive_ptr<c10d::TCPStore>& store,
                                                 const GroupInfo& info, std::chrono::milliseconds timeout) {
#ifdef USE_C10D_NCCL
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, info.rank, info.world_size, options);
#else
  (void)store, (void)info, (void)timeout;
  throw std::invalid_argument(
      "learner groups on CUDA use NCCL, which this libtorch (a CPU build) does not have; "
      "use --device cpu, or build against a CUDA libtorch (docs/gpu.md)");
#endif
}

}  // namespace

LearnerGroup::LearnerGroup(const GroupInfo& info, torch::Device device, double timeout_seconds,
                           const std::function<void(int port)>& store_ready)
    : info_(info), impl_(std::make_unique<Impl>()) {
#ifndef USE_C10D_NCCL
  if (device.is_cuda()) nccl_group({}, info, {});  // throws: no NCCL in this build
#endif
  impl_->device = device;
  impl_->timeout_seconds = timeout_seconds;
  const std::string who = "learner group: rank " + std::to_string(info.rank) + " of " +
                          std::to_string(info.world_size) + " (" + info.source + ")";
  const auto timeout = impl_->timeout();
  const std::string rendezvous = info.master_addr + ":" + std::to_string(info.master_port);
  quiet_c10d_logging();
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<uint16_t>(info.master_port);
    options.isServer = info.rank == 0;
    options.numWorkers = info.world_size;
    options.waitWorkers = false;
    options.timeout = timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(info.master_addr, options);
    info_.master_port = impl_->store->getPort();
  } catch (const std::exception& e) {
    throw std::runtime_error(who + ": cannot " + (info.rank == 0 ? "host" : "reach") + " the rendezvous store at " +
                             rendezvous + " within " + std::to_string(static_cast<int>(timeout_seconds)) +
                             " s: " + cause_of(e) + (info.rank == 0 ? "" : " (is rank 0 running?)"));
  }
  if (store_ready) store_ready(info_.master_port);
  if (device.is_cuda()) {
    local_address_ = "GPU " + std::to_string(device.index());
    connect_nccl(who, rendezvous);
  } else {
    connect_gloo(who, rendezvous);
  }
  open_side_store(who, rendezvous);
}

void LearnerGroup::connect_nccl(const std::string& who, const std::string& rendezvous) {
  try {
    impl_->group = nccl_group(impl_->store, info_, impl_->timeout());
  } catch (const std::invalid_argument&) {
    throw;
  } catch (const std::exception& e) {
    throw std::runtime_error(who + ": could not make its NCCL group on " + local_address_ + " (rendezvous at " +
                             rendezvous + "): " + cause_of(e));
  }
}

void LearnerGroup::connect_gloo(const std::string& who, const std::string& rendezvous) {
  const double timeout_seconds = impl_->timeout_seconds;
  const auto timeout = impl_->timeout();
  const GroupInfo& info = info_;
  // Each rank binds its collectives on its own interface: the one named by
  // GLOO_SOCKET_IFNAME, or the one its route to the master goes through.
  // (Binding to MASTER_ADDR itself works only on the master's host.)
  std::shared_ptr<gloo::transport::Device> gloo_device;
  const std::string ifname = env_or("GLOO_SOCKET_IFNAME");
  try {
    if (!ifname.empty()) {
      local_address_ = "interface " + ifname;
      gloo_device = c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
    } else {
      local_address_ = local_address_towards(info.master_addr, info_.master_port);
      gloo_device = c10d::ProcessGroupGloo::createDeviceForHostname(local_address_);
    }
  } catch (const c10::Error& e) {
    throw std::runtime_error(who + ": cannot bind its collectives on " + local_address_ + ": " + cause_of(e));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(who + ": cannot find its own address towards the master " + info.master_addr + ": " +
                             e.what() + " (set GLOO_SOCKET_IFNAME to the interface to use)");
  }
  try {
    auto gloo = c10d::ProcessGroupGloo::Options::create();
    gloo->timeout = timeout;
    gloo->devices.push_back(gloo_device);
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, info.rank, info.world_size, gloo);
  } catch (const std::exception& e) {
    throw std::runtime_error(who + ": could not connect to the other ranks (its collectives on " + local_address_ +
                             ", rendezvous at " + rendezvous + ", timeout " +
                             std::to_string(static_cast<int>(timeout_seconds)) + " s): " + cause_of(e));
  }
}

void LearnerGroup::open_side_store(const std::string& who, const std::string& rendezvous) {
  try {
    c10d::TCPStoreOptions side;
    side.port = static_cast<uint16_t>(info_.master_port);
    side.isServer = false;
    side.waitWorkers = false;
    side.timeout = impl_->timeout();
    impl_->side = c10::make_intrusive<c10d::TCPStore>(info_.master_addr, side);
  } catch (const std::exception& e) {
    throw std::runtime_error(who + ": could not open its own connection to the store at " + rendezvous + ": " +
                             cause_of(e));
  }
}

LearnerGroup::~LearnerGroup() = default;

namespace {

[[noreturn]] void collective_failed(const GroupInfo& info, double timeout_seconds, const std::string& cause) {
  throw std::runtime_error("learner group: rank " + std::to_string(info.rank) + " of " +
                           std::to_string(info.world_size) +
                           ": a collective failed; another rank is gone or did not answer within " +
                           std::to_string(static_cast<int>(timeout_seconds)) + " s (" + cause +
                           "). The group stops; restart every rank with --resume to continue from the last "
                           "checkpoint");
}

// Waits for a collective; a member gone or stalled becomes one clear line.
void wait_for(const c10::intrusive_ptr<c10d::Work>& work, const GroupInfo& info, double timeout_seconds) {
  try {
    work->wait();
  } catch (const std::exception& e) {  // c10's, or Gloo's (a peer closed its connection)
    collective_failed(info, timeout_seconds, cause_of(e));
  }
}

}  // namespace

void LearnerGroup::broadcast(std::vector<torch::Tensor> tensors) {
  torch::NoGradGuard no_grad;
  for (auto& t : tensors) {
    std::vector<at::Tensor> one{t.data()};
    wait_for(impl_->group->broadcast(one), info_, impl_->timeout_seconds);
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
  wait_for(impl_->group->allreduce(flat), info_, impl_->timeout_seconds);
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
  std::vector<at::Tensor> t{
      torch::tensor(at::ArrayRef<double>(values), torch::dtype(torch::kDouble)).to(impl_->device)};
  wait_for(impl_->group->allreduce(t), info_, impl_->timeout_seconds);
  const torch::Tensor result = t[0].to(torch::kCPU).contiguous();
  return std::vector<double>(result.data_ptr<double>(), result.data_ptr<double>() + result.numel());
}

void LearnerGroup::store_set(const std::string& key, const std::string& value) {
  std::lock_guard lock(impl_->side_mutex);
  try {
    impl_->side->set(key, std::vector<uint8_t>(value.begin(), value.end()));
  } catch (const c10::Error& e) {
    throw std::runtime_error("learner group: rank " + std::to_string(info_.rank) + ": the store failed: " +
                             cause_of(e));
  }
}

std::string LearnerGroup::store_get(const std::string& key) {
  std::lock_guard lock(impl_->side_mutex);
  try {
    const std::vector<uint8_t> value = impl_->side->get(key);
    return std::string(value.begin(), value.end());
  } catch (const c10::Error& e) {
    throw std::runtime_error("learner group: rank " + std::to_string(info_.rank) + ": '" + key +
                             "' did not come from rank 0 within the timeout: " + cause_of(e));
  }
}

std::optional<std::string> LearnerGroup::store_try_get(const std::string& key) {
  std::lock_guard lock(impl_->side_mutex);
  try {
    if (!impl_->side->check({key})) return std::nullopt;
    const std::vector<uint8_t> value = impl_->side->get(key);
    return std::string(value.begin(), value.end());
  } catch (const c10::Error&) {
    return std::nullopt;
  }
}

}  // namespace rl
