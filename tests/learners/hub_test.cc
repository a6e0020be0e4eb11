// The learner's hub with real sockets on loopback and peers that play
// actors, driven round by round without its thread (Hub::serve): every
// field of every control kind it reads, liveness, the credits of flow
// control, a restarted actor taking its predecessor's id, a full run, and
// unrolls that are well framed but hostile, each dropped under its reason.
// Last, the batcher behind it: a synchronous batch's layout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>

#include "envs/builtin.h"
#include "learners/batcher.h"
#include "learners/hub.h"
#include "rl/env/vector_env.h"
#include "rl/wire/messages.h"
#include "rl/wire/socket.h"

namespace rl {
namespace {

using ::testing::HasSubstr;
using wire::Frames;
using wire::Socket;
using wire::SocketType;
using wire::WireMessage;
using wire::WireValue;

EnvSpec cartpole() {
  EnvRegistry registry;
  envs::register_builtin_envs(registry);
  return VectorEnv(registry, "CartPole-v1", {}).spec();
}

// A peer with a control socket (and, once joined, an unroll socket).
struct Peer {
  Socket control{SocketType::kDealer};
  std::optional<Socket> push;
  wire::Sender sender{"hub", "actor", 0};
  int64_t id = -1, incarnation = 0;
};

class HubTest : public ::testing::Test {
 protected:
  void make_hub(HubConfig extra = {}) {
    HubConfig config = extra;
    config.run_id = "hub";
    config.algorithm = "impala";
    config.bind = "tcp://127.0.0.1:0";
    config.spec = cartpole();
    config.num_steps = 3;
    config.num_envs = 2;
    hub_.emplace(config, deliveries_);
  }
  void SetUp() override { make_hub(); }

  // Serves the hub until `peer` gets a message or 0.5 s pass.
  std::optional<WireMessage> reply_to(Peer& peer) {
    for (int i = 0; i < 50; ++i) {
      hub_->serve(10);
      if (auto frames = peer.control.receive(0)) return wire::parse(std::move(*frames));
    }
    return std::nullopt;
  }
  std::optional<WireMessage> exchange(Peer& peer, WireMessage message) {
    peer.control.send(wire::serialize(std::move(message)), 1000);
    return reply_to(peer);
  }
  // A window of serving, for what must NOT happen in it (nothing read).
  void serve_for(double seconds) {
    for (int i = 0; i < static_cast<int>(seconds * 100); ++i) hub_->serve(10);
  }
  // Serves until `done` (or `seconds` pass); whether it came.
  bool serve_until(const std::function<bool()>& done, double seconds = 10.0) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!done() && std::chrono::steady_clock::now() < deadline) hub_->serve(10);
    return done();
  }

  WireMessage hello(Peer& peer, int64_t id, int64_t pid = 1234) {
    WireMessage m = peer.sender.start("hello");
    m.body = {{"actor_id", id}, {"pid", pid}};
    return m;
  }
  WireMessage heartbeat(Peer& peer, int64_t id) {
    WireMessage m = peer.sender.start("heartbeat");
    m.body = {{"actor_id", id}, {"env_steps", int64_t{10}}};
    return m;
  }
  // Hello, config and the unroll socket; returns the credits granted with
  // the config (asynchronous hubs grant at once).
  int64_t join(Peer& peer, int64_t requested_id) {
    peer.control.connect(hub_->control_endpoint());
    const auto config = exchange(peer, hello(peer, requested_id));
    EXPECT_TRUE(config && config->kind == "config");
    if (!config || config->kind != "config") return 0;
    peer.id = config->get_int("actor_id");
    peer.incarnation = config->get_int("incarnation");
    peer.push.emplace(SocketType::kPush);
    peer.push->connect("tcp://127.0.0.1:" + std::to_string(config->get_int("unroll_port")));
    return credits_of(peer);
  }
  int64_t credits_of(Peer& peer) {
    int64_t credits = 0;
    for (int i = 0; i < 20; ++i) {
      hub_->serve(5);
      while (auto frames = peer.control.receive(0)) {
        const WireMessage m = wire::parse(std::move(*frames));
        if (m.kind == "credit") credits += m.get_int("grant");
      }
    }
    return credits;
  }

