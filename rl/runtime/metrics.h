// metrics.csv: one row per logged update, columns fixed by the first row.
// Rows reach the file a few times a second, whole lines only, so that a
// reader never sees half a row and a fast learner (thousands of updates a
// second) does not pay a system call per update.
#pragma once

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace rl {

using MetricRow = std::vector<std::pair<std::string, double>>;

class MetricsCsv {
 public:
  // Appends to `path` when `append` (a resumed run) and the file exists.
  MetricsCsv(const std::filesystem::path& path, bool append);
  ~MetricsCsv();
  MetricsCsv(const MetricsCsv&) = delete;
  MetricsCsv& operator=(const MetricsCsv&) = delete;

  // Adds one row. The first row fixes the columns; a later row's unknown
  // names are dropped and missing ones left empty.
  void write(const MetricRow& row);
  // Writes what is buffered now (also done by the destructor).
  void flush();

 private:
  std::FILE* file_ = nullptr;
  std::vector<std::string> columns_;
  std::vector<int> position_;  // column -> index in the last row's layout (-1: absent)
  std::string pending_;        // whole rows not yet written
  std::chrono::steady_clock::time_point last_flush_;
};

// The value of `name` in `row`, or NaN.
double metric(const MetricRow& row, const std::string& name);

}  // namespace rl
