//! The deploy contract holds on the shipped policies: the deploy runtime (plain Rust, what the
//! ROS 2 node links) and burn's actor give the same actions to 1e-5 on observations the policy
//! meets in the simulator, and each checkpoint's manifest carries exactly the contract its task
//! builds from the checkpoint's own config.

use policies::deploy::DeployPolicy;
use policies::tensor_util::{matrix, to_vec};
use sim::Terrain;
use sim::env::Env;
use sim::tasks::locomotion::{LocomotionConfig, LocomotionEnv, eval_terrain_by_label};
use std::sync::Arc;

/// Steps the shipped policy `name` on `terrain` with the deploy runtime for `steps` steps and
/// returns the largest |deploy - burn| over every action entry of every step.
fn worst_gap(name: &str, terrain: &str, steps: usize) -> f32 {
    let dir = embody_tests::repo_root().join("assets/policies").join(name);
    let device = burn::tensor::Device::flex();
    let ck = policies::checkpoint::load(&dir, &device).expect("burn loads");
    let mut deploy = DeployPolicy::load(&dir).expect("deploy loads");
    let task: LocomotionConfig = ck.config.env_config().expect("env table");
    let spec = Arc::new(robots::load_builtin_or_path(&task.robot).expect("robot"));
    let kind = eval_terrain_by_label(terrain).expect("terrain");
    let mut env = LocomotionEnv::new(spec, Terrain::new(kind, 5), task, 5).expect("env");
    assert_eq!(
        deploy.info().contract.as_ref(),
        env.contract().as_ref(),
        "{name}: the manifest's contract is the task's"
    );
    env.set_command([0.6, 0.0, 0.2]);
    let (od, ad) = (env.obs_dim(), env.action_dim());
    let mut obs = vec![0.0; od];
    env.reset(&mut obs);
    env.set_command([0.6, 0.0, 0.2]);
    let mut action = vec![0.0; ad];
    let mut worst = 0.0f32;
    for _ in 0..steps {
        deploy.act(&obs, &mut action).expect("act");
        let mut normed = obs.clone();
        if let Some(n) = &ck.state.obs_norm {
            n.normalize(&mut normed, policies::deploy::OBS_NORM_CLIP);
        }
        let burn_action = to_vec(ck.model.action_mean(matrix(&normed, 1, od, &device)));
        for (a, b) in action.iter().zip(&burn_action) {
            worst = worst.max((a - b).abs());
        }
        if env.step(&action, &mut obs).terminated {
            env.reset(&mut obs);
        }
    }
    eprintln!("{name} on {terrain}: largest |deploy - burn| = {worst:e} over {steps} steps");
    worst
}

#[test]
fn the_flat_policy_acts_the_same_in_burn_and_in_the_deploy_runtime() {
    let gap = worst_gap("locomotion_flat", "flat", 200);
    assert!(gap < 1e-5, "largest action difference {gap:e}");
}

#[test]
fn the_rough_policy_acts_the_same_in_burn_and_in_the_deploy_runtime() {
    let gap = worst_gap("locomotion_rough", "stairs_up", 200);
    assert!(gap < 1e-5, "largest action difference {gap:e}");
}
