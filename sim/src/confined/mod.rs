//! Confined 3D worlds for legged navigation: tunnels with low ceilings, narrowings, bends and
//! voids (after Xu et al., "Dexterous Legged Locomotion in Confined 3D Spaces with
//! Reinforcement Learning", ICRA 2024), and the planner that finds a way through them.
//!
//! - [`WorldSpec`]: the world file format (TOML or JSON): corridors, obstacles, voids, start
//!   and goal. The generator writes the same structure.
//! - [`WorldGrid`]: the world rasterised into floor and ceiling heights; the Rapier
//!   heightfields and the planner's map are both made from it.
//! - [`generate`], [`WorldRanges`], [`test_set`]: seeded worlds by difficulty level and the
//!   held-out test set.
//! - [`Planner`]: A* over position and body height (crouching), with the robot's clearance.
//! - [`MazeSpec`]: seeded mazes with dead ends (the hard-exploration task of Go-Explore).

mod generator;
mod grid;
mod maze;
mod planner;
mod spec;
#[cfg(test)]
mod tests;

pub use generator::{
    GeneratedWorld, RobotSize, TEST_SEED_BASE, TEST_WORLDS, WorldRanges, WorldStats, generate,
    measure, near_centre_line, test_set,
};
pub use grid::{OPEN_CEILING, VOID_DEPTH, WorldGrid};
pub use maze::{Maze, MazeSpec};
pub use planner::{NoPath, Plan, Planner, PlannerConfig, Waypoint};
pub use spec::{
    Corridor, MAX_GRID_VERTICES, Obstacle, ObstacleShape, Pose2, Region, Side, WorldSpec,
};
