// Config plumbing: plain structs become a flat list of named fields that
// YAML files, --set overrides and printing all work on.
//
// A config struct lists its fields once, in a visit() member:
//
//   struct OptimizerConfig {
//     double lr = 3e-4;   // learning rate
//     void visit(ConfigFields& f) { f("lr", lr); }
//     void validate() const;   // throws naming the field
//   };
//
// and sections nest: f("optim", optim) visits optim's fields under
// "optim.". No YAML header leaks out of config.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace rl {

// One leaf of a config: its dotted path, and how to read and write it.
struct ConfigField {
  std::string path;                                 // "ppo.lr"
  std::string type;                                 // "float", "int", "bool", "string", "int list"
  std::function<void(const std::string&)> parse;    // throws std::invalid_argument
  std::function<std::string()> format;
};

class ConfigFields {
 public:
  void operator()(const char* name, double& value);
  void operator()(const char* name, int& value);
  void operator()(const char* name, int64_t& value);
  void operator()(const char* name, uint64_t& value);
  void operator()(const char* name, bool& value);
  void operator()(const char* name, std::string& value);
  void operator()(const char* name, std::vector<int>& value);
  // A nested section: any struct with visit(ConfigFields&).
  template <typename Section>
    requires requires(Section s, ConfigFields f) { s.visit(f); }
  void operator()(const char* name, Section& section) {
    prefix_.push_back(name);
    section.visit(*this);
    prefix_.pop_back();
  }

  const std::vector<ConfigField>& fields() const { return fields_; }
  // Throws std::invalid_argument naming the path and the known keys.
  const ConfigField& find(std::string_view path) const;

 private:
  std::string path_of(const char* name) const;
  void add(const char* name, std::string type, std::function<void(const std::string&)> parse,
           std::function<std::string()> format);

  std::vector<std::string> prefix_;
  std::vector<ConfigField> fields_;
};

template <typename Config>
ConfigFields fields_of(Config& config) {
  ConfigFields fields;
  config.visit(fields);
  return fields;
}

// Applies a YAML document (nested maps; lists for int lists). Every key
// must name a field: an unknown key is an error naming it and the file.
// `source` names the document in messages (a path, or "--config").
// With `ignore_unknown`, keys that name no field are skipped instead (for
// readers that need only part of a saved config).
void apply_yaml(const ConfigFields& fields, const std::string& yaml_text, const std::string& source,
                bool ignore_unknown = false);
void apply_yaml_file(const ConfigFields& fields, const std::string& path, bool ignore_unknown = false);

// Applies "path=value" (the form of --set). Throws naming the key.
void apply_assignment(const ConfigFields& fields, std::string_view assignment);

// The config as a nested YAML document, every field, in declaration order.
std::string to_yaml(const ConfigFields& fields);

}  // namespace rl
