//! One legged robot crossing a confined world to a goal: the locomotion task's robot, gait,
//! proprioception and height scan, in a world of floor and ceiling heightfields, steered by the
//! planner's waypoints (or, end to end, by the goal alone).

use super::config::{ConfinedNavConfig, Strategy};
use super::pursuit::{command_towards, point_ahead};
use crate::confined::{
    GeneratedWorld, Planner, PlannerConfig, RobotSize, TEST_SEED_BASE, WorldGrid, WorldSpec,
    generate,
};
use crate::env::{Env, StepInfo, StepOutcome};
use crate::error::SimError;
use crate::tasks::locomotion::{LocomotionEnv, LocomotionSnapshot};
use crate::terrain::Terrain;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rapier3d::prelude::{ColliderHandle, Vec3};
use robots::RobotSpec;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Observation entries per waypoint: `dx, dy` in the heading frame (m, clipped to +-2) and the
/// waypoint's base height minus the nominal one (x5).
pub const WAYPOINT_OBS: usize = 3;
/// Observation entries of the goal: `dx, dy` in the heading frame (m / 5, clipped to +-1).
pub const GOAL_OBS: usize = 2;

/// The world an episode runs in, with its planner.
#[derive(Clone)]
struct EpisodeWorld {
    spec: WorldSpec,
    /// The generator's seed (`None` for a world file or a world set by hand).
    seed: Option<u64>,
    planner: Arc<Planner>,
}

/// What an episode did, for evaluation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct NavEpisode {
    /// Reached the goal.
    pub reached_goal: bool,
    /// Fell (base on the floor, tipped over, into a void, or a blown-up state).
    pub fell: bool,
    /// Control steps so far.
    pub steps: u32,
    /// Times a body part other than a foot began touching a wall or the ceiling.
    pub collisions: u32,
    /// Distance the base travelled in the ground plane (m).
    pub travelled_m: f32,
    /// Plans made after the first (the robot strayed).
    pub replans: u32,
    /// Distance left to the goal at the start (along the plan, or straight).
    pub start_distance_m: f32,
    /// Distance left to the goal now.
    pub distance_m: f32,
}

/// Sums of the navigation reward terms (weighted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
struct NavTerms {
    progress: f32,
    waypoint: f32,
    goal: f32,
    stall: f32,
    collision: f32,
    base_height: f32,
}

/// A legged robot asked to reach a goal through a confined world.
pub struct ConfinedNavEnv {
    inner: LocomotionEnv,
    config: ConfinedNavConfig,
    size: RobotSize,
    planner_config: PlannerConfig,
    /// A fixed world (a world file, or one set for evaluation); `None`: generated worlds.
    fixed: Option<EpisodeWorld>,
    world: Option<EpisodeWorld>,
    /// Draws worlds (separate from the locomotion env's stream).
    rng: ChaCha8Rng,
    level: usize,
    /// The path being followed: waypoint positions and base heights above the floor.
    path: Vec<[f32; 2]>,
    base_heights: Vec<f32>,
    /// Index of the waypoint being walked to.
    next: usize,
    best_distance: f32,
    steps_since_best: u32,
    last_xy: [f32; 2],
    touching: bool,
    episode: NavEpisode,
    terms: NavTerms,
    term_steps: u32,
    nominal_height: f32,
    dt: f32,
    inner_dim: usize,
    /// Base colliders (wall contact), and every collider but the feet and calves (walls) or
    /// the feet (ceiling).
    base: Vec<ColliderHandle>,
    against_walls: Vec<ColliderHandle>,
    against_ceiling: Vec<ColliderHandle>,
    scan_points: Vec<[f32; 2]>,
}

