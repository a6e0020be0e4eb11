// Replays the fuzz corpus (tests/fuzz/corpus/wire) and the seeds through
// the fuzz target with the ordinary compiler, so that CI keeps the target
// building and every saved input passing; bench/fuzz_wire.sh runs
// libFuzzer itself (clang) for a bounded time.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "tests/fuzz/wire_fuzz.h"
#include "tests/fuzz/wire_seeds.h"

namespace rl::wire::fuzz {
namespace {

namespace fs = std::filesystem;

void run(const std::string& input) {
  decode_one(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

TEST(WireFuzzTest, EveryCorpusFileDecodesOrIsRejectedWithAWireError) {
  const fs::path corpus = RL_FUZZ_CORPUS;
  ASSERT_TRUE(fs::is_directory(corpus)) << corpus;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(corpus)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string input((std::istreambuf_iterator<char>(in)), {});
    EXPECT_NO_THROW(run(input)) << entry.path();
    ++files;
  }
  EXPECT_GE(files, 8);
}

// The seeds decode as what they are (the target is not rejecting everything).
TEST(WireFuzzTest, SeedsAreValidMessages) {
  for (const auto& [name, input] : seed_inputs()) {
    const auto frames = split_frames(reinterpret_cast<const uint8_t*>(input.data()), input.size());
    EXPECT_NO_THROW(parse(std::vector<std::string>(frames))) << name;
  }
}

// A cheap mutation pass in CI: every seed with random bytes flipped,
// truncated and extended; none may escape as anything but WireError.
TEST(WireFuzzTest, MutatedSeedsNeverEscapeTheContract) {
  std::mt19937 rng(5);
  for (const auto& [name, seed] : seed_inputs()) {
    for (int round = 0; round < 300; ++round) {
      std::string input = seed;
      const int edits = 1 + static_cast<int>(rng() % 8);
      for (int e = 0; e < edits && !input.empty(); ++e) {
        const size_t at = rng() % input.size();
        switch (rng() % 4) {
          case 0: input[at] = static_cast<char>(rng()); break;
          case 1: input.resize(at); break;
          case 2: input.insert(at, 1 + rng() % 8, static_cast<char>(rng())); break;
          default: input[at] = static_cast<char>(input[at] ^ (1 << (rng() % 8))); break;
        }
      }
      EXPECT_NO_THROW(run(input)) << name << " round " << round;
    }
  }
}

}  // namespace
}  // namespace rl::wire::fuzz
