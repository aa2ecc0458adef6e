//! A few PPO iterations on quadruped locomotion: every reward term stays finite and the velocity
//! tracking term rises. (The full training runs in `embody train locomotion`, never in a test.)

use policies::config::TrainConfig;
use policies::runner::OnPolicyRunner;
use sim::Terrain;
use sim::env::VecEnv;
use sim::tasks::locomotion::{LocomotionConfig, LocomotionEnv, RewardTerms};
use std::sync::Arc;

#[test]
fn reward_terms_are_finite_and_tracking_rises_over_a_few_iterations() {
    let path = embody_tests::repo_root().join("assets/configs/locomotion.toml");
    let config = TrainConfig::load(&path, &["runner.num_envs=64".into()]).expect("config loads");
    let task: LocomotionConfig = config.env_config().expect("env table");
    let spec = Arc::new(robots::load_builtin_or_path(&task.robot).expect("robot"));
    let terrain = Terrain::new(task.terrain, config.seed);
    let venv = VecEnv::try_new(config.runner.num_envs, |i| {
        LocomotionEnv::new(
            spec.clone(),
            terrain.clone(),
            task.clone(),
            config.seed ^ i as u64,
        )
    })
    .expect("envs");
    let mut runner = OnPolicyRunner::new(
        venv,
        config.runner.clone(),
        config.ppo.clone(),
        &config.policy,
        &burn::tensor::Device::flex(),
        config.seed,
    )
    .expect("runner");
    let mut tracking = Vec::new();
    for _ in 0..30 {
        runner.iterate().expect("iteration");
        let mut sum = RewardTerms::default();
        let mut steps = 0u32;
        for env in runner.venv.envs_mut() {
            let (terms, n) = env.take_reward_terms();
            sum.accumulate(&terms);
            steps += n;
        }
        for (name, value) in sum.named() {
            assert!(value.is_finite(), "reward term {name} is {value}");
        }
        if std::env::var("EMBODY_DEBUG_TERMS").is_ok() {
            let per: Vec<(&str, f32)> = sum
                .named()
                .iter()
                .map(|(n, v)| (*n, v / steps as f32))
                .collect();
            eprintln!("{per:?}");
        }
        tracking.push(sum.tracking_lin_vel / steps as f32);
    }
    let early: f32 = tracking[..5].iter().sum::<f32>() / 5.0;
    let late: f32 = tracking[25..].iter().sum::<f32>() / 5.0;
    eprintln!("tracking_lin_vel per step: {tracking:?}");
    assert!(
        late > early,
        "tracking term did not rise: {early} -> {late}"
    );
}