impl ConfinedNavEnv {
    /// A confined-navigation env for `spec` with RNG seed `seed` (use `seed ^ env_id`).
    pub fn new(
        spec: Arc<RobotSpec>,
        config: ConfinedNavConfig,
        seed: u64,
    ) -> Result<Self, SimError> {
        config.validate()?;
        let body = robots::body_extents(&spec).ok_or_else(|| SimError::Config {
            key: "env.locomotion.robot".into(),
            message: "the robot has no collision primitives to size the planner by".into(),
        })?;
        let fixed = match &config.world {
            Some(path) => {
                let path = std::path::Path::new(path);
                let spec = WorldSpec::from_file(path)?;
                Some(Self::episode_world(
                    spec,
                    None,
                    &PlannerConfig::for_body(&body),
                ))
            }
            None => None,
        };
        let inner = LocomotionEnv::new(spec.clone(), Terrain::flat(), config.walking(), seed)?;
        let inner_dim = inner.obs_dim();
        let world = inner.world();
        let feet: Vec<&str> = spec.feet.iter().map(|f| f.name.as_str()).collect();
        let links: Vec<String> = spec
            .bodies
            .iter()
            .flat_map(|b| b.links.iter().map(|(l, _)| l.clone()))
            .collect();
        let not_feet: Vec<String> = links
            .iter()
            .filter(|l| !feet.contains(&l.as_str()))
            .cloned()
            .collect();
        let walls: Vec<String> = not_feet
            .iter()
            .filter(|l| !l.contains("calf"))
            .cloned()
            .collect();
        let base = world.colliders_of_links(&spec.terminate_contacts);
        let against_walls = world.colliders_of_links(&walls);
        let against_ceiling = world.colliders_of_links(&not_feet);
        let scan = &config.ceiling_scan;
        let scan_points = scan
            .x
            .iter()
            .flat_map(|&x| scan.y.iter().map(move |&y| [x, y]))
            .collect();
        Ok(Self {
            dt: config.locomotion.physics.control_dt,
            level: 0,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x6e61_7669_6761_7465),
            planner_config: PlannerConfig::for_body(&body),
            size: RobotSize::from(&body),
            nominal_height: body.base_height as f32,
            fixed,
            world: None,
            path: Vec::new(),
            base_heights: Vec::new(),
            next: 0,
            best_distance: 0.0,
            steps_since_best: 0,
            last_xy: [0.0; 2],
            touching: false,
            episode: NavEpisode::default(),
            terms: NavTerms::default(),
            term_steps: 0,
            inner_dim,
            base,
            against_walls,
            against_ceiling,
            scan_points,
            inner,
            config,
        })
    }

    fn episode_world(spec: WorldSpec, seed: Option<u64>, planner: &PlannerConfig) -> EpisodeWorld {
        let grid = WorldGrid::from_spec(&spec);
        EpisodeWorld {
            spec,
            seed,
            planner: Arc::new(Planner::new(grid, planner.clone())),
        }
    }

    /// Fixes the world of the following episodes (evaluation on a held-out world); `None`
    /// returns to generated worlds (or the config's world file).
    pub fn set_world(&mut self, world: Option<&GeneratedWorld>) {
        self.fixed =
            world.map(|w| Self::episode_world(w.spec.clone(), Some(w.seed), &self.planner_config));
    }

    /// Fixes the world of the following episodes to `spec` (a maze, a world built in code).
    pub fn set_world_spec(&mut self, spec: WorldSpec) {
        self.fixed = Some(Self::episode_world(spec, None, &self.planner_config));
    }

    /// Sets the path to follow from now on (the [`Strategy::Commanded`] strategy): waypoints
    /// `[x, y]` and the base height above the floor to hold from each, and rewrites the
    /// waypoint, goal and command entries of `obs` (the observation the next action is chosen
    /// on). An empty path stands still.
    pub fn set_path(&mut self, path: &[[f32; 2]], base_heights: &[f32], obs: &mut [f32]) {
        let base = self.inner.world().base_state();
        let p = [base.pos_w.x, base.pos_w.y];
        self.path.clear();
        self.path.push(p);
        self.path.extend_from_slice(path);
        self.base_heights.clear();
        self.base_heights
            .push(base_heights.first().copied().unwrap_or(self.nominal_height));
        self.base_heights.extend(
            (0..path.len()).map(|i| base_heights.get(i).copied().unwrap_or(self.nominal_height)),
        );
        self.next = 1.min(self.path.len() - 1);
        let command = self.pursuit_command();
        self.inner.set_command(command);
        self.inner.reobserve(&mut obs[..self.inner_dim]);
        self.write_extras(obs);
    }

    /// The planner settings for this robot (clearance, body heights, head margin).
    pub fn planner_config(&self) -> &PlannerConfig {
        &self.planner_config
    }

    /// The nominal base height when standing (m).
    pub fn nominal_height(&self) -> f32 {
        self.nominal_height
    }

    /// The robot's size the worlds are drawn for.
    pub fn robot_size(&self) -> RobotSize {
        self.size
    }

    /// The walking env underneath.
    pub fn locomotion(&self) -> &LocomotionEnv {
        &self.inner
    }

    /// The current world and its grid (after the first reset).
    pub fn world_spec(&self) -> Option<&WorldSpec> {
        self.world.as_ref().map(|w| &w.spec)
    }

    /// The current world's grid.
    pub fn grid(&self) -> Option<&WorldGrid> {
        self.world.as_ref().map(|w| w.planner.grid())
    }

    /// The path being followed (`[x, y]` waypoints; the goal alone end to end) and the index
    /// of the waypoint being walked to.
    pub fn path(&self) -> (&[[f32; 2]], usize) {
        (&self.path, self.next)
    }

    /// Base height above the floor (m) to hold from each waypoint of [`Self::path`] on.
    pub fn waypoint_base_heights(&self) -> &[f32] {
        &self.base_heights
    }

    /// What the current episode did so far.
    pub fn episode(&self) -> NavEpisode {
        self.episode
    }

    /// The curriculum level of this env.
    pub fn level(&self) -> usize {
        self.level
    }

    /// Length of the locomotion observation at the front of this task's (what the
    /// velocity-skill baseline's policy reads).
    pub fn locomotion_obs_dim(&self) -> usize {
        self.inner_dim
    }

    /// The velocity command the pursuit of the path gives now (`[vx, vy, yaw rate]`).
    pub fn pursuit_command(&self) -> [f32; 3] {
        let base = self.inner.world().base_state();
        let p = [base.pos_w.x, base.pos_w.y];
        let yaw = yaw_of(base.rot_w);
        if self.path.is_empty() {
            return [0.0; 3];
        }
        let from = self.next.saturating_sub(1);
        let (target, dir) = point_ahead(&self.path, from, p, self.config.pursuit.lookahead_m);
        let target_yaw = match self.config.strategy {
            Strategy::Hierarchical | Strategy::Commanded => dir,
            Strategy::EndToEnd => (target[1] - p[1]).atan2(target[0] - p[0]),
        };
        command_towards(&self.config.pursuit, p, yaw, target, target_yaw)
    }

    /// Picks the next episode's world: the fixed one, or a generated one at this env's level
    /// (moving the level first by how the last episode went).
    fn next_world(&mut self) {
        if let Some(f) = &self.fixed {
            self.world = Some(f.clone());
            return;
        }
        if self.world.is_some() {
            let e = self.episode;
            let progress = if e.start_distance_m > 0.0 {
                1.0 - e.distance_m / e.start_distance_m
            } else {
                0.0
            };
            if e.reached_goal {
                self.level = (self.level + 1).min(self.config.levels - 1);
            } else if progress < 0.5 {
                self.level = self.level.saturating_sub(1);
            }
        } else {
            self.level = self.rng.random_range(0..=self.config.max_initial_level);
        }
        let ranges = self.config.ranges(self.level);
        // Training worlds never use the held-out seeds.
        let seed = self.rng.random::<u64>() % TEST_SEED_BASE;
        let w = generate(seed, &ranges, self.size);
        self.world = Some(Self::episode_world(
            w.spec,
            Some(seed),
            &self.planner_config,
        ));
    }

    /// Builds the current world's heightfields into the physics.
    fn install_world(&mut self) {
        let Some(w) = &self.world else { return };
        let grid = w.planner.grid();
        let (floor, ceiling) = (grid.floor_collider(), grid.ceiling_collider());
        let start = w.spec.start;
        let world = self.inner.world_mut();
        world.set_ground_collider(floor);
        world.set_ceiling_collider(ceiling);
        self.inner.set_spawn(start.x, start.y, start.yaw);
    }

    /// Plans from `from` (the hierarchical strategy) or aims at the goal (end to end).
    fn make_path(&mut self, from: [f32; 2]) -> bool {
        let Some(w) = &self.world else { return false };
        let goal = w.spec.goal;
        match self.config.strategy {
            Strategy::EndToEnd => {
                self.path = vec![from, goal];
                self.base_heights = vec![self.nominal_height; 2];
                self.next = 1;
                true
            }
            Strategy::Commanded => {
                // Stand where it is until a path is set.
                self.path = vec![from];
                self.base_heights = vec![self.nominal_height];
                self.next = 0;
                true
            }
            Strategy::Hierarchical => match w.planner.plan(from, goal) {
                Ok(plan) => {
                    self.path = plan.waypoints.iter().map(|p| [p.x, p.y]).collect();
                    self.base_heights = plan
                        .waypoints
                        .iter()
                        .map(|p| p.base_height.min(self.nominal_height))
                        .collect();
                    self.next = 1.min(self.path.len() - 1);
                    true
                }
                Err(_) => false,
            },
        }
    }

    /// Distance left to the goal: along the path from the waypoint being walked to
    /// (hierarchical), or straight (end to end).
    fn distance_to_goal(&self, p: [f32; 2]) -> f32 {
        let Some(last) = self.path.last() else {
            return 0.0;
        };
        match self.config.strategy {
            Strategy::EndToEnd => dist(p, *last),
            Strategy::Commanded => self.world.as_ref().map_or(0.0, |w| dist(p, w.spec.goal)),
            Strategy::Hierarchical => {
                let rest: f32 = self.path[self.next..]
                    .windows(2)
                    .map(|w| dist(w[0], w[1]))
                    .sum();
                dist(p, self.path[self.next]) + rest
            }
        }
    }

    /// Starts the episode's navigation bookkeeping once the robot stands at the start.
    fn begin_navigation(&mut self, obs: &mut [f32]) {
        let base = self.inner.world().base_state();
        let p = [base.pos_w.x, base.pos_w.y];
        if !self.make_path(p) {
            // A world without a plan (a world file whose goal is blocked): aim straight.
            let goal = self.world.as_ref().map_or(p, |w| w.spec.goal);
            self.path = vec![p, goal];
            self.base_heights = vec![self.nominal_height; 2];
            self.next = 1;
        }
        let d = self.distance_to_goal(p);
        self.episode = NavEpisode {
            start_distance_m: d,
            distance_m: d,
            ..NavEpisode::default()
        };
        self.best_distance = d;
        self.steps_since_best = 0;
        self.last_xy = p;
        self.touching = false;
        let command = self.pursuit_command();
        self.inner.set_command(command);
        self.inner.reobserve(&mut obs[..self.inner_dim]);
        self.write_extras(obs);
    }

    /// Writes the waypoints, the goal and the ceiling scan after the locomotion observation.
    fn write_extras(&self, obs: &mut [f32]) {
        let base = self.inner.world().base_state();
        let p = [base.pos_w.x, base.pos_w.y];
        let (s, c) = yaw_of(base.rot_w).sin_cos();
        let local = |q: [f32; 2]| {
            let (dx, dy) = (q[0] - p[0], q[1] - p[1]);
            (c * dx + s * dy, -s * dx + c * dy)
        };
        let mut at = self.inner_dim;
        let last = self.path.len().saturating_sub(1);
        for k in 0..self.config.lookahead {
            let i = (self.next + k).min(last);
            let (x, y) = self.path.get(i).map_or((0.0, 0.0), |q| local(*q));
            obs[at] = x.clamp(-2.0, 2.0);
            obs[at + 1] = y.clamp(-2.0, 2.0);
            obs[at + 2] = 5.0
                * (self
                    .base_heights
                    .get(i)
                    .copied()
                    .unwrap_or(self.nominal_height)
                    - self.nominal_height);
            at += WAYPOINT_OBS;
        }
        let goal = match self.config.strategy {
            Strategy::Commanded => self.path.last().copied().unwrap_or(p),
            _ => self.world.as_ref().map_or(p, |w| w.spec.goal),
        };
        let (gx, gy) = local(goal);
        obs[at] = (gx / 5.0).clamp(-1.0, 1.0);
        obs[at + 1] = (gy / 5.0).clamp(-1.0, 1.0);
        at += GOAL_OBS;
        let world = self.inner.world();
        let scale = self.config.ceiling_scan.scale;
        for q in &self.scan_points {
            let (x, y) = (p[0] + c * q[0] - s * q[1], p[1] + s * q[0] + c * q[1]);
            let room = world.ceiling_z(x, y, base.pos_w.z) - base.pos_w.z;
            obs[at] = room.clamp(-0.3, 0.7) * scale;
            at += 1;
        }
    }

    /// Floor height under `(x, y)` in the current world (0 before the first reset).
    fn floor_at(&self, x: f32, y: f32) -> f32 {
        self.world
            .as_ref()
            .map_or(0.0, |w| w.planner.grid().floor_at(x, y))
    }
}

