#include "rl/runtime/run_config.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
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

namespace rl {

int max_local_actors() {
  const long cores = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
  const double memory = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  const long by_memory = static_cast<long>(memory / (100.0 * 1024 * 1024));
  return static_cast<int>(std::max(1L, std::min(64 * cores, by_memory)));
}

std::string local_actors_bound_reason() {
  const long cores = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
  const double gib = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE)) /
                     (1024.0 * 1024 * 1024);
  char text[160];
  std::snprintf(text, sizeof text, "64 per core on %ld cores, about 100 MB each of %.0f GiB of memory", cores, gib);
  return text;
}

void check_endpoint(const std::string& endpoint, const std::string& what) {
  const auto bad = [&](const std::string& why) {
    return std::invalid_argument(what + " '" + endpoint + "' is not an endpoint tcp://HOST:PORT (" + why + ")");
  };
  if (endpoint.rfind("tcp://", 0) != 0) throw bad("it must start with tcp://");
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon < 6) throw bad("no :PORT");
  const std::string host = endpoint.substr(6, colon - 6), port = endpoint.substr(colon + 1);
  if (host.empty()) throw bad("no HOST");
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoi(port) > 65535) {
    throw bad("PORT must be a number from 0 to 65535");
  }
}

}  // namespace rl
