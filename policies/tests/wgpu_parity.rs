//! The same PPO update on burn's `flex` CPU backend (its hidden layers through the fused
//! `linear_elu` custom op) and on wgpu (burn's composed ops) agrees within float tolerance, and
//! the update did move the weights.
//! Built only with `--features wgpu`; on a machine without a GPU it runs on Mesa's llvmpipe
//! Vulkan driver (Debian: mesa-vulkan-drivers).
#![cfg(feature = "wgpu")]

use burn::module::Module;
use burn::tensor::{Device, DeviceKind};
use policies::algo::{LrScheduleKind, Ppo, PpoConfig};
use policies::nets::{ActorCritic, ActorCriticConfig};
use policies::storage::RolloutStorage;
use policies::tensor_util::{matrix, to_vec};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const OBS: usize = 8;
const ACT: usize = 3;
const N: usize = 256;

fn storage() -> RolloutStorage {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut s = RolloutStorage::new(1, N, OBS, ACT);
    for v in [
        &mut s.obs,
        &mut s.actions,
        &mut s.means,
        &mut s.values,
        &mut s.log_probs,
        &mut s.advantages,
        &mut s.returns,
    ] {
        v.iter_mut().for_each(|x| *x = rng.random_range(-1.0..1.0));
    }
    s.stds.fill(1.0);
    s
}

/// Actor means and values of 16 probe observations before and after one PPO update on
/// `device`, and the update's value loss.
fn update_on(
    device: Device,
    weights: &std::path::Path,
) -> ((Vec<f32>, Vec<f32>), (Vec<f32>, Vec<f32>), f32) {
    let train = device.clone().autodiff();
    let policy = ActorCriticConfig {
        actor_hidden: vec![32, 32],
        critic_hidden: vec![32, 32],
        init_noise_std: 1.0,
    };
    let model = ActorCritic::new(OBS, ACT, &policy, &train)
        .try_load_file(weights)
        .expect("weights load");
    let config = PpoConfig {
        num_learning_epochs: 2,
        num_mini_batches: 2,
        schedule: LrScheduleKind::Fixed,
        ..PpoConfig::default()
    };
    let probe = matrix(&storage().obs[..16 * OBS], 16, OBS, &device);
    let outputs = |model: &ActorCritic| {
        let model = model.valid();
        (
            to_vec(model.action_mean(probe.clone())),
            to_vec(model.value(probe.clone())),
        )
    };
    let before = outputs(&model);
    let mut ppo = Ppo::new(model, config, train).expect("ppo");
    let stats = ppo.update(&storage(), 0.0, &mut ChaCha8Rng::seed_from_u64(3));
    (before, outputs(&ppo.model), stats.value_loss)
}

#[test]
fn ppo_update_on_flex_and_wgpu_agrees() {
    let dir = std::env::temp_dir().join(format!("embody-wgpu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let weights = dir.join("init.bpk");
    let flex = Device::flex();
    flex.seed(11);
    let policy = ActorCriticConfig {
        actor_hidden: vec![32, 32],
        critic_hidden: vec![32, 32],
        init_noise_std: 1.0,
    };
    ActorCritic::new(OBS, ACT, &policy, &flex)
        .save_file(&weights)
        .expect("save");
    let (before_cpu, (mean_cpu, value_cpu), loss_cpu) = update_on(Device::flex(), &weights);
    let (before_gpu, (mean_gpu, value_gpu), loss_gpu) =
        update_on(Device::wgpu(DeviceKind::DefaultDevice), &weights);
    let close = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 1e-4 + 1e-3 * x.abs())
    };
    assert!(close(&before_cpu.0, &before_gpu.0) && close(&before_cpu.1, &before_gpu.1));
    // The update moved both networks well beyond the tolerance the backends agree to.
    assert!(!close(&before_cpu.0, &mean_cpu), "the actor did not change");
    assert!(
        !close(&before_cpu.1, &value_cpu),
        "the critic did not change"
    );
    assert!(
        close(&mean_cpu, &mean_gpu),
        "actor outputs differ:\n{mean_cpu:?}\n{mean_gpu:?}"
    );
    assert!(
        close(&value_cpu, &value_gpu),
        "critic outputs differ:\n{value_cpu:?}\n{value_gpu:?}"
    );
    assert!(
        (loss_cpu - loss_gpu).abs() <= 1e-3 * (1.0 + loss_cpu.abs()),
        "{loss_cpu} vs {loss_gpu}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_runner_trains_on_wgpu_end_to_end() {
    use policies::runner::{OnPolicyRunner, RunnerConfig};
    use sim::env::VecEnv;
    use sim::tasks::cartpole::{CartPoleConfig, CartPoleEnv};
    // Rollouts on the CPU (Rapier), the learner on the wgpu device: `embody train --device wgpu`.
    let venv = VecEnv::new(8, |i| {
        CartPoleEnv::new(CartPoleConfig::default(), 5 ^ i as u64)
    });
    let policy = ActorCriticConfig {
        actor_hidden: vec![32, 32],
        critic_hidden: vec![32, 32],
        init_noise_std: 1.0,
    };
    let config = RunnerConfig {
        num_envs: 8,
        max_iterations: 2,
        ..RunnerConfig::default()
    };
    let ppo = PpoConfig {
        num_steps_per_env: 8,
        num_learning_epochs: 1,
        num_mini_batches: 1,
        ..PpoConfig::default()
    };
    let device = Device::wgpu(DeviceKind::DefaultDevice);
    let mut runner =
        OnPolicyRunner::new(venv, config, ppo, &policy, &device, 5).expect("runner on wgpu");
    let probe = matrix(&[0.1, -0.2, 0.05, 0.3], 1, 4, &device);
    let before = to_vec(runner.policy().model().valid().action_mean(probe.clone()));
    for i in 0..2 {
        let stats = runner.iterate().expect("iteration");
        assert!(
            stats.update.value_loss.is_finite() && stats.update.policy_loss.is_finite(),
            "iteration {i}: {stats:?}"
        );
    }
    let after = to_vec(runner.policy().model().valid().action_mean(probe));
    assert_ne!(before, after, "the learner on wgpu moved the policy");
}
