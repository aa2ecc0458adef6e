use super::*;
use crate::confined::{GeneratedWorld, Obstacle, ObstacleShape, Side, WorldSpec};
use crate::env::Env;
use std::sync::Arc;

fn quadruped() -> Arc<robots::RobotSpec> {
    Arc::new(robots::load_builtin_or_path("quadruped").expect("built-in quadruped"))
}

fn config() -> ConfinedNavConfig {
    let mut c = ConfinedNavConfig::default();
    c.locomotion.noise.level = 0.0;
    c.locomotion.push_interval_s = 0.0;
    c.locomotion.random_episode_start = false;
    c
}

/// A straight 3 m corridor, 0.6 m wide, its ceiling at `ceiling`, goal `goal_x` ahead.
fn corridor_world(ceiling: f32, goal_x: f32) -> GeneratedWorld {
    let mut spec = WorldSpec::straight(2.5, 0.6, Some(ceiling));
    spec.name = "corridor".into();
    spec.goal = [goal_x, 0.0];
    spec.obstacles.push(Obstacle {
        shape: ObstacleShape::Box,
        side: Side::Ceiling,
        center: [1.5, 0.0],
        size: [0.2, 1.0],
        height: 0.27,
        yaw: 0.0,
    });
    GeneratedWorld {
        spec,
        centre_line: vec![[0.0, 0.0], [goal_x, 0.0]],
        seed: 0,
    }
}

fn env_in(world: &GeneratedWorld, strategy: Strategy) -> ConfinedNavEnv {
    let mut env = ConfinedNavEnv::new(
        quadruped(),
        ConfinedNavConfig {
            strategy,
            ..config()
        },
        7,
    )
    .expect("env");
    env.set_world(Some(world));
    env
}

#[test]
fn an_episode_starts_at_the_world_start_with_a_plan_that_crouches_under_the_beam() {
    let world = corridor_world(1.0, 2.5);
    let mut env = env_in(&world, Strategy::Hierarchical);
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset(&mut obs);
    let c = config();
    assert_eq!(
        env.obs_dim(),
        env.locomotion_obs_dim() + c.lookahead * WAYPOINT_OBS + GOAL_OBS + 45
    );
    assert!(obs.iter().all(|v| v.is_finite()));
    let base = env.locomotion().world().base_state();
    assert!(base.pos_w.x.abs() < 0.05 && base.pos_w.y.abs() < 0.05);
    let (path, next) = env.path();
    assert!(path.len() >= 8 && next == 1, "{path:?}");
    let goal = path[path.len() - 1];
    assert!((goal[0] - 2.5).abs() < 0.03 && goal[1].abs() < 0.03);
    // Under the beam (underside 0.27 m) the plan's base height leaves the body's top below it.
    let heights = env.waypoint_base_heights();
    let top = robots::body_extents(&quadruped())
        .expect("extents")
        .top_above_base as f32;
    let under: Vec<f32> = path
        .iter()
        .zip(heights)
        .filter(|(p, _)| (1.35..=1.65).contains(&p[0]))
        .map(|(_, h)| *h)
        .collect();
    assert!(!under.is_empty());
    assert!(under.iter().all(|h| h + top <= 0.27), "{under:?}");
    assert!(
        heights[0] > under[0] + 0.05,
        "stands at the start: {heights:?}"
    );
    // The first waypoint lies ahead in the heading frame; the goal 2.5 m ahead reads 0.5.
    let at = env.locomotion_obs_dim();
    assert!(
        obs[at] > 0.1 && obs[at + 1].abs() < 0.05,
        "{:?}",
        &obs[at..at + 3]
    );
    let goal_at = at + c.lookahead * WAYPOINT_OBS;
    assert!((obs[goal_at] - 0.5).abs() < 0.02, "{}", obs[goal_at]);
    // The pursuit command walks forward.
    let cmd = env.pursuit_command();
    assert!(
        cmd[0] > 0.2 && cmd[1].abs() < 0.05 && cmd[2].abs() < 0.05,
        "{cmd:?}"
    );
}

