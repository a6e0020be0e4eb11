#include "rl/runtime/metrics.h"

#include "rl/runtime/csv_table.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace rl {

MetricsCsv::MetricsCsv(const std::filesystem::path& path, bool append) {
  if (append) {
    if (const auto table = read_csv(path)) columns_ = table->header;
  }
  file_ = std::fopen(path.c_str(), append ? "a" : "w");
  if (!file_) throw std::runtime_error("cannot open '" + path.string() + "' for writing");
}

MetricsCsv::~MetricsCsv() {
  if (!file_) return;
  try {
    flush();
  } catch (const std::exception&) {
  }
  std::fclose(file_);
}

void MetricsCsv::flush() {
  last_flush_ = std::chrono::steady_clock::now();
  if (pending_.empty()) return;
  if (std::fwrite(pending_.data(), 1, pending_.size(), file_) != pending_.size() || std::fflush(file_) != 0) {
    throw std::runtime_error("cannot write metrics.csv (disk full?)");
  }
  pending_.clear();
}

void MetricsCsv::write(const MetricRow& row) {
  if (columns_.empty()) {
    for (size_t i = 0; i < row.size(); ++i) {
      columns_.push_back(row[i].first);
      pending_ += (i ? "," : "") + row[i].first;
    }
    pending_ += '\n';
  }
  // Where each column is in this row: rows of one run share their layout,
  // so the positions found for the last row usually hold.
  bool layout_holds = position_.size() == columns_.size();
  for (size_t c = 0; layout_holds && c < columns_.size(); ++c) {
    const int p = position_[c];
    layout_holds = p < 0 ? true : static_cast<size_t>(p) < row.size() && row[p].first == columns_[c];
  }
  if (!layout_holds) {
    position_.assign(columns_.size(), -1);
    for (size_t c = 0; c < columns_.size(); ++c) {
      for (size_t i = 0; i < row.size(); ++i) {
        if (row[i].first == columns_[c]) {
          position_[c] = static_cast<int>(i);
          break;
        }
      }
    }
  }
  char number[32];
  for (size_t c = 0; c < columns_.size(); ++c) {
    if (c) pending_ += ',';
    const double value = position_[c] < 0 ? std::numeric_limits<double>::quiet_NaN() : row[position_[c]].second;
    if (!std::isnan(value)) {
      std::snprintf(number, sizeof number, "%.9g", value);
      pending_ += number;
    }
  }
  pending_ += '\n';
  if (std::chrono::steady_clock::now() - last_flush_ > std::chrono::milliseconds(200)) flush();
}

double metric(const MetricRow& row, const std::string& name) {
  for (const auto& [key, value] : row) {
    if (key == name) return value;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace rl
