// metrics.csv: one row per logged update, columns fixed by the first row.
#pragma once

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

  // Writes one row and flushes. The first row fixes the columns; a later
  // row's unknown names are dropped and missing ones left empty.
  void write(const MetricRow& row);

 private:
  std::FILE* file_ = nullptr;
  std::vector<std::string> columns_;
};

// The value of `name` in `row`, or NaN.
double metric(const MetricRow& row, const std::string& name);

}  // namespace rl
