// The weights board in shared memory, across real processes: a reader
// process that inherited the board's descriptor never sees a torn message
// while a writer publishes as fast as it can (each slot's sequence lock),
// sees versions only go up, and wakes for a newer version; the demand
// tickets count up and are answered.
#include "rl/wire/weights_board.h"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace rl::wire {
namespace {

// A message of `version` whose every byte says which version it is: a
// frame copied half from one version and half from another shows it.
std::vector<std::string> message_of(int64_t version) {
  const char mark = static_cast<char>('A' + version % 26);
  return {std::string(64, mark), std::string(1000 + version % 700, mark), std::to_string(version)};
}

// 0 when `frames` is version's message exactly.
int check(const std::vector<std::string>& frames, int64_t version) {
  if (frames.size() != 3 || frames[2] != std::to_string(version)) return 1;
  const char mark = static_cast<char>('A' + version % 26);
  for (size_t i = 0; i < 2; ++i) {
    for (char c : frames[i]) {
      if (c != mark) return 2;
    }
  }
  return frames[1].size() == static_cast<size_t>(1000 + version % 700) ? 0 : 3;
}

TEST(WeightsBoardTest, AReaderProcessNeverSeesATornMessageUnderAHammeringWriter) {
  WeightsBoard board = WeightsBoard::create(4096);
  board.publish(0, message_of(0));
  const pid_t reader = ::fork();
  ASSERT_GE(reader, 0);
  if (reader == 0) {
    // The reader: reads whatever is newest for 1.5 s; exit status says
    // what went wrong (0: nothing, and at least 100 reads of new versions).
    const WeightsBoard mine = WeightsBoard::attach(board.fd());
    std::vector<std::string> frames;
    int64_t have = -1, reads = 0;
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
    while (std::chrono::steady_clock::now() < end) {
      const auto version = mine.read_newer(have, frames);
      if (!version) continue;
      if (*version <= have) ::_exit(10);                 // went back
      if (int bad = check(frames, *version)) {  // torn
        std::fprintf(stderr, "read version %lld: %zu frames, last '%s'\n", static_cast<long long>(*version),
                     frames.size(), frames.empty() ? "" : frames.back().substr(0, 20).c_str());
        ::_exit(20 + bad);
      }
      have = *version;
      ++reads;
    }
    ::_exit(reads >= 100 ? 0 : 30);
  }
  // The writer: every version, as fast as it can, until the reader is done.
  int64_t version = 0;
  int status = 0;
  while (::waitpid(reader, &status, WNOHANG) == 0) {
    ++version;
    board.publish(version, message_of(version));
  }
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: a version went back; 21-23: a torn message; 30: too few reads";
  EXPECT_GT(version, 1000) << "the writer should have published many versions";
}

TEST(WeightsBoardTest, AWaitingReaderWakesForANewerVersionAndTicketsAreAnswered) {
  WeightsBoard board = WeightsBoard::create(4096);
  board.publish(1, message_of(1));
  EXPECT_FALSE(board.wait_newer(1, 0.05)) << "nothing newer yet";
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    board.publish(2, message_of(2));
  });
  EXPECT_TRUE(board.wait_newer(1, 10.0));
  writer.join();
  std::vector<std::string> frames;
  ASSERT_EQ(board.read_newer(1, frames), std::optional<int64_t>(2));
  EXPECT_EQ(check(frames, 2), 0);
  EXPECT_FALSE(board.read_newer(2, frames)) << "nothing newer than 2";

  const uint32_t first = board.take_ticket(), second = board.take_ticket();
  EXPECT_EQ(second, first + 1);
  EXPECT_EQ(board.demand(), second);
  EXPECT_FALSE(board.wait_answered(second, 0.05));
  board.answer(second);
  EXPECT_TRUE(board.wait_answered(first, 1.0)) << "answering a ticket answers the ones before it";
  EXPECT_TRUE(board.wait_answered(second, 1.0));
  // Too big for the board: an error, and the board keeps its version.
  EXPECT_THROW(board.publish(3, {std::string(8192, 'x')}), std::length_error);
  EXPECT_EQ(board.version(), 2);
}

}  // namespace
}  // namespace rl::wire
