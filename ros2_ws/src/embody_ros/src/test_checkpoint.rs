//! Test helper (tests only): writes a small, untrained quadruped checkpoint with the trainer's
//! own checkpoint code (policies with its `train` feature, a dev-dependency).

use std::path::{Path, PathBuf};

/// Writes a checkpoint for a 12-joint quadruped (obs 48, act 12, actor hidden `[64, 64]`, seeded
/// weights, optionally with an observation normaliser) into `dir` and returns the folder.
pub fn write_test_checkpoint(dir: &Path, with_norm: bool) -> PathBuf {
    use policies::algo::{Ppo, RunningMeanStd};
    use policies::checkpoint::{RunnerState, save};
    use policies::config::TrainConfig;
    use policies::nets::ActorCritic;
    let (obs_dim, act_dim) = (48, 12);
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
        act_dim,
        iteration: 0,
        total_steps: 0,
        learning_rate: 1e-3,
        obs_norm,
        recent_returns: vec![],
        recent_lengths: vec![],
    };
    save(dir, &model, &Ppo::new_optimizer(), &state, &config).expect("write test checkpoint");
    dir.to_path_buf()
}
