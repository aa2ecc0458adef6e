//! DAgger on a toy task: the student sees the state a step late, the teacher reads the true
//! state through the privileged observation. Distillation drives the student's actions onto
//! the teacher's, and the student checkpoint loads as an ordinary policy.

use super::*;
use crate::config::TrainConfig;
use crate::deploy::{DeployPolicy, MeanActor};
use crate::error::PolicyError;
use crate::nets::ActorCriticConfig;
use sim::env::{Env, StepOutcome, VecEnv};

/// Two coordinates move with the action towards a target drawn at reset. The student observes
/// the coordinates of the previous step, the target with noise and the episode clock; the
/// privileged observation is the true coordinates and the target.
struct Drift {
    x: [f32; 2],
    last: [f32; 2],
    target: [f32; 2],
    t: u32,
    seed: u64,
}

impl Drift {
    fn obs(&self, obs: &mut [f32]) {
        // Deterministic noise of about 0.03 from the step and the episode's seed.
        let h = self
            .seed
            .wrapping_add(self.t as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let noise = |s: u32| ((h >> s) & 0xff) as f32 / 255.0 * 0.1 - 0.05;
        obs.copy_from_slice(&[
            self.last[0],
            self.last[1],
            self.target[0] + noise(8),
            self.target[1] + noise(24),
            self.t as f32 / 20.0,
        ]);
    }
}

impl Env for Drift {
    type Snapshot = ([f32; 2], [f32; 2], [f32; 2], u32, u64);
    fn obs_dim(&self) -> usize {
        5
    }
    fn action_dim(&self) -> usize {
        2
    }
    fn reseed(&mut self, seed: u64) {
        self.seed = seed;
    }
    fn reset(&mut self, obs: &mut [f32]) {
        self.seed = self
            .seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let u = |s: u64| ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0;
        self.target = [u(self.seed), u(self.seed.rotate_left(17))];
        self.x = [0.0; 2];
        self.last = self.x;
        self.t = 0;
        self.obs(obs);
    }
    fn step(&mut self, action: &[f32], obs: &mut [f32]) -> StepOutcome {
        self.last = self.x;
        for k in 0..2 {
            self.x[k] += 0.1 * action[k].clamp(-1.0, 1.0);
        }
        self.t += 1;
        self.obs(obs);
        let d2 = (0..2)
            .map(|k| (self.x[k] - self.target[k]).powi(2))
            .sum::<f32>();
        StepOutcome {
            reward: -d2,
            terminated: false,
            truncated: self.t >= 20,
        }
    }
    fn snapshot(&self) -> Self::Snapshot {
        (self.x, self.last, self.target, self.t, self.seed)
    }
    fn restore(&mut self, s: &Self::Snapshot) {
        (self.x, self.last, self.target, self.t, self.seed) = *s;
    }
    fn privileged_dim(&self) -> usize {
        4
    }
    fn write_privileged(&self, out: &mut [f32]) {
        out.copy_from_slice(&[self.x[0], self.x[1], self.target[0], self.target[1]]);
    }
}

/// The teacher: move towards the target, `a = 3 (target - x)` (clipped by the env).
struct Pull;

impl MeanActor for Pull {
    fn act_batch(&mut self, obs: &[f32], n: usize, actions: &mut [f32]) -> Result<(), PolicyError> {
        for i in 0..n {
            let p = &obs[i * 4..][..4];
            actions[i * 2] = 3.0 * (p[2] - p[0]);
            actions[i * 2 + 1] = 3.0 * (p[3] - p[1]);
        }
        Ok(())
    }
}

fn distiller(seed: u64) -> Distiller<Drift, Pull> {
    let venv = VecEnv::new(16, |i| Drift {
        x: [0.0; 2],
        last: [0.0; 2],
        target: [0.0; 2],
        t: 0,
        seed: 1000 + i as u64,
    });
    let config = DistillConfig {
        iterations: 40,
        num_steps_per_env: 20,
        updates_per_iteration: 20,
        minibatch_size: 256,
        learning_rate: 3e-3,
        teacher_share_decay: 0.8,
        ..DistillConfig::default()
    };
    let policy = ActorCriticConfig {
        actor_hidden: vec![32, 32],
        critic_hidden: vec![16],
        ..ActorCriticConfig::default()
    };
    Distiller::new(
        venv,
        Pull,
        (4, 2),
        &policy,
        config,
        &Default::default(),
        seed,
    )
    .expect("a distiller")
}

#[test]
fn the_students_actions_converge_on_the_teachers() {
    let mut d = distiller(3);
    let first = d.iterate().expect("iterates");
    assert_eq!(first.teacher_share, 1.0);
    let mut last = first;
    for _ in 1..40 {
        last = d.iterate().expect("iterates");
    }
    assert!(last.teacher_share < 0.001, "share {}", last.teacher_share);
    // The student sees the coordinates a step late and the target with noise, so some error
    // remains, but most of it goes.
    assert!(
        last.action_mse < 0.25 * first.action_mse,
        "action mse {} -> {}",
        first.action_mse,
        last.action_mse
    );
    // Acting alone at the end, it earns close to what the teacher earned acting alone in the
    // first iteration (standing still would earn about -13: 20 steps of |target|^2).
    assert!(
        last.mean_return > 1.5 * first.mean_return,
        "teacher {} vs student {}",
        first.mean_return,
        last.mean_return
    );
}

#[test]
fn a_student_checkpoint_loads_as_a_policy_and_resumes() {
    let mut d = distiller(5);
    for _ in 0..5 {
        d.iterate().expect("iterates");
    }
    let dir = std::env::temp_dir().join(format!("embody-distill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = TrainConfig::from_toml_str(
        "task = \"drift\"\n[policy]\nactor_hidden = [32, 32]\ncritic_hidden = [16]\n",
        &[],
    )
    .expect("config");
    d.save_checkpoint(&dir, &config).expect("saves");
    // The deploy loader reproduces the student's actions (normaliser included).
    let mut deployed = DeployPolicy::load(&dir).expect("loads as a policy");
    let obs = [0.3, -0.2, 0.5, 0.1, 0.25];
    let mut a = [0.0; 2];
    deployed.act(&obs, &mut a).expect("acts");
    let want = d.student_actions(&obs, 1);
    for k in 0..2 {
        assert!((a[k] - want[k]).abs() < 1e-4, "{a:?} vs {want:?}");
    }
    // A resumed distiller continues from the saved iteration with the saved student.
    let mut resumed = distiller(5);
    resumed.resume_from(&dir).expect("resumes");
    assert_eq!(resumed.iteration(), 5);
    assert_eq!(resumed.student_actions(&obs, 1), want);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_env_without_privileged_state_or_a_mismatched_teacher_is_refused() {
    let policy = ActorCriticConfig::default();
    let venv = VecEnv::new(2, |_| Drift {
        x: [0.0; 2],
        last: [0.0; 2],
        target: [0.0; 2],
        t: 0,
        seed: 0,
    });
    let err = Distiller::new(
        venv,
        Pull,
        (5, 2),
        &policy,
        DistillConfig::default(),
        &Default::default(),
        1,
    )
    .err()
    .expect("refused");
    assert!(
        err.to_string().contains("privileged observation has 4"),
        "{err}"
    );
    let bad = DistillConfig {
        teacher_share_decay: 1.5,
        ..DistillConfig::default()
    };
    assert!(
        bad.validate()
            .unwrap_err()
            .to_string()
            .contains("distill.teacher_share_decay")
    );
}
