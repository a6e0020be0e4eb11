#include "rl/runtime/tensorboard.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "rl/runtime/tensorboard_event.pb.h"

namespace rl {
namespace {

constexpr std::array<uint32_t, 256> make_crc32c_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;  // reflected polynomial
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrc32cTable = make_crc32c_table();

double unix_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

uint32_t crc32c(std::span<const uint8_t> data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (uint8_t byte : data) crc = kCrc32cTable[(crc ^ byte) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

uint32_t masked_crc32c(std::span<const uint8_t> data) {
  const uint32_t crc = crc32c(data);
  return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}

TensorBoardWriter::TensorBoardWriter(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  char host[256] = "localhost";
  gethostname(host, sizeof(host) - 1);
  const double now = unix_seconds();
  // The microseconds keep two files of one second apart (a quick resume).
  path_ = dir / ("events.out.tfevents." + std::to_string(static_cast<int64_t>(now)) + "." + host + "." +
                 std::to_string(static_cast<int64_t>(now * 1e6) % 1000000));
  file_ = std::fopen(path_.c_str(), "wb");
  if (!file_) throw std::runtime_error("cannot create the TensorBoard event file " + path_.string());
  tensorboard::Event event;
  event.set_wall_time(now);
  event.set_file_version("brain.Event:2");
  write_record(event.SerializeAsString());
  flush();
}

TensorBoardWriter::~TensorBoardWriter() {
  if (!file_) return;
  try {
    flush();
  } catch (const std::exception&) {
  }
  std::fclose(file_);
}

void TensorBoardWriter::flush() {
  last_flush_ = std::chrono::steady_clock::now();
  if (pending_.empty()) return;
  if (std::fwrite(pending_.data(), 1, pending_.size(), file_) != pending_.size() || std::fflush(file_) != 0) {
    throw std::runtime_error("cannot write the TensorBoard event file " + path_.string());
  }
  pending_.clear();
}

void TensorBoardWriter::write(const MetricRow& row, int64_t step, double wall_time) {
  tensorboard::Event event;
  event.set_wall_time(wall_time);
  event.set_step(step);
  tensorboard::Summary* summary = event.mutable_summary();
  for (const auto& [name, value] : row) {
    if (!std::isfinite(value)) continue;
    tensorboard::SummaryValue* v = summary->add_value();
    v->set_tag(name);
    v->set_simple_value(static_cast<float>(value));
  }
  write_record(event.SerializeAsString());
  if (std::chrono::steady_clock::now() - last_flush_ > std::chrono::milliseconds(500)) flush();
}

void TensorBoardWriter::write_record(const std::string& data) {
  uint8_t header[12];
  const uint64_t length = data.size();
  for (int i = 0; i < 8; ++i) header[i] = static_cast<uint8_t>(length >> (8 * i));  // little-endian
  const uint32_t length_crc = masked_crc32c(std::span<const uint8_t>(header, 8));
  for (int i = 0; i < 4; ++i) header[8 + i] = static_cast<uint8_t>(length_crc >> (8 * i));
  const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
  const uint32_t data_crc = masked_crc32c(std::span<const uint8_t>(bytes, data.size()));
  uint8_t footer[4];
  for (int i = 0; i < 4; ++i) footer[i] = static_cast<uint8_t>(data_crc >> (8 * i));
  pending_.append(reinterpret_cast<const char*>(header), 12);
  pending_ += data;
  pending_.append(reinterpret_cast<const char*>(footer), 4);
}

}  // namespace rl
