#include "rl/wire/wire_message.h"

#include <msgpack.hpp>

#include <array>
#include <limits>

namespace rl::wire {
namespace {

constexpr std::array<const char*, 13> kKinds = {"hello",  "config", "unroll",  "weights", "heartbeat",
                                                "stop",   "error",  "credit",  "want",    "current",
                                                "assign", "act",    "acted"};

std::string key_of(const msgpack::object& o) {
  if (o.type != msgpack::type::STR) throw WireError("malformed", "a map key is not a string");
  return std::string(o.via.str.ptr, o.via.str.size);
}

int64_t int_of(const msgpack::object& o, const char* what) {
  if (o.type == msgpack::type::POSITIVE_INTEGER) {
    if (o.via.u64 > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      throw WireError("malformed", std::string(what) + " is too large");
    }
    return static_cast<int64_t>(o.via.u64);
  }
  if (o.type == msgpack::type::NEGATIVE_INTEGER) return o.via.i64;
  throw WireError("malformed", std::string(what) + " is not an integer");
}

std::string string_of(const msgpack::object& o, const char* what) {
  if (o.type != msgpack::type::STR) throw WireError("malformed", std::string(what) + " is not a string");
  return std::string(o.via.str.ptr, o.via.str.size);
}

DType dtype_of(const std::string& name) {
  for (DType d : {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32, DType::kUInt8, DType::kFloat16,
                  DType::kBFloat16}) {
    if (name == dtype_name(d)) return d;
  }
  throw WireError("bad_dtype", "unknown dtype '" + name + "'");
}

template <typename Packer>
void pack_string(Packer& pk, const std::string& s) {
  pk.pack_str(static_cast<uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

}  // namespace

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return "f32";
    case DType::kFloat64: return "f64";
    case DType::kInt64: return "i64";
    case DType::kInt32: return "i32";
    case DType::kUInt8: return "u8";
    case DType::kFloat16: return "f16";
    case DType::kBFloat16: return "bf16";
  }
  return "?";
}

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return 4;
    case DType::kFloat64: return 8;
    case DType::kInt64: return 8;
    case DType::kInt32: return 4;
    case DType::kUInt8: return 1;
    case DType::kFloat16: return 2;
    case DType::kBFloat16: return 2;
  }
  return 0;
}

bool is_known_kind(const std::string& kind) {
  for (const char* k : kKinds) {
    if (kind == k) return true;
  }
  return false;
}

int64_t WireArray::count() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int64_t WireMessage::get_int(const std::string& key) const {
  auto it = body.find(key);
  if (it == body.end() || !std::holds_alternative<int64_t>(it->second)) {
    throw WireError("missing_field", kind + " message: integer field '" + key + "' is missing");
  }
  return std::get<int64_t>(it->second);
}

double WireMessage::get_double(const std::string& key) const {
  auto it = body.find(key);
  if (it != body.end() && std::holds_alternative<double>(it->second)) return std::get<double>(it->second);
  if (it != body.end() && std::holds_alternative<int64_t>(it->second)) {
    return static_cast<double>(std::get<int64_t>(it->second));
  }
  throw WireError("missing_field", kind + " message: number field '" + key + "' is missing");
}

bool WireMessage::get_bool(const std::string& key) const {
  auto it = body.find(key);
  if (it == body.end() || !std::holds_alternative<bool>(it->second)) {
    throw WireError("missing_field", kind + " message: boolean field '" + key + "' is missing");
  }
  return std::get<bool>(it->second);
}

const std::string& WireMessage::get_string(const std::string& key) const {
  auto it = body.find(key);
  if (it == body.end() || !std::holds_alternative<std::string>(it->second)) {
    throw WireError("missing_field", kind + " message: string field '" + key + "' is missing");
  }
  return std::get<std::string>(it->second);
}

const WireArray& WireMessage::array(const std::string& name) const {
  for (const auto& a : arrays) {
    if (a.name == name) return a;
  }
  throw WireError("missing_array", kind + " message: array '" + name + "' is missing");
}

bool WireMessage::has_array(const std::string& name) const {
  for (const auto& a : arrays) {
    if (a.name == name) return true;
  }
  return false;
}