fn dist(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

fn yaw_of(rot: rapier3d::glamx::Quat) -> f32 {
    let heading = rot * Vec3::X;
    heading.y.atan2(heading.x)
}

/// The complete state of a [`ConfinedNavEnv`]: the walking env's (physics with the world's
/// heightfields, RNG, clocks), the world file it runs in (its grid and planner are rebuilt on
/// restore), the path, the curriculum level and the episode's bookkeeping.
#[derive(Clone, Serialize, Deserialize)]
pub struct ConfinedNavSnapshot {
    inner: LocomotionSnapshot,
    world: Option<(WorldSpec, Option<u64>)>,
    rng: ChaCha8Rng,
    level: usize,
    path: Vec<[f32; 2]>,
    base_heights: Vec<f32>,
    next: usize,
    best_distance: f32,
    steps_since_best: u32,
    last_xy: [f32; 2],
    touching: bool,
    episode: NavEpisode,
    terms: NavTerms,
    term_steps: u32,
}

impl Env for ConfinedNavEnv {
    type Snapshot = ConfinedNavSnapshot;

    fn obs_dim(&self) -> usize {
        self.inner_dim + self.config.lookahead * WAYPOINT_OBS + GOAL_OBS + self.scan_points.len()
    }

    fn action_dim(&self) -> usize {
        self.inner.action_dim()
    }

    fn reseed(&mut self, seed: u64) {
        self.inner.reseed(seed);
        self.rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6e61_7669_6761_7465);
    }

    fn reset(&mut self, obs: &mut [f32]) {
        self.next_world();
        self.install_world();
        self.inner.reset(&mut obs[..self.inner_dim]);
        self.begin_navigation(obs);
    }

    fn reset_to_state(
        &mut self,
        state: &crate::scene::ArticulationState,
        obs: &mut [f32],
    ) -> Result<(), SimError> {
        if self.world.is_none() {
            self.next_world();
            self.install_world();
        }
        self.inner
            .reset_to_state(state, &mut obs[..self.inner_dim])?;
        self.begin_navigation(obs);
        Ok(())
    }

    fn step(&mut self, action: &[f32], obs: &mut [f32]) -> StepOutcome {
        let inner_dim = self.inner_dim;
        let outcome = self.inner.step(action, &mut obs[..inner_dim]);
        let w = self.config.rewards;
        let dt = self.dt;
        let base = self.inner.world().base_state();
        let p = [base.pos_w.x, base.pos_w.y];
        self.episode.steps += 1;
        self.episode.travelled_m += dist(p, self.last_xy);
        self.last_xy = p;
        let before = self.distance_to_goal(p);
        // Waypoints: reached within the radius (a bonus), or passed by (no bonus).
        let mut waypoint_bonus = 0.0;
        let last = self.path.len().saturating_sub(1);
        while self.next < last {
            let here = self.path[self.next];
            let reached = dist(p, here) < self.config.waypoint_radius;
            let ahead = self.path[self.next + 1];
            let passed = {
                let (ax, ay) = (ahead[0] - here[0], ahead[1] - here[1]);
                (p[0] - here[0]) * ax + (p[1] - here[1]) * ay > 0.0
            };
            if !(reached || passed) {
                break;
            }
            if reached {
                waypoint_bonus += w.waypoint;
            }
            self.next += 1;
        }
        // This step's approach to the goal (a replan's new path is not progress).
        let mut progress = before - self.distance_to_goal(p);
        // Replan when the robot strayed from the segment it walks along.
        if self.config.strategy == Strategy::Hierarchical && self.next > 0 {
            let (a, b) = (self.path[self.next - 1], self.path[self.next]);
            let near = crate::confined::near_centre_line(&[a, b], p, self.config.replan_distance);
            if !near && self.make_path(p) {
                self.episode.replans += 1;
                progress = 0.0;
            }
        }
        let distance = self.distance_to_goal(p);
        self.episode.distance_m = distance;
        if distance < self.best_distance - self.config.stall_progress_m {
            self.best_distance = distance;
            self.steps_since_best = 0;
        } else {
            self.steps_since_best += 1;
        }
        let stalled = self.steps_since_best as f32 * dt > self.config.stall_s;
        let goal = self.world.as_ref().map_or(p, |w| w.spec.goal);
        let reached_goal = dist(p, goal) < self.config.goal_radius;
        // Contacts with walls (the floor heightfield above the floor) and the ceiling.
        let world = self.inner.world();
        let touching = world.any_touches_ceiling(&self.against_ceiling)
            || world.any_touches_ground(&self.base)
            || world.any_touches_ground(&self.against_walls);
        if touching && !self.touching {
            self.episode.collisions += 1;
        }
        self.touching = touching;
        let floor = self.floor_at(p[0], p[1]);
        let height = base.pos_w.z - floor.max(-0.05);
        let target = self
            .base_heights
            .get(self.next)
            .copied()
            .unwrap_or(self.nominal_height);
        let above = (height - target).max(0.0);
        let fell = outcome.terminated
            || base.pos_w.z < -0.25
            || base.gravity_b.z > -0.3
            || (height < 0.08 && floor > -0.5);
        let terms = NavTerms {
            progress: w.progress * progress,
            waypoint: waypoint_bonus,
            goal: if reached_goal { w.goal } else { 0.0 },
            stall: if stalled { w.stall * dt } else { 0.0 },
            collision: if touching { w.collision * dt } else { 0.0 },
            base_height: w.base_height * above * above * dt,
        };
        let nav = terms.progress
            + terms.waypoint
            + terms.goal
            + terms.stall
            + terms.collision
            + terms.base_height;
        self.terms.progress += terms.progress;
        self.terms.waypoint += terms.waypoint;
        self.terms.goal += terms.goal;
        self.terms.stall += terms.stall;
        self.terms.collision += terms.collision;
        self.terms.base_height += terms.base_height;
        self.term_steps += 1;
        self.episode.reached_goal |= reached_goal;
        self.episode.fell |= fell && !reached_goal;
        let command = self.pursuit_command();
        self.inner.set_command(command);
        self.write_extras(obs);
        let reward = outcome.reward + nav;
        StepOutcome {
            reward: if reward.is_finite() { reward } else { 0.0 },
            terminated: fell || reached_goal,
            truncated: outcome.truncated && !(fell || reached_goal),
        }
    }

    fn snapshot(&self) -> ConfinedNavSnapshot {
        ConfinedNavSnapshot {
            inner: self.inner.snapshot(),
            world: self.world.as_ref().map(|w| (w.spec.clone(), w.seed)),
            rng: self.rng.clone(),
            level: self.level,
            path: self.path.clone(),
            base_heights: self.base_heights.clone(),
            next: self.next,
            best_distance: self.best_distance,
            steps_since_best: self.steps_since_best,
            last_xy: self.last_xy,
            touching: self.touching,
            episode: self.episode,
            terms: self.terms,
            term_steps: self.term_steps,
        }
    }

    fn restore(&mut self, s: &ConfinedNavSnapshot) {
        let same = match (&self.world, &s.world) {
            (Some(w), Some((spec, _))) => w.spec == *spec,
            (None, None) => true,
            _ => false,
        };
        if !same {
            self.world = s
                .world
                .as_ref()
                .map(|(spec, seed)| Self::episode_world(spec.clone(), *seed, &self.planner_config));
        }
        self.inner.restore(&s.inner);
        self.rng = s.rng.clone();
        self.level = s.level;
        self.path.clone_from(&s.path);
        self.base_heights.clone_from(&s.base_heights);
        self.next = s.next;
        self.best_distance = s.best_distance;
        self.steps_since_best = s.steps_since_best;
        self.last_xy = s.last_xy;
        self.touching = s.touching;
        self.episode = s.episode;
        self.terms = s.terms;
        self.term_steps = s.term_steps;
    }

    fn step_info(&self) -> StepInfo {
        StepInfo {
            fall: Some(self.episode.fell),
            success: Some(self.episode.reached_goal),
        }
    }

    fn curriculum_levels(&self) -> Vec<(&'static str, f32)> {
        vec![("world_level", self.level as f32)]
    }

    fn drain_reward_terms(&mut self) -> (Vec<(&'static str, f32)>, u32) {
        let (mut named, steps) = self.inner.drain_reward_terms();
        let t = std::mem::take(&mut self.terms);
        named.extend([
            ("nav_progress", t.progress),
            ("nav_waypoint", t.waypoint),
            ("nav_goal", t.goal),
            ("nav_stall", t.stall),
            ("nav_collision", t.collision),
            ("nav_base_height", t.base_height),
        ]);
        self.term_steps = 0;
        (named, steps)
    }
}
