#include "rl/runtime/logging.h"

#include <algorithm>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace rl {

namespace {

// The process's one logger: stderr (stdout stays for a program's results),
// a short line for a person at a terminal, timestamped lines when piped.
spdlog::logger& logger() {
  static const bool made = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    auto made_logger = std::make_shared<spdlog::logger>("rl", sink);
    made_logger->set_pattern(isatty(fileno(stderr)) ? "%^%l%$: %v" : "[%Y-%m-%d %H:%M:%S.%e] [%l] %v");
    made_logger->set_level(spdlog::get_level());
    spdlog::set_default_logger(made_logger);
    return true;
  }();
  (void)made;
  return *spdlog::default_logger_raw();
}

}  // namespace

void set_log_level(const std::string& level) {
  const spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  // from_str answers "off" for anything it does not know.
  if (parsed == spdlog::level::off && level != "off") {
    throw std::invalid_argument("--log-level '" + level + "' is not one of trace, debug, info, warn, error, off");
  }
  logger();
  spdlog::set_level(parsed);
}

void logf(LogLevel level, const char* format, ...) {
  va_list args;
  va_start(args, format);
  va_list copy;
  va_copy(copy, args);
  const int n = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  std::vector<char> text(static_cast<size_t>(std::max(n, 0)) + 1);
  std::vsnprintf(text.data(), text.size(), format, args);
  va_end(args);
  std::string message(text.data());
  if (!message.empty() && message.back() == '\n') message.pop_back();
  spdlog::logger& log = logger();
  switch (level) {
    case LogLevel::kDebug: log.debug("{}", message); break;
    case LogLevel::kInfo: log.info("{}", message); break;
    case LogLevel::kWarn: log.warn("{}", message); break;
    case LogLevel::kError: log.error("{}", message); break;
  }
}

ProgressLine::ProgressLine(double log_every_seconds)
    : tty_(isatty(fileno(stdout)) != 0), every_(log_every_seconds) {}

ProgressLine::~ProgressLine() { finish(); }

void ProgressLine::update(const std::string& text, bool force) {
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_).count();
  if (!force && since < (tty_ ? 0.2 : every_)) return;
  last_ = now;
  if (tty_ && logger().should_log(spdlog::level::info)) {
    std::printf("\r%s\033[K", text.c_str());  // rewrite the line, clear its rest
    std::fflush(stdout);
    open_ = true;
  } else {
    logger().info("{}", text);
  }
}

void ProgressLine::finish() {
  if (open_) {
    std::printf("\n");
    std::fflush(stdout);
    open_ = false;
  }
}

}  // namespace rl
