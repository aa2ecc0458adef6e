//! Snapshot, step 200, restore, step 200 again: identical.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::{PhysicsConfig, RobotWorld, Terrain, TerrainKind};
use std::sync::Arc;

fn trace(world: &mut RobotWorld, actions: &[Vec<f32>]) -> Vec<u32> {
    let n = world.spec().num_joints();
    let mut q = vec![0.0; n];
    let mut out = Vec::new();
    for a in actions {
        let targets: Vec<f32> = world
            .default_positions()
            .iter()
            .zip(a)
            .map(|(d, a)| d + 0.25 * a)
            .collect();
        world.set_joint_targets(&targets).expect("targets");
        world.step();
        world.joint_positions(&mut q);
        let base = world.base_state();
        out.extend(q.iter().map(|v| v.to_bits()));
        out.extend(base.pos_w.to_array().iter().map(|v| v.to_bits()));
        out.extend(base.lin_vel_w.to_array().iter().map(|v| v.to_bits()));
    }
    out
}

fn check(terrain: Terrain) {
    let spec = Arc::new(robots::load_builtin_or_path("quadruped").expect("loads"));
    let mut world = RobotWorld::new(spec, &terrain, PhysicsConfig::default()).expect("world");
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut actions = |k: usize| -> Vec<Vec<f32>> {
        (0..k)
            .map(|_| (0..12).map(|_| rng.random_range(-1.0..1.0)).collect())
            .collect()
    };
    let warmup = actions(50);
    trace(&mut world, &warmup);
    // A push so the snapshot holds a moving, contacting robot.
    world.push(rapier3d_vec(0.3));
    let snap = world.snapshot();
    let later = actions(200);
    let first = trace(&mut world, &later);
    world.restore(&snap);
    let second = trace(&mut world, &later);
    assert_eq!(first, second);
}

fn rapier3d_vec(vx: f32) -> sim::Vec3 {
    sim::Vec3::new(vx, 0.0, 0.0)
}

#[test]
fn restore_continues_bit_exactly_on_flat_ground() {
    check(Terrain::flat());
}

#[test]
fn restore_continues_bit_exactly_on_rough_ground() {
    check(Terrain::new(
        TerrainKind::Rough {
            amplitude: 0.03,
            cell: 0.1,
            size: 8.0,
        },
        11,
    ));
}

/// Builds `n` locomotion envs of the rough-terrain config (terrain and command curricula, height
/// scan, pushes every 2 s, 3 s episodes), seeded from `seed`.
fn rough_batch(n: usize, seed: u64) -> sim::env::VecEnv<sim::tasks::locomotion::LocomotionEnv> {
    let path = embody_tests::repo_root().join("assets/configs/locomotion_rough.toml");
    let overrides = vec![
        "env.push_interval_s=2.0".to_string(),
        "env.episode_s=3.0".to_string(),
    ];
    let config = policies::config::TrainConfig::load(&path, &overrides).expect("config");
    let task: sim::tasks::locomotion::LocomotionConfig = config.env_config().expect("env");
    let spec = Arc::new(robots::load_builtin_or_path(&task.robot).expect("robot"));
    let terrain = Terrain::new(task.terrain, seed);
    sim::env::VecEnv::try_new(n, |i| {
        sim::tasks::locomotion::LocomotionEnv::new(
            spec.clone(),
            terrain.clone(),
            task.clone(),
            seed ^ i as u64,
        )
    })
    .expect("envs")
}

/// Steps `venv` `steps` times with seeded random actions, slot `slot` getting `actions[k]`, and
/// records that slot's observations, rewards and done flags as bits.
fn trace_slot(
    venv: &mut sim::env::VecEnv<sim::tasks::locomotion::LocomotionEnv>,
    slot: usize,
    actions: &[Vec<f32>],
    noise_seed: u64,
) -> Vec<u32> {
    let (n, ad, od) = (venv.num_envs(), venv.action_dim(), venv.obs_dim());
    let mut rng = ChaCha8Rng::seed_from_u64(noise_seed);
    let mut out = Vec::new();
    for a in actions {
        let mut all: Vec<f32> = (0..n * ad).map(|_| rng.random_range(-1.0..1.0)).collect();
        all[slot * ad..(slot + 1) * ad].copy_from_slice(a);
        venv.step(&all).expect("step");
        out.extend(
            venv.obs[slot * od..(slot + 1) * od]
                .iter()
                .map(|v| v.to_bits()),
        );
        out.push(venv.rewards[slot].to_bits());
        out.push(venv.terminated[slot] as u32);
        out.push(venv.truncated[slot] as u32);
    }
    out
}

/// The env-snapshot contract (issue 13): a running locomotion env on rough terrain with
/// commands and pushes, snapshotted, serialised and restored into a different slot of another
/// batch, continues bit-identically for 200 steps.
#[test]
fn a_locomotion_env_restored_into_another_slot_of_another_batch_continues_bit_exactly() {
    let mut a = rough_batch(4, 21);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut actions = |k: usize| -> Vec<Vec<f32>> {
        (0..k)
            .map(|_| (0..12).map(|_| rng.random_range(-1.0..1.0)).collect())
            .collect()
    };
    // Run long enough for episodes to end, terrains to change and pushes to land.
    let warmup = actions(300);
    trace_slot(&mut a, 1, &warmup, 7);
    let snap = a.snapshot_slot(1).expect("snapshot");
    let later = actions(200);
    let first = trace_slot(&mut a, 1, &later, 8);

    let mut bytes = Vec::new();
    ciborium::into_writer(&snap, &mut bytes).expect("serialises");
    eprintln!(
        "one rough-terrain locomotion slot: {} bytes of CBOR",
        bytes.len()
    );
    let back: sim::env::SlotSnapshot<sim::tasks::locomotion::LocomotionSnapshot> =
        ciborium::from_reader(bytes.as_slice()).expect("deserialises");
    let mut b = rough_batch(6, 99);
    b.restore_slot(4, &back).expect("restores into slot 4");
    let second = trace_slot(&mut b, 4, &later, 9);
    assert_eq!(first.len(), second.len());
    assert!(first == second, "the restored env diverged");
    // The 200 steps crossed an episode end (random actions fall), so resets, the curricula and
    // the new terrain are covered too.
    let od = a.obs_dim();
    let dones = first
        .chunks(od + 3)
        .filter(|row| row[od + 1] == 1 || row[od + 2] == 1)
        .count();
    assert!(dones > 0, "no episode ended in the compared steps");
}
