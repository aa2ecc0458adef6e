//! The confined-space planner: A* (the `pathfinding` crate) over the robot's position and body
//! height on a [`WorldGrid`].
//!
//! A search state is a grid vertex and a body-height level (the height of the body's top above
//! the floor: standing, then lower crouches). A state is free when, within the clearance radius
//! (half the body width) around the vertex, no floor rises more than a step or drops more than
//! a step below the vertex's floor (walls, voids, tall blocks), and every ceiling clears the
//! body's top by the head margin. Moving costs its length, more when crouched; changing level
//! costs a little, so the plan stands wherever it can. The free-space test is precomputed once
//! per world ([`Planner::new`]): what remains per (re)plan is the search.

use super::grid::{VOID_DEPTH, WorldGrid};
use pathfinding::directed::astar::astar;
use robots::BodyExtents;
use serde::{Deserialize, Serialize};

/// What the planner assumes about the robot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlannerConfig {
    /// Horizontal clearance around the path (m): half the body width the robot can squeeze to.
    pub clearance_radius: f32,
    /// Heights of the body's top above the floor it may move at (m), highest (standing) first.
    pub body_heights: Vec<f32>,
    /// The body's top above its base (m): a waypoint's base height is its body height minus
    /// this.
    pub top_above_base: f32,
    /// Room kept between the body's top and the ceiling (m).
    pub head_margin: f32,
    /// Largest floor rise within the clearance radius the robot steps over (m).
    pub max_step: f32,
    /// Largest floor drop within the clearance radius (m): deeper is a void.
    pub max_drop: f32,
    /// Extra cost per metre at the lowest level, relative to standing (0.5: a metre crouched
    /// costs 1.5); levels between scale linearly.
    pub crouch_cost: f32,
    /// Cost of changing body height by one level (m of walking).
    pub level_change_cost: f32,
    /// Distance between waypoints along the path (m).
    pub waypoint_spacing: f32,
    /// How far from a blocked start the planner looks for a free state (m): a robot that
    /// strayed against a wall still gets a plan.
    pub snap_radius: f32,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        Self::for_body(&BodyExtents {
            base_height: 0.30,
            height: 0.36,
            width: 0.30,
            length: 0.50,
            top_above_base: 0.06,
        })
    }
}

impl PlannerConfig {
    /// Settings for a robot of these extents: clearance radius half its width, body heights
    /// from standing down to 0.6 of it in five levels.
    pub fn for_body(body: &BodyExtents) -> Self {
        let h = body.height as f32;
        Self {
            clearance_radius: 0.5 * body.width as f32,
            body_heights: [1.0, 0.9, 0.8, 0.7, 0.6].iter().map(|f| f * h).collect(),
            top_above_base: body.top_above_base as f32,
            head_margin: 0.01,
            max_step: 0.08,
            max_drop: 0.08,
            crouch_cost: 0.5,
            level_change_cost: 0.05,
            waypoint_spacing: 0.3,
            snap_radius: 0.3,
        }
    }

    /// Checks the settings; errors name the key under `planner.`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let err = |k: &str, m: String| Err((format!("planner.{k}"), m));
        let positive = [
            ("clearance_radius", self.clearance_radius),
            ("waypoint_spacing", self.waypoint_spacing),
        ];
        for (k, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return err(k, format!("must be a positive number, got {v}"));
            }
        }
        let non_negative = [
            ("top_above_base", self.top_above_base),
            ("head_margin", self.head_margin),
            ("max_step", self.max_step),
            ("max_drop", self.max_drop),
            ("crouch_cost", self.crouch_cost),
            ("level_change_cost", self.level_change_cost),
            ("snap_radius", self.snap_radius),
        ];
        for (k, v) in non_negative {
            if !(v.is_finite() && v >= 0.0) {
                return err(k, format!("must be a non-negative number, got {v}"));
            }
        }
        if self.body_heights.is_empty() || self.body_heights.len() > 16 {
            return err("body_heights", "needs 1 to 16 heights".into());
        }
        if !self
            .body_heights
            .windows(2)
            .all(|w| w[0].is_finite() && w[1] < w[0])
            || !self.body_heights.iter().all(|h| h.is_finite() && *h > 0.0)
        {
            return err(
                "body_heights",
                format!(
                    "must be positive and decreasing (standing first), got {:?}",
                    self.body_heights
                ),
            );
        }
        Ok(())
    }
}

