// Contact callbacks by body tag: the Box2D envs tag their bodies through
// b2BodyUserData::pointer and react to contacts by those tags.
#pragma once

#include <box2d/box2d.h>

#include <cstdint>
#include <functional>
#include <utility>

namespace rl::envs {

class TagContactListener final : public b2ContactListener {
 public:
  // Called for both bodies of every contact that begins (true) or ends.
  using Callback = std::function<void(uintptr_t tag, bool begin)>;
  explicit TagContactListener(Callback callback) : callback_(std::move(callback)) {}

  void BeginContact(b2Contact* contact) override { report(contact, true); }
  void EndContact(b2Contact* contact) override { report(contact, false); }

 private:
  void report(b2Contact* contact, bool begin) {
    callback_(contact->GetFixtureA()->GetBody()->GetUserData().pointer, begin);
    callback_(contact->GetFixtureB()->GetBody()->GetUserData().pointer, begin);
  }

  Callback callback_;
};

}  // namespace rl::envs
