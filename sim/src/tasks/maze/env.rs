//! The maze env: one maze step = a direction -> waypoints -> `skill_steps` steps of the walking
//! skill in the confined-navigation env underneath.

use super::config::MazeConfig;
use super::skill::Skill;
use crate::confined::{Maze, WorldGrid};
use crate::env::{CellFeatures, Env, StepInfo, StepOutcome};
use crate::error::SimError;
use crate::tasks::confined_nav::{
    ConfinedNavConfig, ConfinedNavEnv, ConfinedNavSnapshot, Strategy,
};
use rapier3d::prelude::Vec3;
use robots::RobotSpec;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The cell features a maze env reports: base position `x`, `y` (m), base height above the
/// floor `z` (m), `heading` (rad, in `[0, 2 pi)`), and `exit` (1 once the exit is reached).
pub const MAZE_CELL_FEATURES: &[&str] = &["x", "y", "z", "heading", "exit"];

/// Observation entries before the wall rays: position relative to the start (m / 5), heading
/// (cos, sin), base height above the floor minus the nominal one (x5), base velocity in the
/// heading frame (m/s, 2) and yaw rate (rad/s).
const POSE_OBS: usize = 8;

/// A legged robot looking for the exit of a maze, rewarded only there.
pub struct MazeEnv {
    nav: ConfinedNavEnv,
    skill: Box<dyn Skill>,
    config: MazeConfig,
    maze: Arc<Maze>,
    /// The skill's current observation (the nav env's).
    low_obs: Vec<f32>,
    low_action: Vec<f32>,
    /// Maze steps this episode.
    steps: u32,
    max_steps: u32,
    /// Steps of the skill so far, all episodes.
    skill_steps_total: u64,
    /// Ray directions in the heading frame.
    rays: Vec<[f32; 2]>,
    /// Episodes of this env that reached the exit (all episodes so far).
    exits: u32,
}

/// The complete state of a [`MazeEnv`]: the navigation env's (physics, RNG, clocks), the
/// skill's observation and the episode's step count. The skill is stateless.
#[derive(Clone, Serialize, Deserialize)]
pub struct MazeSnapshot {
    nav: ConfinedNavSnapshot,
    low_obs: Vec<f32>,
    steps: u32,
    #[serde(default)]
    exits: u32,
}

impl MazeEnv {
    /// A maze env for robot `spec` with walking settings `walking` (the skill's own `[env]`,
    /// a confined-navigation config), maze settings `config`, the walking `skill`, and RNG seed
    /// `seed` (use `seed ^ env_id`). Errors name the key when the skill does not fit the robot.
    pub fn new(
        spec: Arc<RobotSpec>,
        walking: &ConfinedNavConfig,
        config: MazeConfig,
        skill: Box<dyn Skill>,
        seed: u64,
    ) -> Result<Self, SimError> {
        config.validate()?;
        let mut nav_config = walking.clone();
        nav_config.strategy = Strategy::Commanded;
        nav_config.world = None;
        nav_config.goal_radius = config.goal_radius;
        // The maze keeps time; the walking env must not end the episode first (nor start one
        // part-way through its clock after a reseed, as legged_gym spreads episodes).
        nav_config.episode_s = config.episode_s + 10.0;
        nav_config.locomotion.random_episode_start = false;
        if !config.sim_noise {
            nav_config.locomotion.noise.level = 0.0;
            nav_config.locomotion.friction_range = [1.0, 1.0];
            nav_config.locomotion.push_interval_s = 0.0;
        }
        let mut nav = ConfinedNavEnv::new(spec, nav_config, seed)?;
        if skill.obs_dim() != nav.obs_dim() || skill.act_dim() != nav.action_dim() {
            return Err(SimError::Config {
                key: "env.skill".into(),
                message: format!(
                    "'{}' reads {} observations and writes {} actions; the walking env has {} \
                     and {} (a hierarchical confined-nav policy for this robot is needed)",
                    config.skill,
                    skill.obs_dim(),
                    skill.act_dim(),
                    nav.obs_dim(),
                    nav.action_dim()
                ),
            });
        }
        let maze = Arc::new(config.maze.build(nav.robot_size()));
        nav.set_world_spec(maze.world.clone());
        let dt = walking.locomotion.physics.control_dt;
        let max_steps = (config.episode_s / (dt * config.skill_steps as f32)).round() as u32;
        let rays = (0..config.rays)
            .map(|i| {
                let a = std::f32::consts::TAU * i as f32 / config.rays as f32;
                [a.cos(), a.sin()]
            })
            .collect();
        Ok(Self {
            low_obs: vec![0.0; nav.obs_dim()],
            low_action: vec![0.0; nav.action_dim()],
            nav,
            skill,
            config,
            maze,
            steps: 0,
            max_steps: max_steps.max(1),
            skill_steps_total: 0,
            rays,
            exits: 0,
        })
    }

