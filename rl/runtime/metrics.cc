#include "rl/runtime/metrics.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace rl {

MetricsCsv::MetricsCsv(const std::filesystem::path& path, bool append) {
  if (append && std::filesystem::exists(path)) {
    std::ifstream in(path);
    std::string header;
    std::getline(in, header);
    std::stringstream cells(header);
    for (std::string name; std::getline(cells, name, ',');) columns_.push_back(name);
  }
  file_ = std::fopen(path.c_str(), append ? "a" : "w");
  if (!file_) throw std::runtime_error("cannot open '" + path.string() + "' for writing");
}

MetricsCsv::~MetricsCsv() {
  if (file_) std::fclose(file_);
}

void MetricsCsv::write(const MetricRow& row) {
  if (columns_.empty()) {
    for (size_t i = 0; i < row.size(); ++i) {
      columns_.push_back(row[i].first);
      std::fprintf(file_, "%s%s", i ? "," : "", row[i].first.c_str());
    }
    std::fprintf(file_, "\n");
  }
  for (size_t c = 0; c < columns_.size(); ++c) {
    const double value = metric(row, columns_[c]);
    if (c) std::fputc(',', file_);
    if (!std::isnan(value)) std::fprintf(file_, "%.9g", value);
  }
  std::fputc('\n', file_);
  std::fflush(file_);
}

double metric(const MetricRow& row, const std::string& name) {
  for (const auto& [key, value] : row) {
    if (key == name) return value;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace rl