  // A valid 3 x 2 CartPole unroll of `peer`.
  Unroll unroll_of(const Peer& peer, int64_t sequence) {
    Unroll u;
    u.resize(3, 2, 4, 0, true);
    std::fill(u.obs.begin(), u.obs.end(), 0.01f);
    std::fill(u.discrete_actions.begin(), u.discrete_actions.end(), 1);
    std::fill(u.rewards.begin(), u.rewards.end(), 1.f);
    std::fill(u.terminated.begin(), u.terminated.end(), 0);
    std::fill(u.truncated.begin(), u.truncated.end(), 0);
    std::fill(u.behaviour_log_probs.begin(), u.behaviour_log_probs.end(), -0.69f);
    std::fill(u.values.begin(), u.values.end(), 0.f);
    u.actor_id = peer.id;
    u.incarnation = peer.incarnation;
    u.sequence = sequence;
    return u;
  }
  // Sends an unroll and serves until the hub has read it (accepted or
  // dropped; 2 s at most, for sockets that may be reconnecting).
  void push(Peer& peer, const Unroll& u) {
    const int64_t before = hub_->bytes_received();
    ASSERT_TRUE(peer.push->send(wire::serialize(wire::encode_unroll(peer.sender, u)), 1000));
    serve_until([&] { return hub_->bytes_received() > before; }, 2.0);
  }
  int64_t drops(const std::string& reason) {
    const auto all = hub_->drops();
    return all.count(reason) ? all.at(reason) : 0;
  }
  // Unrolls delivered so far (news of joins and leaves are skipped).
  std::vector<std::unique_ptr<Unroll>> delivered() {
    std::vector<std::unique_ptr<Unroll>> out;
    while (auto d = deliveries_.pop(std::chrono::milliseconds(0))) {
      if (d->kind == Delivery::Kind::kUnroll) out.push_back(std::move(d->unroll));
    }
    return out;
  }

  BoundedQueue<Delivery> deliveries_{256};
  std::optional<Hub> hub_;
};

TEST_F(HubTest, EveryFieldOfEveryControlKindIsChecked) {
  Peer peer;
  peer.control.connect(hub_->control_endpoint());
  // Damaged hellos: no config, a missing_field drop each.
  for (const char* field : {"actor_id", "pid"}) {
    for (bool remove : {true, false}) {
      WireMessage damaged = hello(peer, 3);
      if (remove) {
        damaged.body.erase(field);
      } else {
        damaged.body[field] = WireValue(std::string("three"));
      }
      const int64_t before = drops("missing_field");
      EXPECT_FALSE(exchange(peer, std::move(damaged))) << field;
      EXPECT_EQ(drops("missing_field"), before + 1) << field;
    }
  }
  EXPECT_TRUE(hub_->live_actors().empty());

  // The intact hello gets the config, with the fields an actor reads.
  const auto config = exchange(peer, hello(peer, 3));
  ASSERT_TRUE(config);
  ASSERT_EQ(config->kind, "config");
  const int64_t id = config->get_int("actor_id");
  EXPECT_EQ(id, 3);
  for (const char* key : {"incarnation", "unroll_port", "weights_port", "obs_size", "seed"}) {
    EXPECT_NO_THROW(config->get_int(key)) << key;
  }
  EXPECT_TRUE(config->get_bool("credits"));
  EXPECT_EQ(hub_->live_actors(), std::vector<int64_t>{id});

  // Heartbeats: damaged ones are dropped unanswered, the intact one answered.
  credits_of(peer);  // the credit that followed the config
  WireMessage no_id = heartbeat(peer, id);
  no_id.body.erase("actor_id");
  EXPECT_FALSE(exchange(peer, std::move(no_id)));
  WireMessage mistyped = heartbeat(peer, id);
  mistyped.body["actor_id"] = WireValue(1.5);
  EXPECT_FALSE(exchange(peer, std::move(mistyped)));
  EXPECT_FALSE(exchange(peer, heartbeat(peer, id + 100)));  // an id that never said hello
  EXPECT_EQ(drops("unknown_actor"), 1);
  const auto beat = exchange(peer, heartbeat(peer, id));
  ASSERT_TRUE(beat);
  EXPECT_EQ(beat->kind, "heartbeat");

  // An error without its reason is dropped; with it, it is kept for the
  // run's final error message.
  const int64_t missing_before = drops("missing_field");
  exchange(peer, peer.sender.start("error"));
  EXPECT_EQ(drops("missing_field"), missing_before + 1);
  exchange(peer, wire::make_error(peer.sender, "env broke"));
  EXPECT_EQ(hub_->last_actor_error(), "actor: env broke");

  // Kinds that do not belong on the control socket.
  exchange(peer, peer.sender.start("weights"));
  EXPECT_EQ(drops("unexpected_kind"), 1);
}