/// One point of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Waypoint {
    /// x (m).
    pub x: f32,
    /// y (m).
    pub y: f32,
    /// Floor height under it (m).
    pub floor_z: f32,
    /// Height of the body's top above the floor to pass here (m).
    pub body_height: f32,
    /// Base height above the floor that gives that body height (m).
    pub base_height: f32,
    /// Heading of travel here (rad).
    pub yaw: f32,
}

/// A path from start to goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Waypoints, about [`PlannerConfig::waypoint_spacing`] apart; the last is the goal.
    pub waypoints: Vec<Waypoint>,
    /// Path length (m).
    pub length_m: f32,
    /// Search states expanded.
    pub expanded: usize,
}

/// Why there is no plan.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum NoPath {
    /// The start or the goal lies outside the world's grid.
    #[error("no path: the {which} ({x:.2}, {y:.2}) lies outside the world")]
    OutsideWorld {
        /// `start` or `goal`.
        which: &'static str,
        /// x (m).
        x: f32,
        /// y (m).
        y: f32,
    },
    /// No free state near the start.
    #[error("no path: the start ({x:.2}, {y:.2}) has no room for the robot")]
    StartBlocked {
        /// x (m).
        x: f32,
        /// y (m).
        y: f32,
    },
    /// The goal lies in a wall, a void or an obstacle, or has no room for the robot.
    #[error("no path: the goal ({x:.2}, {y:.2}) lies in an obstacle or has no room for the robot")]
    GoalBlocked {
        /// x (m).
        x: f32,
        /// y (m).
        y: f32,
    },
    /// Start and goal are free but not connected.
    #[error("no path: the goal is not reachable from the start ({expanded} states searched)")]
    Unreachable {
        /// Search states expanded before giving up.
        expanded: usize,
    },
}

/// A search state: vertex and body-height level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct State {
    ix: u32,
    iy: u32,
    level: u8,
}

/// Plans on one world; build once per world, then plan as often as the robot needs.
#[derive(Debug, Clone)]
pub struct Planner {
    grid: WorldGrid,
    config: PlannerConfig,
    /// Head room per vertex (m): the lowest ceiling within the clearance radius above the
    /// vertex's floor; `-inf` where the floor within the radius is not walkable from it.
    room: Vec<f32>,
}

/// Cost units per metre (A* wants integer costs).
const COST_PER_M: f32 = 10_000.0;

impl Planner {
    /// Precomputes the free-space test of every vertex.
    pub fn new(grid: WorldGrid, config: PlannerConfig) -> Self {
        let r = config.clearance_radius / grid.cell;
        let reach = r.floor() as i64;
        let disk: Vec<(i64, i64)> = (-reach..=reach)
            .flat_map(|dy| (-reach..=reach).map(move |dx| (dx, dy)))
            .filter(|(dx, dy)| ((dx * dx + dy * dy) as f32) <= r * r + 1e-4)
            .collect();
        let (nx, ny) = (grid.nx as i64, grid.ny as i64);
        let mut room = vec![f32::NEG_INFINITY; grid.nx * grid.ny];
        for iy in 0..ny {
            for ix in 0..nx {
                let f0 = grid.floor[(iy * nx + ix) as usize];
                // Walls and the bottoms of voids are never places to stand.
                if f0 >= grid.wall_height - 1e-3 || f0 <= 1e-3 - VOID_DEPTH {
                    continue;
                }
                let mut lowest_ceiling = f32::INFINITY;
                let mut free = true;
                for (dx, dy) in &disk {
                    let (x, y) = (ix + dx, iy + dy);
                    if x < 0 || y < 0 || x >= nx || y >= ny {
                        free = false;
                        break;
                    }
                    let i = (y * nx + x) as usize;
                    let f = grid.floor[i];
                    if f > f0 + config.max_step || f < f0 - config.max_drop {
                        free = false;
                        break;
                    }
                    lowest_ceiling = lowest_ceiling.min(grid.ceiling[i]);
                }
                if free {
                    room[(iy * nx + ix) as usize] = lowest_ceiling - f0;
                }
            }
        }
        Self { grid, config, room }
    }

