#include "examples/actor_cli.h"

#include <stdexcept>

#include "rl/runtime/cli.h"
#include "rl/runtime/run_config.h"

namespace rl {

void add_actor_options(CLI::App& app, ActorOptions& options) {
  app.add_option("--learner", options.learner, "--role actor: the learner's endpoint tcp://HOST:PORT");
  app.add_option("--actor-id", options.actor_id, "--role actor: the actor id to ask for");
  app.add_option("--run-id", options.run_id, "--role actor: the run to join (printed by the learner)");
  app.add_option("--reconnect-seconds", options.reconnect_seconds,
                 "--role actor: when the learner is lost, keep trying to rejoin it this long (0: exit)")
      ->check(cli::at_least(0));
  app.add_option("--curve-key", options.curve_key_file, "--role actor: this actor's CURVE key file (rl_keygen)")
      ->check(CLI::ExistingFile);
  app.add_option("--curve-server-key", options.curve_server_key_file,
                 "--role actor: the learner's CURVE public key file (.pub)")
      ->check(CLI::ExistingFile);
  app.add_option("--weights-fd", options.weights_fd,
                 "--role actor: read weights from this inherited weights board (set by the training program)")
      ->check(cli::at_least(0));
  app.add_option("--weights-signal-fd", options.weights_signal_fd,
                 "--role actor: the host relay's eventfd (set by a host agent)")
      ->check(cli::at_least(0));
  app.add_option("--inference-fd", options.inference_fd,
                 "--role actor: take actions from the host's inference server through this inherited board (set by "
                 "the training program or a host agent)")
      ->check(cli::at_least(0));
  app.add_flag("--serve-inference", options.serve_inference,
               "--role actor: be the host's inference server on the --inference-fd board (set by the training "
               "program or a host agent)");
}

const std::vector<const char*>& actor_only_flags() {
  static const std::vector<const char*> flags{"--learner",  "--actor-id",         "--run-id",     "--reconnect-seconds",
                                              "--curve-key", "--curve-server-key", "--weights-fd", "--weights-signal-fd",
                                              "--inference-fd", "--serve-inference"};
  return flags;
}

void check_actor_options(const std::string& actors, ActorOptions& options) {
  if (!actors.empty()) {
    try {
      size_t used = 0;
      options.actors = std::stoi(actors, &used);
      if (used != actors.size()) throw std::invalid_argument(actors);
    } catch (const std::exception&) {
      throw std::invalid_argument("--actors '" + actors + "' is not a whole number");
    }
    const int most = max_local_actors();
    if (options.actors < 1 || options.actors > most) {
      throw std::invalid_argument("--actors " + actors + " with --role actor: a host agent runs 1 to " +
                                  std::to_string(most) + " actor processes on this host (" +
                                  local_actors_bound_reason() + ")");
    }
  }
  if (options.serve_inference && options.inference_fd < 0) {
    throw std::invalid_argument("--serve-inference needs --inference-fd (the board the training program made)");
  }
  if (options.learner.empty()) throw std::invalid_argument("--role actor needs --learner tcp://HOST:PORT");
  check_endpoint(options.learner, "--learner");
}

}  // namespace rl
