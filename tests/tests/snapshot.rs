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
