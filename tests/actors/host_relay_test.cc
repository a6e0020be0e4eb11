// A host agent's weights relay against a stand-in for the learner's weights
// socket (a ROUTER on loopback): an actor's ticket makes the relay ask for
// what is newer than the board's version of its epoch; newer weights go on
// the board and answer the ticket; "current" answers it without a new
// version; weights of another learner epoch (a resumed learner, its
// versions lower) go on the board all the same.
#include "actors/host_relay.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "rl/wire/messages.h"

namespace rl {
namespace {

using wire::Socket;
using wire::SocketType;
using wire::WireMessage;

wire::Frames weights_message(int64_t version, int64_t epoch) {
  wire::Sender sender{"relay-test", "learner-0", 0};
  const wire::WeightsPayload w{.version = version, .epoch = epoch,
                               .parameters = {{"pi_head.weight", {1, 1}, {static_cast<float>(version)}}},
                               .obs_mean = {0.0}, .obs_var = {1.0}, .obs_count = 1};
  return wire::serialize(wire::encode_weights(sender, w));
}

struct FakeLearner {
  Socket socket{SocketType::kRouter};
  std::string endpoint = socket.bind("tcp://127.0.0.1:0");
  std::string requester;
  // The next `want`: its have and epoch.
  std::optional<std::pair<int64_t, int64_t>> next_want() {
    auto frames = socket.receive(5000);
    if (!frames) return std::nullopt;
    requester = (*frames)[0];
    frames->erase(frames->begin());
    const WireMessage m = wire::parse(std::move(*frames));
    if (m.kind != "want") return std::nullopt;
    return std::make_pair(m.get_int("have"), m.body.count("epoch") ? m.get_int("epoch") : int64_t{0});
  }
  void reply(wire::Frames frames) {
    frames.insert(frames.begin(), requester);
    socket.send(std::move(frames), 1000);
  }
};

TEST(HostRelayTest, TicketsFetchNewerWeightsAndANewEpochReplacesTheBoard) {
  FakeLearner learner;
  const int64_t epoch = 1111, resumed_epoch = 2222;
  wire::WeightsBoard board = wire::WeightsBoard::create(1 << 16);
  board.publish(0, weights_message(5, epoch));  // the first weights, as the host agent puts them
  const int demand = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_GE(demand, 0);
  Socket socket(SocketType::kDealer);
  socket.connect(learner.endpoint);
  HostRelay relay({.weights_endpoint = learner.endpoint, .run_id = "relay-test", .sync = false,
                   .version = 5, .epoch = epoch},
                  std::move(socket), board, demand);
  relay.start();
  const auto ask = [&] {
    const uint32_t ticket = board.take_ticket();
    const uint64_t one = 1;
    EXPECT_EQ(::write(demand, &one, sizeof one), static_cast<ssize_t>(sizeof one));
    return ticket;
  };
  const auto board_weights = [&] {
    wire::Frames frames;
    EXPECT_TRUE(board.read_newer(-1, frames));
    return wire::decode_weights(wire::parse(std::move(frames)));
  };

  // Newer weights of the same epoch: on the board, the ticket answered.
  uint32_t ticket = ask();
  auto want = learner.next_want();
  ASSERT_TRUE(want);
  EXPECT_EQ(*want, std::make_pair(int64_t{5}, epoch));
  learner.reply(weights_message(6, epoch));
  EXPECT_TRUE(board.wait_answered(ticket, 5.0));
  EXPECT_EQ(board_weights().version, 6);

  // Nothing newer: "current" answers the ticket, the board stays.
  ticket = ask();
  want = learner.next_want();
  ASSERT_TRUE(want);
  EXPECT_EQ(*want, std::make_pair(int64_t{6}, epoch));
  WireMessage current = wire::Sender{"relay-test", "learner-0", 0}.start("current");
  current.body["version"] = int64_t{6};
  current.body["epoch"] = epoch;
  learner.reply(wire::serialize(std::move(current)));
  EXPECT_TRUE(board.wait_answered(ticket, 5.0));
  EXPECT_EQ(board_weights().version, 6);

  // A resumed learner (another epoch) answers with its version 3: below
  // what the board has, and on the board all the same.
  ticket = ask();
  want = learner.next_want();
  ASSERT_TRUE(want);
  learner.reply(weights_message(3, resumed_epoch));
  EXPECT_TRUE(board.wait_answered(ticket, 5.0));
  const wire::WeightsPayload now = board_weights();
  EXPECT_EQ(now.version, 3);
  EXPECT_EQ(now.epoch, resumed_epoch);
  // And the relay's next request counts in the new epoch.
  ask();
  want = learner.next_want();
  ASSERT_TRUE(want);
  EXPECT_EQ(*want, std::make_pair(int64_t{3}, resumed_epoch));
  relay.stop();
  ::close(demand);
}

}  // namespace
}  // namespace rl
