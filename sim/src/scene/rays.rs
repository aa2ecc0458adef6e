//! Ray casts against a scene's static geometry: the ground height below a point (height scans)
//! and the ceiling above it (ceiling scans).
//!
//! Rays are cast against each static collider of the wanted role in turn (a scene has a handful:
//! ground, terrain tile, walls, ceilings), not through the broad phase: the broad phase only
//! learns about a replaced terrain at the next step, and a scan is taken right after a reset.

use super::Scene;
use rapier3d::prelude::*;

/// What a scan treats a static shape as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StaticRole {
    /// Ground, terrain, obstacles standing on the floor: what height scans see.
    Floor,
    /// Ceilings and overhead beams: what ceiling scans see.
    Ceiling,
}

/// How far above the scan point a downward ray starts, and below it an upward one (m). A step up
/// to this height above the base is still seen from above.
const RAY_START_MARGIN: f32 = 1.0;
/// Longest ray (m).
const RAY_LENGTH: f32 = 20.0;

/// Horizontal shifts (m) tried in turn when a ray misses a shape (see [`Scene::cast`]).
const NUDGES: [(f32, f32); 3] = [(0.0, 0.0), (1.3e-5, 0.7e-5), (-0.9e-5, 1.7e-5)];

/// The height a floor scan reports where no floor is found below `from_z` (a void).
pub fn no_floor_z(from_z: f32) -> f32 {
    from_z + RAY_START_MARGIN - RAY_LENGTH
}

impl Scene {
    fn cast(&self, role: StaticRole, ray: &Ray) -> Option<f32> {
        self.statics
            .iter()
            .filter(|s| s.role == role)
            .filter_map(|s| {
                let c = &self.world.colliders[s.collider];
                // Parry's heightfield misses a vertical ray that runs exactly along an edge
                // shared by two triangles (a scan point on a grid line). Shifting the ray by a
                // few micrometres, off both the grid lines and the cells' diagonals, finds it.
                NUDGES.iter().find_map(|&(dx, dy)| {
                    let nudged = Ray::new(ray.origin + Vec3::new(dx, dy, 0.0), ray.dir);
                    c.shape().cast_ray(c.position(), &nudged, RAY_LENGTH, true)
                })
            })
            .reduce(f32::min)
    }

    /// Height (m) of the highest floor surface below `(x, y, from_z + 1 m)`, or
    /// [`no_floor_z`] where there is none.
    pub fn floor_z(&self, x: f32, y: f32, from_z: f32) -> f32 {
        let start = from_z + RAY_START_MARGIN;
        let ray = Ray::new(Vec3::new(x, y, start), Vec3::new(0.0, 0.0, -1.0));
        match self.cast(StaticRole::Floor, &ray) {
            Some(toi) => start - toi,
            None => no_floor_z(from_z),
        }
    }

    /// Height (m) of the lowest ceiling surface above `(x, y, from_z - 1 m)`, or `+inf` where
    /// there is none.
    pub fn ceiling_z(&self, x: f32, y: f32, from_z: f32) -> f32 {
        let start = from_z - RAY_START_MARGIN;
        let ray = Ray::new(Vec3::new(x, y, start), Vec3::new(0.0, 0.0, 1.0));
        match self.cast(StaticRole::Ceiling, &ray) {
            Some(toi) => start + toi,
            None => f32::INFINITY,
        }
    }
}
