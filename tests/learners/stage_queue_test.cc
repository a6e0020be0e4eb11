// The stages' queue with several producers and consumers: every item is
// taken exactly once, and a reader blocked on an empty queue wakes for
// every item pushed (none sleeps beside a waiting item); and StageFailure
// keeps the first failure.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "learners/stage_queue.h"

namespace rl {
namespace {

using std::chrono::milliseconds;

TEST(StageQueueTest, EveryItemIsTakenOnceWithSeveralProducersAndConsumers) {
  BoundedQueue<int> queue(8);
  constexpr int kProducers = 4, kPerProducer = 5000, kConsumers = 4;
  std::vector<std::atomic<int>> seen(kProducers * kPerProducer);
  std::atomic<int> taken{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) ASSERT_TRUE(queue.push(p * kPerProducer + i, milliseconds(10000)));
    });
  }
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&] {
      while (taken.load() < kProducers * kPerProducer) {
        if (auto item = queue.pop(milliseconds(20))) {
          ++seen[*item];
          ++taken;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i].load(), 1) << "item " << i;
}

// Two readers wait (30 s timeouts) on an empty queue; two items pushed back
// to back must wake both. Waking a reader only on an empty queue's first
// item left the second reader asleep until its timeout.
TEST(StageQueueTest, EachPushWakesAWaitingReader) {
  for (int round = 0; round < 50; ++round) {
    BoundedQueue<int> queue(4);
    std::atomic<int> woke{0};
    std::thread a([&] { woke += queue.pop(milliseconds(30000)).has_value(); });
    std::thread b([&] { woke += queue.pop(milliseconds(30000)).has_value(); });
    std::this_thread::sleep_for(milliseconds(2));  // both readers asleep (not required for correctness)
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(queue.push(1, milliseconds(0)));
    ASSERT_TRUE(queue.push(2, milliseconds(0)));
    while (woke.load() < 2 && std::chrono::steady_clock::now() - start < std::chrono::seconds(10)) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    const int woken = woke.load();
    queue.close();  // frees a reader that slept through, so that the threads end either way
    a.join();
    b.join();
    ASSERT_EQ(woken, 2) << "round " << round << ": a reader slept beside a waiting item";
  }
}

TEST(StageQueueTest, AStageFailureKeepsTheFirst) {
  StageFailure failure;
  EXPECT_FALSE(failure.what());
  failure.record("hub: first");
  failure.record("hub: second");
  EXPECT_EQ(*failure.what(), "hub: first");
}

}  // namespace
}  // namespace rl
