//! Ground: a flat plane or a heightfield (seeded random rough ground, pyramid slopes, pyramid
//! stairs).

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapier3d::parry::utils::Array2;
use rapier3d::prelude::*;
use serde::{Deserialize, Serialize};

/// Which ground to build.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TerrainKind {
    /// An infinite flat plane at z = 0.
    Flat,
    /// A square heightfield of uniform random heights in `[-amplitude, amplitude]`, one height per
    /// `cell` metres, centred on the origin.
    Rough {
        /// Height amplitude in metres.
        amplitude: f32,
        /// Grid spacing in metres.
        cell: f32,
        /// Side length in metres.
        size: f32,
    },
    /// A square pyramid: a flat platform at the centre (where robots spawn), slopes of `grade`
    /// (rise over run) going down for `length` metres on every side, then flat ground at z = 0.
    /// A negative grade makes a pit the robot climbs out of.
    Slope {
        /// Rise over run (0.4 is about 22 degrees).
        grade: f32,
        /// Horizontal length of each slope (m).
        length: f32,
        /// Grid spacing (m).
        cell: f32,
        /// Side length (m).
        size: f32,
    },
    /// Square pyramid stairs: the platform at the centre, then `steps` rings of `step_width`
    /// each one `step_height` lower, down to z = 0. A negative height makes a pit of stairs.
    Stairs {
        /// Riser height (m); negative for stairs going up away from the centre.
        step_height: f32,
        /// Tread depth (m).
        step_width: f32,
        /// Number of steps.
        steps: u32,
        /// Grid spacing (m); a few cells per tread keeps the risers steep.
        cell: f32,
        /// Side length (m).
        size: f32,
    },
}

/// Half-width of the flat platform at the centre of slope and stair terrains (m).
pub const PLATFORM_HALF_WIDTH: f32 = 1.0;

impl TerrainKind {
    /// Short name: `flat`, `rough`, `slope` or `stairs`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Flat => "flat",
            Self::Rough { .. } => "rough",
            Self::Slope { .. } => "slope",
            Self::Stairs { .. } => "stairs",
        }
    }

    /// Grid spacing and side length of heightfield kinds (`None` for flat ground).
    pub fn grid(&self) -> Option<(f32, f32)> {
        match *self {
            Self::Flat => None,
            Self::Rough { cell, size, .. }
            | Self::Slope { cell, size, .. }
            | Self::Stairs { cell, size, .. } => Some((cell, size)),
        }
    }

    /// Checks that sizes are positive and finite; the error names the offending key.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let Some((cell, size)) = self.grid() else {
            return Ok(());
        };
        let positive = |key: &'static str, v: f32| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err((key, format!("must be a positive number, got {v}")))
            }
        };
        positive("cell", cell)?;
        positive("size", size)?;
        if size / cell > 2000.0 {
            return Err((
                "cell",
                format!("{size} m / {cell} m is over 2000 cells per side"),
            ));
        }
        match *self {
            Self::Rough { amplitude, .. } if !(amplitude.is_finite() && amplitude >= 0.0) => Err((
                "amplitude",
                format!("must be a non-negative number, got {amplitude}"),
            )),
            Self::Slope { grade, length, .. } => {
                positive("length", length)?;
                if grade.is_finite() {
                    Ok(())
                } else {
                    Err(("grade", format!("must be finite, got {grade}")))
                }
            }
            Self::Stairs {
                step_height,
                step_width,
                ..
            } => {
                positive("step_width", step_width)?;
                if step_height.is_finite() {
                    Ok(())
                } else {
                    Err(("step_height", format!("must be finite, got {step_height}")))
                }
            }
            _ => Ok(()),
        }
    }

    /// Height (m) of the ideal surface at world `(x, y)`, before sampling onto the grid
    /// (random kinds use `rng`).
    fn sample(&self, x: f32, y: f32, rng: &mut ChaCha8Rng) -> f32 {
        // Chebyshev distance from the centre: square rings.
        let d = x.abs().max(y.abs());
        match *self {
            Self::Flat => 0.0,
            Self::Rough { amplitude, .. } => {
                if amplitude > 0.0 {
                    rng.random_range(-amplitude..=amplitude)
                } else {
                    0.0
                }
            }
            Self::Slope { grade, length, .. } => {
                let run = (PLATFORM_HALF_WIDTH + length - d).clamp(0.0, length);
                grade * run
            }
            Self::Stairs {
                step_height,
                step_width,
                steps,
                ..
            } => {
                if d <= PLATFORM_HALF_WIDTH {
                    return step_height * steps as f32;
                }
                let ring = ((d - PLATFORM_HALF_WIDTH) / step_width).floor() as u32;
                step_height * steps.saturating_sub(ring + 1) as f32
            }
        }
    }
}