    /// The maze (world, junctions, corridors, exit).
    pub fn maze(&self) -> &Maze {
        &self.maze
    }

    /// The navigation env underneath (the robot, the world, the path being walked).
    pub fn nav(&self) -> &ConfinedNavEnv {
        &self.nav
    }

    /// Control steps of the skill so far, all episodes: the simulator's own step count.
    pub fn skill_steps_total(&self) -> u64 {
        self.skill_steps_total
    }

    /// Maze steps in an episode.
    pub fn max_steps(&self) -> u32 {
        self.max_steps
    }

    /// Maze steps this episode so far.
    pub fn steps(&self) -> u32 {
        self.steps
    }

    fn grid(&self) -> Option<&WorldGrid> {
        self.nav.grid()
    }

    /// The base height above the floor to hold at `(x, y)`: the highest of the planner's body
    /// heights the ceiling there leaves room for, capped at standing.
    fn base_height_at(&self, grid: &WorldGrid, x: f32, y: f32) -> f32 {
        let pc = self.nav.planner_config();
        let room = grid.ceiling_at(x, y) - grid.floor_at(x, y) - pc.head_margin;
        let body = pc
            .body_heights
            .iter()
            .copied()
            .find(|&h| h <= room)
            .or_else(|| pc.body_heights.last().copied())
            .unwrap_or(0.0);
        (body - pc.top_above_base).min(self.nav.nominal_height())
    }

    /// Turns a maze action into waypoints from the base and hands them to the walking env.
    fn command(&mut self, action: &[f32]) {
        let base = self.nav.locomotion().world().base_state();
        let p = [base.pos_w.x, base.pos_w.y];
        let (mut dx, mut dy) = (
            action.first().copied().unwrap_or(0.0),
            action.get(1).copied().unwrap_or(0.0),
        );
        if !(dx.is_finite() && dy.is_finite()) {
            (dx, dy) = (0.0, 0.0);
        }
        let norm = (dx * dx + dy * dy).sqrt();
        if norm > 1.0 {
            (dx, dy) = (dx / norm, dy / norm);
        }
        let mut path = Vec::with_capacity(self.config.subgoals);
        let mut heights = Vec::with_capacity(self.config.subgoals);
        if norm >= self.config.dead_zone
            && let Some(grid) = self.grid()
        {
            for k in 1..=self.config.subgoals {
                let s = self.config.subgoal_spacing * k as f32;
                let q = [p[0] + dx * s, p[1] + dy * s];
                // The lowest ceiling between the last point and this one.
                let back = s - 0.5 * self.config.subgoal_spacing;
                let mid = [p[0] + dx * back, p[1] + dy * back];
                let h = self
                    .base_height_at(grid, q[0], q[1])
                    .min(self.base_height_at(grid, mid[0], mid[1]))
                    .min(self.base_height_at(grid, p[0], p[1]));
                path.push(q);
                heights.push(h);
            }
        }
        self.nav.set_path(&path, &heights, &mut self.low_obs);
    }

    /// Writes the maze observation: pose, velocities and wall rays.
    fn observe(&self, obs: &mut [f32]) {
        let base = self.nav.locomotion().world().base_state();
        let start = self.maze.world.start;
        let (x, y) = (base.pos_w.x, base.pos_w.y);
        let heading = base.rot_w * Vec3::X;
        let yaw = heading.y.atan2(heading.x);
        let (s, c) = yaw.sin_cos();
        let grid = self.grid();
        let floor = grid.map_or(0.0, |g| g.floor_at(x, y).max(-0.05));
        let v = base.lin_vel_w;
        obs[0] = (x - start.x) / 5.0;
        obs[1] = (y - start.y) / 5.0;
        obs[2] = c;
        obs[3] = s;
        obs[4] = 5.0 * (base.pos_w.z - floor - self.nav.nominal_height());
        obs[5] = (c * v.x + s * v.y).clamp(-3.0, 3.0);
        obs[6] = (-s * v.x + c * v.y).clamp(-3.0, 3.0);
        obs[7] = base.ang_vel_w.z.clamp(-5.0, 5.0);
        let reach = self.config.ray_reach;
        for (i, r) in self.rays.iter().enumerate() {
            let d = [c * r[0] - s * r[1], s * r[0] + c * r[1]];
            let free = grid.map_or(reach, |g| ray_free(g, [x, y], d, reach, self.lowest_room()));
            obs[POSE_OBS + i] = free / reach;
        }
    }

