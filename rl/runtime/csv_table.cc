#include "rl/runtime/csv_table.h"

#include <csv.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace rl {
namespace {

struct Collector {
  CsvTable table;
  std::vector<std::string> row;
  bool first = true;
};

void on_cell(void* text, size_t size, void* data) {
  auto* c = static_cast<Collector*>(data);
  c->row.emplace_back(text ? static_cast<const char*>(text) : "", text ? size : 0);
}

void on_row_end(int /*terminator*/, void* data) {
  auto* c = static_cast<Collector*>(data);
  if (c->first) {
    c->table.header = std::move(c->row);
    c->first = false;
  } else {
    c->table.rows.push_back(std::move(c->row));
  }
  c->row.clear();
}

}  // namespace

std::optional<CsvTable> read_csv(const std::filesystem::path& path, bool complete_rows_only) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (complete_rows_only) text.resize(text.find_last_of('\n') == std::string::npos ? 0 : text.find_last_of('\n') + 1);

  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
    throw std::runtime_error("cannot read " + path.string() + ": out of memory");
  }
  Collector collector;
  const size_t parsed = csv_parse(&parser, text.data(), text.size(), on_cell, on_row_end, &collector);
  const bool failed = parsed != text.size() || csv_fini(&parser, on_cell, on_row_end, &collector) != 0;
  const std::string why = failed ? csv_strerror(csv_error(&parser)) : "";
  csv_free(&parser);
  if (failed) {
    throw std::runtime_error(path.string() + " is not valid CSV near byte " + std::to_string(parsed) + " (" + why + ")");
  }
  return std::move(collector.table);
}

std::optional<size_t> csv_column_index(const CsvTable& table, const std::string& name) {
  const auto it = std::find(table.header.begin(), table.header.end(), name);
  if (it == table.header.end()) return std::nullopt;
  return static_cast<size_t>(it - table.header.begin());
}

}  // namespace rl
