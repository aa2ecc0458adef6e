//! The cost channel of a constrained policy's rollout (the H-infinity constraint): per-step
//! costs and what the constraint allows, the cost head's values, and the cost's GAE.

use robots::constraint::ConstraintSample;

/// A constrained policy's second reward stream, time-major like its [`super::RolloutStorage`]
/// (`index = t * envs + e`).
#[derive(Debug, Clone, Default)]
pub struct CostChannel {
    /// Costs as GAE sees them: scaled like the rewards, `gamma * V_cost(terminal obs)` added on
    /// time-outs, 0 on steps not under the constraint. `[steps * envs]`
    pub rewards: Vec<f32>,
    /// The critic's cost head on the step's inputs. `[steps * envs]`
    pub values: Vec<f32>,
    /// GAE advantages of the cost. `[steps * envs]`
    pub advantages: Vec<f32>,
    /// Value targets of the cost head: advantages + values. `[steps * envs]`
    pub returns: Vec<f32>,
    /// The task's constraint sample of each step (`None`: the step was not under the
    /// constraint). `[steps * envs]`
    pub samples: Vec<Option<ConstraintSample>>,
}

impl CostChannel {
    /// Zeroed buffers for `n` transitions.
    pub fn new(n: usize) -> Self {
        Self {
            rewards: vec![0.0; n],
            values: vec![0.0; n],
            advantages: vec![0.0; n],
            returns: vec![0.0; n],
            samples: vec![None; n],
        }
    }
}

/// Means over the steps of one rollout that were under the constraint.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct ConstraintStats {
    /// Mean cost per step.
    pub cost: f32,
    /// Mean bound per step (`eta * |f| / (m g)`).
    pub bound: f32,
    /// Mean force magnitude (N).
    pub force_n: f32,
    /// Mean task reward per step.
    pub task_reward: f32,
    /// Share of the rollout's steps under the constraint.
    pub share: f32,
}

impl ConstraintStats {
    /// The means of `samples` (`None` entries are steps off the constraint); all zero when no
    /// step was under it.
    pub fn of(samples: &[Option<ConstraintSample>]) -> Self {
        let mut s = Self::default();
        let mut n = 0usize;
        for c in samples.iter().flatten() {
            s.cost += c.cost;
            s.bound += c.bound;
            s.force_n += c.force_n;
            s.task_reward += c.task_reward;
            n += 1;
        }
        if n > 0 {
            let k = n as f32;
            s.cost /= k;
            s.bound /= k;
            s.force_n /= k;
            s.task_reward /= k;
            s.share = k / samples.len() as f32;
        }
        s
    }

    /// [`Self::of`] over the union of every rank's `samples` (one all-reduce of the sums).
    pub fn across(samples: &[Option<ConstraintSample>], comm: &crate::collective::Comm) -> Self {
        if !comm.is_distributed() {
            return Self::of(samples);
        }
        // [cost, bound, force, task reward, steps under the constraint, steps]
        let mut sums = [0.0f64; 6];
        for c in samples.iter().flatten() {
            sums[0] += c.cost as f64;
            sums[1] += c.bound as f64;
            sums[2] += c.force_n as f64;
            sums[3] += c.task_reward as f64;
            sums[4] += 1.0;
        }
        sums[5] = samples.len() as f64;
        comm.sum_f64(&mut sums);
        let n = sums[4];
        if n == 0.0 {
            return Self::default();
        }
        Self {
            cost: (sums[0] / n) as f32,
            bound: (sums[1] / n) as f32,
            force_n: (sums[2] / n) as f32,
            task_reward: (sums[3] / n) as f32,
            share: (n / sums[5]) as f32,
        }
    }

    /// Mean cost over mean bound (0 when no force acted).
    pub fn ratio(&self) -> f32 {
        if self.bound > 0.0 {
            self.cost / self.bound
        } else {
            0.0
        }
    }

    /// The constraint's relative violation `max(0, E[cost] - E[bound]) / E[bound]` (0 when no
    /// step was under the constraint).
    pub fn violation(&self) -> f32 {
        if self.bound > 0.0 {
            (self.cost - self.bound).max(0.0) / self.bound
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(cost: f32, bound: f32) -> Option<ConstraintSample> {
        Some(ConstraintSample {
            cost,
            bound,
            force_n: 10.0,
            task_reward: 0.02,
        })
    }

    #[test]
    fn stats_average_the_steps_under_the_constraint_only() {
        let s = ConstraintStats::of(&[sample(0.01, 0.02), None, sample(0.03, 0.02), None]);
        assert!((s.cost - 0.02).abs() < 1e-9);
        assert!((s.bound - 0.02).abs() < 1e-9);
        assert_eq!(s.share, 0.5);
        assert_eq!(s.ratio(), 1.0);
        assert_eq!(s.violation(), 0.0);
        // Cost 0.03 against a bound of 0.02: violated by half the bound.
        let v = ConstraintStats::of(&[sample(0.03, 0.02)]);
        assert!((v.violation() - 0.5).abs() < 1e-6, "{}", v.violation());
        assert_eq!(
            ConstraintStats::of(&[None, None]),
            ConstraintStats::default()
        );
    }
}
