// The command-line policy of every program (docs/errors.md), header-only for
// the programs (CLI11 stays out of the libraries):
//   - a mistake is one line on stderr, "PROGRAM: error: ...", naming the flag
//     or file, the value and what was expected, and a documented exit code;
//   - --version prints the project version, the commit, the compute path and
//     the BLAS; --help the options.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <string>

#include "rl/runtime/version.h"

namespace rl::cli {

// Exit codes (docs/errors.md).
enum ExitCode : int {
  kOk = 0,
  kFailed = 1,       // the work failed (a run that could not go on, an evaluation that broke)
  kUsage = 2,        // a mistake in a flag, a value, a config or a file given
  kUnreachable = 3,  // an actor: no learner answered, or it went silent
  kRefused = 4,      // an actor: the learner refused it (another run, protocol, full)
  kActorFailed = 5,  // an actor: an error of its own (an env that keeps failing)
  kInterrupted = 130,  // a second SIGINT/SIGTERM: stopped at once (the run directory stays consistent)
};

// "PROGRAM: error: MESSAGE" on one line of stderr (line breaks folded).
inline void report_error(const std::string& program, std::string message) {
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::fprintf(stderr, "%s: error: %s\n", program.c_str(), message.c_str());
  std::fflush(stderr);
}

inline std::string version_text(const std::string& program, const std::string& compute) {
  return program + " " + project_version() + " (commit " + build_commit() + ")" +
         (compute.empty() ? std::string() : "; " + compute);
}

// Adds --version (the text is made only when asked: it may probe the CPU).
template <typename ComputeText>
void add_version(CLI::App& app, const std::string& program, ComputeText compute) {
  app.set_version_flag("--version", [program, compute] { return version_text(program, compute()); },
                       "Print the version, the commit built from, the compute path and the BLAS, and exit");
}

// Parses with the policy: help and version print and return 0, a mistake is
// one line and kUsage; nullopt: go on.
inline std::optional<int> parse(CLI::App& app, int argc, char** argv, const std::string& program) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::printf("%s", app.help().c_str());
    return kOk;
  } catch (const CLI::CallForAllHelp&) {
    std::printf("%s", app.help("", CLI::AppFormatMode::All).c_str());
    return kOk;
  } catch (const CLI::CallForVersion&) {
    std::printf("%s\n", app.version().c_str());
    return kOk;
  } catch (const CLI::ParseError& e) {
    report_error(program, std::string(e.what()) + " (see --help)");
    return kUsage;
  }
  return std::nullopt;
}

// A validator with a message a person reads: "must be at least N".
inline CLI::Validator at_least(double low) {
  char text[64];
  std::snprintf(text, sizeof text, "%g", low);
  const std::string bound = text;
  return CLI::Validator(
      [low, bound](std::string& value) -> std::string {
        try {
          size_t used = 0;
          const double v = std::stod(value, &used);
          if (used != value.size()) return "'" + value + "' is not a number";
          if (v < low) return "'" + value + "' is too small: it must be at least " + bound;
        } catch (const std::exception&) {
          return "'" + value + "' is not a number";
        }
        return std::string();
      },
      ">= " + bound);
}

inline CLI::Validator in_range(double low, double high) {
  char text[96];
  std::snprintf(text, sizeof text, "%g to %g", low, high);
  const std::string range = text;
  return CLI::Validator(
      [low, high, range](std::string& value) -> std::string {
        try {
          size_t used = 0;
          const double v = std::stod(value, &used);
          if (used != value.size()) return "'" + value + "' is not a number";
          if (v < low || v > high) return "'" + value + "' is out of range: it must be in " + range;
        } catch (const std::exception&) {
          return "'" + value + "' is not a number";
        }
        return std::string();
      },
      range);
}

// An unsigned 64-bit integer (seeds): digits only, at most 2^64 - 1.
inline CLI::Validator unsigned_integer() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos) {
          return "'" + value + "' is not a whole number from 0 to 18446744073709551615";
        }
        try {
          (void)std::stoull(value);
        } catch (const std::exception&) {
          return "'" + value + "' is larger than 18446744073709551615";
        }
        return std::string();
      },
      "0 to 2^64-1");
}

}  // namespace rl::cli
