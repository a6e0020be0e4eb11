#include "tests/fuzz/wire_fuzz.h"

#include <algorithm>
#include <new>
#include <stdexcept>

#include "rl/wire/messages.h"
#include "rl/wire/wire_message.h"

namespace rl::wire::fuzz {

std::vector<std::string> split_frames(const uint8_t* data, size_t size) {
  std::vector<std::string> frames;
  size_t at = 0;
  while (at < size && frames.size() < 16) {
    size_t length = data[at];
    if (at + 1 < size) length |= static_cast<size_t>(data[at + 1]) << 8;
    at = std::min(size, at + 2);
    length = std::min(length, size - at);
    frames.emplace_back(reinterpret_cast<const char*>(data + at), length);
    at += length;
  }
  if (frames.empty()) frames.emplace_back();
  return frames;
}

std::string join_frames(const std::vector<std::string>& frames) {
  std::string out;
  for (const auto& frame : frames) {
    if (frame.size() > 0xFFFF) throw std::invalid_argument("join_frames: a frame over 65535 bytes");
    out.push_back(static_cast<char>(frame.size() & 0xFF));
    out.push_back(static_cast<char>(frame.size() >> 8));
    out += frame;
  }
  return out;
}

void decode_one(const uint8_t* data, size_t size) {
  // Limits as a learner on CartPole (obs 4, Discrete(2)) would set them,
  // and a small byte budget so that the fuzzer explores structure.
  ParseLimits parse_limits;
  parse_limits.max_header_bytes = 1 << 16;
  parse_limits.max_total_bytes = 1 << 20;
  UnrollLimits discrete{.obs_size = 4, .discrete = true, .num_actions = 2, .max_steps = 256, .max_envs = 64};
  UnrollLimits box{.obs_size = 3, .discrete = false, .action_size = 1, .max_steps = 256, .max_envs = 64};
  try {
    WireMessage message = parse(split_frames(data, size), parse_limits);
    // What receivers read, whatever the kind says.
    for (const char* key : {"actor_id", "pid", "reason", "version", "consumed", "env_errors"}) {
      try {
        (void)message.get_int(key);
      } catch (const WireError&) {
      }
      try {
        (void)message.get_string(key);
      } catch (const WireError&) {
      }
      try {
        (void)message.get_double(key);
      } catch (const WireError&) {
      }
    }
    for (const UnrollLimits* limits : {&discrete, &box}) {
      try {
        (void)decode_unroll(message, *limits);
      } catch (const WireError&) {
      }
    }
    try {
      (void)decode_weights(message);
    } catch (const WireError&) {
    }
  } catch (const WireError&) {
    // The documented outcome of a malformed message.
  } catch (const std::bad_alloc&) {
    throw std::logic_error("the decoder allocated without bound (limits must be checked first)");
  } catch (const std::exception& e) {
    throw std::logic_error(std::string("the decoder threw something other than WireError: ") + e.what());
  }
}

}  // namespace rl::wire::fuzz

#ifdef RL_LIBFUZZER
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    rl::wire::fuzz::decode_one(data, size);
  } catch (const std::logic_error& e) {
    std::fprintf(stderr, "wire_fuzz: %s\n", e.what());
    std::abort();  // libFuzzer saves the input as a crash
  }
  return 0;
}
#endif
