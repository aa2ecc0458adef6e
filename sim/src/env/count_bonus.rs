//! A count-based exploration bonus over cells (Strehl and Littman 2008; Bellemare et al. 2016):
//! each step earns `beta / sqrt(n)` on top of the task's reward, `n` the number of visits to the
//! cell the step ended in. The PPO-with-exploration-bonus baseline of Go-Explore's comparison.
//!
//! Counts are per env (each env of a batch keeps its own table), so a batch steps on any number
//! of threads with bit-identical results, and the table is part of the env's snapshot.

use super::cells::{CellFeatures, CellFunction, CellKey};
use super::{Env, HostedAgent, Mirror, StepInfo, StepOutcome};
use crate::error::SimError;
use crate::scene::ArticulationState;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// `inner` with a count-based bonus added to its reward (`beta = 0`: none, and no counting).
pub struct CountBonus<E: CellFeatures> {
    inner: E,
    cells: CellFunction,
    beta: f32,
    counts: HashMap<CellKey, u32>,
    bonus_sum: f32,
}

/// The inner env's snapshot and the visit counts.
#[derive(Clone, Serialize, Deserialize)]
pub struct CountBonusSnapshot<S> {
    inner: S,
    counts: Vec<(CellKey, u32)>,
    bonus_sum: f32,
}

impl<E: CellFeatures> CountBonus<E> {
    /// Wraps `inner`; `cells` bins its features, `beta` weighs the bonus.
    pub fn new(inner: E, cells: CellFunction, beta: f32) -> Self {
        Self {
            inner,
            cells,
            beta,
            counts: HashMap::new(),
            bonus_sum: 0.0,
        }
    }

    /// The wrapped env.
    pub fn inner(&self) -> &E {
        &self.inner
    }

    /// The wrapped env, mutably.
    pub fn inner_mut(&mut self) -> &mut E {
        &mut self.inner
    }

    /// Distinct cells this env has visited.
    pub fn cells_visited(&self) -> usize {
        self.counts.len()
    }

    fn count(&mut self) -> f32 {
        if self.beta == 0.0 {
            return 0.0;
        }
        let key = self.cells.cell_of(&self.inner);
        let n = self.counts.entry(key).or_insert(0);
        *n += 1;
        self.beta / (*n as f32).sqrt()
    }
}

impl<E: CellFeatures> Env for CountBonus<E> {
    type Snapshot = CountBonusSnapshot<E::Snapshot>;

