// The learner's publisher with a real socket on loopback, and the
// newest-wins slot it takes versions from: a request is answered with the
// newest version newer than the requester's, at once or (wait) when one
// exists; "current" when there is nothing newer; a requester of another
// learner epoch (a resumed learner's actors) gets the weights whatever its
// version; the board gets every version; a version superseded before the
// publisher takes it is never sent.
#include "learners/publisher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "learners/stage_queue.h"
#include "rl/wire/messages.h"
#include "rl/wire/socket.h"

namespace rl {
namespace {

using wire::Socket;
using wire::SocketType;
using wire::WireMessage;

wire::WeightsPayload weights(int64_t version) {
  return {.version = version,
          .parameters = {{"pi_head.weight", {1, 2}, {0.5f, static_cast<float>(version)}}},
          .obs_mean = {0.0},
          .obs_var = {1.0},
          .obs_count = 1};
}

// A requester on the weights socket.
struct Requester {
  Socket socket{SocketType::kDealer};
  wire::Sender sender{"pub", "actor-0", 0};
  std::optional<WireMessage> ask(int64_t have, bool wait, int64_t epoch, int timeout_ms = 5000) {
    socket.send(wire::serialize(wire::make_want(sender, have, wait, epoch)), 1000);
    auto frames = socket.receive(timeout_ms);
    if (!frames) return std::nullopt;
    return wire::parse(std::move(*frames));
  }
};

TEST(PublisherTest, RequestsAreAnsweredWithTheNewestVersionOfThisEpoch) {
  Publisher publisher(PublisherConfig{.run_id = "pub"}, weights(0));
  publisher.start();
  Requester r;
  r.socket.connect("tcp://127.0.0.1:" + std::to_string(publisher.port()));

  // A new requester (have -1, no epoch) gets version 0, tagged with the epoch.
  auto m = r.ask(-1, /*wait=*/false, 0);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->kind, "weights");
  const wire::WeightsPayload got = wire::decode_weights(*m);
  EXPECT_EQ(got.version, 0);
  EXPECT_EQ(got.epoch, publisher.epoch());
  EXPECT_GT(publisher.epoch(), 0);
  // Nothing newer: "current", without waiting.
  m = r.ask(0, /*wait=*/false, publisher.epoch());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, "current");
  EXPECT_EQ(m->get_int("version"), 0);
  // A waiting request is answered when a newer version is published.
  r.socket.send(wire::serialize(wire::make_want(r.sender, 0, /*wait=*/true, publisher.epoch())), 1000);
  EXPECT_FALSE(r.socket.receive(200)) << "answered before a newer version existed";
  publisher.publish(weights(1));
  auto frames = r.socket.receive(5000);
  ASSERT_TRUE(frames);
  EXPECT_EQ(wire::decode_weights(wire::parse(std::move(*frames))).version, 1);
  // Another epoch's version 7 (an actor of the learner before a resume)
  // says nothing here: the requester gets this learner's version 1.
  m = r.ask(7, /*wait=*/false, publisher.epoch() + 1);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->kind, "weights");
  EXPECT_EQ(wire::decode_weights(*m).version, 1);
  // The host's board has every version.
  const wire::WeightsBoard board = wire::WeightsBoard::attach(publisher.board_fd());
  EXPECT_EQ(board.version(), 1);
  publisher.stop();
}

TEST(PublisherTest, TheNewestWinsSlotNeverHandsOverASupersededValue) {
  Latest<int> slot;
  EXPECT_FALSE(slot.take(std::chrono::milliseconds(0)));
  slot.put(1);
  slot.put(2);
  slot.put(3);
  EXPECT_EQ(slot.take(std::chrono::milliseconds(0)), std::optional<int>(3));
  EXPECT_FALSE(slot.take(std::chrono::milliseconds(0))) << "a value is taken once";
  EXPECT_EQ(slot.puts(), 3);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    slot.put(4);
  });
  EXPECT_EQ(slot.take(std::chrono::milliseconds(10000)), std::optional<int>(4)) << "a waiting taker wakes";
  writer.join();
  slot.close();
  EXPECT_FALSE(slot.take(std::chrono::milliseconds(10000))) << "closed: no wait";
}

}  // namespace
}  // namespace rl
