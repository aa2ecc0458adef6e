//! PPO learns: cart-pole balance reaches at least 95% of the maximum return on held-out seeds
//! within the default config's budget.

use burn::module::Module;
use policies::config::TrainConfig;
use policies::runner::{OnPolicyRunner, evaluate};
use sim::env::VecEnv;
use sim::tasks::cartpole::{CartPoleConfig, CartPoleEnv};
use sim::tasks::pendulum::{PendulumConfig, PendulumEnv};

fn venv(n: usize, seed: u64) -> VecEnv<CartPoleEnv> {
    VecEnv::new(n, |i| {
        CartPoleEnv::new(CartPoleConfig::default(), seed ^ i as u64)
    })
}

#[test]
fn ppo_solves_cartpole_balance_with_the_default_config() {
    let path = embody_tests::repo_root().join("assets/configs/cartpole.toml");
    let config = TrainConfig::load(&path, &[]).expect("config loads");
    let device = burn::tensor::Device::flex();
    let mut runner = OnPolicyRunner::new(
        venv(config.runner.num_envs, config.seed),
        config.runner.clone(),
        config.ppo.clone(),
        &config.policy,
        &device,
        config.seed,
    )
    .expect("runner builds");
    for _ in 0..config.runner.max_iterations {
        let s = runner.iterate().expect("iteration runs");
        assert!(s.update.value_loss.is_finite() && s.update.policy_loss.is_finite());
    }
    // Held-out test set: seeds the training envs never used.
    let model = runner.ppo.model.valid();
    let mut test = venv(20, 1_000_003);
    let stats =
        evaluate(&model, runner.obs_norm.as_ref(), &mut test, 40, 20_000).expect("eval runs");
    assert_eq!(stats.episodes, 40);
    let max = CartPoleConfig::default().max_steps as f32;
    assert!(
        stats.mean_return >= 0.95 * max,
        "mean return {} < 95% of {max}",
        stats.mean_return
    );
}

/// Random torques score about -1200 per episode; a policy that swings the rod up from any start
/// and holds it scores about -150 to -200.
#[test]
fn ppo_swings_up_the_pendulum_with_the_default_config() {
    let path = embody_tests::repo_root().join("assets/configs/pendulum.toml");
    let config = TrainConfig::load(&path, &[]).expect("config loads");
    let make = |n: usize, seed: u64| {
        VecEnv::new(n, |i| {
            PendulumEnv::new(PendulumConfig::default(), seed ^ i as u64)
        })
    };
    let device = burn::tensor::Device::flex();
    let mut runner = OnPolicyRunner::new(
        make(config.runner.num_envs, config.seed),
        config.runner.clone(),
        config.ppo.clone(),
        &config.policy,
        &device,
        config.seed,
    )
    .expect("runner builds");
    for _ in 0..config.runner.max_iterations {
        runner.iterate().expect("iteration runs");
    }
    let model = runner.ppo.model.valid();
    let mut test = make(20, 1_000_003);
    let stats =
        evaluate(&model, runner.obs_norm.as_ref(), &mut test, 40, 20_000).expect("eval runs");
    assert_eq!(stats.episodes, 40);
    assert!(
        stats.mean_return >= -250.0,
        "mean return {} < -250",
        stats.mean_return
    );
}
