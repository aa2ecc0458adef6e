//! The imitation env on DeepMimic's humanoid walk (`../shared/thirdparty/deepmimic`).

use super::*;
use crate::env::Env;
use crate::scene::ArticulationState;
use std::sync::Arc;

fn config(observation: ObservationVariant) -> ImitationConfig {
    ImitationConfig {
        observation,
        ..ImitationConfig::default()
    }
}

fn env(observation: ObservationVariant, seed: u64) -> ImitationEnv {
    let config = config(observation);
    let assets = Arc::new(ImitationAssets::load(&config).expect("DeepMimic's files load"));
    ImitationEnv::new(assets, config, seed).unwrap()
}

#[test]
fn a_reset_starts_on_the_reference_with_full_reward() {
    let mut env = env(ObservationVariant::Full, 1);
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset_at(0.4, &mut obs);
    let e = env.tracking_errors();
    assert!(e.pose_rad < 1e-3, "{e:?}");
    assert!(e.body_pos_m < 1e-3 && e.end_effector_m < 1e-3, "{e:?}");
    // The reward of the state we started in (the sim may be lifted a few millimetres).
    let assets = env.assets();
    let r = ImitationReward::new(
        &RewardConfig::default(),
        &assets.performer,
        &assets.clip.spherical,
    );
    let b = r.compute(env.simulated(), env.reference());
    assert!(b.total > 0.97, "{b:?}");
    assert!(obs.iter().all(|x| x.is_finite()));
}

#[test]
fn zero_residual_actions_follow_the_walk_for_a_moment() {
    // The PD servos alone, aimed at the reference, keep the character on the clip for a few
    // steps before balance is lost: the gains, joint axes and targets agree with the clip.
    let mut env = env(ObservationVariant::Full, 2);
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset_at(0.0, &mut obs);
    let action = vec![0.0; env.action_dim()];
    let mut worst: f32 = 0.0;
    for _ in 0..6 {
        let out = env.step(&action, &mut obs);
        assert!(!out.terminated, "fell within 0.2 s");
        worst = worst.max(env.tracking_errors().pose_rad);
        assert!(out.reward > 0.3, "{:?}", env.last_reward());
    }
    assert!(worst < 0.15, "mean joint error {worst} rad within 0.2 s");
}

#[test]
fn lying_on_the_ground_is_a_fall_that_ends_the_episode() {
    let mut env = env(ObservationVariant::Full, 3);
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset_at(0.0, &mut obs);
    let mut state = env.world().state();
    // Torso flat on its back, at sphere-radius height.
    let lying = rapier3d::glamx::Quat::from_rotation_y(-std::f32::consts::FRAC_PI_2);
    state.base_rot_w = [lying.w, lying.x, lying.y, lying.z];
    state.base_pos_w[2] = 0.1;
    state.base_lin_vel_w = [0.0; 3];
    state.base_ang_vel_w = [0.0; 3];
    set_state(&mut env, &state);
    let out = env.step(&vec![0.0; env.action_dim()], &mut obs);
    assert!(out.terminated, "a torso on the ground ends the episode");
    assert_eq!(env.step_info().fall, Some(true));
}

fn set_state(env: &mut ImitationEnv, state: &ArticulationState) {
    env.world_mut().set_state(state).unwrap();
}

#[test]
fn a_snapshot_restores_the_same_future() {
    let mut env = env(ObservationVariant::Full, 4);
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset(&mut obs);
    let action: Vec<f32> = (0..env.action_dim())
        .map(|i| 0.1 * ((i as f32) * 0.7).sin())
        .collect();
    for _ in 0..3 {
        env.step(&action, &mut obs);
    }
    let snap = env.snapshot();
    let run = |env: &mut ImitationEnv| {
        let mut o = vec![0.0; env.obs_dim()];
        let mut rewards = Vec::new();
        for _ in 0..5 {
            rewards.push(env.step(&action, &mut o).reward);
        }
        (o, rewards)
    };
    let first = run(&mut env);
    env.restore(&snap);
    let second = run(&mut env);
    assert_eq!(first, second);
}

#[test]
fn the_deployable_observation_does_not_see_where_the_robot_is() {
    // Move the simulated character 1 m sideways off its reference: the full observation sees
    // the reference root 1 m away; the deployable one, which has no global position, is the
    // same as before.
    let read = |variant: ObservationVariant, shift: f32| {
        let mut env = env(variant, 5);
        let mut obs = vec![0.0; env.obs_dim()];
        env.reset_at(0.3, &mut obs);
        let mut state = env.world().state();
        state.base_pos_w[1] += shift;
        set_state(&mut env, &state);
        env.observe_current(&mut obs);
        obs
    };
    let (d0, d1) = (
        read(ObservationVariant::Deployable, 0.0),
        read(ObservationVariant::Deployable, 1.0),
    );
    let (f0, f1) = (
        read(ObservationVariant::Full, 0.0),
        read(ObservationVariant::Full, 1.0),
    );
    let max_diff = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    };
    assert!(
        max_diff(&d0, &d1) < 1e-5,
        "deployable obs moved by {}",
        max_diff(&d0, &d1)
    );
    assert!(max_diff(&f0, &f1) > 0.9, "full obs sees the offset");
    assert_eq!(d0.len() + 9, f0.len());
}

