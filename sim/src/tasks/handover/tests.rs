use super::*;
use crate::env::Env;
use crate::scene::ObjectState;

fn assets(config: &HandoverConfig) -> HandoverAssets {
    let path = crate::tasks::imitate::resolve_data_path(std::path::Path::new(DEFAULT_HAND_SCENE));
    assert!(path.exists(), "fixture missing: {}", path.display());
    HandoverAssets::load(config).expect("the two-hand scene loads")
}

fn env_with(config: HandoverConfig, seed: u64) -> HandoverEnv {
    HandoverEnv::new(&assets(&config), config, seed).expect("env builds")
}

fn env(seed: u64) -> HandoverEnv {
    env_with(HandoverConfig::default(), seed)
}

#[test]
fn two_shadow_hands_give_forty_actions_and_two_hundred_observations() {
    let env = env(1);
    // gymnasium-robotics' hand: 24 joints, 20 actuators (the distal joints of the first,
    // middle and ring fingers and the little finger's follow by tendon) per hand.
    for hand in env.hands() {
        assert_eq!(hand.limits.len(), 24);
        assert_eq!(hand.actuated.len(), 20);
    }
    assert_eq!(env.action_dim(), 40);
    assert_eq!(env.obs_dim(), 200);
}

#[test]
fn the_left_hand_is_the_right_one_mirrored_through_the_plane() {
    let config = HandoverConfig::default();
    let plane = config.mirror_plane_y;
    let env = env_with(config, 1);
    let [right, left] = env.hands();
    let scene = env.scene();
    let mut bodies: Vec<usize> = right.fingertips.to_vec();
    bodies.push(right.palm);
    for (r, l) in bodies
        .iter()
        .zip(left.fingertips.iter().chain([&left.palm]))
    {
        let (p, q) = (
            right.body_position(scene, *r),
            left.body_position(scene, *l),
        );
        assert!((p[0] - q[0]).abs() < 1e-4, "{p:?} vs {q:?}");
        assert!((p[1] + q[1] - 2.0 * plane).abs() < 1e-4, "{p:?} vs {q:?}");
        assert!((p[2] - q[2]).abs() < 1e-4, "{p:?} vs {q:?}");
    }
    // Facing each other with a gap: every right fingertip is on the right hand's side.
    for &tip in &right.fingertips {
        assert!(right.body_position(scene, tip)[1] > plane + 0.005);
    }
}

#[test]
fn the_goal_lies_over_the_left_palm_25_cm_from_the_start() {
    let mut env = env(3);
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset(&mut obs);
    let (goal, _) = env.goal();
    let start = env.object_state().expect("block").pos_w;
    let d = ((goal[0] - start[0]).powi(2) + (goal[1] - start[1]).powi(2)).sqrt();
    assert!((d - 0.25).abs() < 0.02, "start {start:?}, goal {goal:?}");
    // The goal sits on the left hand where the block starts on the right one.
    let [right, left] = env.hands();
    let flat = |a: [f32; 3], b: [f32; 3]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
    let on_left = flat(goal, left.body_position(env.scene(), left.palm));
    let on_right = flat(start, right.body_position(env.scene(), right.palm));
    assert!(
        (on_left - on_right).abs() < 0.02,
        "goal {on_left} m from the left palm, start {on_right} m from the right one"
    );
    assert!(on_left < 0.12, "{on_left}");
    assert!(obs.iter().all(|v| v.is_finite()));
}

#[test]
fn a_block_at_the_goal_succeeds_and_pays_the_bonus_once() {
    let mut env = env(4);
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset(&mut obs);
    let (goal, rot) = env.goal();
    env.set_object_state(&ObjectState {
        pos_w: goal,
        rot_w: rot,
        lin_vel_w: [0.0; 3],
        ang_vel_w: [0.0; 3],
    })
    .expect("set");
    let action = vec![0.0; env.action_dim()];
    let first = env.step(&action, &mut obs);
    assert!(env.reached());
    assert_eq!(env.step_info().success, Some(true));
    let bonus = HandoverConfig::default().reach_goal_bonus;
    // At the goal the exponential term is about 1.
    assert!(first.reward > bonus + 0.5, "{}", first.reward);
    let second = env.step(&action, &mut obs);
    assert!(second.reward <= 1.0, "{}", second.reward);
    assert_eq!(env.step_info().success, Some(true));
}

