// A training program's supervisor of its local actor processes (and a host
// agent's, `--role actor --actors N`): starts them (this same binary with
// --role actor), restarts one that dies within a budget under the same
// actor id, and stops and reaps them all. Every child also asks the kernel
// to kill it when its parent dies (PR_SET_PDEATHSIG), the guard for a parent
// that is SIGKILLed; on every other path stop_all() reaps them, so no
// process outlives the program by construction.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace rl {

// Something that happened to one actor process, for the log and the hub.
struct ActorEvent {
  int actor_id = -1;       // the actor's slot (its --actor-id)
  pid_t pid = -1;          // the process that exited
  bool restarted = false;  // a new process takes its place, with the same id (maybe after a back-off)
  bool out_of_restarts = false;  // it failed with no restart left
  std::string text;        // one line for the log
};

class ActorSupervisor {
 public:
  // Actor i runs `program args... --actor-id i` (with `pin_ids`; else
  // --actor-id -1: the learner picks, as for a host agent's actors, whose
  // slots mean nothing across hosts). `inherit_fds` stay open in the
  // children (a weights board's descriptor); the rest close on exec.
  ActorSupervisor(std::string program, std::vector<std::string> args, int num_actors, int max_restarts,
                  std::vector<int> inherit_fds = {}, bool pin_ids = true);
  ~ActorSupervisor();  // stop_all(2 s)
  ActorSupervisor(const ActorSupervisor&) = delete;
  ActorSupervisor& operator=(const ActorSupervisor&) = delete;

  void start_all();
  // Reaps exited actors and restarts those that did not exit cleanly, while
  // their restart budget lasts. An actor that keeps failing soon after its
  // start is restarted after a back-off (none after the first failure, then
  // 0.25 s doubling up to 8 s; an actor that ran 30 s starts over).
  std::vector<ActorEvent> check();
  // Reaps actors that exited, restarting none (the run is ending).
  void reap();
  // Asks every actor to stop (SIGTERM), waits up to `grace_seconds`, then
  // kills what is left (SIGKILL) and reaps everything: when it returns, no
  // actor process of this supervisor exists.
  void stop_all(double grace_seconds);
  // Kills (SIGKILL) the actor process `pid` if it is one of ours, so that
  // check() restarts it: for an actor that stopped answering. False if the
  // pid is not a running actor of this supervisor.
  bool kill_actor(pid_t pid);

  int running() const;
  int restarts() const { return restarts_; }
  // Actors that can still run (running, or dead with restarts left).
  int available() const;
  std::vector<pid_t> pids() const;

 private:
  struct Slot {
    pid_t pid = -1;
    int restarts = 0;
    int quick_failures = 0;  // failures in a row, each soon after its start
    std::chrono::steady_clock::time_point started, restart_at;
    bool waiting = false;    // backing off before its restart
    bool finished = false;   // exited cleanly, or out of restarts
  };
  pid_t spawn(int actor_id);

  std::string program_;
  std::vector<std::string> args_;
  std::vector<int> inherit_fds_;
  bool pin_ids_ = true;
  std::vector<Slot> slots_;
  int max_restarts_;
  int restarts_ = 0;
};

// The path of the running program (/proc/self/exe).
std::string self_executable();
// Seconds since this process was created (exec and library loading
// included), to the kernel's clock tick (10 ms).
double process_age_seconds();

}  // namespace rl