    /// The world's grid.
    pub fn grid(&self) -> &WorldGrid {
        &self.grid
    }

    /// The settings.
    pub fn config(&self) -> &PlannerConfig {
        &self.config
    }

    fn free(&self, ix: u32, iy: u32, level: u8) -> bool {
        let room = self.room[self.grid.index(ix as usize, iy as usize)];
        room >= self.config.body_heights[level as usize] + self.config.head_margin
    }

    /// The highest free level at a vertex.
    fn best_level(&self, ix: u32, iy: u32) -> Option<u8> {
        (0..self.config.body_heights.len() as u8).find(|&l| self.free(ix, iy, l))
    }

    /// The free vertex nearest `(x, y)` within `radius` m, with its highest free level.
    fn snap(&self, x: f32, y: f32, radius: f32) -> Option<(u32, u32, u8)> {
        let (cx, cy) = self.grid.nearest(x, y)?;
        let reach = (radius / self.grid.cell).ceil() as i64;
        let mut best: Option<(f32, (u32, u32, u8))> = None;
        for dy in -reach..=reach {
            for dx in -reach..=reach {
                let (ix, iy) = (cx as i64 + dx, cy as i64 + dy);
                if ix < 0 || iy < 0 || ix >= self.grid.nx as i64 || iy >= self.grid.ny as i64 {
                    continue;
                }
                let p = self.grid.position(ix as usize, iy as usize);
                let d2 = (p[0] - x).powi(2) + (p[1] - y).powi(2);
                if d2 > radius * radius + 1e-6 {
                    continue;
                }
                if let Some(level) = self.best_level(ix as u32, iy as u32)
                    && best.is_none_or(|(b, _)| d2 < b)
                {
                    best = Some((d2, (ix as u32, iy as u32, level)));
                }
            }
        }
        best.map(|(_, s)| s)
    }

    fn step_factor(&self, level: u8) -> f32 {
        let h = &self.config.body_heights;
        let lowest = h[h.len() - 1];
        let span = (h[0] - lowest).max(1e-6);
        1.0 + self.config.crouch_cost * (h[0] - h[level as usize]) / span
    }

