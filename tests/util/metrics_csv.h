// Reading a run's metrics.csv back in tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rl/runtime/csv_table.h"

namespace rl::testing {

// The header and the complete rows of a metrics.csv (empty while the file is
// not there). A run appends to the file while tests poll it, so a last line
// without its newline is a row still being written and is left out.
inline CsvTable read_complete_rows(const std::filesystem::path& path) {
  return read_csv(path, /*complete_rows_only=*/true).value_or(CsvTable{});
}

// Every complete row's cell of column `name`, as text ("" where empty or
// absent); no rows at all when the file has no such column.
inline std::vector<std::string> csv_column_text(const std::filesystem::path& path, const std::string& name) {
  const CsvTable csv = read_complete_rows(path);
  std::vector<std::string> values;
  const std::optional<size_t> col = csv_column_index(csv, name);
  if (!col) return values;
  for (const auto& row : csv.rows) values.push_back(*col < row.size() ? row[*col] : "");
  return values;
}

// The last complete row as name -> value (NaN where empty); empty while the
// file has no complete row.
inline std::map<std::string, double> last_metrics(const std::filesystem::path& path) {
  const CsvTable csv = read_complete_rows(path);
  std::map<std::string, double> row;
  if (csv.rows.empty()) return row;
  const auto& last = csv.rows.back();
  for (size_t c = 0; c < csv.header.size() && c < last.size(); ++c) {
    row[csv.header[c]] = last[c].empty() ? NAN : std::stod(last[c]);
  }
  return row;
}

// One metric of the last complete row, for polling a running run; nullopt
// while the file or the column is not there yet.
inline std::optional<double> metric_now(const std::filesystem::path& path, const std::string& name) {
  const auto row = last_metrics(path);
  const auto it = row.find(name);
  if (it == row.end()) return std::nullopt;
  return it->second;
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
