//! The confined-world file format: corridors of free space, floor and ceiling obstacles and voids
//! over a flat floor at z = 0, plus a start pose and a goal. TOML or JSON (by the file's
//! extension); the seeded generator writes the same structure.
//!
//! ```toml
//! name = "bend under a beam"
//! cell = 0.05            # grid spacing of the floor and ceiling heightfields (m)
//! wall_height = 1.0      # height of everything outside the corridors (m)
//! start = { x = 0.0, y = 0.0, yaw = 0.0 }
//! goal = [4.0, 1.0]
//!
//! [[corridors]]          # free space: a polyline swept with a width; the union of all
//! points = [[0.0, 0.0], [2.0, 0.0], [4.0, 1.0]]
//! width = 0.5
//! ceiling = 0.4          # ceiling height above the floor (m); leave out for no ceiling
//!
//! [[obstacles]]          # a beam: a box hanging from the ceiling, its underside 0.28 m up
//! shape = "box"          # box | pyramid
//! side = "ceiling"       # floor: stands on the floor, `height` is its top;
//! center = [1.0, 0.0]    # ceiling: hangs from the ceiling, `height` is its lowest point
//! size = [0.15, 0.8]     # along its own x and y (m), turned by `yaw` (rad)
//! height = 0.28
//!
//! [[voids]]              # a gap in the floor (a 1 m deep pit)
//! center = [3.0, 0.6]
//! size = [0.3, 0.2]
//! ```

use crate::SimError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Largest number of heightfield vertices a world may have (about 20 x 20 m at 1 cm).
pub const MAX_GRID_VERTICES: usize = 4_000_000;

/// A confined world as written in a world file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldSpec {
    /// A name for logs and reports.
    #[serde(default)]
    pub name: String,
    /// Grid spacing of the floor and ceiling heightfields (m).
    #[serde(default = "default_cell")]
    pub cell: f32,
    /// Height of the walls: everything outside the corridors (m).
    #[serde(default = "default_wall_height")]
    pub wall_height: f32,
    /// Where the robot starts.
    pub start: Pose2,
    /// Where it should go: `[x, y]` (m).
    pub goal: [f32; 2],
    /// Free space. With none, the whole grid around start and goal is open floor.
    #[serde(default)]
    pub corridors: Vec<Corridor>,
    /// Boxes and pyramids on the floor or hanging from the ceiling.
    #[serde(default)]
    pub obstacles: Vec<Obstacle>,
    /// Gaps in the floor.
    #[serde(default)]
    pub voids: Vec<Region>,
}

/// A position and heading in the ground plane.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pose2 {
    /// x (m).
    pub x: f32,
    /// y (m).
    pub y: f32,
    /// Heading about z (rad).
    #[serde(default)]
    pub yaw: f32,
}

/// Free space swept along a polyline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Corridor {
    /// The centre line, `[x, y]` points (m); at least two.
    pub points: Vec<[f32; 2]>,
    /// Width (m).
    pub width: f32,
    /// Ceiling height above the floor (m); `None`: open above.
    #[serde(default)]
    pub ceiling: Option<f32>,
}

/// Which surface an obstacle belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Stands on the floor; `height` is its top above the floor.
    Floor,
    /// Hangs from the ceiling; `height` is its lowest point above the floor.
    Ceiling,
}

/// An obstacle's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObstacleShape {
    /// A rectangular block (a beam when it spans a corridor on the ceiling side).
    Box,
    /// A square-based pyramid, its apex at the centre (pointing down on the ceiling side).
    Pyramid,
}

/// A box or pyramid on the floor or the ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Obstacle {
    /// Its shape.
    pub shape: ObstacleShape,
    /// Floor or ceiling.
    pub side: Side,
    /// Centre `[x, y]` (m).
    pub center: [f32; 2],
    /// Extent along its own x and y (m).
    pub size: [f32; 2],
    /// Floor side: its top above the floor; ceiling side: its lowest point above the floor (m).
    pub height: f32,
    /// Rotation about z (rad).
    #[serde(default)]
    pub yaw: f32,
}

/// A rectangle in the ground plane.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// Centre `[x, y]` (m).
    pub center: [f32; 2],
    /// Extent along its own x and y (m).
    pub size: [f32; 2],
    /// Rotation about z (rad).
    #[serde(default)]
    pub yaw: f32,
}

fn default_cell() -> f32 {
    0.05
}

fn default_wall_height() -> f32 {
    1.0
}

fn bad(key: impl Into<String>, message: impl Into<String>) -> SimError {
    SimError::Config {
        key: key.into(),
        message: message.into(),
    }
}

impl WorldSpec {
    /// A straight tunnel along +x: start at the origin facing +x, goal `length` ahead, a corridor
    /// of `width` (m) reaching 0.5 m behind the start and beyond the goal, under `ceiling` (m;
    /// `None`: open above); 2.5 cm cells, 1 m walls. Add obstacles and voids to taste.
    pub fn straight(length: f32, width: f32, ceiling: Option<f32>) -> Self {
        Self {
            name: format!("straight {length} m"),
            cell: 0.025,
            wall_height: 1.0,
            start: Pose2 {
                x: 0.0,
                y: 0.0,
                yaw: 0.0,
            },
            goal: [length, 0.0],
            corridors: vec![Corridor {
                points: vec![[-0.5, 0.0], [length + 0.5, 0.0]],
                width,
                ceiling,
            }],
            obstacles: Vec::new(),
            voids: Vec::new(),
        }
    }

