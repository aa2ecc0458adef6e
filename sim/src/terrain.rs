//! Ground: a flat plane or a seeded random rough heightfield.

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
}

impl TerrainKind {
    /// Short name: `flat` or `rough`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Flat => "flat",
            Self::Rough { .. } => "rough",
        }
    }
}

/// A terrain instance: its kind and, for heightfields, the heights drawn from a seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Terrain {
    /// The kind of ground.
    pub kind: TerrainKind,
    /// Heights on a `n x n` grid, row-major with rows along world +y and columns along world +x
    /// (empty for flat ground).
    pub heights: Vec<f32>,
    /// Grid points per side.
    pub n: usize,
}

impl Terrain {
    /// A flat plane.
    pub fn flat() -> Self {
        Self {
            kind: TerrainKind::Flat,
            heights: Vec::new(),
            n: 0,
        }
    }

    /// Builds a terrain of `kind`, drawing random heights from `seed`.
    pub fn new(kind: TerrainKind, seed: u64) -> Self {
        match kind {
            TerrainKind::Flat => Self::flat(),
            TerrainKind::Rough {
                amplitude,
                cell,
                size,
            } => {
                let n = ((size / cell).round() as usize).max(2) + 1;
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                let heights = (0..n * n)
                    .map(|_| rng.random_range(-amplitude..=amplitude))
                    .collect();
                Self { kind, heights, n }
            }
        }
    }

    /// Ground height (m) at world `(x, y)`: bilinear in the heightfield, 0 outside it.
    pub fn height_at(&self, x: f32, y: f32) -> f32 {
        let TerrainKind::Rough { cell, .. } = self.kind else {
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
            TerrainKind::Rough { cell, .. } => {
                // Parry heightfields are Y-up with rows along local z and columns along local x.
                // Rotating +90 degrees about x maps local y to world z and local z to world -y,
                // so local row r is world row n-1-r.
                let n = self.n;
                let heights = Array2::from_fn(n, n, |r, c| self.heights[(n - 1 - r) * n + c]);
                let extent = (n - 1) as f32 * cell;
                ColliderBuilder::heightfield(heights, Vector::new(extent, 1.0, extent))
                    .rotation(Vector::X * std::f32::consts::FRAC_PI_2)
            }
        }
    }
}
