// Reading a run's metrics.csv back in tests.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace rl::testing {

// Every row's cell of column `name`, as text ("" where empty or absent).
inline std::vector<std::string> csv_column_text(const std::filesystem::path& path, const std::string& name) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  std::stringstream cells(line);
  for (std::string cell; std::getline(cells, cell, ',');) header.push_back(cell);
  const size_t col = std::find(header.begin(), header.end(), name) - header.begin();
  std::vector<std::string> values;
  while (std::getline(in, line)) {
    std::stringstream row(line);
    std::string cell;
    for (size_t c = 0; c <= col && std::getline(row, cell, ','); ++c) {
    }
    values.push_back(cell);
  }
  return values;
}

}  // namespace rl::testing
