#include "rl/runtime/config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace rl {
namespace {

[[noreturn]] void bad_value(const std::string& path, const std::string& value, const char* expected) {
  throw std::invalid_argument("config key '" + path + "': '" + value + "' is not " + expected);
}

double parse_double(const std::string& path, const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value)) {
    bad_value(path, text, "a finite number");
  }
  return value;
}

template <typename Int>
Int parse_int(const std::string& path, const std::string& text) {
  Int value{};
  const char* begin = text.data();
  // Accept "1e6" and "1000000.0" for integers that are exact.
  auto [ptr, ec] = std::from_chars(begin, begin + text.size(), value);
  if (ec == std::errc() && ptr == begin + text.size()) return value;
  char* end = nullptr;
  const double d = std::strtod(text.c_str(), &end);
  if (!text.empty() && end == text.c_str() + text.size() && std::isfinite(d) &&
      d == std::floor(d) && d >= static_cast<double>(std::numeric_limits<Int>::min()) &&
      d <= static_cast<double>(std::numeric_limits<Int>::max())) {
    return static_cast<Int>(d);
  }
  bad_value(path, text, "an integer");
}

bool parse_bool(const std::string& path, const std::string& text) {
  if (text == "true" || text == "True" || text == "1" || text == "yes") return true;
  if (text == "false" || text == "False" || text == "0" || text == "no") return false;
  bad_value(path, text, "a boolean (true or false)");
}

std::string format_double(double value) {
  // The shortest text that reads back as the same double.
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string text(buffer, result.ptr);
  // Keep YAML's float look for integral values (3 -> 3.0).
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

void walk(const ConfigFields& fields, const YAML::Node& node, const std::string& prefix,
          const std::string& source, bool ignore_unknown) {
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    const YAML::Node& value = item.second;
    if (value.IsMap()) {
      walk(fields, value, path, source, ignore_unknown);
      continue;
    }
    const ConfigField* field = nullptr;
    try {
      field = &fields.find(path);
    } catch (const std::invalid_argument& e) {
      if (ignore_unknown) continue;
      throw std::invalid_argument(source + ": " + e.what());
    }
    std::string text;
    if (value.IsSequence()) {
      for (size_t i = 0; i < value.size(); ++i) text += (i ? "," : "") + value[i].as<std::string>();
    } else if (value.IsNull()) {
      text = "";
    } else {
      text = value.as<std::string>();
    }
    try {
      field->parse(text);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(source + ": " + e.what());
    }
  }
}

}  // namespace

std::string ConfigFields::path_of(const char* name) const {
  std::string path;
  for (const auto& part : prefix_) path += part + ".";
  return path + name;
}

void ConfigFields::add(const char* name, std::string type,
                       std::function<void(const std::string&)> parse,
                       std::function<std::string()> format) {
  fields_.push_back({path_of(name), std::move(type), std::move(parse), std::move(format)});
}

void ConfigFields::operator()(const char* name, double& value) {
  const std::string path = path_of(name);
  add(name, "float", [&value, path](const std::string& t) { value = parse_double(path, t); },
      [&value] { return format_double(value); });
}

void ConfigFields::operator()(const char* name, int& value) {
  const std::string path = path_of(name);
  add(name, "int", [&value, path](const std::string& t) { value = parse_int<int>(path, t); },
      [&value] { return std::to_string(value); });
}

void ConfigFields::operator()(const char* name, int64_t& value) {
  const std::string path = path_of(name);
  add(name, "int", [&value, path](const std::string& t) { value = parse_int<int64_t>(path, t); },
      [&value] { return std::to_string(value); });
}

void ConfigFields::operator()(const char* name, uint64_t& value) {
  const std::string path = path_of(name);
  add(name, "int", [&value, path](const std::string& t) { value = parse_int<uint64_t>(path, t); },
      [&value] { return std::to_string(value); });
}

void ConfigFields::operator()(const char* name, bool& value) {
  const std::string path = path_of(name);
  add(name, "bool", [&value, path](const std::string& t) { value = parse_bool(path, t); },
      [&value] { return std::string(value ? "true" : "false"); });
}