#[test]
fn both_reward_presets_sum_their_weights_to_one() {
    for preset in [RewardPreset::Paper, RewardPreset::Code] {
        let c = RewardConfig {
            preset,
            ..RewardConfig::default()
        };
        let sum: f32 = c.weights().iter().sum();
        assert!((sum - 1.0).abs() < 1e-6, "{preset:?}: {sum}");
    }
    let paper = RewardConfig {
        preset: RewardPreset::Paper,
        ..RewardConfig::default()
    };
    assert_eq!(paper.weights(), [0.65, 0.1, 0.15, 0.0, 0.1]);
    assert_eq!(paper.scales(), [2.0, 0.1, 40.0, 0.0, 10.0]);
}

#[test]
fn the_quadruped_performs_its_retargeted_trot_from_the_reference() {
    let config = ImitationConfig {
        robot: Some("quadruped".into()),
        clip: "assets/motions/quadruped_trot.json".into(),
        control_hz: 50.0,
        sim_steps_per_control: 1,
        action_scale: 0.25,
        ..ImitationConfig::default()
    };
    let assets = Arc::new(ImitationAssets::load(&config).expect("the retargeted clip loads"));
    assert!(assets.character.is_none());
    assert_eq!(assets.performer.end_effectors.len(), 4, "four feet");
    let mut env = ImitationEnv::new(assets, config, 6).unwrap();
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset_at(0.1, &mut obs);
    let e = env.tracking_errors();
    assert!(e.pose_rad < 1e-3 && e.body_pos_m < 1e-3, "{e:?}");
    let action = vec![0.0; env.action_dim()];
    for _ in 0..5 {
        let out = env.step(&action, &mut obs);
        assert!(!out.terminated, "the base touched the ground within 0.1 s");
    }
    assert!(
        env.tracking_errors().pose_rad < 0.2,
        "{:?}",
        env.tracking_errors()
    );
}

#[test]
fn a_heading_objective_pays_for_speed_along_its_direction_and_shows_in_the_observation() {
    let objective = HeadingObjective {
        speed: [1.2, 1.2],
        ..HeadingObjective::default()
    };
    let target = HeadingTarget {
        heading: 0.5,
        speed: 1.2,
    };
    let along = rapier3d::prelude::Vec3::new(1.3 * 0.5f32.cos(), 1.3 * 0.5f32.sin(), 0.0);
    assert!(
        (objective.reward(&target, along) - 1.0).abs() < 1e-6,
        "faster than asked: full"
    );
    let still = objective.reward(&target, rapier3d::prelude::Vec3::ZERO);
    assert!((still - (-2.5f32 * 1.44).exp()).abs() < 1e-6);
    assert!(
        objective.reward(&target, -along) < still,
        "backwards pays less than standing"
    );

    let config = ImitationConfig {
        objective: Some(objective),
        ..config(ObservationVariant::Full)
    };
    let assets = Arc::new(ImitationAssets::load(&config).expect("DeepMimic's files load"));
    let base = assets.obs_dim(ObservationVariant::Full);
    let mut env = ImitationEnv::new(assets, config, 5).expect("env");
    assert_eq!(env.obs_dim(), base + HEADING_OBS);
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset_at(0.3, &mut obs);
    let t = env.heading_target().expect("a target");
    assert!((t.speed - 1.2).abs() < 1e-6);
    let facing = {
        let x = env.simulated().root_rot * rapier3d::prelude::Vec3::X;
        x.y.atan2(x.x)
    };
    assert!((t.heading - facing).abs() <= 45f32.to_radians() + 1e-5);
    let tail = &obs[base..];
    assert!((tail[0] - (t.heading - facing).cos()).abs() < 1e-5);
    assert!((tail[1] - (t.heading - facing).sin()).abs() < 1e-5);
    assert!((tail[2] - 1.2).abs() < 1e-6);
    // The step reward mixes 0.7 imitation and 0.3 heading.
    let out = env.step(&vec![0.0; env.action_dim()], &mut obs);
    let heading = objective.reward(&t, env.simulated().root_lin_vel);
    let expected = 0.7 * env.last_reward().total + 0.3 * heading;
    assert!(
        (out.reward - expected).abs() < 1e-5,
        "{} vs {expected}",
        out.reward
    );
    let (terms, _) = env.drain_reward_terms();
    assert!(
        terms
            .iter()
            .any(|(n, v)| *n == "heading" && (*v - heading).abs() < 1e-5)
    );
}

#[test]
fn a_bad_objective_names_its_key() {
    let config = ImitationConfig {
        objective: Some(HeadingObjective {
            weight: 1.5,
            ..HeadingObjective::default()
        }),
        ..ImitationConfig::default()
    };
    let err = config.validate().expect_err("weight above 1").to_string();
    assert!(err.contains("env.objective.weight"), "{err}");
}