    /// The least room under the ceiling the robot fits through, crouched (m).
    fn lowest_room(&self) -> f32 {
        let pc = self.nav.planner_config();
        pc.body_heights.last().copied().unwrap_or(0.0) + pc.head_margin
    }
}

/// Free distance from `p` along unit direction `d` before a wall, a step up or a ceiling lower
/// than `room` (m, at most `reach`; 5 cm resolution).
fn ray_free(grid: &WorldGrid, p: [f32; 2], d: [f32; 2], reach: f32, room: f32) -> f32 {
    let step = 0.05;
    let mut t = step;
    while t <= reach {
        let (x, y) = (p[0] + d[0] * t, p[1] + d[1] * t);
        let floor = grid.floor_at(x, y);
        if floor > 0.05 || grid.ceiling_at(x, y) - floor < room {
            return t - step;
        }
        t += step;
    }
    reach
}

impl Env for MazeEnv {
    type Snapshot = MazeSnapshot;

    fn obs_dim(&self) -> usize {
        POSE_OBS + self.rays.len()
    }

    fn action_dim(&self) -> usize {
        2
    }

    fn reseed(&mut self, seed: u64) {
        self.nav.reseed(seed);
    }

    fn reset(&mut self, obs: &mut [f32]) {
        self.nav.reset(&mut self.low_obs);
        self.steps = 0;
        self.observe(obs);
    }

    fn reset_to_state(
        &mut self,
        state: &crate::scene::ArticulationState,
        obs: &mut [f32],
    ) -> Result<(), SimError> {
        self.nav.reset_to_state(state, &mut self.low_obs)?;
        self.steps = 0;
        self.observe(obs);
        Ok(())
    }

    fn step(&mut self, action: &[f32], obs: &mut [f32]) -> StepOutcome {
        self.command(action);
        let mut ended = false;
        for _ in 0..self.config.skill_steps {
            self.skill.act(&self.low_obs, &mut self.low_action);
            let out = self.nav.step(&self.low_action, &mut self.low_obs);
            self.skill_steps_total += 1;
            if out.terminated || out.truncated {
                ended = true;
                break;
            }
        }
        self.steps += 1;
        self.observe(obs);
        let e = self.nav.episode();
        let terminated = e.reached_goal || e.fell;
        self.exits += u32::from(e.reached_goal);
        StepOutcome {
            reward: if e.reached_goal { 1.0 } else { 0.0 },
            terminated,
            truncated: !terminated && (self.steps >= self.max_steps || ended),
        }
    }

    fn snapshot(&self) -> MazeSnapshot {
        MazeSnapshot {
            nav: self.nav.snapshot(),
            low_obs: self.low_obs.clone(),
            steps: self.steps,
            exits: self.exits,
        }
    }

    fn restore(&mut self, s: &MazeSnapshot) {
        self.nav.restore(&s.nav);
        self.low_obs.clone_from(&s.low_obs);
        self.steps = s.steps;
        self.exits = s.exits;
    }

    fn step_info(&self) -> StepInfo {
        let e = self.nav.episode();
        StepInfo {
            fall: Some(e.fell),
            success: Some(e.reached_goal),
        }
    }

    fn curriculum_levels(&self) -> Vec<(&'static str, f32)> {
        // Not a curriculum: the count of exits reached, so a run's metrics.csv shows whether
        // any training episode found the exit (its mean over envs times the env count).
        vec![("exits_reached", self.exits as f32)]
    }

    fn drain_reward_terms(&mut self) -> (Vec<(&'static str, f32)>, u32) {
        // The walking env's terms are the skill's training signal, not this task's reward.
        let _ = self.nav.drain_reward_terms();
        (Vec::new(), 0)
    }
}

impl CellFeatures for MazeEnv {
    fn cell_feature_names(&self) -> &'static [&'static str] {
        MAZE_CELL_FEATURES
    }

    fn cell_features(&self, out: &mut [f32]) {
        let base = self.nav.locomotion().world().base_state();
        let (x, y) = (base.pos_w.x, base.pos_w.y);
        let heading = base.rot_w * Vec3::X;
        let floor = self.grid().map_or(0.0, |g| g.floor_at(x, y).max(-0.05));
        out[0] = x;
        out[1] = y;
        out[2] = base.pos_w.z - floor;
        out[3] = heading.y.atan2(heading.x).rem_euclid(std::f32::consts::TAU);
        out[4] = if self.nav.episode().reached_goal {
            1.0
        } else {
            0.0
        };
    }
}
