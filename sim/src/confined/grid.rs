//! A confined world rasterised onto one grid: the floor height and the ceiling height at every
//! vertex. The same grid becomes the Rapier heightfields the robot walks in
//! ([`WorldGrid::floor_collider`], [`WorldGrid::ceiling_collider`]) and the planner's occupancy
//! map, so the plan and the physics see the same world.

use super::spec::{Obstacle, ObstacleShape, Side, WorldSpec};
use rapier3d::parry::utils::Array2;
use rapier3d::prelude::*;

/// Depth of a void below the floor (m): a pit the robot cannot climb out of.
pub const VOID_DEPTH: f32 = 1.0;

/// Ceiling height written into the ceiling heightfield where a corridor is open above (m).
pub const OPEN_CEILING: f32 = 3.0;

/// Floor heights a cross-section counts as walkable (m): steppable bumps, not walls or voids.
const WALKABLE_FLOOR: std::ops::RangeInclusive<f32> = -0.01..=0.1;

/// Floor and ceiling heights on a regular grid.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldGrid {
    /// Grid spacing (m).
    pub cell: f32,
    /// World position of vertex `(0, 0)` (m).
    pub origin: [f32; 2],
    /// Vertices along x.
    pub nx: usize,
    /// Vertices along y.
    pub ny: usize,
    /// Floor height per vertex (m), `[ny * nx]`, rows along +y: `wall_height` outside the
    /// corridors, `-VOID_DEPTH` in voids.
    pub floor: Vec<f32>,
    /// Ceiling height per vertex (m), `[ny * nx]`; `+inf` where open above.
    pub ceiling: Vec<f32>,
    /// The walls' height (m).
    pub wall_height: f32,
}

/// Where a point lies in an obstacle's or void's own frame, as fractions of its half sizes:
/// `max(|u| / (sx / 2), |v| / (sy / 2))`, below 1 inside.
fn box_norm(center: [f32; 2], size: [f32; 2], yaw: f32, x: f32, y: f32) -> f32 {
    let (dx, dy) = (x - center[0], y - center[1]);
    let (s, c) = yaw.sin_cos();
    let u = c * dx + s * dy;
    let v = -s * dx + c * dy;
    (u.abs() / (0.5 * size[0])).max(v.abs() / (0.5 * size[1]))
}

/// Distance (m) from `p` to the segment `a`-`b`.
pub(crate) fn segment_distance(p: [f32; 2], a: [f32; 2], b: [f32; 2]) -> f32 {
    let (abx, aby) = (b[0] - a[0], b[1] - a[1]);
    let len2 = abx * abx + aby * aby;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * abx + (p[1] - a[1]) * aby) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (qx, qy) = (a[0] + t * abx - p[0], a[1] + t * aby - p[1]);
    (qx * qx + qy * qy).sqrt()
}

impl Obstacle {
    /// Floor side: the obstacle's top at `(x, y)`; ceiling side: its underside, with `top` the
    /// ceiling it hangs from. `None` outside its footprint.
    fn surface_at(&self, x: f32, y: f32, top: f32) -> Option<f32> {
        let r = box_norm(self.center, self.size, self.yaw, x, y);
        if r > 1.0 {
            return None;
        }
        Some(match (self.shape, self.side) {
            (ObstacleShape::Box, _) => self.height,
            (ObstacleShape::Pyramid, Side::Floor) => self.height * (1.0 - r),
            (ObstacleShape::Pyramid, Side::Ceiling) => {
                self.height + (top.max(self.height) - self.height) * r
            }
        })
    }
}

impl WorldGrid {
    /// Rasterises `spec` (assumed validated) over [`WorldSpec::bounds`].
    pub fn from_spec(spec: &WorldSpec) -> Self {
        let (min, max) = spec.bounds();
        let cell = spec.cell;
        let nx = ((max[0] - min[0]) / cell).ceil() as usize + 1;
        let ny = ((max[1] - min[1]) / cell).ceil() as usize + 1;
        let mut floor = Vec::with_capacity(nx * ny);
        let mut ceiling = Vec::with_capacity(nx * ny);
        let wall = spec.wall_height;
        for iy in 0..ny {
            for ix in 0..nx {
                let (x, y) = (min[0] + ix as f32 * cell, min[1] + iy as f32 * cell);
                // Inside any corridor: open floor under the highest of their ceilings.
                let mut inside = spec.corridors.is_empty();
                let mut ceil = if inside { f32::INFINITY } else { wall };
                for c in &spec.corridors {
                    let near = c
                        .points
                        .windows(2)
                        .any(|w| segment_distance([x, y], w[0], w[1]) <= 0.5 * c.width);
                    if near {
                        let h = c.ceiling.unwrap_or(f32::INFINITY);
                        ceil = if inside { ceil.max(h) } else { h };
                        inside = true;
                    }
                }
                if !inside {
                    floor.push(wall);
                    ceiling.push(wall);
                    continue;
                }
                let mut f = 0.0f32;
                if spec
                    .voids
                    .iter()
                    .any(|v| box_norm(v.center, v.size, v.yaw, x, y) <= 1.0)
                {
                    f = -VOID_DEPTH;
                }
                let top = if ceil.is_finite() { ceil } else { wall };
                for o in &spec.obstacles {
                    if let Some(z) = o.surface_at(x, y, top) {
                        match o.side {
                            Side::Floor => f = f.max(z),
                            Side::Ceiling => ceil = ceil.min(z),
                        }
                    }
                }
                floor.push(f);
                ceiling.push(ceil.max(f));
            }
        }
        Self {
            cell,
            origin: min,
            nx,
            ny,
            floor,
            ceiling,
            wall_height: wall,
        }
    }

