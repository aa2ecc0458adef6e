//! What a policy perceives of the objects: the teacher reads the simulator's state; the student
//! sees what a robot's cameras would give (BiDexHD's student): a pose with noise, some control
//! steps old, and no velocity.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Which observation a policy gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObservationVariant {
    /// The simulator's state: exact object poses and velocities, contact flags, the level.
    Teacher,
    /// Realistic: object poses with noise and latency, no object velocities, no contact flags.
    Student,
}

/// The observation settings (`[env.observation]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ObservationConfig {
    /// Teacher or student.
    pub variant: ObservationVariant,
    /// Student: standard deviation of the object position noise, per axis (m).
    pub position_noise_m: f32,
    /// Student: standard deviation of the noise on each quaternion component (renormalised).
    pub rotation_noise: f32,
    /// Student: age of the object pose it sees, in control steps (2 = 40 ms).
    pub latency_steps: usize,
}

impl Default for ObservationConfig {
    fn default() -> Self {
        Self {
            variant: ObservationVariant::Teacher,
            position_noise_m: 0.005,
            rotation_noise: 0.02,
            latency_steps: 2,
        }
    }
}

/// One object's pose: position (m) and orientation `[w, x, y, z]`.
pub type ObjectPose = ([f32; 3], [f32; 4]);

/// The object poses a policy perceives, step by step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectSensor {
    config: ObservationConfig,
    rng: ChaCha8Rng,
    /// The true poses of the last `latency_steps + 1` steps, oldest first.
    history: VecDeque<Vec<ObjectPose>>,
    /// What the policy perceives now.
    sensed: Vec<ObjectPose>,
}

impl ObjectSensor {
    /// A sensor with its own noise stream from `seed`.
    pub fn new(config: ObservationConfig, seed: u64) -> Self {
        Self {
            config,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5E45_0B5E),
            history: VecDeque::new(),
            sensed: Vec::new(),
        }
    }

    /// Whether the policy is a student.
    pub fn is_student(&self) -> bool {
        self.config.variant == ObservationVariant::Student
    }

    /// Starts an episode with the objects at rest at `truth` (the delay line fills with it).
    pub fn reset(&mut self, truth: Vec<ObjectPose>) {
        self.history.clear();
        for _ in 0..=self.config.latency_steps {
            self.history.push_back(truth.clone());
        }
        self.sense();
    }

    /// Takes the true poses after a step.
    pub fn update(&mut self, truth: Vec<ObjectPose>) {
        self.history.push_back(truth);
        while self.history.len() > self.config.latency_steps + 1 {
            self.history.pop_front();
        }
        self.sense();
    }

    fn sense(&mut self) {
        let Some(oldest) = self.history.front() else {
            self.sensed.clear();
            return;
        };
        if !self.is_student() {
            self.sensed = self.history.back().cloned().unwrap_or_default();
            return;
        }
        let position = Normal::new(0.0, self.config.position_noise_m.max(0.0)).ok();
        let rotation = Normal::new(0.0, self.config.rotation_noise.max(0.0)).ok();
        let mut sensed = oldest.clone();
        for (p, q) in &mut sensed {
            if let Some(n) = &position {
                for v in p.iter_mut() {
                    *v += n.sample(&mut self.rng);
                }
            }
            if let Some(n) = &rotation {
                for v in q.iter_mut() {
                    *v += n.sample(&mut self.rng);
                }
                let norm = q.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-6);
                q.iter_mut().for_each(|v| *v /= norm);
            }
        }
        self.sensed = sensed;
    }

    /// The poses the policy perceives (one per object).
    pub fn sensed(&self) -> &[ObjectPose] {
        &self.sensed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(x: f32) -> Vec<ObjectPose> {
        vec![([x, 0.5, 0.02], [1.0, 0.0, 0.0, 0.0])]
    }

    #[test]
    fn the_teacher_sees_the_present_exactly() {
        let mut s = ObjectSensor::new(ObservationConfig::default(), 1);
        s.reset(at(0.0));
        s.update(at(0.1));
        assert_eq!(s.sensed(), at(0.1).as_slice());
    }

    #[test]
    fn the_student_sees_the_pose_latency_steps_old_with_noise_of_the_set_size() {
        let config = ObservationConfig {
            variant: ObservationVariant::Student,
            latency_steps: 2,
            ..ObservationConfig::default()
        };
        let mut s = ObjectSensor::new(config, 1);
        s.reset(at(0.0));
        let mut errors = Vec::new();
        for k in 1..=400 {
            s.update(at(k as f32));
            let seen = s.sensed()[0].0[0];
            // Two steps old: the pose of step k - 2, plus noise.
            errors.push(seen - (k as f32 - 2.0).max(0.0));
            let q = s.sensed()[0].1;
            assert!((q.iter().map(|v| v * v).sum::<f32>() - 1.0).abs() < 1e-5);
        }
        let n = errors.len() as f32;
        let mean = errors.iter().sum::<f32>() / n;
        let std = (errors.iter().map(|e| (e - mean).powi(2)).sum::<f32>() / n).sqrt();
        assert!(mean.abs() < 0.001, "{mean}");
        assert!((std - 0.005).abs() < 0.001, "{std}");
    }
}
