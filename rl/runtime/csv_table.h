// Reading a CSV file (metrics.csv) back: parsed by libcsv, so quoted cells,
// empty last cells and CRLF line ends read as RFC 4180 says.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rl {

struct CsvTable {
  std::vector<std::string> header;              // the first row
  std::vector<std::vector<std::string>> rows;   // the rows after it
};

// The table in `path`; nullopt when the file cannot be opened. A file that a
// run is still appending to may end in a row without its newline: with
// `complete_rows_only` that row is left out (it may be cut short). Throws a
// std::runtime_error naming the file when its text is not valid CSV.
std::optional<CsvTable> read_csv(const std::filesystem::path& path, bool complete_rows_only = true);

// The position of column `name` in `table.header`, or nullopt.
std::optional<size_t> csv_column_index(const CsvTable& table, const std::string& name);

}  // namespace rl
