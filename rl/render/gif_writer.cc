#include "rl/render/gif_writer.h"

#include <gif_lib.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace rl {

struct GifWriter::File {
  GifFileType* gif = nullptr;
  ~File() {
    if (gif != nullptr) {
      int error = 0;
      EGifCloseFile(gif, &error);
    }
  }
};

namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const char* what, int error) {
  const char* message = GifErrorString(error);
  throw std::runtime_error("GIF " + path.string() + ": " + what + ": " +
                           (message != nullptr ? message : "unknown giflib error"));
}

}  // namespace

GifWriter::GifWriter(std::filesystem::path path, int width, int height)
    : path_(std::move(path)), width_(width), height_(height), file_(std::make_unique<File>()) {
  if (width <= 0 || height <= 0 || width > 65535 || height > 65535) {
    throw std::invalid_argument("GIF " + path_.string() + ": size " + std::to_string(width) + "x" +
                                std::to_string(height) + " is not in 1..65535");
  }
  partial_ = path_;
  partial_ += ".partial";
  int error = 0;
  file_->gif = EGifOpenFileName(partial_.c_str(), false, &error);
  if (file_->gif == nullptr) fail(partial_, "cannot create", error);
  EGifSetGifVersion(file_->gif, true);  // GIF89a: delays and looping
  if (EGifPutScreenDesc(file_->gif, width, height, 8, 0, nullptr) == GIF_ERROR) {
    fail(partial_, "screen descriptor", file_->gif->Error);
  }
  // Netscape application extension: loop forever.
  const unsigned char loop[] = {1, 0, 0};
  if (EGifPutExtensionLeader(file_->gif, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
      EGifPutExtensionBlock(file_->gif, 11, "NETSCAPE2.0") == GIF_ERROR ||
      EGifPutExtensionBlock(file_->gif, sizeof loop, loop) == GIF_ERROR ||
      EGifPutExtensionTrailer(file_->gif) == GIF_ERROR) {
    fail(partial_, "loop extension", file_->gif->Error);
  }
}

GifWriter::~GifWriter() {
  if (file_) {
    file_.reset();
    std::error_code ignored;
    std::filesystem::remove(partial_, ignored);
  }
}

void GifWriter::add(const Frame& frame) {
  if (!file_) throw std::logic_error("GIF " + path_.string() + ": add() after close()");
  const size_t pixels = static_cast<size_t>(width_) * static_cast<size_t>(height_);
  if (frame.width != width_ || frame.height != height_ || frame.rgb.size() != pixels * 3) {
    throw std::invalid_argument("GIF " + path_.string() + ": frame of " +
                                std::to_string(frame.width) + "x" + std::to_string(frame.height) +
                                " (" + std::to_string(frame.rgb.size()) + " bytes) in a " +
                                std::to_string(width_) + "x" + std::to_string(height_) + " file");
  }
  std::vector<GifByteType> red(pixels), green(pixels), blue(pixels), indices(pixels);
  for (size_t i = 0; i < pixels; ++i) {
    red[i] = frame.rgb[3 * i];
    green[i] = frame.rgb[3 * i + 1];
    blue[i] = frame.rgb[3 * i + 2];
  }
  int colors = 256;
  std::vector<GifColorType> palette(256);
  if (GifQuantizeBuffer(width_, height_, &colors, red.data(), green.data(), blue.data(),
                        indices.data(), palette.data()) == GIF_ERROR) {
    fail(partial_, "colour quantization", D_GIF_ERR_NOT_ENOUGH_MEM);
  }
  ColorMapObject* map = GifMakeMapObject(256, palette.data());
  if (map == nullptr) fail(partial_, "colour map", E_GIF_ERR_NOT_ENOUGH_MEM);

  GraphicsControlBlock control{};
  const double fps = frame.fps > 0 ? frame.fps : 30.0;
  control.DelayTime = std::max(2, static_cast<int>(std::lround(100.0 / fps)));
  control.TransparentColor = NO_TRANSPARENT_COLOR;
  control.DisposalMode = DISPOSAL_UNSPECIFIED;
  GifByteType extension[4];
  EGifGCBToExtension(&control, extension);
  const bool ok = EGifPutExtension(file_->gif, GRAPHICS_EXT_FUNC_CODE, 4, extension) != GIF_ERROR &&
                  EGifPutImageDesc(file_->gif, 0, 0, width_, height_, false, map) != GIF_ERROR;
  GifFreeMapObject(map);
  if (!ok) fail(partial_, "frame header", file_->gif->Error);
  for (int y = 0; y < height_; ++y) {
    if (EGifPutLine(file_->gif, indices.data() + static_cast<size_t>(y) * width_, width_) ==
        GIF_ERROR) {
      fail(partial_, "frame data", file_->gif->Error);
    }
  }
  ++frames_;
}

void GifWriter::close() {
  if (!file_) return;
  int error = 0;
  GifFileType* gif = file_->gif;
  file_->gif = nullptr;
  file_.reset();
  if (EGifCloseFile(gif, &error) == GIF_ERROR) fail(partial_, "close", error);
  // giflib creates files readable by their owner only; videos are for sharing.
  using std::filesystem::perms;
  std::filesystem::permissions(partial_, perms::owner_read | perms::owner_write | perms::group_read |
                                             perms::others_read);
  std::filesystem::rename(partial_, path_);
}

}  // namespace rl
