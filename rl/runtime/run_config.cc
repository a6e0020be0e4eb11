#include "rl/runtime/run_config.h"

#include <sstream>

namespace rl {
namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, separator);) {
    const size_t a = item.find_first_not_of(' ');
    const size_t b = item.find_last_not_of(' ');
    if (a != std::string::npos) out.push_back(item.substr(a, b - a + 1));
  }
  return out;
}

}  // namespace

EnvOptions RunConfig::parsed_env_options() const {
  EnvOptions options;
  for (const auto& item : split(env_options, ',')) {
    try {
      auto [key, value] = EnvOptions::parse_assignment(item);
      options.set(key, value);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("run.env_options: " + std::string(e.what()));
    }
  }
  return options;
}

std::vector<std::string> RunConfig::plugin_paths() const { return split(env_plugin, ','); }

}  // namespace rl
