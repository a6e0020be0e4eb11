#include "rl/runtime/checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

namespace rl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("rl_checkpoint_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }
  static std::string error_of(const fs::path& path) {
    try {
      verify_checkpoint(path);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
};

TEST_F(CheckpointTest, WritesRenamesAndPointsLatestAtTheNewest) {
  CheckpointStore store(dir_ / "checkpoints", /*keep=*/2);
  for (int64_t step : {100, 200, 300}) {
    store.write(step, [&](const fs::path& d) { write(d / "data.txt", std::to_string(step)); });
  }
  EXPECT_EQ(store.latest().filename(), "step_000000000300");
  // Only the newest two are kept, and no temporary directory is left.
  int steps = 0;
  for (const auto& entry : fs::directory_iterator(dir_ / "checkpoints")) {
    const std::string name = entry.path().filename().string();
    EXPECT_NE(name.rfind(".tmp", 0), 0u) << name;
    steps += name.rfind("step_", 0) == 0;
  }
  EXPECT_EQ(steps, 2);
  EXPECT_EQ(verify_checkpoint(dir_), fs::canonical(dir_ / "checkpoints" / "step_000000000300"));
  EXPECT_EQ(verify_checkpoint(dir_ / "checkpoints" / "latest"), store.latest());
}

TEST_F(CheckpointTest, DetectsMissingAndCorruptFiles) {
  CheckpointStore store(dir_ / "checkpoints", 0);
  const fs::path cp = store.write(5, [&](const fs::path& d) {
    write(d / "a.txt", "hello");
    write(d / "b.txt", "world");
  });
  EXPECT_NO_THROW(verify_checkpoint(cp));

  write(cp / "a.txt", "hellO");  // same size, other bytes
  EXPECT_THAT(error_of(cp), HasSubstr("a.txt does not match its hash"));
  write(cp / "a.txt", "hell");
  EXPECT_THAT(error_of(cp), HasSubstr("a.txt has 4 bytes, the manifest says 5"));
  write(cp / "a.txt", "hello");
  fs::remove(cp / "b.txt");
  EXPECT_THAT(error_of(cp), HasSubstr("b.txt is missing"));
  fs::remove(cp / "manifest.json");
  EXPECT_THAT(error_of(cp), HasSubstr("no manifest.json"));
  EXPECT_THAT(error_of(dir_ / "nowhere"), HasSubstr("does not exist"));
}

// A crash while writing leaves a .tmp directory behind: `latest` still
// names the previous complete checkpoint, which still verifies.
TEST_F(CheckpointTest, AnInterruptedWriteLeavesTheLastCompleteCheckpoint) {
  CheckpointStore store(dir_ / "checkpoints", 0);
  const fs::path first = store.write(1, [&](const fs::path& d) { write(d / "x", "1"); });
  EXPECT_THROW(store.write(2,
                           [&](const fs::path& d) {
                             write(d / "x", "partial");
                             throw std::runtime_error("crash while writing");
                           }),
               std::runtime_error);
  EXPECT_EQ(store.latest(), first);
  EXPECT_NO_THROW(verify_checkpoint(dir_));
  EXPECT_FALSE(fs::exists(dir_ / "checkpoints" / "step_000000000002"));
}

}  // namespace
}  // namespace rl