    fn obs_dim(&self) -> usize {
        self.inner.obs_dim()
    }
    fn action_dim(&self) -> usize {
        self.inner.action_dim()
    }
    fn reseed(&mut self, seed: u64) {
        self.inner.reseed(seed);
    }
    fn reset(&mut self, obs: &mut [f32]) {
        self.inner.reset(obs);
        self.count();
    }
    fn step(&mut self, action: &[f32], obs: &mut [f32]) -> StepOutcome {
        let mut out = self.inner.step(action, obs);
        let bonus = self.count();
        self.bonus_sum += bonus;
        out.reward += bonus;
        out
    }
    fn snapshot(&self) -> Self::Snapshot {
        let mut counts: Vec<(CellKey, u32)> =
            self.counts.iter().map(|(k, v)| (k.clone(), *v)).collect();
        counts.sort();
        CountBonusSnapshot {
            inner: self.inner.snapshot(),
            counts,
            bonus_sum: self.bonus_sum,
        }
    }
    fn restore(&mut self, s: &Self::Snapshot) {
        self.inner.restore(&s.inner);
        self.counts = s.counts.iter().cloned().collect();
        self.bonus_sum = s.bonus_sum;
    }
    fn reset_to_state(
        &mut self,
        state: &ArticulationState,
        obs: &mut [f32],
    ) -> Result<(), SimError> {
        self.inner.reset_to_state(state, obs)?;
        self.count();
        Ok(())
    }
    fn privileged_dim(&self) -> usize {
        self.inner.privileged_dim()
    }
    fn write_privileged(&self, out: &mut [f32]) {
        self.inner.write_privileged(out);
    }
    fn step_info(&self) -> StepInfo {
        self.inner.step_info()
    }
    fn drain_reward_terms(&mut self) -> (Vec<(&'static str, f32)>, u32) {
        let (mut named, steps) = self.inner.drain_reward_terms();
        named.push(("count_bonus", std::mem::take(&mut self.bonus_sum)));
        (named, steps)
    }
    fn curriculum_levels(&self) -> Vec<(&'static str, f32)> {
        let mut levels = self.inner.curriculum_levels();
        levels.push(("cells_visited", self.counts.len() as f32));
        levels
    }
    fn mirror(&self) -> Result<Mirror, String> {
        self.inner.mirror()
    }
    fn contract(&self) -> Option<robots::contract::DeployContract> {
        self.inner.contract()
    }
    fn hosted_agents(&self) -> Vec<HostedAgent> {
        self.inner.hosted_agents()
    }
    fn set_hosted_action(&mut self, agent: usize, action: &[f32]) {
        self.inner.set_hosted_action(agent, action);
    }
    fn hosted_reward(&self, agent: usize) -> f32 {
        self.inner.hosted_reward(agent)
    }
}

impl<E: CellFeatures> CellFeatures for CountBonus<E> {
    fn cell_feature_names(&self) -> &'static [&'static str] {
        self.inner.cell_feature_names()
    }
    fn cell_features(&self, out: &mut [f32]) {
        self.inner.cell_features(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::cells::CellConfig;

    /// A point on a line that moves by its action.
    struct Line {
        x: f32,
    }

    impl Env for Line {
        type Snapshot = f32;
        fn obs_dim(&self) -> usize {
            1
        }
        fn action_dim(&self) -> usize {
            1
        }
        fn reseed(&mut self, _: u64) {}
        fn reset(&mut self, obs: &mut [f32]) {
            self.x = 0.0;
            obs[0] = 0.0;
        }
        fn step(&mut self, action: &[f32], obs: &mut [f32]) -> StepOutcome {
            self.x += action[0];
            obs[0] = self.x;
            StepOutcome {
                reward: 0.25,
                ..StepOutcome::default()
            }
        }
        fn snapshot(&self) -> f32 {
            self.x
        }
        fn restore(&mut self, s: &f32) {
            self.x = *s;
        }
    }

    impl CellFeatures for Line {
        fn cell_feature_names(&self) -> &'static [&'static str] {
            &["x"]
        }
        fn cell_features(&self, out: &mut [f32]) {
            out[0] = self.x;
        }
    }

    fn wrapped(beta: f32) -> CountBonus<Line> {
        let cells = CellConfig([("x".to_string(), 1.0)].into_iter().collect())
            .bind(&["x"], "env.cells")
            .unwrap();
        CountBonus::new(Line { x: 0.0 }, cells, beta)
    }

    #[test]
    fn the_bonus_is_beta_over_the_root_of_the_visit_count() {
        let mut env = wrapped(2.0);
        let mut obs = [0.0];
        env.reset(&mut obs); // cell 0 visited once
        let r1 = env.step(&[0.0], &mut obs).reward; // cell 0, n = 2
        let r2 = env.step(&[0.0], &mut obs).reward; // n = 3
        let r3 = env.step(&[1.0], &mut obs).reward; // cell 1, n = 1
        assert!((r1 - (0.25 + 2.0 / 2f32.sqrt())).abs() < 1e-6, "{r1}");
        assert!((r2 - (0.25 + 2.0 / 3f32.sqrt())).abs() < 1e-6, "{r2}");
        assert!((r3 - (0.25 + 2.0)).abs() < 1e-6, "{r3}");
        assert_eq!(env.cells_visited(), 2);
        let mut plain = wrapped(0.0);
        plain.reset(&mut obs);
        assert_eq!(plain.step(&[1.0], &mut obs).reward, 0.25);
        assert_eq!(plain.cells_visited(), 0);
    }

    #[test]
    fn counts_travel_with_the_snapshot() {
        let mut env = wrapped(1.0);
        let mut obs = [0.0];
        env.reset(&mut obs);
        env.step(&[0.0], &mut obs);
        let snap = env.snapshot();
        let a = env.step(&[0.0], &mut obs).reward;
        env.restore(&snap);
        let b = env.step(&[0.0], &mut obs).reward;
        assert_eq!(a, b, "the restored table repeats the bonus");
    }
}
