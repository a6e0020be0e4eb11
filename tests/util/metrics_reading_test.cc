// The helpers that read a run's metrics.csv while the run appends to it: a
// last line without its newline is a row still being written and must not be
// read (it gave a missing column, "map::at", in a CI run).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/util/metrics_csv.h"
#include "tests/util/processes.h"

namespace fs = std::filesystem;
using rl::testing::csv_column_text;
using rl::testing::last_metrics;
using rl::testing::metric_now;

namespace {

fs::path write_file(const std::string& text) {
  const fs::path path = fs::temp_directory_path() / ("metrics_reading_" + std::to_string(::getpid()) + ".csv");
  std::ofstream(path) << text;
  return path;
}

TEST(MetricsReadingTest, ARowStillBeingWrittenIsNotRead) {
  const fs::path path = write_file("updates,env_steps,live_actors\n1,640,2\n2,1280,2\n3,19");
  const auto row = last_metrics(path);
  EXPECT_EQ(row.at("updates"), 2);
  EXPECT_EQ(row.at("env_steps"), 1280);
  EXPECT_EQ(row.at("live_actors"), 2);
  EXPECT_EQ(metric_now(path, "live_actors"), 2);
  EXPECT_EQ(csv_column_text(path, "env_steps"), (std::vector<std::string>{"640", "1280"}));
  fs::remove(path);
}

TEST(MetricsReadingTest, NothingIsReadBeforeTheFirstCompleteRow) {
  for (const char* text : {"", "updates,env_st", "updates,env_steps\n", "updates,env_steps\n1,6"}) {
    const fs::path path = write_file(text);
    EXPECT_TRUE(last_metrics(path).empty()) << text;
    EXPECT_EQ(metric_now(path, "updates"), std::nullopt) << text;
    EXPECT_TRUE(csv_column_text(path, "updates").empty()) << text;
    fs::remove(path);
  }
  EXPECT_EQ(metric_now("/nonexistent/metrics.csv", "updates"), std::nullopt);
}

TEST(MetricsReadingTest, AColumnTheFileLacksIsAbsentNotAnotherColumn) {
  const fs::path path = write_file("updates,env_steps\n1,640\n");
  EXPECT_EQ(metric_now(path, "param_checksum"), std::nullopt);
  EXPECT_TRUE(csv_column_text(path, "param_checksum").empty());
  fs::remove(path);
}

// The reader is libcsv's: quoting, an empty last cell and CRLF line ends are
// read as RFC 4180 says (a split on commas lost the empty last cell).
TEST(MetricsReadingTest, CellsAreReadAsCsvDefinesThem) {
  const fs::path path = write_file("label,note,env_steps,episode_return_mean\r\n"
                                   "\"a,b\",\"say \"\"hi\"\"\",640,\r\n"
                                   "c,,1280,5.5\r\n");
  const std::optional<rl::CsvTable> table = rl::read_csv(path);
  ASSERT_TRUE(table.has_value());
  EXPECT_EQ(table->header, (std::vector<std::string>{"label", "note", "env_steps", "episode_return_mean"}));
  ASSERT_EQ(table->rows.size(), 2u);
  EXPECT_EQ(table->rows[0], (std::vector<std::string>{"a,b", "say \"hi\"", "640", ""}));
  EXPECT_EQ(table->rows[1], (std::vector<std::string>{"c", "", "1280", "5.5"}));
  EXPECT_EQ(csv_column_text(path, "episode_return_mean"), (std::vector<std::string>{"", "5.5"}));
  fs::remove(path);
}

TEST(MetricsReadingTest, TextThatIsNotCsvIsAnErrorNamingTheFile) {
  const fs::path path = write_file("updates,env_steps\n1,\"640\n");
  try {
    rl::read_csv(path, /*complete_rows_only=*/false);
    FAIL() << "an unterminated quote was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string() + " is not valid CSV"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(rl::read_csv("/nonexistent/metrics.csv").has_value());
  fs::remove(path);
}

}  // namespace