/// A terrain instance: its kind and, for heightfields, the heights drawn from a seed. It
/// serialises as its kind and seed (the heights are drawn again on reading), which keeps env
/// snapshots in checkpoints small.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "TerrainSeed", from = "TerrainSeed")]
pub struct Terrain {
    /// The kind of ground.
    pub kind: TerrainKind,
    /// Heights on a `n x n` grid, row-major with rows along world +y and columns along world +x
    /// (empty for flat ground).
    pub heights: Vec<f32>,
    /// Grid points per side.
    pub n: usize,
    /// The seed the heights were drawn from.
    pub seed: u64,
}

/// What a [`Terrain`] is made from.
#[derive(Serialize, Deserialize)]
struct TerrainSeed {
    kind: TerrainKind,
    seed: u64,
}

impl From<Terrain> for TerrainSeed {
    fn from(t: Terrain) -> Self {
        Self {
            kind: t.kind,
            seed: t.seed,
        }
    }
}

impl From<TerrainSeed> for Terrain {
    fn from(t: TerrainSeed) -> Self {
        Terrain::new(t.kind, t.seed)
    }
}

impl Terrain {
    /// A flat plane.
    pub fn flat() -> Self {
        Self {
            kind: TerrainKind::Flat,
            heights: Vec::new(),
            n: 0,
            seed: 0,
        }
    }

    /// Builds a terrain of `kind`, drawing random heights from `seed`.
    pub fn new(kind: TerrainKind, seed: u64) -> Self {
        let Some((cell, size)) = kind.grid() else {
            return Self::flat();
        };
        let n = ((size / cell).round() as usize).max(2) + 1;
        let half = (n - 1) as f32 * cell * 0.5;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut heights = Vec::with_capacity(n * n);
        for row in 0..n {
            for col in 0..n {
                let (x, y) = (col as f32 * cell - half, row as f32 * cell - half);
                heights.push(kind.sample(x, y, &mut rng));
            }
        }
        Self {
            kind,
            heights,
            n,
            seed,
        }
    }

    /// Grid spacing (m) of a heightfield terrain (`None` when flat).
    pub fn cell(&self) -> Option<f32> {
        self.kind.grid().map(|(cell, _)| cell)
    }

    /// Half the side length of the heightfield (m), or infinity for flat ground.
    pub fn half_extent(&self) -> f32 {
        match self.cell() {
            Some(cell) => (self.n.max(1) - 1) as f32 * cell * 0.5,
            None => f32::INFINITY,
        }
    }

