// rl_actor: an actor process without libtorch. It steps envs, runs the
// policy without libtorch (MLPs on the fast path; the built-in CNNs with
// Discrete actions and LSTM cores on their own forward) and streams unrolls to a
// learner; the training programs start it for their local actors when it can
// run the run's policy, and a remote host can run it in place of
// `train_<algorithm> --role actor`, with the same flags:
//
//   rl_actor --learner tcp://HOST:PORT [--actors N] [--actor-id N] [--run-id ID]
//            [--reconnect-seconds S] [--curve-key actor.key --curve-server-key learner.pub]
//
// A run whose policy it cannot run (a plugin's encoder, policy.fast_path off) is refused
// with a line that says so: its actors are the training program's.
#include <CLI/CLI.hpp>

#include <string>

#include "actors/actor_process.h"
#include "examples/actor_cli.h"
#include "rl/nn/gemm/gemm.h"
#include "rl/runtime/cli.h"
#include "rl/runtime/logging.h"

int main(int argc, char** argv) {
  const std::string program = "rl_actor";
  CLI::App app{"rl_actor: an actor process without libtorch (mlp, minatar_cnn, nature_cnn and impala_cnn policies, LSTM cores)"};
  rl::cli::add_version(app, program, [] { return std::string("fast path ") + rl::gemm_kernels().name + ", no libtorch"; });
  rl::ActorOptions options;
  std::string actors, role, log_level = "info";
  rl::add_actor_options(app, options);
  app.add_option("--actors", actors, "Actor processes on this host (a host agent relays weights to them)");
  app.add_option("--role", role, "actor (accepted for the training programs' command line)")
      ->check(CLI::IsMember({"actor"}));
  app.add_option("--log-level", log_level, "trace | debug | info | warn | error | off");
  if (auto code = rl::cli::parse(app, argc, argv, program)) return *code;
  try {
    rl::set_log_level(log_level);
    rl::check_actor_options(actors, options);
  } catch (const std::exception& e) {
    rl::cli::report_error(program, e.what());
    return rl::cli::kUsage;
  }
  return rl::run_actor(options);
}