#[test]
fn the_ceiling_scan_reads_the_room_above_the_base() {
    let world = corridor_world(0.45, 2.5);
    let mut env = env_in(&world, Strategy::Hierarchical);
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset(&mut obs);
    let z = env.locomotion().world().base_state().pos_w.z;
    let scan_at = env.locomotion_obs_dim() + config().lookahead * WAYPOINT_OBS + GOAL_OBS;
    // The scan point 0.1 m ahead of the base on its centre line: row x = 0.1 (index 4 of
    // -0.3..=0.5), column y = 0 (index 2 of -0.2..=0.2).
    let v = obs[scan_at + 4 * 5 + 2];
    let expected = ((0.45 - z).clamp(-0.3, 0.7)) * 2.0;
    assert!((v - expected).abs() < 2e-3, "{v} vs {expected}");
}

#[test]
fn reaching_the_goal_ends_the_episode_as_a_success_not_a_fall() {
    // The goal 0.2 m ahead: within the goal radius from the start.
    let world = corridor_world(1.0, 0.2);
    for strategy in [Strategy::Hierarchical, Strategy::EndToEnd] {
        let mut env = env_in(&world, strategy);
        let mut obs = vec![0.0; env.obs_dim()];
        env.reset(&mut obs);
        let out = env.step(&vec![0.0; env.action_dim()], &mut obs);
        assert!(out.terminated && !out.truncated, "{strategy:?}");
        assert_eq!(env.step_info().success, Some(true));
        assert_eq!(env.step_info().fall, Some(false));
        assert!(out.reward >= config().rewards.goal - 1.0, "{}", out.reward);
    }
}

#[test]
fn end_to_end_sees_the_goal_only() {
    let world = corridor_world(1.0, 2.5);
    let mut env = env_in(&world, Strategy::EndToEnd);
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset(&mut obs);
    let (path, _) = env.path();
    assert_eq!(path.len(), 2, "start and goal, no plan");
    let at = env.locomotion_obs_dim();
    for k in 0..config().lookahead {
        let w = &obs[at + k * WAYPOINT_OBS..at + (k + 1) * WAYPOINT_OBS];
        assert!(
            (w[0] - 2.0).abs() < 1e-3 && w[1].abs() < 0.05 && w[2] == 0.0,
            "{w:?}"
        );
    }
}

#[test]
fn a_snapshot_restores_into_a_fresh_env_and_continues_bit_exactly() {
    let mut a = ConfinedNavEnv::new(quadruped(), config(), 3).expect("env");
    let mut obs = vec![0.0; a.obs_dim()];
    a.reset(&mut obs);
    let action: Vec<f32> = (0..a.action_dim())
        .map(|i| 0.1 * (i as f32).sin())
        .collect();
    for _ in 0..10 {
        a.step(&action, &mut obs);
    }
    let snap = a.snapshot();
    let mut expected = Vec::new();
    for _ in 0..10 {
        let out = a.step(&action, &mut obs);
        expected.push((out.reward, obs.clone()));
    }
    let mut b = ConfinedNavEnv::new(quadruped(), config(), 99).expect("env");
    let mut other = vec![0.0; b.obs_dim()];
    b.reset(&mut other);
    b.restore(&snap);
    for (reward, o) in expected {
        let out = b.step(&action, &mut other);
        assert_eq!(out.reward.to_bits(), reward.to_bits());
        assert_eq!(other, o);
    }
}

#[test]
fn a_missing_world_file_is_an_error_naming_it() {
    let c = ConfinedNavConfig {
        world: Some("no/such/world.toml".into()),
        ..config()
    };
    let err = ConfinedNavEnv::new(quadruped(), c, 0)
        .err()
        .expect("an error")
        .to_string();
    assert!(err.contains("no/such/world.toml"), "{err}");
}
