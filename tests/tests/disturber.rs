//! The `[disturber]` on the locomotion env: forces stay within their caps and act on the base,
//! pushes come on time, the H-infinity disturber is a hosted agent under a constraint, and a
//! disturbed env's snapshot continues bit-exactly.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::Terrain;
use sim::env::Env;
use sim::tasks::locomotion::{DisturberConfig, DisturberKind, LocomotionConfig, LocomotionEnv};
use std::sync::Arc;

fn env_with(disturber: Option<DisturberConfig>, seed: u64) -> LocomotionEnv {
    let spec = Arc::new(robots::load_builtin_or_path("quadruped").expect("robot"));
    let config = LocomotionConfig {
        random_episode_start: false,
        ..Default::default()
    };
    let mut env = LocomotionEnv::new(spec, Terrain::flat(), config, seed).expect("env");
    if let Some(d) = disturber {
        env.set_disturber(d, 24).expect("disturber");
    }
    env
}

fn hinf_at_full_force() -> DisturberConfig {
    DisturberConfig {
        kind: DisturberKind::Hinf,
        warmup_iterations: 0,
        ramp_iterations: 0,
        oracle_fraction: 0.0,
        ..Default::default()
    }
}

#[test]
fn every_force_the_hinf_disturber_applies_stays_within_its_cap() {
    let mut env = env_with(Some(hinf_at_full_force()), 3);
    let cap = 30.0;
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset(&mut obs);
    let action = vec![0.0; env.action_dim()];
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut largest = 0.0f32;
    for step in 0..300 {
        let mut push: [f32; 3] = std::array::from_fn(|_| rng.random_range(-5.0..5.0));
        if step % 17 == 0 {
            push[step % 3] = f32::NAN;
        }
        env.set_hosted_action(0, &push);
        let out = env.step(&action, &mut obs);
        let f = env.disturber().expect("disturber").force_b();
        for v in f.to_array() {
            assert!(v.is_finite() && v.abs() <= cap, "step {step}: {f:?}");
        }
        // What acts on the base is that force, rotated into the world frame.
        let applied = env.world().external_forces_w()[0];
        assert!(
            (applied.length() - f.length()).abs() < 1e-3,
            "{applied:?} vs {f:?}"
        );
        largest = largest.max(f.length());
        if out.terminated || out.truncated {
            env.reset(&mut obs);
        }
    }
    // The actions were mostly beyond the cap: the force reached it.
    assert!(largest > cap, "{largest}");
}

#[test]
fn random_forces_stay_within_their_cap_and_are_redrawn_every_8_steps() {
    let config = DisturberConfig {
        kind: DisturberKind::RandomForce,
        ..Default::default()
    };
    let mut env = env_with(Some(config), 4);
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset(&mut obs);
    let action = vec![0.0; env.action_dim()];
    let mut forces = Vec::new();
    for _ in 0..32 {
        env.step(&action, &mut obs);
        let f = env.disturber().expect("disturber").force_b();
        assert!(f.to_array().iter().all(|v| v.abs() <= 30.0), "{f:?}");
        forces.push(f);
    }
    for (k, f) in forces.iter().enumerate() {
        let same_as_previous = k > 0 && forces[k - 1] == *f;
        assert_eq!(same_as_previous, k % 8 != 0, "step {k}");
    }
    assert!(env.hosted_agents().is_empty());
    assert!(env.constraint().is_none());
}

#[test]
fn a_force_on_the_base_moves_the_robot_along_it() {
    let run = |push: [f32; 3]| {
        let mut env = env_with(Some(hinf_at_full_force()), 5);
        let mut obs = vec![0.0; env.obs_dim()];
        env.reset(&mut obs);
        let start = env.world().base_state().pos_w;
        let action = vec![0.0; env.action_dim()];
        for _ in 0..25 {
            env.set_hosted_action(0, &push);
            env.step(&action, &mut obs);
        }
        env.world().base_state().pos_w - start
    };
    let still = run([0.0, 0.0, 0.0]);
    let pushed = run([0.0, 1.0, 0.0]);
    // 30 N along the base's y axis for 0.5 s on a 12 kg robot: centimetres, not millimetres.
    assert!(
        pushed.y - still.y > 0.03,
        "still {still:?}, pushed {pushed:?}"
    );
}

#[test]
fn pushes_come_every_push_interval() {
    let config = DisturberConfig {
        kind: DisturberKind::Push,
        push_interval_s: 0.1,
        ..Default::default()
    };
    let mut env = env_with(Some(config), 6);
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset(&mut obs);
    let action = vec![0.0; env.action_dim()];
    let before = env.world().last_push().0;
    for _ in 0..20 {
        env.step(&action, &mut obs);
    }
    // 20 steps of 0.02 s, a push every 5 steps.
    assert_eq!(env.world().last_push().0 - before, 4);
    // `none` turns [env]'s own pushes off.
    let none = DisturberConfig {
        kind: DisturberKind::None,
        ..Default::default()
    };
    let mut quiet = env_with(Some(none), 6);
    quiet.reset(&mut obs);
    let before = quiet.world().last_push().0;
    for _ in 0..800 {
        quiet.step(&action, &mut obs);
    }
    assert_eq!(quiet.world().last_push().0, before);
}

#[test]
fn the_hinf_disturber_is_a_hosted_agent_under_a_constraint() {
    let env = env_with(
        Some(DisturberConfig {
            kind: DisturberKind::Hinf,
            ..Default::default()
        }),
        7,
    );
    let agents = env.hosted_agents();
    assert_eq!(agents.len(), 1);
    assert_eq!(
        (agents[0].name.as_str(), agents[0].action_dim),
        ("disturber", 3)
    );
    assert!(env.constraint().is_some());
    assert!(env_with(None, 7).hosted_agents().is_empty());
}

#[test]
fn a_disturbed_env_restored_from_a_snapshot_continues_bit_exactly() {
    let config = DisturberConfig {
        kind: DisturberKind::Hinf,
        ramp_iterations: 1,
        oracle_fraction: 0.5,
        ..Default::default()
    };
    let mut env = env_with(Some(config.clone()), 8);
    let mut obs = vec![0.0; env.obs_dim()];
    env.reset(&mut obs);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let act = |rng: &mut ChaCha8Rng, env: &mut LocomotionEnv, obs: &mut [f32]| {
        let a: Vec<f32> = (0..12).map(|_| rng.random_range(-0.3..0.3)).collect();
        let d: Vec<f32> = (0..3).map(|_| rng.random_range(-1.0..1.0)).collect();
        env.set_hosted_action(0, &d);
        let out = env.step(&a, obs);
        if out.terminated || out.truncated {
            env.reset(obs);
        }
        (out.reward, env.hosted_reward(0), env.constraint_sample())
    };
    for _ in 0..60 {
        act(&mut rng, &mut env, &mut obs);
    }
    let snap = env.snapshot();
    let mut twin = env_with(Some(config), 99);
    twin.restore(&snap);
    let mut twin_obs = obs.clone();
    let mut twin_rng = rng.clone();
    for step in 0..60 {
        let a = act(&mut rng, &mut env, &mut obs);
        let b = act(&mut twin_rng, &mut twin, &mut twin_obs);
        assert_eq!(a, b, "step {step}");
        assert_eq!(obs, twin_obs, "step {step}");
    }
}
