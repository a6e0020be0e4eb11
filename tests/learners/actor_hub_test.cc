// The learner's control socket with a real ActorHub and a DEALER peer on
// loopback: every field of every control kind the hub reads (hello,
// heartbeat, error) removed or given another type is dropped with a counted
// reason and answered with nothing; the intact messages get their replies.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "envs/builtin.h"
#include "learners/actor_hub.h"
#include "rl/env/vector_env.h"
#include "rl/wire/messages.h"
#include "rl/wire/socket.h"

namespace rl {
namespace {

using wire::Socket;
using wire::SocketType;
using wire::WireMessage;
using wire::WireValue;

class ActorHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EnvRegistry registry;
    envs::register_builtin_envs(registry);
    VectorEnv env(registry, "CartPole-v1", {});
    hub_.emplace(HubConfig{.run_id = "hub", .algorithm = "impala", .bind = "tcp://127.0.0.1:0", .spec = env.spec()});
    peer_.emplace(SocketType::kDealer);
    peer_->connect(hub_->control_endpoint());
  }

  // Sends `message` and serves the hub until a reply comes or 0.5 s pass.
  std::optional<WireMessage> exchange(WireMessage message) {
    peer_->send(wire::serialize(std::move(message)), 1000);
    for (int i = 0; i < 50; ++i) {
      hub_->receive(10);
      if (auto frames = peer_->receive(0)) return wire::parse(std::move(*frames));
    }
    return std::nullopt;
  }

  WireMessage hello() {
    WireMessage m = sender_.start("hello");
    m.body = {{"actor_id", int64_t{3}}, {"pid", int64_t{1234}}};
    return m;
  }
  WireMessage heartbeat(int64_t id) {
    WireMessage m = sender_.start("heartbeat");
    m.body = {{"actor_id", id}, {"env_steps", int64_t{10}}};
    return m;
  }

  wire::Sender sender_{"hub", "actor-3", 0};
  std::optional<ActorHub> hub_;
  std::optional<Socket> peer_;
};

TEST_F(ActorHubTest, EveryFieldOfEveryControlKindIsChecked) {
  // Damaged hellos: no config, a missing_field drop each.
  for (const char* field : {"actor_id", "pid"}) {
    for (bool remove : {true, false}) {
      WireMessage damaged = hello();
      if (remove) {
        damaged.body.erase(field);
      } else {
        damaged.body[field] = WireValue(std::string("three"));
      }
      const int64_t before = hub_->drops().count("missing_field") ? hub_->drops().at("missing_field") : 0;
      EXPECT_FALSE(exchange(std::move(damaged))) << field;
      EXPECT_EQ(hub_->drops().at("missing_field"), before + 1) << field;
    }
  }
  EXPECT_TRUE(hub_->live_actors().empty());

  // The intact hello gets the config, with the fields an actor reads.
  const auto config = exchange(hello());
  ASSERT_TRUE(config);
  ASSERT_EQ(config->kind, "config");
  const int64_t id = config->get_int("actor_id");
  for (const char* key : {"incarnation", "unroll_port", "weights_port", "obs_size", "seed"}) {
    EXPECT_NO_THROW(config->get_int(key)) << key;
  }
  EXPECT_EQ(hub_->live_actors(), std::vector<int64_t>{id});

  // Heartbeats: damaged ones are dropped unanswered, the intact one answered.
  WireMessage no_id = heartbeat(id);
  no_id.body.erase("actor_id");
  EXPECT_FALSE(exchange(std::move(no_id)));
  WireMessage mistyped = heartbeat(id);
  mistyped.body["actor_id"] = WireValue(1.5);
  EXPECT_FALSE(exchange(std::move(mistyped)));
  EXPECT_FALSE(exchange(heartbeat(id + 100)));  // an id that never said hello
  EXPECT_EQ(hub_->drops().at("unknown_actor"), 1);
  const auto beat = exchange(heartbeat(id));
  ASSERT_TRUE(beat);
  EXPECT_EQ(beat->kind, "heartbeat");

  // An error without its reason is dropped; with it, it is kept for the
  // run's final error message.
  WireMessage bare_error = sender_.start("error");
  const int64_t missing_before = hub_->drops().at("missing_field");
  exchange(std::move(bare_error));
  EXPECT_EQ(hub_->drops().at("missing_field"), missing_before + 1);
  exchange(wire::make_error(sender_, "env broke"));
  EXPECT_EQ(hub_->last_actor_error(), "actor-3: env broke");

  // Kinds that do not belong on the control socket.
  exchange(sender_.start("weights"));
  EXPECT_EQ(hub_->drops().at("unexpected_kind"), 1);
}

TEST_F(ActorHubTest, AnActorSilentForTheTimeoutIsDeclaredDeadWithItsPid) {
  EnvRegistry registry;
  envs::register_builtin_envs(registry);
  VectorEnv env(registry, "CartPole-v1", {});
  ActorHub hub(HubConfig{.run_id = "hub", .algorithm = "impala", .bind = "tcp://127.0.0.1:0", .spec = env.spec(),
                         .heartbeat_seconds = 0.1, .timeout_seconds = 0.3});
  Socket peer(SocketType::kDealer);
  peer.connect(hub.control_endpoint());
  peer.send(wire::serialize(hello()), 1000);
  for (int i = 0; i < 50 && hub.live_actors().empty(); ++i) hub.receive(10);
  ASSERT_EQ(hub.live_actors().size(), 1u);
  EXPECT_TRUE(hub.take_dead_pids().empty());
  for (int i = 0; i < 60; ++i) hub.receive(10);  // 0.6 s of silence
  EXPECT_TRUE(hub.live_actors().empty());
  EXPECT_EQ(hub.actors_declared_dead(), 1);
  EXPECT_EQ(hub.take_dead_pids(), std::vector<int64_t>{1234});
  EXPECT_TRUE(hub.take_dead_pids().empty());  // handed out once
}

}  // namespace
}  // namespace rl
