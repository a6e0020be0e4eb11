// Logging through spdlog: one process-wide logger on stdout with levels
// (--log-level), and the live progress line of a training run.
#pragma once

#include <chrono>
#include <string>

namespace rl {

// Sets the level: trace, debug, info, warn, error or off. Throws
// std::invalid_argument naming a level that is none of these.
void set_log_level(const std::string& level);

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// A printf-style message through the process's logger (a trailing newline
// is dropped: the logger ends every message with one).
void logf(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));

// The progress of a run. On a terminal it is one line rewritten in place
// (at most every 0.2 s); otherwise (CI, files) a plain log line every
// `log_every_seconds`.
class ProgressLine {
 public:
  explicit ProgressLine(double log_every_seconds);
  ~ProgressLine();
  // `force` writes now (the last update of a run).
  void update(const std::string& text, bool force = false);
  // Ends an in-place line so that the next output starts on its own line.
  void finish();

 private:
  bool tty_;
  bool open_ = false;  // an in-place line is on screen
  double every_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace rl
