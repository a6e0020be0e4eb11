#include "rl/runtime/supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace rl {

std::string self_executable() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

double process_age_seconds() {
  std::ifstream in("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Field 22, starttime (clock ticks since boot), counted after the
  // command's closing parenthesis (field 2 may hold spaces).
  std::istringstream fields(stat.substr(stat.rfind(')') + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) continue;
  timespec now{};
  ::clock_gettime(CLOCK_BOOTTIME, &now);
  const double started = std::stod(field) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9 - started;
}

ActorSupervisor::ActorSupervisor(std::string program, std::vector<std::string> args, int num_actors,
                                 int max_restarts, std::vector<int> inherit_fds, bool pin_ids)
    : program_(std::move(program)),
      args_(std::move(args)),
      inherit_fds_(std::move(inherit_fds)),
      pin_ids_(pin_ids),
      slots_(num_actors),
      max_restarts_(max_restarts) {}

ActorSupervisor::~ActorSupervisor() { stop_all(2.0); }

pid_t ActorSupervisor::spawn(int actor_id) {
  std::vector<std::string> argv_strings{program_};
  argv_strings.insert(argv_strings.end(), args_.begin(), args_.end());
  argv_strings.push_back("--actor-id");
  argv_strings.push_back(pin_ids_ ? std::to_string(actor_id) : "-1");
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("cannot start actor " + std::to_string(actor_id) + ": fork failed");
  if (pid == 0) {
    // The child dies with its parent, whatever kills the parent.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    for (int fd : inherit_fds_) ::fcntl(fd, F_SETFD, 0);  // survives exec
    // The parent's signal handlers do not carry over exec, but blocked
    // signals would: start clean.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(program_.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

void ActorSupervisor::start_all() {
  for (size_t i = 0; i < slots_.size(); ++i) {
    slots_[i].pid = spawn(static_cast<int>(i));
    slots_[i].started = std::chrono::steady_clock::now();
  }
}

std::vector<ActorEvent> ActorSupervisor::check() {
  std::vector<ActorEvent> events;
  const auto now = std::chrono::steady_clock::now();
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = slots_[i];
    if (slot.waiting && now >= slot.restart_at) {
      slot.waiting = false;
      slot.pid = spawn(static_cast<int>(i));
      slot.started = now;
      continue;
    }
    if (slot.pid <= 0) continue;
    int status = 0;
    if (::waitpid(slot.pid, &status, WNOHANG) != slot.pid) continue;
    const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    const std::string how = WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status))
                                                : "exited with code " + std::to_string(WEXITSTATUS(status));
    ActorEvent event{.actor_id = static_cast<int>(i), .pid = slot.pid};
    slot.pid = -1;
    if (clean) {
      slot.finished = true;
      event.text = "actor " + std::to_string(i) + " stopped";
    } else if (slot.restarts < max_restarts_) {
      ++slot.restarts;
      ++restarts_;
      // Failing soon after its start again and again: back off.
      const double lived = std::chrono::duration<double>(now - slot.started).count();
      slot.quick_failures = lived < 30.0 ? slot.quick_failures + 1 : 1;
      const double delay = slot.quick_failures <= 1 ? 0.0 : std::min(8.0, 0.25 * (1 << std::min(slot.quick_failures - 2, 5)));
      event.restarted = true;
      event.text = "actor " + std::to_string(i) + " " + how + "; restarted (" + std::to_string(slot.restarts) +
                   " of " + std::to_string(max_restarts_) + ")";
      if (delay > 0) {
        slot.waiting = true;
        slot.restart_at = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(delay));
        char after[64];
        std::snprintf(after, sizeof after, " after %.2f s (failing again soon after its start)", delay);
        event.text += after;
      } else {
        slot.pid = spawn(static_cast<int>(i));
        slot.started = now;
      }
    } else {
      slot.finished = true;
      event.out_of_restarts = true;
      event.text = "actor " + std::to_string(i) + " " + how + " and is out of restarts (runtime.max_restarts=" +
                   std::to_string(max_restarts_) + ")";
    }
    events.push_back(std::move(event));
  }
  return events;
}

void ActorSupervisor::reap() {
  for (Slot& slot : slots_) {
    if (slot.pid > 0 && ::waitpid(slot.pid, nullptr, WNOHANG) == slot.pid) {
      slot.pid = -1;
      slot.finished = true;
    }
  }
}

bool ActorSupervisor::kill_actor(pid_t pid) {
  for (const Slot& slot : slots_) {
    if (pid > 0 && slot.pid == pid) return ::kill(pid, SIGKILL) == 0;
  }
  return false;
}

void ActorSupervisor::stop_all(double grace_seconds) {
  for (const Slot& slot : slots_) {
    if (slot.pid > 0) ::kill(slot.pid, SIGTERM);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace_seconds);
  while (running() > 0 && std::chrono::steady_clock::now() < deadline) {
    for (Slot& slot : slots_) {
      if (slot.pid > 0 && ::waitpid(slot.pid, nullptr, WNOHANG) == slot.pid) slot.pid = -1;
    }
    if (running() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (Slot& slot : slots_) {
    if (slot.pid > 0) {
      ::kill(slot.pid, SIGKILL);
      ::waitpid(slot.pid, nullptr, 0);
      slot.pid = -1;
    }
    slot.waiting = false;
    slot.finished = true;
  }
}

int ActorSupervisor::running() const {
  int n = 0;
  for (const Slot& slot : slots_) n += slot.pid > 0;
  return n;
}

int ActorSupervisor::available() const {
  int n = 0;
  for (const Slot& slot : slots_) n += !slot.finished;
  return n;
}

std::vector<pid_t> ActorSupervisor::pids() const {
  std::vector<pid_t> out;
  for (const Slot& slot : slots_) {
    if (slot.pid > 0) out.push_back(slot.pid);
  }
  return out;
}

}  // namespace rl
