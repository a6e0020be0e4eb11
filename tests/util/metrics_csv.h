// Reading a run's metrics.csv back in tests.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace rl::testing {

// Every row's cell of column `name`, as text ("" where empty or absent);
// no rows at all when the file has no such column. A last line without its
// newline is a row the run is still writing and is left out.
inline std::vector<std::string> csv_column_text(const std::filesystem::path& path, const std::string& name) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  std::stringstream cells(line);
  for (std::string cell; std::getline(cells, cell, ',');) header.push_back(cell);
  const size_t col = std::find(header.begin(), header.end(), name) - header.begin();
  std::vector<std::string> values;
  if (col == header.size()) return values;
  while (std::getline(in, line) && !in.eof()) {
    std::stringstream row(line);
    std::string cell;
    for (size_t c = 0; c <= col && std::getline(row, cell, ','); ++c) {
    }
    values.push_back(cell);
  }
  return values;
}

// Every row's cell of column `name` as a number (rows where it is empty are skipped).
inline std::vector<double> csv_column(const std::filesystem::path& path, const std::string& name) {
  std::vector<double> values;
  for (const std::string& text : csv_column_text(path, name)) {
    if (!text.empty()) values.push_back(std::stod(text));
  }
  return values;
}

// The policy lag over a whole asynchronous run: the mean of the per-update
// means and the largest per-update maximum.
struct LagOverRun {
  double mean = 0, max = 0;
  size_t updates = 0;
};
inline LagOverRun lag_over_run(const std::filesystem::path& metrics_csv) {
  LagOverRun lag;
  const std::vector<double> means = csv_column(metrics_csv, "policy_lag_mean");
  for (double m : means) lag.mean += m;
  if (!means.empty()) lag.mean /= static_cast<double>(means.size());
  for (double m : csv_column(metrics_csv, "policy_lag_max")) lag.max = std::max(lag.max, m);
  lag.updates = means.size();
  return lag;
}

}  // namespace rl::testing
