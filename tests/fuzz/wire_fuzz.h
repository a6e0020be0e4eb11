// The wire decoder's fuzz target (bench/fuzz_wire.sh runs it): bytes -> ZeroMQ
// frames -> parse -> every decoder and field accessor a receiver uses. The
// only acceptable failure is rl::wire::WireError; anything else (another
// exception, a crash, a sanitizer report, a huge allocation) is a bug.
//
// Framing of an input: repeated [u16 little-endian length][bytes]; a
// length past the end takes what is left. At most 16 frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rl::wire::fuzz {

std::vector<std::string> split_frames(const uint8_t* data, size_t size);
std::string join_frames(const std::vector<std::string>& frames);  // the inverse, for seeds

// Runs one input through the decoder; returns normally or throws
// std::logic_error describing a contract violation.
void decode_one(const uint8_t* data, size_t size);

}  // namespace rl::wire::fuzz
