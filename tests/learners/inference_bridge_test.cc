// The learner's inference socket for remote actors (runtime.inference:
// learner), over real ZeroMQ sockets: a step goes into the actor's slot of
// the board and its answer comes back with the step's number; requests that
// break the protocol (another shape, an actor id out of range, a second
// step while one is pending, NaN observations) are refused with their
// reason and counted, and nothing of theirs reaches the board.
#include "learners/inference_bridge.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "rl/wire/wire_message.h"
#include "tests/util/eventually.h"

namespace rl {
namespace {

constexpr int kRows = 2, kObs = 3;

class InferenceBridgeTest : public ::testing::Test {
 protected:
  InferenceBridgeTest()
      : bridge_({.run_id = "run",
                 .layout = {.slots = 4, .rows = kRows, .obs_size = kObs, .action_floats = 0, .state_size = 2}}),
        actor_(wire::SocketType::kDealer) {
    actor_.connect("tcp://127.0.0.1:" + std::to_string(bridge_.port()));
    bridge_.start();
  }

  wire::WireMessage act(int64_t actor, int64_t step, std::vector<float> obs, bool previous = false) {
    wire::Sender sender{"run", "actor", 0};
    wire::WireMessage m = sender.start("act");
    m.body = {{"actor_id", actor}, {"step", step}, {"min_version", int64_t{0}}, {"previous", previous}};
    m.add_array("obs", wire::DType::kFloat32, {kRows, static_cast<int64_t>(obs.size()) / kRows}, obs.data(), obs.size());
    static const uint8_t starts[kRows] = {1, 1};
    m.add_array("starts", wire::DType::kUInt8, {kRows}, starts, kRows);
    return m;
  }

  wire::WireMessage reply() {
    auto frames = actor_.receive(5000);
    if (!frames) throw std::runtime_error("no reply within 5 s");
    return wire::parse(std::move(*frames));
  }

  // The server's part, by hand: answers whatever is requested.
  void serve(int64_t version) {
    ASSERT_TRUE(rl::testing::eventually([&] { return !bridge_.board().requested().empty(); },
                                        std::chrono::milliseconds(1000), std::chrono::milliseconds(2)))
        << "no request reached the board";
    for (int slot : bridge_.board().requested()) {
      const wire::InferenceSlotView v = bridge_.board().slot(slot);
      for (int r = 0; r < kRows; ++r) {
        v.discrete[r] = static_cast<int64_t>(v.obs[r * kObs]);  // echoes the first observation
        v.log_probs[r] = -0.5f;
        v.values[r] = 1.5f;
        v.start_state[2 * r] = v.start_state[2 * r + 1] = static_cast<float>(slot);
      }
      bridge_.board().answer(slot, version, 9);
      const uint64_t one = 1;
      ASSERT_EQ(::write(bridge_.answered_fd(), &one, sizeof one), 8);
    }
  }

  InferenceBridge bridge_;
  wire::Socket actor_;
};

TEST_F(InferenceBridgeTest, AStepIsAnsweredFromTheActorsSlot) {
  ASSERT_TRUE(actor_.send(wire::serialize(act(2, 7, {4, 0, 0, 1, 0, 0}))));
  serve(/*version=*/5);
  const wire::WireMessage answer = reply();
  ASSERT_EQ(answer.kind, "acted");
  EXPECT_EQ(answer.get_int("step"), 7);
  EXPECT_EQ(answer.get_int("version"), 5);
  EXPECT_EQ(answer.get_int("epoch"), 9);
  const wire::WireArray& actions = answer.array("actions");
  ASSERT_EQ(actions.count(), kRows);
  EXPECT_EQ(actions.data<int64_t>()[0], 4);
  EXPECT_EQ(actions.data<int64_t>()[1], 1);
  EXPECT_EQ(answer.array("values").data<float>()[1], 1.5f);
  EXPECT_EQ(answer.array("start_state").count(), 2 * kRows);
  EXPECT_EQ(answer.array("start_state").data<float>()[0], 2.f) << "the actor's own slot";
  EXPECT_EQ(bridge_.requests(), 1);
  EXPECT_EQ(bridge_.dropped(), 0);
}

TEST_F(InferenceBridgeTest, BadRequestsAreRefusedWithTheirReasonAndReachNoSlot) {
  auto refused = [&](wire::WireMessage m) {
    EXPECT_TRUE(actor_.send(wire::serialize(std::move(m))));
    const wire::WireMessage answer = reply();
    EXPECT_EQ(answer.kind, "error");
    return answer.get_string("reason");
  };
  EXPECT_NE(refused(act(1, 1, {1, 2, 3, 4})).find("shape_mismatch"), std::string::npos);
  EXPECT_NE(refused(act(4, 1, {1, 2, 3, 4, 5, 6})).find("bad_actor_id"), std::string::npos);
  EXPECT_NE(refused(act(0, 1, {1, NAN, 3, 4, 5, 6})).find("non_finite"), std::string::npos);
  EXPECT_NE(refused(act(0, 1, {1, 2, 3, 4, 5, 6}, /*previous=*/true)).find("missing_array"), std::string::npos);
  wire::WireMessage other_run = act(0, 1, {1, 2, 3, 4, 5, 6});
  other_run.run = "another";
  EXPECT_NE(refused(std::move(other_run)).find("bad_run"), std::string::npos);
  EXPECT_TRUE(bridge_.board().requested().empty());
  // A second step while the first is pending.
  ASSERT_TRUE(actor_.send(wire::serialize(act(3, 1, {1, 2, 3, 4, 5, 6}))));
  ASSERT_TRUE(rl::testing::eventually([&] { return !bridge_.board().requested().empty(); },
                                      std::chrono::milliseconds(1000), std::chrono::milliseconds(2)))
      << "the first step did not reach the board";
  EXPECT_NE(refused(act(3, 2, {1, 2, 3, 4, 5, 6})).find("pending"), std::string::npos);
  serve(1);
  EXPECT_EQ(reply().get_int("step"), 1);
  EXPECT_EQ(bridge_.dropped(), 6);
}

}  // namespace
}  // namespace rl
