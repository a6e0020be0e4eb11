#include "rl/render/recording.h"

#include <cstdio>
#include <stdexcept>
#include <system_error>

#include "rl/render/gif_writer.h"

namespace rl {

std::pair<int, int> parse_frame_size(const std::string& text) {
  int width = 0, height = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%dx%d%c", &width, &height, &tail) != 2 || width < 16 ||
      height < 16 || width > 4096 || height > 4096) {
    throw std::invalid_argument("frame size '" + text +
                                "' is not WIDTHxHEIGHT with both in 16..4096 (e.g. 600x400)");
  }
  return {width, height};
}

RecordedEpisodes record_episodes(const EnvRegistry& registry, const std::string& env_id,
                                 const EnvOptions& options, BatchPolicy& policy, int episodes,
                                 uint64_t seed, const RecordOptions& record) {
  if (episodes <= 0) throw std::invalid_argument("record_episodes: episodes must be positive");
  std::unique_ptr<Env> env = make_env(registry, env_id, options);
  std::error_code error;
  std::filesystem::create_directories(record.dir, error);
  if (error) {
    throw std::runtime_error("--record: cannot create " + record.dir.string() + ": " + error.message());
  }
  const Space& action_space = env->action_space();
  const bool discrete = action_space.is_discrete();
  std::vector<float> obs(static_cast<size_t>(env->observation_space().flat_size()));
  std::vector<float> info(env->info_keys().size());
  std::vector<int64_t> discrete_action(discrete ? 1 : 0);
  std::vector<float> box_action(discrete ? 0 : static_cast<size_t>(action_space.flat_size()));
  Frame frame;
  frame.width = record.width;
  frame.height = record.height;

  RecordedEpisodes out;
  std::string file_stem = env_id;
  for (char& c : file_stem) {
    if (c == '/' || c == ':') c = '_';
  }
  for (int episode = 0; episode < episodes; ++episode) {
    // The first reset seeds the env; later ones continue its stream.
    env->reset(episode == 0 ? std::optional<uint64_t>(seed) : std::nullopt, obs);
    char name[64];
    std::snprintf(name, sizeof name, "-episode-%03d.gif", episode);
    GifWriter gif(record.dir / (file_stem + name), record.width, record.height);
    auto add_frame = [&] {
      if (!env->render(frame)) {
        throw std::runtime_error("--record: env " + env_id + " cannot render (its Env::render returns false)");
      }
      gif.add(frame);
    };
    add_frame();
    double episode_return = 0;
    int length = 0;
    for (;;) {
      policy.act(obs, discrete_action, box_action);
      const Action action = discrete ? Action::discrete(discrete_action[0]) : Action::box(box_action);
      const StepResult result = env->step(action, obs, info);
      episode_return += result.reward;
      ++length;
      add_frame();
      if (result.terminated || result.truncated) break;
    }
    gif.close();
    out.stats.returns.push_back(episode_return);
    out.stats.lengths.push_back(length);
    out.files.push_back(gif.path());
    out.frames.push_back(gif.frames());
  }
  return out;
}

}  // namespace rl