std::vector<std::string> serialize(WireMessage&& message) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(&buffer);
  pk.pack_map(7);
  pack_string(pk, "proto");
  pk.pack_int64(message.proto);
  pack_string(pk, "kind");
  pack_string(pk, message.kind);
  pack_string(pk, "run");
  pack_string(pk, message.run);
  pack_string(pk, "from");
  pack_string(pk, message.from);
  pack_string(pk, "seq");
  pk.pack_uint64(message.seq);
  pack_string(pk, "body");
  pk.pack_map(static_cast<uint32_t>(message.body.size()));
  for (const auto& [key, value] : message.body) {
    pack_string(pk, key);
    if (const auto* i = std::get_if<int64_t>(&value)) {
      pk.pack_int64(*i);
    } else if (const auto* d = std::get_if<double>(&value)) {
      pk.pack_double(*d);
    } else if (const auto* b = std::get_if<bool>(&value)) {
      *b ? pk.pack_true() : pk.pack_false();
    } else {
      pack_string(pk, std::get<std::string>(value));
    }
  }
  pack_string(pk, "arrays");
  pk.pack_array(static_cast<uint32_t>(message.arrays.size()));
  for (size_t i = 0; i < message.arrays.size(); ++i) {
    const WireArray& a = message.arrays[i];
    pk.pack_map(4);
    pack_string(pk, "name");
    pack_string(pk, a.name);
    pack_string(pk, "dtype");
    pack_string(pk, dtype_name(a.dtype));
    pack_string(pk, "shape");
    pk.pack_array(static_cast<uint32_t>(a.shape.size()));
    for (int64_t d : a.shape) pk.pack_int64(d);
    pack_string(pk, "frame");
    pk.pack_int64(static_cast<int64_t>(i + 1));
  }
  std::vector<std::string> frames;
  frames.reserve(message.arrays.size() + 1);
  frames.emplace_back(buffer.data(), buffer.size());
  for (auto& a : message.arrays) frames.push_back(std::move(a.bytes));
  return frames;
}

