// Writes frames as an animated GIF (giflib), one 256-colour palette per
// frame (median cut), looping forever. Frames are streamed to
// `path`.partial and renamed to `path` by close(): a file under its final
// name is always complete.
#pragma once

#include <filesystem>
#include <memory>

#include "rl/env/render.h"

namespace rl {

class GifWriter {
 public:
  // Throws std::runtime_error naming the file when it cannot be created.
  GifWriter(std::filesystem::path path, int width, int height);
  ~GifWriter();  // abandons an unclosed file (removes the .partial)
  GifWriter(const GifWriter&) = delete;
  GifWriter& operator=(const GifWriter&) = delete;

  // Appends one frame shown for 1 / frame.fps seconds (GIF delays are in
  // hundredths, at least 2). The frame must have the writer's size.
  void add(const Frame& frame);
  // Finishes the file and moves it to its final name.
  void close();

  int frames() const { return frames_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  struct File;
  std::filesystem::path path_, partial_;
  int width_, height_;
  int frames_ = 0;
  std::unique_ptr<File> file_;
};

}  // namespace rl
