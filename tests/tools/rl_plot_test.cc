// rl_plot on run directories written here: a PNG comes out, seeds of one
// algorithm and env make one curve, and a directory that is not a run is a
// clear error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/util/run_program.h"

namespace {

namespace fs = std::filesystem;
using rl::testing::run_program;

void write_run(const fs::path& dir, int seed, double scale) {
  fs::create_directories(dir);
  std::ofstream csv(dir / "metrics.csv");
  csv << "env_steps,updates,episode_return_mean,wall_seconds\n";
  csv << "0,0,,0.0\n";  // no episode finished yet: an empty cell
  for (int i = 1; i <= 50; ++i) csv << i * 1000 << "," << i << "," << scale * i << "," << i * 0.1 << "\n";
  std::ofstream(dir / "summary.json") << "{\"algorithm\":\"ppo\",\"env\":\"CartPole-v1\",\"seed\":" << seed << "}";
}

TEST(RlPlotTest, WritesAPngWithOneCurvePerAlgorithmAndEnv) {
  const fs::path root = fs::temp_directory_path() / ("rl_plot_test_" + std::to_string(::getpid()));
  write_run(root / "a", 1, 1.0);
  write_run(root / "b", 2, 2.0);
  const fs::path png = root / "curves.png";
  const auto out = run_program(RL_PLOT, (root / "a").string() + " " + (root / "b").string() + " -o " + png.string());
  ASSERT_EQ(out.status, 0) << out.text;
  EXPECT_NE(out.text.find("1 curve(s) from 2 run(s)"), std::string::npos) << out.text;
  std::ifstream in(png, std::ios::binary);
  char signature[8] = {};
  in.read(signature, 8);
  EXPECT_EQ(std::string(signature, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_GT(fs::file_size(png), 10000u);
  fs::remove_all(root);
}

TEST(RlPlotTest, NotARunDirectoryIsAClearError) {
  const auto out = run_program(RL_PLOT, "/nonexistent/run -o /tmp/never.png");
  EXPECT_EQ(out.status, 2);
  EXPECT_NE(out.text.find("/nonexistent/run/metrics.csv does not exist"), std::string::npos) << out.text;
}

}  // namespace
