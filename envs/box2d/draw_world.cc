#include "envs/box2d/draw_world.h"

#include <box2d/box2d.h>

#include <vector>

namespace rl::envs {
namespace {

Point world_point(const b2Body& body, const b2Vec2& local) {
  const b2Vec2 p = body.GetWorldPoint(local);
  return {p.x, p.y};
}

void draw_body(Canvas& canvas, const b2Body& body, Color color, bool is_ground) {
  const Color outline{color.r * 0.6, color.g * 0.6, color.b * 0.6};
  std::vector<Point> points;
  for (const b2Fixture* f = body.GetFixtureList(); f != nullptr; f = f->GetNext()) {
    const b2Shape* shape = f->GetShape();
    points.clear();
    switch (shape->GetType()) {
      case b2Shape::e_polygon: {
        const auto* polygon = static_cast<const b2PolygonShape*>(shape);
        for (int i = 0; i < polygon->m_count; ++i) points.push_back(world_point(body, polygon->m_vertices[i]));
        canvas.fill_polygon(points, color);
        if (!is_ground) canvas.stroke_polygon(points, 1.5, outline);
        break;
      }
      case b2Shape::e_edge: {
        const auto* edge = static_cast<const b2EdgeShape*>(shape);
        const Point a = world_point(body, edge->m_vertex1), b = world_point(body, edge->m_vertex2);
        if (is_ground) {
          const Point quad[] = {a, b, {b.x, 0}, {a.x, 0}};
          canvas.fill_polygon(quad, color);
        }
        canvas.line(a, b, 1.5, outline);
        break;
      }
      case b2Shape::e_circle: {
        const auto* circle = static_cast<const b2CircleShape*>(shape);
        canvas.fill_circle(world_point(body, circle->m_p), circle->m_radius, color);
        break;
      }
      default:
        break;  // chains are not used by the built-in envs
    }
  }
}

}  // namespace

void draw_world(Canvas& canvas, const b2World& world, const WorldColors& colors) {
  // Ground first, so that bodies resting on it stay visible.
  for (const b2Body* body = world.GetBodyList(); body != nullptr; body = body->GetNext()) {
    if (body->GetType() == b2_staticBody) draw_body(canvas, *body, colors.ground, true);
  }
  for (const b2Body* body = world.GetBodyList(); body != nullptr; body = body->GetNext()) {
    if (body->GetType() != b2_staticBody) draw_body(canvas, *body, colors.body(*body), false);
  }
}

}  // namespace rl::envs
