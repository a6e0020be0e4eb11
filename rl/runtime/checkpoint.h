// Checkpoint directories written atomically, and found again safely.
//
// A checkpoint is a directory of files plus manifest.json (each file's size
// and FNV-1a hash). It is written under checkpoints/.tmp-*, synced, and
// renamed into place as checkpoints/step_<env steps>; then the `latest`
// symlink is replaced by a rename. A crash at any moment leaves the
// previous complete checkpoint, and `latest` never points at a partial one.
// Torch-free: callers write their files (torch::save, JSON) into the
// directory they are given.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace rl {

class CheckpointStore {
 public:
  // Checkpoints live in `directory` (created if missing); the newest `keep`
  // complete ones are kept (0 keeps all).
  CheckpointStore(std::filesystem::path directory, int keep);

  // Writes a checkpoint for `step`: `write_files` fills the temporary
  // directory it gets; every regular file there goes into the manifest.
  // Returns the final directory.
  std::filesystem::path write(int64_t step,
                              const std::function<void(const std::filesystem::path&)>& write_files);

  // The newest complete checkpoint, if any.
  std::filesystem::path latest() const;
  const std::filesystem::path& directory() const { return directory_; }

 private:
  void prune() const;

  std::filesystem::path directory_;
  int keep_;
};

// Resolves `path` (a checkpoint directory, the `latest` symlink, or a run
// directory, meaning its checkpoints/latest) and verifies the manifest:
// every file present with the recorded size and hash. Throws
// std::runtime_error naming the path and what is missing or corrupt.
std::filesystem::path verify_checkpoint(const std::filesystem::path& path);

// FNV-1a 64-bit hash of a file's bytes (for the manifest).
uint64_t file_hash(const std::filesystem::path& file);

}  // namespace rl
