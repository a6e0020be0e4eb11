// TensorBoard event files: RUN_DIR/tb/events.out.tfevents.<time>.<host>,
// records of [length u64][masked CRC-32C of length][Event protobuf][masked
// CRC-32C of the data], as TensorBoard reads them. Scalars only: one Event
// per logged update with every metric of the row as a simple_value, tagged
// with its metrics.csv column name.
#pragma once

#include <cstdint>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>

#include "rl/runtime/metrics.h"

namespace rl {

// CRC-32C (Castagnoli), and the masked form of TensorBoard's records.
uint32_t crc32c(std::span<const uint8_t> data);
uint32_t masked_crc32c(std::span<const uint8_t> data);

class TensorBoardWriter {
 public:
  // Creates `dir` and a new event file in it (a resumed run adds a file;
  // TensorBoard reads them all). Throws std::runtime_error naming the path.
  explicit TensorBoardWriter(const std::filesystem::path& dir);
  ~TensorBoardWriter();
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  // One event at `step` holding every finite value of `row`. Events reach
  // the file a few times a second, whole records only.
  void write(const MetricRow& row, int64_t step, double wall_time);
  // Writes what is buffered now (also done by the destructor).
  void flush();

  const std::filesystem::path& path() const { return path_; }

 private:
  void write_record(const std::string& data);

  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
  std::string pending_;  // whole records not yet written
  std::chrono::steady_clock::time_point last_flush_;
};

}  // namespace rl
