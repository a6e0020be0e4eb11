// Named constructor options of an env (Gymnasium's make(id, **kwargs)).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rl {

// String-valued options, parsed by the typed getters. A registration lists
// every option its env accepts, with its default; a user's override of a
// name that is not listed is rejected (see EnvRegistry::make_raw).
class EnvOptions {
 public:
  EnvOptions() = default;
  EnvOptions(std::initializer_list<std::pair<const std::string, std::string>> values)
      : values_(values) {}

  // Parses "key=value" (the form of --env-option on the command line).
  static std::pair<std::string, std::string> parse_assignment(std::string_view text);

  void set(std::string key, std::string value) { values_[std::move(key)] = std::move(value); }
  bool contains(std::string_view key) const { return values_.find(std::string(key)) != values_.end(); }
  bool empty() const { return values_.empty(); }
  const std::map<std::string, std::string>& values() const { return values_; }
  std::vector<std::string> keys() const;

  // Typed getters; each throws std::invalid_argument naming the option when
  // it is missing or does not parse as the asked type.
  const std::string& get_string(std::string_view key) const;
  double get_double(std::string_view key) const;
  int64_t get_int(std::string_view key) const;
  bool get_bool(std::string_view key) const;  // true/false/1/0/yes/no

  // These options with `overrides` applied on top.
  EnvOptions merged(const EnvOptions& overrides) const;

  // "key=value, key=value" for messages and logs.
  std::string to_string() const;

  bool operator==(const EnvOptions&) const = default;

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace rl