namespace {

// The frames' count and sizes against the limits, before anything is decoded.
void check_frame_sizes(const std::vector<std::string>& frames, const ParseLimits& limits) {
  if (frames.empty()) throw WireError("malformed", "no frames");
  if (static_cast<int64_t>(frames.size()) > limits.max_frames) {
    throw WireError("oversize", std::to_string(frames.size()) + " frames");
  }
  int64_t total = 0;
  for (const auto& f : frames) total += static_cast<int64_t>(f.size());
  if (total > limits.max_total_bytes) throw WireError("oversize", std::to_string(total) + " bytes");
  if (static_cast<int64_t>(frames[0].size()) > limits.max_header_bytes) {
    throw WireError("oversize", "header of " + std::to_string(frames[0].size()) + " bytes");
  }
}

// The header frame as msgpack, its containers bounded before msgpack allocates.
msgpack::object_handle unpack_header(const std::string& header) {
  try {
    const msgpack::unpack_limit unpack_limits(/*array=*/1024, /*map=*/256, /*str=*/1 << 20,
                                              /*bin=*/0, /*ext=*/0, /*depth=*/6);
    size_t offset = 0;
    msgpack::object_handle handle =
        msgpack::unpack(header.data(), header.size(), offset, nullptr, nullptr, unpack_limits);
    if (offset != header.size()) throw WireError("malformed", "trailing bytes after the header");
    if (handle.get().type != msgpack::type::MAP) throw WireError("malformed", "header is not a map");
    return handle;
  } catch (const WireError&) {
    throw;
  } catch (const std::exception& e) {
    throw WireError("malformed", std::string("header is not msgpack: ") + e.what());
  }
}

// The body's fields: integers, floats, booleans and strings only.
void read_body(const msgpack::object& value, WireMessage& m) {
  if (value.type != msgpack::type::MAP) throw WireError("malformed", "body is not a map");
  for (uint32_t j = 0; j < value.via.map.size; ++j) {
    const std::string field = key_of(value.via.map.ptr[j].key);
    const msgpack::object& v = value.via.map.ptr[j].val;
    switch (v.type) {
      case msgpack::type::POSITIVE_INTEGER:
      case msgpack::type::NEGATIVE_INTEGER: m.body[field] = int_of(v, field.c_str()); break;
      case msgpack::type::FLOAT32:
      case msgpack::type::FLOAT64: m.body[field] = v.via.f64; break;
      case msgpack::type::BOOLEAN: m.body[field] = v.via.boolean; break;
      case msgpack::type::STR: m.body[field] = std::string(v.via.str.ptr, v.via.str.size); break;
      default: throw WireError("malformed", "body field '" + field + "' has an unsupported type");
    }
  }
}

// The header's fields into `m`; returns the array descriptors (or null).
const msgpack::object* read_header(const msgpack::object& root, WireMessage& m) {
  bool has_kind = false, has_proto = false;
  const msgpack::object* arrays = nullptr;
  for (uint32_t i = 0; i < root.via.map.size; ++i) {
    const std::string key = key_of(root.via.map.ptr[i].key);
    const msgpack::object& value = root.via.map.ptr[i].val;
    if (key == "proto") {
      m.proto = int_of(value, "proto");
      has_proto = true;
    } else if (key == "kind") {
      m.kind = string_of(value, "kind");
      has_kind = true;
    } else if (key == "run") {
      m.run = string_of(value, "run");
    } else if (key == "from") {
      m.from = string_of(value, "from");
    } else if (key == "seq") {
      m.seq = static_cast<uint64_t>(int_of(value, "seq"));
    } else if (key == "body") {
      read_body(value, m);
    } else if (key == "arrays") {
      if (value.type != msgpack::type::ARRAY) throw WireError("malformed", "arrays is not an array");
      arrays = &value;
    }
    // Unknown header keys are ignored: a newer minor revision may add some.
  }
  if (!has_proto || !has_kind) throw WireError("malformed", "proto or kind is missing");
  if (!is_known_kind(m.kind)) throw WireError("unknown_kind", "kind '" + m.kind + "'");
  return arrays;
}

// Array `index`'s descriptor, checked against its frame (index + 1): a
// dtype, at most 8 bounded dimensions, and exactly the bytes they need.
WireArray read_array(const msgpack::object& d, uint32_t index, std::string&& frame_bytes) {
  if (d.type != msgpack::type::MAP) throw WireError("malformed", "array descriptor is not a map");
  WireArray a;
  int64_t frame = -1;
  bool has_dtype = false;
  for (uint32_t j = 0; j < d.via.map.size; ++j) {
    const std::string key = key_of(d.via.map.ptr[j].key);
    const msgpack::object& v = d.via.map.ptr[j].val;
    if (key == "name") {
      a.name = string_of(v, "array name");
    } else if (key == "dtype") {
      a.dtype = dtype_of(string_of(v, "dtype"));
      has_dtype = true;
    } else if (key == "shape") {
      if (v.type != msgpack::type::ARRAY || v.via.array.size > 8) {
        throw WireError("malformed", "shape of '" + a.name + "' is not an array of at most 8 dims");
      }
      for (uint32_t k = 0; k < v.via.array.size; ++k) {
        const int64_t dim = int_of(v.via.array.ptr[k], "shape entry");
        if (dim < 0 || dim > (int64_t{1} << 31)) throw WireError("bad_shape", "dimension " + std::to_string(dim));
        a.shape.push_back(dim);
      }
    } else if (key == "frame") {
      frame = int_of(v, "frame");
    }
  }
  if (!has_dtype) throw WireError("bad_dtype", "array '" + a.name + "' has no dtype");
  if (frame != static_cast<int64_t>(index) + 1) {
    throw WireError("frame_count", "array '" + a.name + "' names frame " + std::to_string(frame));
  }
  // Byte count against shape and dtype, with overflow-safe arithmetic.
  __int128 expected = dtype_size(a.dtype);
  for (int64_t dim : a.shape) {
    expected *= dim;
    if (expected > (__int128{1} << 40)) expected = __int128{1} << 40;  // beyond any frame we accept
  }
  if (expected != static_cast<__int128>(frame_bytes.size())) {
    throw WireError("size_mismatch", "array '" + a.name + "' has " + std::to_string(frame_bytes.size()) +
                                         " bytes; its shape and dtype need " +
                                         std::to_string(static_cast<int64_t>(expected)));
  }
  a.bytes = std::move(frame_bytes);
  return a;
}

}  // namespace

WireMessage parse(std::vector<std::string>&& frames, const ParseLimits& limits) {
  check_frame_sizes(frames, limits);
  const msgpack::object_handle handle = unpack_header(frames[0]);
  WireMessage m;
  const msgpack::object* arrays = read_header(handle.get(), m);
  const uint32_t num_arrays = arrays ? arrays->via.array.size : 0;
  if (num_arrays + 1 != frames.size()) {
    throw WireError("frame_count", std::to_string(num_arrays) + " arrays declared, " +
                                       std::to_string(frames.size() - 1) + " array frames received");
  }
  for (uint32_t i = 0; i < num_arrays; ++i) {
    m.arrays.push_back(read_array(arrays->via.array.ptr[i], i, std::move(frames[i + 1])));
  }
  return m;
}

}  // namespace rl::wire