    /// Ground height (m) at world `(x, y)`: bilinear in the heightfield, 0 outside it.
    pub fn height_at(&self, x: f32, y: f32) -> f32 {
        let Some(cell) = self.cell() else {
            return 0.0;
        };
        let half = (self.n - 1) as f32 * cell * 0.5;
        let fx = (x + half) / cell;
        let fy = (y + half) / cell;
        if !(fx >= 0.0 && fy >= 0.0 && fx < (self.n - 1) as f32 && fy < (self.n - 1) as f32) {
            return 0.0;
        }
        let (ix, iy) = (fx as usize, fy as usize);
        let (tx, ty) = (fx - ix as f32, fy - iy as f32);
        let h = |i: usize, j: usize| self.heights[j * self.n + i];
        let a = h(ix, iy) * (1.0 - tx) + h(ix + 1, iy) * tx;
        let b = h(ix, iy + 1) * (1.0 - tx) + h(ix + 1, iy + 1) * tx;
        a * (1.0 - ty) + b * ty
    }

    /// The ground collider (Z up).
    pub(crate) fn collider(&self) -> ColliderBuilder {
        match self.kind {
            TerrainKind::Flat => ColliderBuilder::new(SharedShape::halfspace(Vector::Z)),
            TerrainKind::Rough { cell, .. }
            | TerrainKind::Slope { cell, .. }
            | TerrainKind::Stairs { cell, .. } => {
                // Parry heightfields are Y-up with rows along local z and columns along local x.
                // Rotating +90 degrees about x maps local y to world z and local z to world -y,
                // so local row r is world row n-1-r.
                let n = self.n;
                let heights = Array2::from_fn(n, n, |r, c| self.heights[(n - 1 - r) * n + c]);
                let extent = (n - 1) as f32 * cell;
                // Without FIX_INTERNAL_EDGES a foot sliding across the flat tread of a step, or
                // between two cells of rough ground, catches on the edge shared by two triangles
                // (a contact normal pointing along the ground) and trips.
                ColliderBuilder::heightfield_with_flags(
                    heights,
                    Vector::new(extent, 1.0, extent),
                    HeightFieldFlags::FIX_INTERNAL_EDGES,
                )
                .rotation(Vector::X * std::f32::consts::FRAC_PI_2)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stairs_step_down_from_the_platform_ring_by_ring() {
        let t = Terrain::new(
            TerrainKind::Stairs {
                step_height: 0.1,
                step_width: 0.5,
                steps: 3,
                cell: 0.05,
                size: 10.0,
            },
            0,
        );
        let close = |a: f32, b: f32| (a - b).abs() < 1e-4;
        assert!(close(t.height_at(0.0, 0.0), 0.3), "platform");
        assert!(close(t.height_at(1.2, 0.0), 0.2), "first tread");
        assert!(close(t.height_at(0.0, -1.7), 0.1), "second tread, any side");
        assert!(close(t.height_at(2.2, 2.2), 0.0), "bottom");
        assert!(close(t.height_at(4.0, 0.0), 0.0), "flat beyond");
        assert_eq!(t.half_extent(), 5.0);
    }

    #[test]
    fn slopes_fall_linearly_and_negative_grades_make_a_pit() {
        let kind = |grade| TerrainKind::Slope {
            grade,
            length: 2.0,
            cell: 0.1,
            size: 8.0,
        };
        let up = Terrain::new(kind(0.5), 0);
        assert!((up.height_at(0.5, 0.0) - 1.0).abs() < 1e-4);
        assert!((up.height_at(2.0, 0.0) - 0.5).abs() < 1e-4);
        assert!(up.height_at(3.5, 0.0).abs() < 1e-4);
        let pit = Terrain::new(kind(-0.5), 0);
        assert!((pit.height_at(0.0, 0.0) + 1.0).abs() < 1e-4);
    }

    #[test]
    fn bad_sizes_name_the_key() {
        let bad = TerrainKind::Stairs {
            step_height: 0.1,
            step_width: 0.0,
            steps: 3,
            cell: 0.05,
            size: 10.0,
        };
        assert_eq!(bad.validate().unwrap_err().0, "step_width");
        let huge = TerrainKind::Rough {
            amplitude: 0.1,
            cell: 0.001,
            size: 100.0,
        };
        assert_eq!(huge.validate().unwrap_err().0, "cell");
    }
}