TEST_F(HubTest, AnActorSilentForTheTimeoutIsDeclaredDeadWithItsPid) {
  make_hub(HubConfig{.heartbeat_seconds = 0.1, .timeout_seconds = 0.3});
  Peer peer;
  join(peer, 3);
  ASSERT_EQ(hub_->live_actors().size(), 1u);
  EXPECT_TRUE(hub_->take_dead_pids().empty());
  // Silence: declared dead after the 0.3 s timeout (a bounded wait for it).
  EXPECT_TRUE(serve_until([&] { return hub_->live_actors().empty(); }));
  EXPECT_EQ(hub_->actors_declared_dead(), 1);
  EXPECT_EQ(hub_->take_dead_pids(), std::vector<int64_t>{1234});
  EXPECT_TRUE(hub_->take_dead_pids().empty());  // handed out once
  // Its heartbeat now is answered with an error: it must join again.
  const auto reply = exchange(peer, heartbeat(peer, 3));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->kind, "error");
  EXPECT_THAT(reply->get_string("reason"), HasSubstr("declared dead"));
}

TEST_F(HubTest, CreditsAreBoundedPerActorAndOverAllAndComeBackWhenConsumed) {
  make_hub(HubConfig{.unroll_queue = 2, .unrolls_in_flight = 3});
  Peer a, b;
  EXPECT_EQ(join(a, -1), 2);  // its own limit
  EXPECT_EQ(join(b, -1), 1);  // what is left of the 3 in flight
  // An unroll without a credit is dropped, not delivered.
  push(b, unroll_of(b, 0));
  push(b, unroll_of(b, 1));
  EXPECT_EQ(drops("over_credit"), 1);
  auto got = delivered();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]->actor_id, b.id);
  EXPECT_EQ(credits_of(b), 0);
  // The batcher takes it: the credit returns to the pool, to the actor with
  // the fewest out (b: 0 now that its unroll is consumed, a: 2).
  hub_->consumed(b.id, b.incarnation);
  EXPECT_EQ(credits_of(b), 1);
  EXPECT_EQ(credits_of(a), 0);
  // A consumption of a dead incarnation returns nothing.
  hub_->consumed(a.id, a.incarnation + 5);
  EXPECT_EQ(credits_of(a) + credits_of(b), 0);
}