    /// Index of vertex `(ix, iy)` in [`Self::floor`] and [`Self::ceiling`].
    pub fn index(&self, ix: usize, iy: usize) -> usize {
        iy * self.nx + ix
    }

    /// World position of vertex `(ix, iy)` (m).
    pub fn position(&self, ix: usize, iy: usize) -> [f32; 2] {
        [
            self.origin[0] + ix as f32 * self.cell,
            self.origin[1] + iy as f32 * self.cell,
        ]
    }

    /// The vertex nearest `(x, y)`, or `None` outside the grid.
    pub fn nearest(&self, x: f32, y: f32) -> Option<(usize, usize)> {
        let fx = ((x - self.origin[0]) / self.cell).round();
        let fy = ((y - self.origin[1]) / self.cell).round();
        let inside = fx >= 0.0 && fy >= 0.0 && fx < self.nx as f32 && fy < self.ny as f32;
        inside.then_some((fx as usize, fy as usize))
    }

    /// Floor height at the vertex nearest `(x, y)` (m); the wall height outside the grid.
    pub fn floor_at(&self, x: f32, y: f32) -> f32 {
        self.nearest(x, y)
            .map_or(self.wall_height, |(ix, iy)| self.floor[self.index(ix, iy)])
    }

    /// Ceiling height at the vertex nearest `(x, y)` (m); the wall height outside the grid.
    pub fn ceiling_at(&self, x: f32, y: f32) -> f32 {
        self.nearest(x, y).map_or(self.wall_height, |(ix, iy)| {
            self.ceiling[self.index(ix, iy)]
        })
    }

    /// Centre of the grid (m).
    fn centre(&self) -> [f32; 2] {
        [
            self.origin[0] + 0.5 * (self.nx - 1) as f32 * self.cell,
            self.origin[1] + 0.5 * (self.ny - 1) as f32 * self.cell,
        ]
    }

    /// The floor as a Rapier heightfield (solid below).
    pub fn floor_collider(&self) -> ColliderBuilder {
        // Parry heightfields are Y-up with rows along local z and columns along local x.
        // Rotating +90 degrees about x maps local y to world z and local z to world -y, so
        // local row r is grid row ny-1-r.
        let (nx, ny) = (self.nx, self.ny);
        let heights = Array2::from_fn(ny, nx, |r, c| self.floor[(ny - 1 - r) * nx + c]);
        let [cx, cy] = self.centre();
        ColliderBuilder::heightfield_with_flags(
            heights,
            self.scale(),
            HeightFieldFlags::FIX_INTERNAL_EDGES,
        )
        .rotation(Vector::X * std::f32::consts::FRAC_PI_2)
        .translation(Vector::new(cx, cy, 0.0))
    }

    /// The ceiling as a Rapier heightfield (solid above): open stretches at
    /// [`OPEN_CEILING`].
    pub fn ceiling_collider(&self) -> ColliderBuilder {
        // Rotating -90 degrees about x maps local y to world -z and local z to world +y: local
        // heights are minus the ceiling heights, local row r is grid row r, and the solid side
        // (local below) is world above.
        let nx = self.nx;
        let heights = Array2::from_fn(self.ny, nx, |r, c| {
            -self.ceiling[r * nx + c].min(OPEN_CEILING)
        });
        let [cx, cy] = self.centre();
        ColliderBuilder::heightfield_with_flags(
            heights,
            self.scale(),
            HeightFieldFlags::FIX_INTERNAL_EDGES,
        )
        .rotation(-Vector::X * std::f32::consts::FRAC_PI_2)
        .translation(Vector::new(cx, cy, 0.0))
    }

    fn scale(&self) -> Vector {
        Vector::new(
            (self.nx - 1) as f32 * self.cell,
            1.0,
            (self.ny - 1) as f32 * self.cell,
        )
    }

    /// The cross-section through `p` across the unit direction `across`, out to `reach` m
    /// either side: the longest walkable run's width (m) and the most head room within it
    /// (ceiling minus floor, m). Walkable means neither wall, void nor an obstacle above a
    /// step. `(0, 0)` when nothing there is walkable.
    pub fn cross_section(&self, p: [f32; 2], across: [f32; 2], reach: f32) -> (f32, f32) {
        let step = 0.25 * self.cell;
        let n = (reach / step).ceil() as i32;
        let (mut best, mut best_room) = (0.0f32, 0.0f32);
        let (mut run, mut room) = (0usize, 0.0f32);
        for i in -n..=n {
            let t = i as f32 * step;
            let (x, y) = (p[0] + t * across[0], p[1] + t * across[1]);
            let f = self.floor_at(x, y);
            if WALKABLE_FLOOR.contains(&f) {
                run += 1;
                room = room.max(self.ceiling_at(x, y) - f);
                if run as f32 * step > best {
                    best = run as f32 * step;
                    best_room = room;
                }
            } else {
                (run, room) = (0, 0.0);
            }
        }
        (best, best_room)
    }
}
