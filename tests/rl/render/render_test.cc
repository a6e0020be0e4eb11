// Pictures of envs: the 2D canvas, the GIF writer read back with giflib's
// decoder, the built-in envs' renderers (cairo and MuJoCo through OSMesa)
// and record_episodes.
#include <gif_lib.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <set>
#include <vector>

#include "envs/builtin.h"
#include "rl/env/registry.h"
#include "rl/render/canvas.h"
#include "rl/render/gif_writer.h"
#include "rl/render/recording.h"

namespace rl {
namespace {

namespace fs = std::filesystem;

struct Rgb {
  int r, g, b;
};

Rgb pixel(const Frame& frame, int x, int y) {
  const size_t i = (static_cast<size_t>(y) * frame.width + x) * 3;
  return {frame.rgb[i], frame.rgb[i + 1], frame.rgb[i + 2]};
}

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("rl_render_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// A decoded GIF: every frame as RGB, and its delay in hundredths.
struct DecodedGif {
  int width = 0, height = 0;
  std::vector<Frame> frames;
  std::vector<int> delays;
  bool loops = false;
};

DecodedGif decode(const fs::path& path) {
  int error = 0;
  GifFileType* gif = DGifOpenFileName(path.c_str(), &error);
  if (gif == nullptr) throw std::runtime_error("cannot open " + path.string());
  if (DGifSlurp(gif) != GIF_OK) throw std::runtime_error("cannot decode " + path.string());
  DecodedGif out;
  out.width = gif->SWidth;
  out.height = gif->SHeight;
  for (int i = 0; i < gif->ImageCount; ++i) {
    const SavedImage& image = gif->SavedImages[i];
    const ColorMapObject* map = image.ImageDesc.ColorMap != nullptr ? image.ImageDesc.ColorMap : gif->SColorMap;
    Frame frame;
    frame.width = image.ImageDesc.Width;
    frame.height = image.ImageDesc.Height;
    frame.allocate();
    for (int p = 0; p < frame.width * frame.height; ++p) {
      const GifColorType c = map->Colors[image.RasterBits[p]];
      frame.rgb[3 * p] = c.Red;
      frame.rgb[3 * p + 1] = c.Green;
      frame.rgb[3 * p + 2] = c.Blue;
    }
    out.frames.push_back(std::move(frame));
    GraphicsControlBlock control;
    out.delays.push_back(DGifSavedExtensionToGCB(gif, i, &control) == GIF_OK ? control.DelayTime : -1);
    for (int e = 0; e < image.ExtensionBlockCount; ++e) {
      const ExtensionBlock& block = image.ExtensionBlocks[e];
      if (block.Function == APPLICATION_EXT_FUNC_CODE && block.ByteCount == 11 &&
          std::string(reinterpret_cast<const char*>(block.Bytes), 11) == "NETSCAPE2.0") {
        out.loops = true;
      }
    }
  }
  DGifCloseFile(gif, &error);
  return out;
}

// Mean x of the pixels darker than `threshold` in rows [y0, y1), leaving
// out rows that are mostly dark (lines across the picture).
double dark_centroid_x(const Frame& frame, int y0, int y1, int threshold = 60) {
  double sum = 0;
  int count = 0;
  for (int y = y0; y < y1; ++y) {
    double row_sum = 0;
    int row_count = 0;
    for (int x = 0; x < frame.width; ++x) {
      const Rgb p = pixel(frame, x, y);
      if (p.r + p.g + p.b < threshold) {
        row_sum += x;
        ++row_count;
      }
    }
    if (row_count < frame.width / 2) {
      sum += row_sum;
      count += row_count;
    }
  }
  return count > 0 ? sum / count : -1;
}

size_t distinct_colors(const Frame& frame) {
  std::set<int> colors;
  for (size_t i = 0; i < frame.rgb.size(); i += 3) {
    colors.insert(frame.rgb[i] << 16 | frame.rgb[i + 1] << 8 | frame.rgb[i + 2]);
  }
  return colors.size();
}

TEST(CanvasTest, MapsTheWorldBoxWithYUp) {
  Frame frame;
  frame.width = 100;
  frame.height = 100;
  {
    Canvas canvas(frame);
    canvas.set_view(0, 10, 0, 10);
    canvas.fill_rect({0, 0}, {5, 5}, Color{1, 0, 0});  // the bottom-left quarter
  }
  ASSERT_EQ(frame.rgb.size(), 100u * 100 * 3);
  const Rgb bottom_left = pixel(frame, 10, 90), top_right = pixel(frame, 90, 10),
            top_left = pixel(frame, 10, 10);
  EXPECT_EQ(bottom_left.r, 255);
  EXPECT_EQ(bottom_left.g, 0);
  EXPECT_EQ(top_right.g, 255);  // background white
  EXPECT_EQ(top_left.g, 255);
}

TEST(CanvasTest, KeepsTheAspectRatioAndCentres) {
  Frame frame;
  frame.width = 200;
  frame.height = 100;
  Canvas canvas(frame, Color{0, 0, 0});
  canvas.set_view(0, 1, 0, 1);  // a square in a 2:1 frame: 100 px, centred
  EXPECT_DOUBLE_EQ(canvas.pixels_per_unit(), 100);
  canvas.fill_rect({0, 0}, {1, 1}, Color{1, 1, 1});
  canvas.finish();
  EXPECT_EQ(pixel(frame, 100, 50).r, 255);
  EXPECT_EQ(pixel(frame, 20, 50).r, 0);
  EXPECT_EQ(pixel(frame, 180, 50).r, 0);
}

TEST(CanvasTest, RejectsABadFrameSize) {
  Frame frame;
  frame.width = 0;
  EXPECT_THROW(Canvas canvas(frame), std::invalid_argument);
}

TEST(GifWriterTest, FramesReadBackWithTheirColoursDelaysAndLooping) {
  const fs::path dir = temp_dir("gif");
  const Color colors[] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  {
    GifWriter gif(dir / "three.gif", 64, 48);
    for (const Color& color : colors) {
      Frame frame;
      frame.width = 64;
      frame.height = 48;
      frame.fps = 25;
      Canvas canvas(frame, color);
      canvas.fill_rect({0, 0}, {32, 48}, Color{1, 1, 1});  // left half white
      canvas.finish();
      gif.add(frame);
    }
    EXPECT_FALSE(fs::exists(dir / "three.gif"));  // only the .partial until close()
    gif.close();
  }
  ASSERT_TRUE(fs::exists(dir / "three.gif"));
  EXPECT_FALSE(fs::exists(dir / "three.gif.partial"));
  const DecodedGif gif = decode(dir / "three.gif");
  EXPECT_EQ(gif.width, 64);
  EXPECT_EQ(gif.height, 48);
  EXPECT_TRUE(gif.loops);
  ASSERT_EQ(gif.frames.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(gif.delays[i], 4) << i;  // 1/25 s
    const Rgb left = pixel(gif.frames[i], 5, 20), right = pixel(gif.frames[i], 60, 20);
    EXPECT_GE(left.r + left.g + left.b, 3 * 240) << i;  // median cut rounds a little
    EXPECT_NEAR(right.r, 255 * colors[i].r, 8) << i;
    EXPECT_NEAR(right.g, 255 * colors[i].g, 8) << i;
    EXPECT_NEAR(right.b, 255 * colors[i].b, 8) << i;
  }
  fs::remove_all(dir);
}

TEST(GifWriterTest, AnAbandonedFileLeavesNothingAndWrongSizesAreRefused) {
  const fs::path dir = temp_dir("abandon");
  {
    GifWriter gif(dir / "x.gif", 32, 32);
    Frame wrong;
    wrong.width = 16;
    wrong.height = 32;
    wrong.allocate();
    EXPECT_THROW(gif.add(wrong), std::invalid_argument);
  }
  EXPECT_TRUE(fs::is_empty(dir));
  EXPECT_THROW(GifWriter(dir / "missing" / "x.gif", 32, 32), std::runtime_error);
  fs::remove_all(dir);
}

class BuiltinRenderTest : public ::testing::Test {
 protected:
  void SetUp() override { envs::register_builtin_envs(registry_); }
  EnvRegistry registry_;
};

// Pushing the cart right moves the black cart right in the picture.
TEST_F(BuiltinRenderTest, CartPolePictureFollowsTheCart) {
  auto env = make_env(registry_, "CartPole-v1");
  std::vector<float> obs(4), info;
  env->reset(1, obs);
  Frame first;
  ASSERT_TRUE(env->render(first));
  EXPECT_EQ(first.fps, 50);
  float x = obs[0];
  for (int i = 0; i < 8; ++i) env->step(Action::discrete(1), obs, info);
  Frame later;
  ASSERT_TRUE(env->render(later));
  ASSERT_GT(obs[0], x + 0.05f);
  // The cart body is the black box on the track (the bottom third).
  const double before = dark_centroid_x(first, 200, 400), after = dark_centroid_x(later, 200, 400);
  ASSERT_GT(before, 0);
  const double scale = 600 / (2 * 2.4 * 1.2);  // pixels per metre of the view
  EXPECT_NEAR(after - before, (obs[0] - x) * scale, 3.0);
}

TEST_F(BuiltinRenderTest, EveryFlatEnvDrawsAPictureOfTheRequestedSize) {
  for (const char* id : {"CartPole-v1", "Acrobot-v1", "Pendulum-v1", "MountainCar-v0",
                         "MountainCarContinuous-v0", "LunarLander-v3", "BipedalWalker-v3",
                         "BipedalWalkerHardcore-v3"}) {
    auto env = make_env(registry_, id);
    std::vector<float> obs(static_cast<size_t>(env->observation_space().flat_size()));
    env->reset(3, obs);
    Frame frame;
    frame.width = 320;
    frame.height = 240;
    ASSERT_TRUE(env->render(frame)) << id;
    EXPECT_EQ(frame.rgb.size(), 320u * 240 * 3) << id;
    EXPECT_GE(distinct_colors(frame), 3u) << id;  // background plus at least two drawn colours
    EXPECT_GT(frame.fps, 0) << id;
  }
}

// MuJoCo renders offscreen through OSMesa; the tracking camera follows the
// cheetah, and the picture changes as it moves.
TEST_F(BuiltinRenderTest, MujocoEnvsRenderOffscreen) {
  for (const char* id : {"HalfCheetah-v5", "Reacher-v5", "InvertedPendulum-v5"}) {
    auto env = make_env(registry_, id);
    std::vector<float> obs(static_cast<size_t>(env->observation_space().flat_size()));
    std::vector<float> info(env->info_keys().size());
    std::vector<float> action(static_cast<size_t>(env->action_space().flat_size()), 0.5f);
    env->reset(5, obs);
    Frame first;
    first.width = 160;
    first.height = 120;
    ASSERT_TRUE(env->render(first)) << id;
    ASSERT_EQ(first.rgb.size(), 160u * 120 * 3) << id;
    EXPECT_GT(distinct_colors(first), 20u) << id;  // shaded 3D, not a blank buffer
    for (int i = 0; i < 10; ++i) {
      const StepResult result = env->step(Action::box(action), obs, info);
      if (result.terminated || result.truncated) break;
    }
    Frame later = first;
    ASSERT_TRUE(env->render(later)) << id;
    EXPECT_NE(first.rgb, later.rgb) << id;
  }
  auto cheetah = make_env(registry_, "HalfCheetah-v5");
  std::vector<float> obs(17);
  cheetah->reset(0, obs);
  Frame frame;
  ASSERT_TRUE(cheetah->render(frame));
  EXPECT_NEAR(frame.fps, 20.0, 1e-9);  // dt = 0.01 * 5
}

struct NoPictureEnv final : Env {
  Space obs_space = Space::box({1}, -1, 1);
  Space act_space = Space::discrete(2);
  const Space& observation_space() const override { return obs_space; }
  const Space& action_space() const override { return act_space; }
  std::span<const std::string> info_keys() const override { return {}; }
  void reset(std::optional<uint64_t>, std::span<float> obs) override { obs[0] = 0; }
  StepResult step(const Action&, std::span<float> obs, std::span<float>) override {
    obs[0] = 0;
    return {1.0, true, false};
  }
};

TEST(RecordEpisodesTest, OneGifPerEpisodeWithTheTerminalFrame) {
  EnvRegistry registry;
  envs::register_builtin_envs(registry);
  const fs::path dir = temp_dir("record");
  RandomPolicy policy(Space::discrete(2), 4);
  RecordOptions options;
  options.dir = dir;
  options.width = 120;
  options.height = 80;
  const RecordedEpisodes out = record_episodes(registry, "CartPole-v1", {}, policy, 2, 9, options);
  ASSERT_EQ(out.files.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const DecodedGif gif = decode(out.files[i]);
    EXPECT_EQ(gif.width, 120);
    EXPECT_EQ(static_cast<double>(gif.frames.size()), out.stats.lengths[i] + 1) << i;
    EXPECT_EQ(out.frames[i], static_cast<int>(gif.frames.size()));
    EXPECT_EQ(gif.delays[0], 2);  // 50 fps
  }
  EXPECT_NE(out.files[0], out.files[1]);
  fs::remove_all(dir);
}

TEST(RecordEpisodesTest, AnEnvWithoutPicturesIsAClearErrorAndLeavesNoFile) {
  EnvRegistry registry;
  registry.add({.id = "NoPicture-v0", .factory = [](const EnvOptions&) { return std::make_unique<NoPictureEnv>(); }});
  const fs::path dir = temp_dir("nopicture");
  RandomPolicy policy(Space::discrete(2), 4);
  RecordOptions options;
  options.dir = dir;
  try {
    record_episodes(registry, "NoPicture-v0", {}, policy, 1, 0, options);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("NoPicture-v0 cannot render"));
  }
  EXPECT_TRUE(fs::is_empty(dir));
  fs::remove_all(dir);
}

TEST(RecordEpisodesTest, FrameSizesParseOrNameTheBadText) {
  EXPECT_EQ(parse_frame_size("600x400"), std::make_pair(600, 400));
  for (const char* bad : {"600", "600x", "x400", "600x400x", "8x8", "100000x10", "axb"}) {
    try {
      parse_frame_size(bad);
      ADD_FAILURE() << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr(std::string("'") + bad + "'"));
    }
  }
}

}  // namespace
}  // namespace rl