    /// Plans from `from` to `goal` (`[x, y]`, m). A start without room (a robot pressed
    /// against a wall) snaps to the nearest free state within [`PlannerConfig::snap_radius`];
    /// the goal snaps by at most one grid cell.
    pub fn plan(&self, from: [f32; 2], goal: [f32; 2]) -> Result<Plan, NoPath> {
        let outside = |which, p: [f32; 2]| NoPath::OutsideWorld {
            which,
            x: p[0],
            y: p[1],
        };
        self.grid
            .nearest(from[0], from[1])
            .ok_or(outside("start", from))?;
        self.grid
            .nearest(goal[0], goal[1])
            .ok_or(outside("goal", goal))?;
        let (sx, sy, sl) =
            self.snap(from[0], from[1], self.config.snap_radius)
                .ok_or(NoPath::StartBlocked {
                    x: from[0],
                    y: from[1],
                })?;
        let (gx, gy, _) =
            self.snap(goal[0], goal[1], self.grid.cell * 1.5)
                .ok_or(NoPath::GoalBlocked {
                    x: goal[0],
                    y: goal[1],
                })?;
        let start = State {
            ix: sx,
            iy: sy,
            level: sl,
        };
        let cell = self.grid.cell;
        let levels = self.config.body_heights.len() as u8;
        let change = (self.config.level_change_cost * COST_PER_M).round() as u32;
        let goal_pos = self.grid.position(gx as usize, gy as usize);
        let mut expanded = 0usize;
        let result = astar(
            &start,
            |s| {
                expanded += 1;
                let mut next = Vec::with_capacity(10);
                for (dx, dy) in [
                    (1i64, 0i64),
                    (-1, 0),
                    (0, 1),
                    (0, -1),
                    (1, 1),
                    (1, -1),
                    (-1, 1),
                    (-1, -1),
                ] {
                    let (x, y) = (s.ix as i64 + dx, s.iy as i64 + dy);
                    if x < 0 || y < 0 || x >= self.grid.nx as i64 || y >= self.grid.ny as i64 {
                        continue;
                    }
                    let (x, y) = (x as u32, y as u32);
                    if !self.free(x, y, s.level) {
                        continue;
                    }
                    let len = if dx != 0 && dy != 0 {
                        std::f32::consts::SQRT_2 * cell
                    } else {
                        cell
                    };
                    let cost = (len * self.step_factor(s.level) * COST_PER_M).round() as u32;
                    next.push((
                        State {
                            ix: x,
                            iy: y,
                            level: s.level,
                        },
                        cost,
                    ));
                }
                for level in [s.level.wrapping_sub(1), s.level + 1] {
                    if level < levels && self.free(s.ix, s.iy, level) {
                        next.push((State { level, ..*s }, change));
                    }
                }
                next
            },
            |s| {
                let p = self.grid.position(s.ix as usize, s.iy as usize);
                let d = ((p[0] - goal_pos[0]).powi(2) + (p[1] - goal_pos[1]).powi(2)).sqrt();
                // Slightly under the true distance, so rounding never makes it inadmissible.
                (d * COST_PER_M * 0.999) as u32
            },
            |s| s.ix == gx && s.iy == gy,
        );
        let Some((path, _cost)) = result else {
            return Err(NoPath::Unreachable { expanded });
        };
        Ok(self.waypoints(&path, expanded))
    }

    /// Resamples a state path into waypoints about `waypoint_spacing` apart, keeping every
    /// change of body height.
    fn waypoints(&self, path: &[State], expanded: usize) -> Plan {
        let c = &self.config;
        let point = |s: &State| {
            let [x, y] = self.grid.position(s.ix as usize, s.iy as usize);
            let h = c.body_heights[s.level as usize];
            Waypoint {
                x,
                y,
                floor_z: self.grid.floor[self.grid.index(s.ix as usize, s.iy as usize)],
                body_height: h,
                base_height: (h - c.top_above_base).max(0.0),
                yaw: 0.0,
            }
        };
        let mut kept: Vec<Waypoint> = Vec::new();
        let mut length = 0.0f32;
        let mut since = 0.0f32;
        for (i, s) in path.iter().enumerate() {
            let p = point(s);
            if i > 0 {
                let q = point(&path[i - 1]);
                let d = ((p.x - q.x).powi(2) + (p.y - q.y).powi(2)).sqrt();
                length += d;
                since += d;
            }
            // A run of level changes at one vertex keeps only its final height: from that
            // waypoint on, the body holds that height (A* crouches at the last vertex before a
            // low ceiling and stands up at the first one after it).
            let level_changes = path
                .get(i + 1)
                .is_some_and(|n| n.level != s.level && n.ix == s.ix && n.iy == s.iy);
            if level_changes {
                continue;
            }
            let first = i == 0;
            let last = i + 1 == path.len();
            let height_differs = kept
                .last()
                .is_some_and(|k| (k.body_height - p.body_height).abs() > 1e-6);
            if first || last || since >= c.waypoint_spacing - 1e-6 || height_differs {
                kept.push(p);
                since = 0.0;
            }
        }
        for i in 0..kept.len() {
            let (a, b) = if i + 1 < kept.len() {
                (kept[i], kept[i + 1])
            } else if i > 0 {
                (kept[i - 1], kept[i])
            } else {
                (kept[i], kept[i])
            };
            kept[i].yaw = (b.y - a.y).atan2(b.x - a.x);
        }
        Plan {
            waypoints: kept,
            length_m: length,
            expanded,
        }
    }
}
