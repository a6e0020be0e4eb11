// The actor supervisor with real child processes (/bin/sh standing in for
// an actor): a clean exit is not restarted; a process that keeps failing
// right after its start is restarted at once the first time, then after a
// growing back-off, and past its budget is reported out of restarts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "rl/runtime/supervisor.h"

namespace rl {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// Every event until one says the actor is out of restarts (or 30 s pass).
std::vector<ActorEvent> events_until_out_of_restarts(ActorSupervisor& supervisor) {
  std::vector<ActorEvent> events;
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    for (ActorEvent& event : supervisor.check()) {
      events.push_back(event);
      if (event.out_of_restarts) return events;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return events;
}

TEST(SupervisorTest, ACrashLoopBacksOffAndEndsOutOfRestarts) {
  ActorSupervisor supervisor("/bin/sh", {"-c", "exit 3"}, /*num_actors=*/1, /*max_restarts=*/4);
  const auto start = Clock::now();
  supervisor.start_all();
  const std::vector<ActorEvent> events = events_until_out_of_restarts(supervisor);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  ASSERT_EQ(events.size(), 5u);
  EXPECT_THAT(events[0].text, HasSubstr("exited with code 3; restarted (1 of 4)"));
  EXPECT_THAT(events[0].text, ::testing::Not(HasSubstr("after")));  // the first failure: at once
  EXPECT_THAT(events[1].text, HasSubstr("restarted (2 of 4) after 0.25 s"));
  EXPECT_THAT(events[2].text, HasSubstr("restarted (3 of 4) after 0.50 s"));
  EXPECT_THAT(events[3].text, HasSubstr("restarted (4 of 4) after 1.00 s"));
  EXPECT_TRUE(events[4].out_of_restarts);
  EXPECT_THAT(events[4].text, HasSubstr("out of restarts (runtime.max_restarts=4)"));
  // Never sooner than the back-off (a lower bound holds on a loaded machine).
  EXPECT_GE(elapsed, 0.25 + 0.5 + 1.0);
  EXPECT_EQ(supervisor.available(), 0);
  EXPECT_EQ(supervisor.restarts(), 4);
}

TEST(SupervisorTest, ACleanExitIsNotRestarted) {
  ActorSupervisor supervisor("/bin/sh", {"-c", "exit 0"}, /*num_actors=*/2, /*max_restarts=*/4);
  supervisor.start_all();
  std::vector<ActorEvent> events;
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (events.size() < 2 && Clock::now() < deadline) {
    for (ActorEvent& event : supervisor.check()) events.push_back(event);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(events.size(), 2u);
  for (const ActorEvent& event : events) {
    EXPECT_FALSE(event.restarted);
    EXPECT_THAT(event.text, HasSubstr("stopped"));
  }
  EXPECT_EQ(supervisor.running(), 0);
  EXPECT_EQ(supervisor.restarts(), 0);
}

}  // namespace
}  // namespace rl
