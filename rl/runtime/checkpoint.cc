#include "rl/runtime/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace rl {
namespace fs = std::filesystem;
namespace {

constexpr const char* kManifest = "manifest.json";
constexpr const char* kLatest = "latest";

void sync_path(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

std::string step_name(int64_t step) {
  char name[32];
  std::snprintf(name, sizeof(name), "step_%012lld", static_cast<long long>(step));
  return name;
}

}  // namespace

uint64_t file_hash(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read '" + file.string() + "'");
  uint64_t hash = 0xcbf29ce484222325ull;
  char buffer[1 << 16];
  while (in) {
    in.read(buffer, sizeof(buffer));
    for (std::streamsize i = 0; i < in.gcount(); ++i) {
      hash ^= static_cast<unsigned char>(buffer[i]);
      hash *= 0x100000001b3ull;
    }
  }
  return hash;
}

CheckpointStore::CheckpointStore(fs::path directory, int keep)
    : directory_(std::move(directory)), keep_(keep) {
  fs::create_directories(directory_);
  // Temporary directories of a process that died while writing.
  for (const auto& entry : fs::directory_iterator(directory_)) {
    if (entry.path().filename().string().rfind(".tmp-", 0) == 0) fs::remove_all(entry.path());
  }
}

fs::path CheckpointStore::write(int64_t step,
                                const std::function<void(const fs::path&)>& write_files) {
  const fs::path final_dir = directory_ / step_name(step);
  const fs::path tmp_dir = directory_ / (".tmp-" + step_name(step) + "-" + std::to_string(::getpid()));
  fs::remove_all(tmp_dir);
  fs::create_directories(tmp_dir);
  write_files(tmp_dir);
  // Fault injection for the tests (tests/learners/fault_test.cc): a pause
  // with the files written but not yet published, to kill the process in.
  if (const char* pause = std::getenv("RL_FAULT_CHECKPOINT_PAUSE_MS")) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(pause)));
  }

  nlohmann::ordered_json manifest = {{"format", 1}, {"step", step}, {"files", nlohmann::json::object()}};
  for (const auto& entry : fs::directory_iterator(tmp_dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    manifest["files"][name] = {{"bytes", entry.file_size()}, {"fnv1a", file_hash(entry.path())}};
    sync_path(entry.path());
  }
  {
    std::ofstream out(tmp_dir / kManifest);
    out << manifest.dump(2) << '\n';
    if (!out) throw std::runtime_error("cannot write the checkpoint manifest in " + tmp_dir.string());
  }
  sync_path(tmp_dir / kManifest);
  sync_path(tmp_dir);

  // A checkpoint of the same step (a resumed run) is replaced as a whole.
  if (fs::exists(final_dir)) fs::remove_all(final_dir);
  fs::rename(tmp_dir, final_dir);
  sync_path(directory_);

  const fs::path link_tmp = directory_ / (std::string(".") + kLatest + "-" + std::to_string(::getpid()));
  fs::remove(link_tmp);
  fs::create_directory_symlink(final_dir.filename(), link_tmp);
  fs::rename(link_tmp, directory_ / kLatest);
  sync_path(directory_);
  prune();
  return final_dir;
}

fs::path CheckpointStore::latest() const {
  const fs::path link = directory_ / kLatest;
  std::error_code ec;
  if (!fs::exists(link, ec)) return {};
  return fs::canonical(link, ec);
}

void CheckpointStore::prune() const {
  if (keep_ <= 0) return;
  std::vector<fs::path> steps;
  for (const auto& entry : fs::directory_iterator(directory_)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && !entry.is_symlink() && name.rfind("step_", 0) == 0) {
      steps.push_back(entry.path());
    }
  }
  std::sort(steps.begin(), steps.end());
  for (size_t i = 0; i + keep_ < steps.size(); ++i) fs::remove_all(steps[i]);
}

fs::path verify_checkpoint(const fs::path& path) {
  std::error_code ec;
  fs::path dir = path;
  if (fs::is_directory(dir / "checkpoints", ec)) dir = dir / "checkpoints" / kLatest;
  if (!fs::exists(dir, ec)) {
    throw std::runtime_error("checkpoint '" + path.string() + "' does not exist");
  }
  dir = fs::canonical(dir);
  const fs::path manifest_path = dir / kManifest;
  std::ifstream in(manifest_path);
  if (!in) {
    throw std::runtime_error("checkpoint '" + path.string() + "' has no " + kManifest +
                             " (not a checkpoint, or an incomplete one)");
  }
  nlohmann::json manifest;
  try {
    in >> manifest;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("checkpoint '" + path.string() + "': corrupt manifest: " + e.what());
  }
  for (const auto& [name, info] : manifest.at("files").items()) {
    const fs::path file = dir / name;
    if (!fs::is_regular_file(file, ec)) {
      throw std::runtime_error("checkpoint '" + path.string() + "': file " + name + " is missing");
    }
    const uint64_t bytes = fs::file_size(file);
    if (bytes != info.at("bytes").get<uint64_t>()) {
      throw std::runtime_error("checkpoint '" + path.string() + "': file " + name + " has " +
                               std::to_string(bytes) + " bytes, the manifest says " +
                               std::to_string(info.at("bytes").get<uint64_t>()) + " (corrupt)");
    }
    if (file_hash(file) != info.at("fnv1a").get<uint64_t>()) {
      throw std::runtime_error("checkpoint '" + path.string() + "': file " + name +
                               " does not match its hash (corrupt)");
    }
  }
  return dir;
}

}  // namespace rl
