// Reading a run's metrics.csv back in tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace rl::testing {

// The header and the complete rows of a metrics.csv, each split into cells.
// A run appends to the file while tests poll it, so a last line without its
// newline is a row still being written and is left out: reading it would give
// missing columns or a cut-off number.
struct CsvRows {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};
inline std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream stream(line);
  for (std::string cell; std::getline(stream, cell, ',');) cells.push_back(cell);
  return cells;
}
inline CsvRows read_complete_rows(const std::filesystem::path& path) {
  CsvRows csv;
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line) || in.eof()) return csv;
  csv.header = split_csv_line(line);
  while (std::getline(in, line) && !in.eof()) csv.rows.push_back(split_csv_line(line));
  return csv;
}

// Every complete row's cell of column `name`, as text ("" where empty or
// absent); no rows at all when the file has no such column.
inline std::vector<std::string> csv_column_text(const std::filesystem::path& path, const std::string& name) {
  const CsvRows csv = read_complete_rows(path);
  const size_t col = std::find(csv.header.begin(), csv.header.end(), name) - csv.header.begin();
  std::vector<std::string> values;
  if (col == csv.header.size()) return values;
  for (const auto& row : csv.rows) values.push_back(col < row.size() ? row[col] : "");
  return values;
}

// The last complete row as name -> value (NaN where empty); empty while the
// file has no complete row.
inline std::map<std::string, double> last_metrics(const std::filesystem::path& path) {
  const CsvRows csv = read_complete_rows(path);
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
