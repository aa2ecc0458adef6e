//! Terrain heights around the robot as part of the observation (`[env.height_scan]`), in the
//! manner of legged_gym's `measure_heights`: a grid of points fixed to the base's position and
//! heading (not its roll and pitch), each read as `clip(base_z - base_offset - ground_z, -1, 1) *
//! scale`. legged_gym samples 17 x 11 points 0.1 m apart for ANYmal; the default here is a
//! 13 x 7 grid sized for the project's A1-class quadruped.

use robots::contract::{ObsTerm, height_scan_points};
use serde::{Deserialize, Serialize};

/// Where the ground is: the ground height (m) below world `(x, y)`, looked for downwards from
/// about `from_z`. The simulator answers by ray casts against the scene
/// ([`crate::RobotWorld::ground_z`]); [`crate::Terrain`] answers from its height function (tests).
pub trait GroundQuery {
    /// Ground height below `(x, y)`.
    fn ground_z(&self, x: f32, y: f32, from_z: f32) -> f32;
}

impl GroundQuery for crate::RobotWorld {
    fn ground_z(&self, x: f32, y: f32, from_z: f32) -> f32 {
        crate::RobotWorld::ground_z(self, x, y, from_z)
    }
}

impl GroundQuery for crate::terrain::Terrain {
    fn ground_z(&self, x: f32, y: f32, _from_z: f32) -> f32 {
        self.height_at(x, y)
    }
}

/// Where the heights are sampled and how they are scaled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HeightScan {
    /// Offsets of the sample rows along the base's heading (m).
    pub x: Vec<f32>,
    /// Offsets of the sample columns to the base's left (m).
    pub y: Vec<f32>,
    /// Base height above the ground that reads as 0 (m): the robot's standing height.
    pub base_offset: f32,
    /// Factor applied after clipping to [-1, 1] m (legged_gym's `height_measurements` scale).
    pub scale: f32,
    /// Amplitude of the uniform noise added to each height (m; legged_gym: 0.1).
    pub noise: f32,
}

impl Default for HeightScan {
    fn default() -> Self {
        let grid = |half: i32| (-half..=half).map(|i| i as f32 * 0.1).collect();
        Self {
            x: grid(6),
            y: grid(3),
            base_offset: 0.3,
            scale: 5.0,
            noise: 0.05,
        }
    }
}

impl HeightScan {
    /// Number of observation entries: one per grid point.
    pub fn dim(&self) -> usize {
        self.x.len() * self.y.len()
    }

    /// Checks the settings; errors name the key under `height_scan.`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let err = |k: &str, m: String| Err((format!("height_scan.{k}"), m));
        for (key, values) in [("x", &self.x), ("y", &self.y)] {
            if values.is_empty() {
                return err(key, "needs at least one offset".into());
            }
            if let Some(v) = values.iter().find(|v| !(v.is_finite() && v.abs() <= 5.0)) {
                return err(key, format!("offsets must lie within +-5 m, got {v}"));
            }
        }
        if !(self.base_offset.is_finite() && self.base_offset >= 0.0) {
            return err(
                "base_offset",
                format!("must be a non-negative number, got {}", self.base_offset),
            );
        }
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return err(
                "scale",
                format!("must be a positive number, got {}", self.scale),
            );
        }
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return err(
                "noise",
                format!("must be a non-negative number, got {}", self.noise),
            );
        }
        Ok(())
    }

    /// The observation slice these heights fill (the deploy contract's `height_scan`).
    pub fn term(&self) -> ObsTerm {
        ObsTerm::HeightScan {
            x: self.x.clone(),
            y: self.y.clone(),
            base_offset: self.base_offset,
            clip_m: 1.0,
            scale: self.scale,
        }
    }

    /// Writes the ground height below each grid point for a base at `base` (world, m) heading
    /// `yaw` (rad), row by row (`x` outer, `y` inner), adding `noise(i)` metres to point `i`.
    /// The observation entries are then [`ObsTerm::HeightScan`]'s function of these.
    ///
    /// # Shapes
    /// `out: [x.len() * y.len()]`
    pub fn ground_heights(
        &self,
        ground: &impl GroundQuery,
        base: [f32; 3],
        yaw: f32,
        mut noise: impl FnMut() -> f32,
        out: &mut [f32],
    ) {
        let points = height_scan_points(&self.x, &self.y, [base[0], base[1]], yaw);
        for (o, [px, py]) in out.iter_mut().zip(points) {
            *o = ground.ground_z(px, py, base[2]) + noise();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terrain::{Terrain, TerrainKind};
    use robots::contract::{ObsLayout, ObsSources};

    /// The observation entries of `scan` for a base at `base` heading `yaw`, through the layout.
    fn observe(scan: &HeightScan, ground: &Terrain, base: [f32; 3], yaw: f32, out: &mut [f32]) {
        let mut heights = vec![0.0; scan.dim()];
        scan.ground_heights(ground, base, yaw, || 0.0, &mut heights);
        let mut layout = ObsLayout::new();
        layout.push(scan.term(), None).expect("term");
        let src = ObsSources {
            base_z: base[2],
            ground_z: Some(&heights),
            ..Default::default()
        };
        layout.write(&src, out).expect("write");
    }

    #[test]
    fn flat_ground_at_standing_height_reads_zero_and_clips_far_below() {
        let scan = HeightScan::default();
        assert_eq!(scan.dim(), 91);
        let flat = Terrain::new(TerrainKind::Flat, 0);
        let mut out = vec![f32::NAN; scan.dim()];
        observe(&scan, &flat, [3.0, -2.0, 0.3], 0.7, &mut out);
        assert!(out.iter().all(|v| v.abs() < 1e-6), "{out:?}");
        observe(&scan, &flat, [0.0, 0.0, 2.0], 0.0, &mut out);
        assert!(
            out.iter().all(|&v| v == 5.0),
            "clipped at 1 m times scale 5"
        );
    }

    #[test]
    fn points_turn_with_the_heading_and_see_the_step_ahead() {
        // Stairs down from a 0.3 m platform around the origin: the first tread is 0.1 m lower.
        let stairs = Terrain::new(
            TerrainKind::Stairs {
                step_height: 0.1,
                step_width: 0.5,
                steps: 3,
                cell: 0.05,
                size: 10.0,
            },
            0,
        );
        let scan = HeightScan {
            x: vec![0.0, 1.2],
            y: vec![0.0],
            base_offset: 0.0,
            scale: 1.0,
            noise: 0.0,
        };
        let mut out = [0.0; 2];
        // Facing +y: the point 1.2 m ahead is at (0, 1.2), on the first tread.
        observe(
            &scan,
            &stairs,
            [0.0, 0.0, 0.6],
            std::f32::consts::FRAC_PI_2,
            &mut out,
        );
        assert!((out[0] - 0.3).abs() < 1e-4, "{out:?}");
        assert!((out[1] - 0.4).abs() < 1e-4, "{out:?}");
    }

    #[test]
    fn bad_settings_name_their_key() {
        let bad = |f: fn(&mut HeightScan)| {
            let mut s = HeightScan::default();
            f(&mut s);
            s.validate().unwrap_err().0
        };
        assert_eq!(bad(|s| s.x.clear()), "height_scan.x");
        assert_eq!(bad(|s| s.y = vec![0.0, f32::NAN]), "height_scan.y");
        assert_eq!(bad(|s| s.scale = 0.0), "height_scan.scale");
        assert_eq!(bad(|s| s.noise = -0.1), "height_scan.noise");
        assert_eq!(bad(|s| s.base_offset = -1.0), "height_scan.base_offset");
    }
}
