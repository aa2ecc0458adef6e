//! The Lagrange multiplier of a constrained policy, learned by dual ascent (the H-infinity
//! constraint `E[cost] <= E[bound]`).

use robots::constraint::ConstraintSpec;
use serde::{Deserialize, Serialize};

/// The multiplier `lambda >= 0` of the constraint `E[cost] - E[bound] <= 0`. The policy maximises
/// `E[task return] - lambda * E[cost return]`; the dual ascent raises `lambda` while the
/// constraint is violated and lowers it (down to 0) while it holds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LagrangeMultiplier {
    /// Current value.
    pub value: f32,
    /// Step size of the dual ascent.
    pub lr: f32,
    /// Largest value.
    pub max: f32,
}

impl LagrangeMultiplier {
    /// A multiplier with the task's settings.
    pub fn new(spec: &ConstraintSpec) -> Self {
        Self {
            value: spec.multiplier_init.clamp(0.0, spec.multiplier_max),
            lr: spec.multiplier_lr,
            max: spec.multiplier_max,
        }
    }

    /// One dual-ascent step on a rollout whose steps under the constraint had mean cost
    /// `cost` and mean bound `bound`: `lambda <- clamp(lambda + lr * (cost - bound), 0, max)`.
    /// Returns the new value.
    pub fn step(&mut self, cost: f32, bound: f32) -> f32 {
        let next = self.value + self.lr * (cost - bound);
        if next.is_finite() {
            self.value = next.clamp(0.0, self.max);
        }
        self.value
    }

    /// The policy's advantage: the task's minus `lambda` times the cost's.
    ///
    /// # Shapes
    /// `task, cost: [n]` -> `[n]`
    pub fn combine(&self, task: &[f32], cost: &[f32]) -> Vec<f32> {
        task.iter()
            .zip(cost)
            .map(|(a, c)| a - self.value * c)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn multiplier(value: f32) -> LagrangeMultiplier {
        LagrangeMultiplier {
            value,
            lr: 5.0,
            max: 10.0,
        }
    }

    #[test]
    fn dual_ascent_follows_the_violation_and_stays_in_range() {
        let mut m = multiplier(0.5);
        // Cost 0.012 against bound 0.01: 0.5 + 5 * 0.002 = 0.51.
        assert!((m.step(0.012, 0.01) - 0.51).abs() < 1e-6);
        // Cost below the bound lowers it: 0.51 + 5 * (0.0 - 0.05) = 0.26.
        assert!((m.step(0.0, 0.05) - 0.26).abs() < 1e-6);
        // Never below 0 ...
        assert_eq!(m.step(0.0, 1.0), 0.0);
        // ... nor above the maximum.
        assert_eq!(m.step(100.0, 0.0), 10.0);
        // A non-finite statistic leaves it unchanged.
        assert_eq!(m.step(f32::NAN, 0.0), 10.0);
    }

    #[test]
    fn the_policy_advantage_is_the_task_advantage_minus_lambda_times_the_cost_advantage() {
        let m = multiplier(2.0);
        assert_eq!(m.combine(&[1.0, -0.5], &[0.25, -1.0]), vec![0.5, 1.5]);
        assert_eq!(multiplier(0.0).combine(&[1.0], &[7.0]), vec![1.0]);
    }

    #[test]
    fn the_initial_value_is_clamped_into_range() {
        let spec = ConstraintSpec {
            multiplier_init: 20.0,
            multiplier_lr: 1.0,
            multiplier_max: 10.0,
        };
        assert_eq!(LagrangeMultiplier::new(&spec).value, 10.0);
    }
}
