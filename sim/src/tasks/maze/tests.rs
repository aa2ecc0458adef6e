use super::*;
use crate::env::{CellFeatures, Env};
use crate::tasks::confined_nav::ConfinedNavConfig;
use std::sync::Arc;

/// Holds the default pose (zero action): a skill that stands.
struct Stand {
    obs: usize,
    act: usize,
}

impl Skill for Stand {
    fn obs_dim(&self) -> usize {
        self.obs
    }
    fn act_dim(&self) -> usize {
        self.act
    }
    fn act(&mut self, _obs: &[f32], action: &mut [f32]) {
        action.fill(0.0);
    }
}

/// A skill that reads its observation: joint targets from the waypoint entries and the ceiling
/// scan, so the physics depends on every path the maze sets and on the ceiling it sees.
struct Sway {
    obs: usize,
    act: usize,
}

impl Skill for Sway {
    fn obs_dim(&self) -> usize {
        self.obs
    }
    fn act_dim(&self) -> usize {
        self.act
    }
    fn act(&mut self, obs: &[f32], action: &mut [f32]) {
        let (head, scan) = (&obs[obs.len() - 60..], &obs[obs.len() - 45..]);
        for (i, a) in action.iter_mut().enumerate() {
            *a = 0.3 * head[i % head.len()].tanh() + 0.2 * (scan[(7 * i) % 45] - 0.4);
        }
    }
}

fn walking() -> ConfinedNavConfig {
    let mut c = ConfinedNavConfig::default();
    c.locomotion.random_episode_start = false;
    c
}

fn env_with(skill: fn(usize, usize) -> Box<dyn Skill>, config: MazeConfig) -> MazeEnv {
    let spec = Arc::new(robots::load_builtin_or_path("quadruped").expect("built-in quadruped"));
    // The walking env's sizes, to size the skill.
    let probe = crate::tasks::confined_nav::ConfinedNavEnv::new(spec.clone(), walking(), 0)
        .expect("nav env");
    let s = skill(probe.obs_dim(), probe.action_dim());
    MazeEnv::new(spec, &walking(), config, s, 3).expect("maze env")
}

fn stand(obs: usize, act: usize) -> Box<dyn Skill> {
    Box::new(Stand { obs, act })
}

fn sway(obs: usize, act: usize) -> Box<dyn Skill> {
    Box::new(Sway { obs, act })
}

#[test]
fn an_episode_starts_at_the_maze_start_and_the_rays_see_the_walls() {
    let mut env = env_with(stand, MazeConfig::default());
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset(&mut obs);
    assert_eq!(env.obs_dim(), 8 + 8);
    assert_eq!(env.action_dim(), 2);
    let start = env.maze().world.start;
    assert!(
        obs[0].abs() < 0.05 && obs[1].abs() < 0.05,
        "{:?}",
        &obs[..2]
    );
    assert!((obs[2] - start.yaw.cos()).abs() < 0.1);
    // The start is a corner junction: at least one ray hits a wall within the corridor.
    let rays = &obs[8..];
    assert!(rays.iter().any(|&r| r < 0.3), "{rays:?}");
    assert!(rays.iter().all(|&r| (0.0..=1.0).contains(&r)), "{rays:?}");
    let mut f = [0.0; 5];
    env.cell_features(&mut f);
    assert!(
        (f[0] - start.x).abs() < 0.05 && (f[1] - start.y).abs() < 0.05,
        "{f:?}"
    );
    assert!(f[2] > 0.15 && f[2] < 0.45, "base height {}", f[2]);
    assert_eq!(f[4], 0.0);
}

#[test]
fn a_step_runs_the_skill_for_skill_steps_and_pays_nothing_away_from_the_exit() {
    let mut env = env_with(stand, MazeConfig::default());
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset(&mut obs);
    let out = env.step(&[0.0, 0.0], &mut obs);
    assert_eq!(env.skill_steps_total(), 10);
    assert_eq!(out.reward, 0.0);
    assert!(!out.terminated && !out.truncated);
    assert_eq!(env.step_info().success, Some(false));
    // Inside the dead zone the robot is told to stand: the path is the base alone.
    assert_eq!(env.nav().path().0.len(), 1);
    env.step(&[1.0, 0.0], &mut obs);
    assert_eq!(
        env.nav().path().0.len(),
        4,
        "three waypoints after the base"
    );
}

#[test]
fn waypoints_under_a_low_ceiling_ask_for_a_crouch() {
    // Every corridor low: the waypoint heights must lie below standing.
    let mut config = MazeConfig::default();
    config.maze.low_fraction = 1.0;
    let mut env = env_with(stand, config);
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset(&mut obs);
    let yaw = env.maze().world.start.yaw;
    env.step(&[yaw.cos(), yaw.sin()], &mut obs);
    let nominal = env.nav().nominal_height();
    let heights = env.nav().waypoint_base_heights();
    assert!(
        heights[1..].iter().all(|&h| h < nominal - 0.01),
        "{heights:?} vs standing {nominal}"
    );
    let mut plain = env_with(stand, MazeConfig::default());
    plain.reset(&mut obs);
    // The default maze's first corridor is high or low; an open one keeps standing height.
    let _ = plain;
}

#[test]
fn a_restored_snapshot_repeats_the_steps_bit_for_bit() {
    let mut env = env_with(sway, MazeConfig::default());
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset(&mut obs);
    for k in 0..3 {
        env.step(&[0.8, -0.3 * k as f32], &mut obs);
    }
    // Through bytes, as the archive keeps it.
    let bytes = serde_cbor_roundtrip(&env.snapshot());
    let actions: Vec<[f32; 2]> = (0..5).map(|k| [0.2 * k as f32 - 0.4, 0.7]).collect();
    let run = |env: &mut MazeEnv| {
        let mut obs = vec![0.0; env.obs_dim()];
        let mut trace = Vec::new();
        for a in &actions {
            let out = env.step(a, &mut obs);
            trace.extend_from_slice(&obs);
            trace.push(out.reward);
        }
        trace
    };
    let first = run(&mut env);
    let mut other = env_with(sway, MazeConfig::default());
    other.restore(&bytes);
    let second = run(&mut other);
    assert_eq!(first.len(), second.len());
    for (i, (a, b)) in first.iter().zip(&second).enumerate() {
        assert_eq!(a.to_bits(), b.to_bits(), "entry {i}: {a} vs {b}");
    }
}

fn serde_cbor_roundtrip(s: &MazeSnapshot) -> MazeSnapshot {
    let mut bytes = Vec::new();
    ciborium::into_writer(s, &mut bytes).expect("encode");
    ciborium::from_reader(bytes.as_slice()).expect("decode")
}