TEST_F(HubTest, ARestartedActorTakesItsPredecessorsIdAndPlace) {
  Peer first;
  join(first, 0);
  ASSERT_EQ(first.id, 0);
  // Another process asking for the live id 0 gets another one.
  Peer stranger;
  join(stranger, 0);
  EXPECT_EQ(stranger.id, 1);
  // The supervisor saw actor 0's process exit: its id is free at once.
  hub_->actor_exited(0);
  EXPECT_TRUE(serve_until([&] { return hub_->live_actors() == std::vector<int64_t>{1}; }));
  Peer restarted;
  join(restarted, 0);
  EXPECT_EQ(restarted.id, 0);
  EXPECT_EQ(restarted.incarnation, 2);
  // The predecessor's unrolls still on the wire are not the new one's.
  push(first, unroll_of(first, 0));
  EXPECT_EQ(drops("stale_incarnation"), 1);
  // News for the batcher, in order: joined 0, joined 1, left 0, joined 0.
  std::vector<std::pair<int, int64_t>> news;
  while (auto d = deliveries_.pop(std::chrono::milliseconds(0))) {
    news.push_back({static_cast<int>(d->kind), d->actor_id});
  }
  const int joined = static_cast<int>(Delivery::Kind::kJoined), left = static_cast<int>(Delivery::Kind::kLeft);
  EXPECT_EQ(news, (std::vector<std::pair<int, int64_t>>{{joined, 0}, {joined, 1}, {left, 0}, {joined, 0}}));
}

TEST_F(HubTest, AFullRunRefusesAnotherActorWithTheReason) {
  make_hub(HubConfig{.max_actors = 1});
  Peer one, two;
  join(one, -1);
  two.control.connect(hub_->control_endpoint());
  const auto reply = exchange(two, hello(two, -1));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->kind, "error");
  EXPECT_THAT(reply->get_string("reason"), HasSubstr("runtime.max_actors"));
}

// The transport's byte limit: a message part larger than the largest
// valid unroll (or, on the control socket, than any control message) is
// never read into the learner: the sender is disconnected, nothing is
// received or delivered, and a valid unroll sent afterwards goes through.
TEST_F(HubTest, AMessageOverTheByteLimitIsCutOffAtTheTransport) {
  Peer peer;
  ASSERT_GT(join(peer, -1), 0);
  const Unroll valid = unroll_of(peer, 0);
  const int64_t valid_bytes = static_cast<int64_t>(wire::serialize(wire::encode_unroll(peer.sender, valid)).size());
  wire::UnrollLimits limits;
  limits.obs_size = 4;
  limits.num_actions = 2;
  limits.action_size = 1;
  limits.num_steps = 3;
  limits.num_envs = 2;
  const int64_t limit = wire::max_unroll_bytes(limits);
  EXPECT_LT(limit, 1 << 20) << "a 3 x 2 CartPole unroll needs no more";

  const int64_t before = hub_->bytes_received();
  Frames huge = wire::serialize(wire::encode_unroll(peer.sender, valid));
  huge.back().append(64 << 20, '\x01');  // a 64 MB part
  ASSERT_TRUE(peer.push->send(std::move(huge), 5000));
  Peer loud;
  loud.control.connect(hub_->control_endpoint());
  WireMessage big_hello = hello(loud, -1);
  big_hello.body["padding"] = std::string(4 << 20, 'x');
  ASSERT_TRUE(loud.control.send(wire::serialize(std::move(big_hello)), 5000));
  EXPECT_FALSE(reply_to(loud)) << "a 4 MB control message was read";
  serve_for(0.5);
  EXPECT_LT(hub_->bytes_received() - before, 1 << 20);
  EXPECT_TRUE(delivered().empty());

  // ZeroMQ reconnects the unroll socket by itself; the next valid unroll is taken.
  bool taken = false;
  for (int attempt = 0; attempt < 20 && !taken; ++attempt) {
    push(peer, unroll_of(peer, 1 + attempt));
    taken = !delivered().empty();
  }
  EXPECT_TRUE(taken) << "no valid unroll got through after the oversize one (" << valid_bytes << " bytes each)";
}

