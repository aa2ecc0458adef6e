//! Learning-rate schedules, including rsl_rl's adaptive-KL rule.

use serde::{Deserialize, Serialize};

/// Which schedule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LrScheduleKind {
    /// Keep the learning rate.
    Fixed,
    /// Decay linearly to zero over the run.
    Linear,
    /// rsl_rl: divide by 1.5 when KL > 2 x desired, multiply by 1.5 when KL < desired / 2,
    /// within [1e-5, 1e-2].
    Adaptive,
}

/// A learning-rate schedule with its state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LrSchedule {
    /// The rule.
    pub kind: LrScheduleKind,
    /// Current learning rate.
    pub lr: f64,
    /// Initial learning rate (for the linear rule).
    pub initial_lr: f64,
    /// Target KL for the adaptive rule.
    pub desired_kl: f64,
}

impl LrSchedule {
    /// A schedule starting at `lr`.
    pub fn new(kind: LrScheduleKind, lr: f64, desired_kl: f64) -> Self {
        Self {
            kind,
            lr,
            initial_lr: lr,
            desired_kl,
        }
    }

    /// Updates after a minibatch with measured `kl`, at `progress` in [0, 1] of the run.
    pub fn step(&mut self, kl: f64, progress: f64) -> f64 {
        match self.kind {
            LrScheduleKind::Fixed => {}
            LrScheduleKind::Linear => self.lr = self.initial_lr * (1.0 - progress).max(0.0),
            LrScheduleKind::Adaptive => {
                if kl.is_finite() {
                    if kl > 2.0 * self.desired_kl {
                        self.lr = (self.lr / 1.5).max(1e-5);
                    } else if kl < self.desired_kl / 2.0 && kl > 0.0 {
                        self.lr = (self.lr * 1.5).min(1e-2);
                    }
                }
            }
        }
        self.lr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adaptive_rule_moves_by_one_and_a_half_within_bounds() {
        let mut s = LrSchedule::new(LrScheduleKind::Adaptive, 1e-3, 0.01);
        assert!((s.step(0.05, 0.0) - 1e-3 / 1.5).abs() < 1e-12);
        let mut s = LrSchedule::new(LrScheduleKind::Adaptive, 1e-3, 0.01);
        assert!((s.step(0.001, 0.0) - 1.5e-3).abs() < 1e-12);
        assert_eq!(s.step(0.01, 0.0), 1.5e-3, "in band: unchanged");
        let mut s = LrSchedule::new(LrScheduleKind::Adaptive, 9e-3, 0.01);
        assert_eq!(s.step(0.0001, 0.0), 1e-2);
        let mut s = LrSchedule::new(LrScheduleKind::Adaptive, 1.2e-5, 0.01);
        assert_eq!(s.step(1.0, 0.0), 1e-5);
    }
}