    /// Reads a world file: JSON when the extension is `.json`, TOML otherwise. Errors name the
    /// file and the key (`corridors[1].width: ...`).
    pub fn from_file(path: &Path) -> Result<Self, SimError> {
        crate::error::load_by_extension(path, "json", Self::from_json_str, Self::from_toml_str)
    }

    /// Parses and validates the TOML form.
    pub fn from_toml_str(text: &str) -> Result<Self, SimError> {
        let spec: Self = crate::error::parse_toml(text)?;
        spec.validate()?;
        Ok(spec)
    }

    /// Parses and validates the JSON form.
    pub fn from_json_str(text: &str) -> Result<Self, SimError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let spec: Self = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| bad(e.path().to_string(), e.inner().to_string()))?;
        spec.validate()?;
        Ok(spec)
    }

    /// The TOML form (what the generator's worlds look like as files).
    pub fn to_toml_string(&self) -> String {
        toml::to_string(self).unwrap_or_else(|e| format!("# not serialisable: {e}"))
    }

    /// Checks every value; the error names the key (`obstacles[2].size`).
    pub fn validate(&self) -> Result<(), SimError> {
        let finite = |key: String, v: f32| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(bad(key, format!("must be a finite number, got {v}")))
            }
        };
        let positive = |key: String, v: f32| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(bad(key, format!("must be a positive number, got {v}")))
            }
        };
        if !(self.cell.is_finite() && (0.01..=0.5).contains(&self.cell)) {
            return Err(bad(
                "cell",
                format!("must lie in [0.01, 0.5] m, got {}", self.cell),
            ));
        }
        positive("wall_height".into(), self.wall_height)?;
        finite("start.x".into(), self.start.x)?;
        finite("start.y".into(), self.start.y)?;
        finite("start.yaw".into(), self.start.yaw)?;
        finite("goal[0]".into(), self.goal[0])?;
        finite("goal[1]".into(), self.goal[1])?;
        for (i, c) in self.corridors.iter().enumerate() {
            if c.points.len() < 2 {
                return Err(bad(
                    format!("corridors[{i}].points"),
                    format!("needs at least two points, got {}", c.points.len()),
                ));
            }
            for (j, p) in c.points.iter().enumerate() {
                finite(format!("corridors[{i}].points[{j}][0]"), p[0])?;
                finite(format!("corridors[{i}].points[{j}][1]"), p[1])?;
            }
            positive(format!("corridors[{i}].width"), c.width)?;
            if let Some(h) = c.ceiling {
                positive(format!("corridors[{i}].ceiling"), h)?;
            }
        }
        for (i, o) in self.obstacles.iter().enumerate() {
            let key = |f: &str| format!("obstacles[{i}].{f}");
            finite(key("center[0]"), o.center[0])?;
            finite(key("center[1]"), o.center[1])?;
            positive(key("size[0]"), o.size[0])?;
            positive(key("size[1]"), o.size[1])?;
            finite(key("yaw"), o.yaw)?;
            if !(o.height.is_finite() && o.height >= 0.0) {
                return Err(bad(
                    key("height"),
                    format!("must be a non-negative number, got {}", o.height),
                ));
            }
        }
        for (i, v) in self.voids.iter().enumerate() {
            let key = |f: &str| format!("voids[{i}].{f}");
            finite(key("center[0]"), v.center[0])?;
            finite(key("center[1]"), v.center[1])?;
            positive(key("size[0]"), v.size[0])?;
            positive(key("size[1]"), v.size[1])?;
            finite(key("yaw"), v.yaw)?;
        }
        let (min, max) = self.bounds();
        let n = |lo: f32, hi: f32| ((hi - lo) / self.cell).ceil() as usize + 1;
        let vertices = n(min[0], max[0]).saturating_mul(n(min[1], max[1]));
        if vertices > MAX_GRID_VERTICES {
            return Err(bad(
                "cell",
                format!(
                    "the world spans {:.1} x {:.1} m: {vertices} grid vertices at this cell \
                     size, more than {MAX_GRID_VERTICES}",
                    max[0] - min[0],
                    max[1] - min[1]
                ),
            ));
        }
        Ok(())
    }

    /// The rectangle the world's grid covers, `(min, max)` corners (m): the corridors (or start
    /// and goal when there are none) with a margin.
    pub fn bounds(&self) -> ([f32; 2], [f32; 2]) {
        let mut min = [
            self.start.x.min(self.goal[0]),
            self.start.y.min(self.goal[1]),
        ];
        let mut max = [
            self.start.x.max(self.goal[0]),
            self.start.y.max(self.goal[1]),
        ];
        let mut grow = |p: [f32; 2], r: f32| {
            for a in 0..2 {
                min[a] = min[a].min(p[a] - r);
                max[a] = max[a].max(p[a] + r);
            }
        };
        let margin = if self.corridors.is_empty() { 1.0 } else { 0.3 };
        grow([self.start.x, self.start.y], margin);
        grow(self.goal, margin);
        for c in &self.corridors {
            for p in &c.points {
                grow(*p, 0.5 * c.width + margin);
            }
        }
        (min, max)
    }
}