// Unrolls that pass the framing but could break the learner: each is
// dropped under a reason and never delivered.
TEST_F(HubTest, HostileUnrollsAreDroppedEachUnderItsReason) {
  make_hub(HubConfig{.max_actors = 8, .unroll_queue = 64});
  Peer peer;
  join(peer, -1);
  int64_t sequence = 0;
  auto expect_drop = [&](Unroll u, const char* reason) {
    const int64_t before = drops(reason);
    push(peer, u);
    EXPECT_EQ(drops(reason), before + 1) << reason;
    EXPECT_TRUE(delivered().empty()) << reason;
  };
  {
    Unroll u = unroll_of(peer, sequence++);
    u.resize(4, 2, 4, 0, true);  // T other than the run's 3
    std::fill(u.obs.begin(), u.obs.end(), 0.f);
    std::fill(u.discrete_actions.begin(), u.discrete_actions.end(), 0);
    std::fill(u.terminated.begin(), u.terminated.end(), 0);
    std::fill(u.truncated.begin(), u.truncated.end(), 0);
    expect_drop(u, "shape_mismatch");
  }
  {
    Unroll u = unroll_of(peer, sequence++);
    u.truncated[1] = u.truncated[3] = 1;
    u.final_index = {3, 1};  // unsorted
    u.final_obs.assign(8, 0.f);
    expect_drop(u, "bad_index");
    u.final_index = {1, 1};  // duplicate
    u.truncated[3] = 0;
    u.sequence = sequence++;
    expect_drop(u, "bad_index");
  }
  {
    Unroll u = unroll_of(peer, sequence++);
    u.actor_id = 1'000'000'000;  // far beyond max_actors
    expect_drop(u, "bad_actor_id");
  }
  {
    Unroll u = unroll_of(peer, sequence++);
    u.incarnation = peer.incarnation + 1;
    expect_drop(u, "stale_incarnation");
  }
  push(peer, unroll_of(peer, 100));
  ASSERT_EQ(delivered().size(), 1u);
  expect_drop(unroll_of(peer, 100), "out_of_order");  // a replay
  expect_drop(unroll_of(peer, 50), "out_of_order");   // going back
}

// A synchronous batch is laid out by actor id, not by arrival: which actor
// the scheduler ran first must not change the order of the update's sums,
// or a seeded PPO run with actor processes would not repeat itself (one
// such run evaluated 391 instead of 500 under CI's load).
TEST_F(HubTest, ASynchronousBatchIsLaidOutByActorIdWhateverTheArrivalOrder) {
  BoundedQueue<Delivery> in{16};
  std::atomic<int64_t> version{0};
  Batcher batcher({.sync = true, .min_actors = 2}, *hub_, in, version);
  batcher.start();
  for (int64_t id : {0, 1, 2}) in.push({.kind = Delivery::Kind::kJoined, .actor_id = id}, std::chrono::seconds(1));
  for (int64_t id : {2, 0, 1}) {
    Peer peer;
    peer.id = id;
    auto u = std::make_unique<Unroll>(unroll_of(peer, 0));
    std::fill(u->obs.begin(), u->obs.end(), static_cast<float>(id));
    in.push({.kind = Delivery::Kind::kUnroll, .actor_id = id, .unroll = std::move(u)}, std::chrono::seconds(1));
  }
  Batch* batch = batcher.next(std::chrono::seconds(5));
  ASSERT_NE(batch, nullptr);
  ASSERT_EQ(batch->sources.size(), 3u);
  for (int64_t i = 0; i < 3; ++i) EXPECT_EQ(batch->sources[i].actor_id, i);
  // Columns follow the sources: time step 0 holds actor 0's two envs, then 1's, then 2's.
  const int64_t obs_size = batch->obs_size;
  for (int64_t column = 0; column < batch->num_streams; ++column) {
    EXPECT_EQ(batch->obs[column * obs_size], static_cast<float>(column / 2)) << "column " << column;
  }
  batcher.release(batch);
  batcher.stop();
}

}  // namespace
}  // namespace rl
