#include "rl/env/env_options.h"

#include <charconv>
#include <cstdlib>
#include <stdexcept>

namespace rl {
namespace {

[[noreturn]] void bad_value(std::string_view key, const std::string& value, const char* expected) {
  throw std::invalid_argument("env option '" + std::string(key) + "' = '" + value + "' is not " +
                              expected);
}

}  // namespace

std::pair<std::string, std::string> EnvOptions::parse_assignment(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw std::invalid_argument("env option '" + std::string(text) +
                                "' must have the form key=value");
  }
  return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

std::vector<std::string> EnvOptions::keys() const {
  std::vector<std::string> out;
  for (const auto& [key, value] : values_) out.push_back(key);
  return out;
}

const std::string& EnvOptions::get_string(std::string_view key) const {
  auto it = values_.find(std::string(key));
  if (it == values_.end()) {
    throw std::invalid_argument("env option '" + std::string(key) +
                                "' is missing (options given: " + to_string() + ")");
  }
  return it->second;
}

double EnvOptions::get_double(std::string_view key) const {
  const std::string& value = get_string(key);
  char* end = nullptr;
  const double parsed = std::strtod(value.c_str(), &end);
  if (value.empty() || end != value.c_str() + value.size()) bad_value(key, value, "a number");
  return parsed;
}

int64_t EnvOptions::get_int(std::string_view key) const {
  const std::string& value = get_string(key);
  int64_t parsed = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (ec != std::errc() || ptr != value.data() + value.size()) bad_value(key, value, "an integer");
  return parsed;
}

bool EnvOptions::get_bool(std::string_view key) const {
  const std::string& value = get_string(key);
  if (value == "true" || value == "1" || value == "yes" || value == "True") return true;
  if (value == "false" || value == "0" || value == "no" || value == "False") return false;
  bad_value(key, value, "a boolean (true/false)");
}

EnvOptions EnvOptions::merged(const EnvOptions& overrides) const {
  EnvOptions out = *this;
  for (const auto& [key, value] : overrides.values_) out.values_[key] = value;
  return out;
}

std::string EnvOptions::to_string() const {
  if (values_.empty()) return "none";
  std::string out;
  for (const auto& [key, value] : values_) {
    if (!out.empty()) out += ", ";
    out += key + "=" + value;
  }
  return out;
}

}  // namespace rl