void ConfigFields::operator()(const char* name, std::string& value) {
  add(name, "string", [&value](const std::string& t) { value = t; }, [&value] { return value; });
}

void ConfigFields::operator()(const char* name, std::vector<int>& value) {
  const std::string path = path_of(name);
  add(name, "int list",
      [&value, path](const std::string& text) {
        std::string t = text;
        if (!t.empty() && t.front() == '[' && t.back() == ']') t = t.substr(1, t.size() - 2);
        std::vector<int> parsed;
        std::stringstream in(t);
        std::string item;
        while (std::getline(in, item, ',')) {
          const size_t a = item.find_first_not_of(' '), b = item.find_last_not_of(' ');
          if (a == std::string::npos) continue;
          parsed.push_back(parse_int<int>(path, item.substr(a, b - a + 1)));
        }
        value = parsed;
      },
      [&value] {
        std::string out = "[";
        for (size_t i = 0; i < value.size(); ++i) out += (i ? ", " : "") + std::to_string(value[i]);
        return out + "]";
      });
}

const ConfigField& ConfigFields::find(std::string_view path) const {
  for (const auto& field : fields_) {
    if (field.path == path) return field;
  }
  // A whole section where one key is expected (--set ppo=3): say so, with
  // the section's keys, rather than call a known section unknown.
  const std::string as_section = std::string(path) + ".";
  std::string keys;
  for (const auto& field : fields_) {
    if (field.path.rfind(as_section, 0) == 0) keys += (keys.empty() ? "" : ", ") + field.path;
  }
  if (!keys.empty()) {
    throw std::invalid_argument("'" + std::string(path) + "' is a section, not a key: give one of its keys (" + keys +
                                "), e.g. --set " + keys.substr(0, keys.find(',')) + "=...");
  }
  // List the keys of the same section (or the top level) to help spot typos.
  const size_t dot = path.rfind('.');
  const std::string section = dot == std::string_view::npos ? "" : std::string(path.substr(0, dot + 1));
  std::string known;
  for (const auto& field : fields_) {
    if (field.path.rfind(section, 0) == 0) known += (known.empty() ? "" : ", ") + field.path;
  }
  std::string message = "unknown config key '" + std::string(path) + "'";
  if (!known.empty()) {
    message += section.empty() ? "; known keys: " : "; known keys under " + section + " ";
    message += known;
  }
  throw std::invalid_argument(message);
}

void apply_yaml(const ConfigFields& fields, const std::string& yaml_text, const std::string& source,
                bool ignore_unknown) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw std::invalid_argument(source + ": not valid YAML: " + e.what());
  }
  if (root.IsNull()) return;
  if (!root.IsMap()) throw std::invalid_argument(source + ": the top level must be a map of keys");
  walk(fields, root, "", source, ignore_unknown);
}

void apply_yaml_file(const ConfigFields& fields, const std::string& path, bool ignore_unknown) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("config file '" + path + "' cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  apply_yaml(fields, text.str(), path, ignore_unknown);
}

void apply_assignment(const ConfigFields& fields, std::string_view assignment) {
  const size_t eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw std::invalid_argument("--set '" + std::string(assignment) + "': expected key=value");
  }
  fields.find(assignment.substr(0, eq)).parse(std::string(assignment.substr(eq + 1)));
}

std::string to_yaml(const ConfigFields& fields) {
  std::string out;
  std::vector<std::string> open;  // sections of the previous key
  for (const auto& field : fields.fields()) {
    std::vector<std::string> parts;
    std::stringstream in(field.path);
    for (std::string part; std::getline(in, part, '.');) parts.push_back(part);
    size_t common = 0;
    while (common < open.size() && common + 1 < parts.size() && open[common] == parts[common]) ++common;
    for (size_t d = common; d + 1 < parts.size(); ++d) {
      out += std::string(2 * d, ' ') + parts[d] + ":\n";
    }
    open.assign(parts.begin(), parts.end() - 1);
    std::string value = field.format();
    if (field.type == "string") {
      value = YAML::Dump(YAML::Node(value));  // quoted when needed
    }
    out += std::string(2 * (parts.size() - 1), ' ') + parts.back() + ": " + value + "\n";
  }
  return out;
}

}  // namespace rl
