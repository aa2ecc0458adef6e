//! Seeded mazes in the confined-world format: a grid of junctions joined by corridors along a
//! random spanning tree (depth-first, so long dead ends), some under a low ceiling. The start is
//! one corner; the exit is the junction farthest from it along the tree. The hard-exploration
//! task of Go-Explore (`embody explore maze`) runs in these.

use super::generator::RobotSize;
use super::spec::{Corridor, Pose2, WorldSpec};
use crate::error::SimError;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// How a maze is drawn (`[env.maze]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MazeSpec {
    /// Seed of the spanning tree and of which corridors get a low ceiling.
    pub seed: u64,
    /// Junction rows (along y).
    pub rows: usize,
    /// Junction columns (along x).
    pub cols: usize,
    /// Distance between neighbouring junctions (m).
    pub spacing: f32,
    /// Corridor width as a multiple of the robot's standing width.
    pub width: f32,
    /// Ceiling of an ordinary corridor as a multiple of the robot's standing height.
    pub ceiling: f32,
    /// Ceiling of a low corridor (the robot must crouch) as a multiple of its standing height.
    pub low_ceiling: f32,
    /// Fraction of corridors with the low ceiling.
    pub low_fraction: f32,
}

impl Default for MazeSpec {
    fn default() -> Self {
        Self {
            seed: 7,
            rows: 4,
            cols: 5,
            spacing: 1.0,
            width: 1.8,
            ceiling: 1.4,
            low_ceiling: 0.85,
            low_fraction: 0.25,
        }
    }
}

/// A maze as a world, with its layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Maze {
    /// The world (start at junction 0, goal at the exit).
    pub world: WorldSpec,
    /// Junction positions `[x, y]` (m), row-major.
    pub junctions: Vec<[f32; 2]>,
    /// Corridors as junction index pairs (the spanning tree's edges).
    pub edges: Vec<(usize, usize)>,
    /// The exit junction.
    pub exit: usize,
    /// Length of the way from start to exit along the tree (m).
    pub solution_m: f32,
}

