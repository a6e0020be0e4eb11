// The wire format: one msgpack map per message (frame 0) and one ZeroMQ
// frame per array (frames 1..n), so that large arrays are never copied into
// the map. msgpack and ZeroMQ headers stay in the .cc files.
//
// Frame 0, a msgpack map:
//   proto  int     protocol version (kProtocolVersion)
//   kind   string  hello | config | unroll | weights | heartbeat | stop | error
//                  | credit | want | assign | act | acted
//   run    string  run id
//   from   string  sender ("learner-0", "actor-3")
//   seq    uint    per-sender sequence number
//   body   map     kind-specific scalars: string -> int | float | bool | string
//   arrays array   [{name, dtype, shape, frame}], frame i + 1 holds array i
// docs/wire-protocol.md describes every kind.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace rl::wire {

// 2: credits and weight requests (credit, want), pinned unroll shapes, the
// unroll's incarnation, rank assignment (assign), half-precision weights.
inline constexpr int64_t kProtocolVersion = 2;

enum class DType : uint8_t { kFloat32, kFloat64, kInt64, kInt32, kUInt8, kFloat16, kBFloat16 };
const char* dtype_name(DType dtype);  // "f32", "f64", "i64", "i32", "u8", "f16", "bf16"
size_t dtype_size(DType dtype);

// A received message that breaks the protocol. `reason` is a short stable
// code used to count drops ("malformed", "bad_version", "shape_mismatch" ...).
class WireError : public std::runtime_error {
 public:
  WireError(std::string reason, const std::string& detail)
      : std::runtime_error(reason + ": " + detail), reason_(std::move(reason)) {}
  const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

struct WireArray {
  std::string name;
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
  std::string bytes;  // row-major, little-endian (the machines we run on)

  int64_t count() const;  // product of the shape
  template <typename T>
  const T* data() const { return reinterpret_cast<const T*>(bytes.data()); }
};

using WireValue = std::variant<int64_t, double, bool, std::string>;

struct WireMessage {
  int64_t proto = kProtocolVersion;
  std::string kind;
  std::string run;
  std::string from;
  uint64_t seq = 0;
  std::map<std::string, WireValue> body;
  std::vector<WireArray> arrays;

  // Typed access to the body; a missing or mistyped field throws WireError
  // ("missing_field").
  int64_t get_int(const std::string& key) const;
  double get_double(const std::string& key) const;  // ints are accepted too
  bool get_bool(const std::string& key) const;
  const std::string& get_string(const std::string& key) const;
  const WireArray& array(const std::string& name) const;  // "missing_array"
  bool has_array(const std::string& name) const;

  template <typename T>
  void add_array(std::string name, DType dtype, std::vector<int64_t> shape, const T* data, size_t count) {
    WireArray a{std::move(name), dtype, std::move(shape), std::string()};
    a.bytes.assign(reinterpret_cast<const char*>(data), count * sizeof(T));
    arrays.push_back(std::move(a));
  }
};

// Bounds a receiver puts on what it accepts, checked before allocating.
struct ParseLimits {
  int64_t max_frames = 64;               // arrays + 1
  int64_t max_header_bytes = 1 << 20;    // frame 0
  int64_t max_total_bytes = 256 << 20;   // all frames together
};

// The known kinds, in protocol order.
bool is_known_kind(const std::string& kind);

// Frames of a message (moves the array bytes; no copy).
std::vector<std::string> serialize(WireMessage&& message);
// Parses and checks the structure: the header map, a known kind, array
// descriptors against the frames (dtype, shape, byte counts). Does not check
// proto or run: receivers do, to reply with an error.
WireMessage parse(std::vector<std::string>&& frames, const ParseLimits& limits = {});

}  // namespace rl::wire