#[test]
fn a_block_left_on_the_right_palm_fails_at_the_time_limit() {
    let mut env = env(5);
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset(&mut obs);
    let action = env.hold_action();
    let steps = HandoverConfig::default().episode_steps;
    for k in 1..=steps {
        let out = env.step(&action, &mut obs);
        assert!(!out.terminated, "fell at step {k}");
        assert_eq!(out.truncated, k == steps, "step {k}");
        assert!(out.reward.is_finite() && out.reward < 1.0);
    }
    assert!(!env.reached());
    assert_eq!(env.step_info().success, Some(false));
    assert!(obs.iter().all(|v| v.is_finite()));
}

#[test]
fn a_dropped_block_ends_the_episode_as_a_fall() {
    let mut env = env(6);
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset(&mut obs);
    let mut s = env.object_state().expect("block");
    s.pos_w[2] -= 0.15;
    env.set_object_state(&s).expect("set");
    let out = env.step(&vec![0.0; env.action_dim()], &mut obs);
    assert!(out.terminated && !out.truncated);
    assert_eq!(env.step_info().fall, Some(true));
}

#[test]
fn restoring_a_snapshot_replays_the_same_steps() {
    let mut env = env(7);
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset(&mut obs);
    let actions: Vec<Vec<f32>> = (0..6)
        .map(|k| {
            (0..env.action_dim())
                .map(|i| ((k * 31 + i * 7) % 13) as f32 / 6.5 - 1.0)
                .collect()
        })
        .collect();
    for a in &actions[..3] {
        env.step(a, &mut obs);
    }
    let snap = env.snapshot();
    let run = |env: &mut HandoverEnv| -> Vec<Vec<f32>> {
        let mut obs = vec![0.0; env.obs_dim()];
        actions[3..]
            .iter()
            .map(|a| {
                let out = env.step(a, &mut obs);
                let mut row = obs.clone();
                row.push(out.reward);
                row
            })
            .collect()
    };
    let first = run(&mut env);
    env.restore(&snap);
    let again = run(&mut env);
    assert_eq!(first, again);
}

#[test]
fn bad_settings_and_scenes_are_named() {
    let bad = HandoverConfig {
        control_dt: 0.0,
        ..HandoverConfig::default()
    };
    let err = bad.validate().expect_err("refused").to_string();
    assert!(err.contains("env.control_dt"), "{err}");
    let missing = HandoverConfig {
        scene_file: "no/such/hand.xml".into(),
        ..HandoverConfig::default()
    };
    let err = HandoverAssets::load(&missing)
        .expect_err("refused")
        .to_string();
    assert!(err.contains("no/such/hand.xml"), "{err}");
    // A scene without the block.
    let config = HandoverConfig::default();
    let path = crate::tasks::imitate::resolve_data_path(std::path::Path::new(DEFAULT_HAND_SCENE));
    let mut one = robots::read_mjcf_file(&path).expect("reads");
    one.objects.retain(|o| o.name != OBJECT);
    let err = HandoverAssets::from_one_hand(&one, &config)
        .expect_err("refused")
        .to_string();
    assert!(err.contains("body 'object'"), "{err}");
    let from_toml: Result<HandoverConfig, _> = toml::from_str("episode_step = 10");
    let err = from_toml.expect_err("unknown key").to_string();
    assert!(err.contains("episode_step"), "{err}");
}

#[test]
fn rotation_distance_is_the_angle_between_orientations() {
    let h = std::f32::consts::FRAC_1_SQRT_2;
    assert!(rotation_distance([1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]).abs() < 1e-6);
    let quarter_x = [h, h, 0.0, 0.0];
    let d = rotation_distance(quarter_x, [1.0, 0.0, 0.0, 0.0]);
    assert!((d - std::f32::consts::FRAC_PI_2).abs() < 1e-4, "{d}");
    // q and -q are the same orientation.
    assert!(rotation_distance(quarter_x, [-h, -h, 0.0, 0.0]).abs() < 1e-3);
}
