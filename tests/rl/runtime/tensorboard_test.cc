// TensorBoard event files read back by an independent parser: record
// framing, both masked CRC-32C of every record (computed here bit by bit,
// not with the writer's table), and the protobuf fields decoded by hand.
#include "rl/runtime/tensorboard.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <vector>

namespace rl {
namespace {

namespace fs = std::filesystem;

uint32_t bitwise_crc32c(const uint8_t* data, size_t n) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

uint32_t mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u; }

template <typename T>
T little_endian(const uint8_t* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(p[i]) << (8 * i);
  return v;
}

// A protobuf message as {field number -> raw values}: varints as integers,
// fixed 32/64 as their bits, length-delimited as bytes.
struct Field {
  uint64_t integer = 0;
  std::string bytes;
};
std::multimap<int, Field> decode(const std::string& message) {
  std::multimap<int, Field> fields;
  size_t i = 0;
  auto varint = [&]() {
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      const uint8_t b = static_cast<uint8_t>(message.at(i++));
      v |= uint64_t(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
  };
  while (i < message.size()) {
    const uint64_t key = varint();
    const int number = static_cast<int>(key >> 3), type = static_cast<int>(key & 7);
    Field f;
    if (type == 0) {
      f.integer = varint();
    } else if (type == 1) {
      f.integer = little_endian<uint64_t>(reinterpret_cast<const uint8_t*>(message.data() + i));
      i += 8;
    } else if (type == 5) {
      f.integer = little_endian<uint32_t>(reinterpret_cast<const uint8_t*>(message.data() + i));
      i += 4;
    } else if (type == 2) {
      const uint64_t n = varint();
      f.bytes = message.substr(i, n);
      i += n;
    } else {
      ADD_FAILURE() << "unexpected wire type " << type;
      break;
    }
    fields.emplace(number, f);
  }
  return fields;
}

double as_double(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}
float as_float(uint64_t bits) {
  const uint32_t b = static_cast<uint32_t>(bits);
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

TEST(Crc32cTest, KnownVector) {
  const std::string text = "123456789";
  EXPECT_EQ(crc32c({reinterpret_cast<const uint8_t*>(text.data()), text.size()}), 0xE3069283u);
}

TEST(TensorBoardWriterTest, RecordsCrcsAndValuesReadBackIndependently) {
  const fs::path dir = fs::temp_directory_path() / ("rl_tb_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::path file;
  {
    TensorBoardWriter writer(dir);
    file = writer.path();
    writer.write({{"episode_return_mean", 12.5}, {"policy_loss", -0.25}, {"skipped", NAN}}, 100, 1000.5);
    writer.write({{"episode_return_mean", 40.0}}, 200, 1001.5);
  }
  EXPECT_NE(file.filename().string().find("events.out.tfevents."), std::string::npos);
  std::ifstream in(file, std::ios::binary);
  const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto* bytes = reinterpret_cast<const uint8_t*>(content.data());

  std::vector<std::string> records;
  size_t pos = 0;
  while (pos < content.size()) {
    ASSERT_LE(pos + 12, content.size());
    const uint64_t length = little_endian<uint64_t>(bytes + pos);
    EXPECT_EQ(little_endian<uint32_t>(bytes + pos + 8), mask(bitwise_crc32c(bytes + pos, 8)));
    ASSERT_LE(pos + 12 + length + 4, content.size());
    EXPECT_EQ(little_endian<uint32_t>(bytes + pos + 12 + length), mask(bitwise_crc32c(bytes + pos + 12, length)));
    records.push_back(content.substr(pos + 12, length));
    pos += 12 + length + 4;
  }
  ASSERT_EQ(records.size(), 3u);

  // Event 1: file_version (field 3).
  auto first = decode(records[0]);
  ASSERT_EQ(first.count(3), 1u);
  EXPECT_EQ(first.find(3)->second.bytes, "brain.Event:2");

  // Events 2 and 3: wall_time (1, double), step (2), summary (5) of values
  // {tag (1), simple_value (2, float)}; NaN left out.
  auto second = decode(records[1]);
  EXPECT_DOUBLE_EQ(as_double(second.find(1)->second.integer), 1000.5);
  EXPECT_EQ(second.find(2)->second.integer, 100u);
  auto summary = decode(second.find(5)->second.bytes);
  ASSERT_EQ(summary.count(1), 2u);
  std::map<std::string, float> values;
  for (auto [it, end] = summary.equal_range(1); it != end; ++it) {
    auto value = decode(it->second.bytes);
    values[value.find(1)->second.bytes] = as_float(value.find(2)->second.integer);
  }
  EXPECT_EQ(values.at("episode_return_mean"), 12.5f);
  EXPECT_EQ(values.at("policy_loss"), -0.25f);
  EXPECT_EQ(values.count("skipped"), 0u);

  auto third = decode(records[2]);
  EXPECT_EQ(third.find(2)->second.integer, 200u);
  fs::remove_all(dir);
}

TEST(TensorBoardWriterTest, UnwritableDirectoryIsAClearError) {
  try {
    TensorBoardWriter writer("/proc/rl_cannot_write_here/tb");
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("rl_cannot_write_here"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rl
