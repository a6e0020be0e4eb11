#include "rl/render/canvas.h"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace rl {

struct Canvas::Surface {
  cairo_surface_t* surface = nullptr;
  cairo_t* cr = nullptr;
  ~Surface() {
    if (cr != nullptr) cairo_destroy(cr);
    if (surface != nullptr) cairo_surface_destroy(surface);
  }
};

Canvas::Canvas(Frame& frame, Color background) : frame_(frame), surface_(std::make_unique<Surface>()) {
  if (frame.width <= 0 || frame.height <= 0 || frame.width > 8192 || frame.height > 8192) {
    throw std::invalid_argument("Canvas: frame size " + std::to_string(frame.width) + "x" +
                                std::to_string(frame.height) + " is not in 1..8192");
  }
  surface_->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, frame.width, frame.height);
  if (cairo_surface_status(surface_->surface) != CAIRO_STATUS_SUCCESS) {
    throw std::runtime_error(std::string("Canvas: cairo surface: ") +
                             cairo_status_to_string(cairo_surface_status(surface_->surface)));
  }
  surface_->cr = cairo_create(surface_->surface);
  cairo_set_antialias(surface_->cr, CAIRO_ANTIALIAS_GOOD);
  cairo_set_line_join(surface_->cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(surface_->cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_source_rgb(surface_->cr, background.r, background.g, background.b);
  cairo_paint(surface_->cr);
  set_view(0, frame.width, 0, frame.height);
}

Canvas::~Canvas() {
  if (surface_) finish();
}

void Canvas::set_view(double x_min, double x_max, double y_min, double y_max) {
  if (!(x_max > x_min) || !(y_max > y_min)) throw std::invalid_argument("Canvas::set_view: empty box");
  scale_ = std::min(frame_.width / (x_max - x_min), frame_.height / (y_max - y_min));
  // Centre the box; pixel y grows downwards.
  offset_x_ = 0.5 * (frame_.width - scale_ * (x_max - x_min)) - scale_ * x_min;
  offset_y_ = 0.5 * (frame_.height - scale_ * (y_max - y_min)) - scale_ * y_min;
}

Point Canvas::to_pixels(Point world) const {
  return {offset_x_ + scale_ * world.x, frame_.height - (offset_y_ + scale_ * world.y)};
}

void Canvas::path(std::span<const Point> points, bool closed) {
  cairo_t* cr = surface_->cr;
  cairo_new_path(cr);
  for (size_t i = 0; i < points.size(); ++i) {
    const Point p = to_pixels(points[i]);
    if (i == 0) {
      cairo_move_to(cr, p.x, p.y);
    } else {
      cairo_line_to(cr, p.x, p.y);
    }
  }
  if (closed) cairo_close_path(cr);
}

void Canvas::fill_polygon(std::span<const Point> points, Color color) {
  if (!surface_ || points.size() < 3) return;
  path(points, true);
  cairo_set_source_rgb(surface_->cr, color.r, color.g, color.b);
  cairo_fill(surface_->cr);
}

void Canvas::stroke_polygon(std::span<const Point> points, double width_px, Color color) {
  if (!surface_ || points.size() < 2) return;
  path(points, true);
  cairo_set_line_width(surface_->cr, width_px);
  cairo_set_source_rgb(surface_->cr, color.r, color.g, color.b);
  cairo_stroke(surface_->cr);
}

void Canvas::polyline(std::span<const Point> points, double width_px, Color color) {
  if (!surface_ || points.size() < 2) return;
  path(points, false);
  cairo_set_line_width(surface_->cr, width_px);
  cairo_set_source_rgb(surface_->cr, color.r, color.g, color.b);
  cairo_stroke(surface_->cr);
}

void Canvas::line(Point a, Point b, double width_px, Color color) {
  const Point points[] = {a, b};
  polyline(points, width_px, color);
}

void Canvas::fill_circle(Point center, double radius, Color color) {
  if (!surface_) return;
  const Point p = to_pixels(center);
  cairo_new_path(surface_->cr);
  cairo_arc(surface_->cr, p.x, p.y, std::max(0.5, radius * scale_), 0, 2 * M_PI);
  cairo_set_source_rgb(surface_->cr, color.r, color.g, color.b);
  cairo_fill(surface_->cr);
}

void Canvas::fill_rect(Point min, Point max, Color color) {
  const Point points[] = {{min.x, min.y}, {max.x, min.y}, {max.x, max.y}, {min.x, max.y}};
  fill_polygon(points, color);
}

void Canvas::fill_box(Point center, double half_width, double half_height, double angle,
                      Color color) {
  const double c = std::cos(angle), s = std::sin(angle);
  const double corners[4][2] = {{-half_width, -half_height},
                                {half_width, -half_height},
                                {half_width, half_height},
                                {-half_width, half_height}};
  Point points[4];
  for (int i = 0; i < 4; ++i) {
    points[i] = {center.x + c * corners[i][0] - s * corners[i][1],
                 center.y + s * corners[i][0] + c * corners[i][1]};
  }
  fill_polygon(points, color);
}

void Canvas::finish() {
  if (!surface_) return;
  cairo_surface_flush(surface_->surface);
  const unsigned char* data = cairo_image_surface_get_data(surface_->surface);
  const int stride = cairo_image_surface_get_stride(surface_->surface);
  std::vector<uint8_t>& rgb = frame_.allocate();
  for (int y = 0; y < frame_.height; ++y) {
    // RGB24: one native-endian uint32 per pixel, 0x00RRGGBB.
    const auto* row = reinterpret_cast<const uint32_t*>(data + static_cast<ptrdiff_t>(y) * stride);
    uint8_t* out = rgb.data() + static_cast<size_t>(y) * frame_.width * 3;
    for (int x = 0; x < frame_.width; ++x) {
      out[3 * x + 0] = static_cast<uint8_t>(row[x] >> 16);
      out[3 * x + 1] = static_cast<uint8_t>(row[x] >> 8);
      out[3 * x + 2] = static_cast<uint8_t>(row[x]);
    }
  }
  surface_.reset();
}

}  // namespace rl
