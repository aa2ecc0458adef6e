#![allow(dead_code)] // shared by the tests of embody_ros and embody_ros_sim; not all use every helper
//! Test helper (tests only): writes a small, untrained quadruped checkpoint with the trainer's
//! own checkpoint code (policies with its `train` feature, a dev-dependency), with the deploy
//! contract of the locomotion task: the legged proprioceptive slices, and optionally a height
//! scan.

use std::path::{Path, PathBuf};

/// A 7 x 5 scan grid 0.1 m apart (35 points), 0.3 m base offset, scale 5.
pub fn test_height_scan() -> robots::contract::ObsTerm {
    let grid = |half: i32| (-half..=half).map(|i| i as f32 * 0.1).collect();
    robots::contract::ObsTerm::HeightScan {
        x: grid(3),
        y: grid(2),
        base_offset: 0.3,
        clip_m: 1.0,
        scale: 5.0,
    }
}

/// The deploy contract of the test checkpoint (quadruped joints, defaults and action scale).
pub fn test_contract(height_scan: bool) -> robots::contract::DeployContract {
    let spec = robots::load_builtin_or_path("quadruped").expect("quadruped");
    let names: Vec<String> = spec.joints.iter().map(|j| j.name.clone()).collect();
    let default: Vec<f32> = spec
        .joints
        .iter()
        .map(|j| j.default_position as f32)
        .collect();
    let mut observation =
        robots::proprio_layout(&names, &default, &robots::ObservationScales::default())
            .expect("layout");
    if height_scan {
        observation.push(test_height_scan(), None).expect("scan");
    }
    robots::contract::DeployContract {
        observation,
        action: robots::contract::ActionMap {
            scale: vec![spec.action_scale as f32; names.len()],
            joints: names,
            default,
            gait: None,
        },
        control_dt: 0.02,
    }
}

/// Writes a checkpoint for a 12-joint quadruped (obs 48, act 12, actor hidden `[64, 64]`, seeded
/// weights, optionally with an observation normaliser) into `dir` and returns the folder.
pub fn write_test_checkpoint(dir: &Path, with_norm: bool) -> PathBuf {
    write_test_checkpoint_with(dir, with_norm, false)
}

/// As [`write_test_checkpoint`]; with `height_scan` the observation ends in the 35 heights of
/// [`test_height_scan`] (obs 83).
pub fn write_test_checkpoint_with(dir: &Path, with_norm: bool, height_scan: bool) -> PathBuf {
    use policies::algo::{Ppo, RunningMeanStd};
    use policies::checkpoint::{RunnerState, save};
    use policies::config::TrainConfig;
    use policies::nets::ActorCritic;
    let contract = test_contract(height_scan);
    let (obs_dim, act_dim) = (contract.observation.dim(), contract.action.len());
    let config = TrainConfig::from_toml_str(
        "task = \"locomotion\"\n[policy]\nactor_hidden = [64, 64]\ncritic_hidden = [16]\n\
         [env]\nrobot = \"quadruped\"\n",
        &[],
    )
    .expect("test config");
    let device = burn::prelude::Device::flex();
    let model = ActorCritic::new_seeded(obs_dim, act_dim, &config.policy, &device, 11);
    let obs_norm = with_norm.then(|| {
        let mut rms = RunningMeanStd::new(obs_dim);
        let rows: Vec<f32> = (0..obs_dim * 8)
            .map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0)
            .collect();
        rms.update(&rows);
        rms
    });
    let state = RunnerState {
        obs_dim,
        critic_obs_dim: 0,
        act_dim,
        iteration: 0,
        total_steps: 0,
        learning_rate: 1e-3,
        obs_norm,
        recent_returns: vec![],
        recent_lengths: vec![],
        agents: Vec::new(),
        value_heads: 1,
        multiplier: None,
        ranks: 1,
    };
    save(
        dir,
        &model,
        &Ppo::new_optimizer(),
        &state,
        &config,
        Some(&contract),
    )
    .expect("write test checkpoint");
    dir.to_path_buf()
}
