// A small 2D drawing surface over an rl::Frame, for envs that render
// themselves as flat pictures (classic control, Box2D, user envs). World
// coordinates with y up are mapped onto the frame by set_view(); widths of
// lines are in pixels so that pictures look alike at any frame size.
// Backed by cairo, which stays out of this header.
#pragma once

#include <memory>
#include <span>

#include "rl/env/render.h"

namespace rl {

struct Color {
  double r = 0, g = 0, b = 0;  // 0..1
  static constexpr Color rgb8(int r, int g, int b) { return {r / 255.0, g / 255.0, b / 255.0}; }
};

struct Point {
  double x = 0, y = 0;
};

class Canvas {
 public:
  // Clears `frame` (frame.width x frame.height) to `background`. The view
  // starts as pixels with y up.
  explicit Canvas(Frame& frame, Color background = {1, 1, 1});
  // Writes the picture into frame.rgb (unless finish() did).
  ~Canvas();
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;

  // Maps the world box onto the frame with one scale for both axes (the
  // largest that fits), centred: nothing is stretched.
  void set_view(double x_min, double x_max, double y_min, double y_max);
  double pixels_per_unit() const { return scale_; }

  void fill_polygon(std::span<const Point> points, Color color);
  void stroke_polygon(std::span<const Point> points, double width_px, Color color);
  void polyline(std::span<const Point> points, double width_px, Color color);
  void line(Point a, Point b, double width_px, Color color);
  void fill_circle(Point center, double radius, Color color);  // radius in world units
  void fill_rect(Point min, Point max, Color color);
  // A rotated box: centre, half extents, angle (radians, counter-clockwise).
  void fill_box(Point center, double half_width, double half_height, double angle, Color color);

  // Copies the picture into frame.rgb; later drawing is ignored.
  void finish();

 private:
  struct Surface;
  void path(std::span<const Point> points, bool closed);
  Point to_pixels(Point world) const;

  Frame& frame_;
  std::unique_ptr<Surface> surface_;
  double scale_ = 1, offset_x_ = 0, offset_y_ = 0;
};

}  // namespace rl