impl MazeSpec {
    /// Checks ranges; errors name the key under `prefix` (e.g. `env.maze`).
    pub fn validate(&self, prefix: &str) -> Result<(), SimError> {
        let bad = |key: &str, message: String| {
            Err(SimError::Config {
                key: format!("{prefix}.{key}"),
                message,
            })
        };
        if self.rows * self.cols < 2 || self.rows > 50 || self.cols > 50 {
            return bad(
                "rows",
                format!(
                    "rows x cols must be 2..=2500 junctions with each at most 50, got {} x {}",
                    self.rows, self.cols
                ),
            );
        }
        for (k, v) in [
            ("spacing", self.spacing),
            ("width", self.width),
            ("ceiling", self.ceiling),
            ("low_ceiling", self.low_ceiling),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return bad(k, format!("must be a positive number, got {v}"));
            }
        }
        if !(0.0..=1.0).contains(&self.low_fraction) {
            return bad(
                "low_fraction",
                format!("must lie in [0, 1], got {}", self.low_fraction),
            );
        }
        Ok(())
    }

    /// Draws the maze for a robot of `size`.
    pub fn build(&self, size: RobotSize) -> Maze {
        let (rows, cols) = (self.rows, self.cols);
        let n = rows * cols;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ 0x6d61_7a65);
        let junctions: Vec<[f32; 2]> = (0..n)
            .map(|i| {
                let (r, c) = (i / cols, i % cols);
                [c as f32 * self.spacing, r as f32 * self.spacing]
            })
            .collect();
        let neighbours = |i: usize| {
            let (r, c) = (i / cols, i % cols);
            let mut out = Vec::with_capacity(4);
            if r > 0 {
                out.push(i - cols);
            }
            if r + 1 < rows {
                out.push(i + cols);
            }
            if c > 0 {
                out.push(i - 1);
            }
            if c + 1 < cols {
                out.push(i + 1);
            }
            out
        };
        // Depth-first spanning tree (recursive backtracker): long corridors, many dead ends.
        let mut visited = vec![false; n];
        let mut stack = vec![0usize];
        visited[0] = true;
        let mut edges = Vec::with_capacity(n - 1);
        while let Some(&here) = stack.last() {
            let mut open: Vec<usize> = neighbours(here)
                .into_iter()
                .filter(|&j| !visited[j])
                .collect();
            if open.is_empty() {
                stack.pop();
                continue;
            }
            open.shuffle(&mut rng);
            let next = open[0];
            visited[next] = true;
            edges.push((here, next));
            stack.push(next);
        }
        // Tree distances from the start; the exit is the farthest junction.
        let mut adjacency = vec![Vec::new(); n];
        for &(a, b) in &edges {
            adjacency[a].push(b);
            adjacency[b].push(a);
        }
        let mut hops = vec![usize::MAX; n];
        hops[0] = 0;
        let mut queue = std::collections::VecDeque::from([0usize]);
        while let Some(i) = queue.pop_front() {
            for &j in &adjacency[i] {
                if hops[j] == usize::MAX {
                    hops[j] = hops[i] + 1;
                    queue.push_back(j);
                }
            }
        }
        let exit = (0..n).max_by_key(|&i| (hops[i], i)).unwrap_or(0);
        let width = self.width * size.width;
        let corridors = edges
            .iter()
            .map(|&(a, b)| {
                let low = rng.random::<f32>() < self.low_fraction;
                let factor = if low { self.low_ceiling } else { self.ceiling };
                Corridor {
                    points: vec![junctions[a], junctions[b]],
                    width,
                    ceiling: Some(factor * size.height),
                }
            })
            .collect();
        let first = adjacency[0].first().copied().unwrap_or(0);
        let (s, f) = (junctions[0], junctions[first]);
        let world = WorldSpec {
            name: format!(
                "maze {}x{} seed {} ({} corridors)",
                rows,
                cols,
                self.seed,
                edges.len()
            ),
            cell: 0.04,
            wall_height: 1.0,
            start: Pose2 {
                x: s[0],
                y: s[1],
                yaw: (f[1] - s[1]).atan2(f[0] - s[0]),
            },
            goal: junctions[exit],
            corridors,
            obstacles: Vec::new(),
            voids: Vec::new(),
        };
        Maze {
            world,
            junctions,
            edges,
            exit,
            solution_m: hops[exit] as f32 * self.spacing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZE: RobotSize = RobotSize {
        height: 0.36,
        width: 0.35,
    };

    #[test]
    fn a_maze_is_a_spanning_tree_with_its_exit_farthest_from_the_start() {
        let spec = MazeSpec::default();
        let maze = spec.build(SIZE);
        let n = spec.rows * spec.cols;
        assert_eq!(maze.edges.len(), n - 1, "a spanning tree has n - 1 edges");
        // Every edge joins grid neighbours.
        for &(a, b) in &maze.edges {
            let d = (a as isize - b as isize).unsigned_abs();
            assert!(
                d == 1 || d == spec.cols,
                "edge {a}-{b} is not between neighbours"
            );
        }
        // Dead ends: junctions with one corridor, other than start and exit.
        let mut degree = vec![0; n];
        for &(a, b) in &maze.edges {
            degree[a] += 1;
            degree[b] += 1;
        }
        let dead_ends = (1..n).filter(|&i| degree[i] == 1 && i != maze.exit).count();
        assert!(dead_ends >= 1, "no dead ends");
        assert!(maze.solution_m >= spec.spacing * (spec.rows.max(spec.cols) - 1) as f32);
        assert_eq!(maze.world.goal, maze.junctions[maze.exit]);
        maze.world.validate().expect("a maze is a valid world");
    }

    #[test]
    fn the_same_seed_draws_the_same_maze_and_another_seed_another() {
        let a = MazeSpec::default().build(SIZE);
        let b = MazeSpec::default().build(SIZE);
        assert_eq!(a, b);
        let c = MazeSpec {
            seed: 8,
            ..MazeSpec::default()
        }
        .build(SIZE);
        assert_ne!(a.edges, c.edges);
    }

    #[test]
    fn the_planner_finds_the_way_from_start_to_exit() {
        use crate::confined::{Planner, PlannerConfig, WorldGrid};
        let maze = MazeSpec::default().build(SIZE);
        let planner = Planner::new(
            WorldGrid::from_spec(&maze.world),
            PlannerConfig::for_body(&robots::BodyExtents {
                base_height: 0.30,
                height: 0.36,
                width: 0.35,
                length: 0.58,
                top_above_base: 0.06,
            }),
        );
        let s = maze.world.start;
        let plan = planner
            .plan([s.x, s.y], maze.world.goal)
            .expect("the exit is reachable");
        // Every waypoint lies in a corridor of the tree (the walls between corridors hold).
        let half = 0.5 * MazeSpec::default().width * SIZE.width;
        for w in &plan.waypoints {
            let inside = maze.edges.iter().any(|&(a, b)| {
                crate::confined::near_centre_line(
                    &[maze.junctions[a], maze.junctions[b]],
                    [w.x, w.y],
                    half + 0.02,
                )
            });
            assert!(inside, "waypoint ({}, {}) outside every corridor", w.x, w.y);
        }
        // Along the tree's path; corners cut within the corridors' width (about 0.25 m at
        // each of its turns) make it shorter.
        assert!(
            plan.length_m > 0.7 * maze.solution_m && plan.length_m < maze.solution_m + 0.5,
            "plan {} m, tree path {} m",
            plan.length_m,
            maze.solution_m
        );
    }

    #[test]
    fn bad_maze_settings_name_the_key() {
        let e = MazeSpec {
            spacing: -1.0,
            ..MazeSpec::default()
        }
        .validate("env.maze")
        .unwrap_err();
        assert!(e.to_string().contains("env.maze.spacing"), "{e}");
        let e = MazeSpec {
            rows: 1,
            cols: 1,
            ..MazeSpec::default()
        }
        .validate("env.maze")
        .unwrap_err();
        assert!(e.to_string().contains("env.maze.rows"), "{e}");
    }
}
