//! Group-relative advantages (GRPO and its variants): every prompt's G completions are a group,
//! and each completion's advantage is its reward against its group's.

use super::normalizer::mean_and_std;
use serde::{Deserialize, Serialize};

/// How a completion's reward becomes its advantage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdvantageMode {
    /// GRPO: `(r - mean_group) / (std_group + 1e-4)`, the sample std (TRL's `scale_rewards =
    /// "group"`).
    Group,
    /// Dr. GRPO: `r - mean_group`, no division (TRL's `scale_rewards = "none"`).
    MeanOnly,
    /// `(r - mean_group) / (std_batch + 1e-4)`, the std of every reward in the batch (TRL's
    /// `scale_rewards = "batch"`).
    Batch,
    /// RLOO: `r - mean of the group's other rewards` (0 for a group of one).
    Rloo,
}

/// The epsilon TRL adds to the standard deviation.
pub const STD_EPS: f32 = 1e-4;

/// Advantages of `rewards`, laid out group after group (`group` completions per prompt; a
/// trailing partial group is its own group).
///
/// # Shapes
/// `rewards: [groups * group]` -> same
pub fn group_advantages(rewards: &[f32], group: usize, mode: AdvantageMode) -> Vec<f32> {
    let group = group.max(1);
    let batch_std = mean_and_std(rewards, true).1;
    let mut out = Vec::with_capacity(rewards.len());
    for g in rewards.chunks(group) {
        let (mean, std) = mean_and_std(g, true);
        let n = g.len() as f32;
        let sum: f32 = g.iter().sum();
        out.extend(g.iter().map(|&r| match mode {
            AdvantageMode::Group => (r - mean) / (std + STD_EPS),
            AdvantageMode::MeanOnly => r - mean,
            AdvantageMode::Batch => (r - mean) / (batch_std + STD_EPS),
            AdvantageMode::Rloo if g.len() > 1 => r - (sum - r) / (n - 1.0),
            AdvantageMode::Rloo => 0.0,
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f32], b: &[f32]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-5, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn every_mode_matches_hand_values() {
        // Two groups of 3: [1, 0, 0] (mean 1/3, sample std 1/sqrt(3)) and [2, 2, 2].
        let r = [1.0, 0.0, 0.0, 2.0, 2.0, 2.0];
        let s = 1.0 / 3.0f32.sqrt();
        close(
            &group_advantages(&r, 3, AdvantageMode::Group),
            &[
                (2.0 / 3.0) / (s + 1e-4),
                (-1.0 / 3.0) / (s + 1e-4),
                (-1.0 / 3.0) / (s + 1e-4),
                0.0,
                0.0,
                0.0,
            ],
        );
        close(
            &group_advantages(&r, 3, AdvantageMode::MeanOnly),
            &[2.0 / 3.0, -1.0 / 3.0, -1.0 / 3.0, 0.0, 0.0, 0.0],
        );
        // Batch: mean 7/6, sample variance (sum of squares 13 - 6 * (7/6)^2) / 5.
        let bstd = ((13.0 - 6.0 * (7.0f32 / 6.0).powi(2)) / 5.0).sqrt();
        close(
            &group_advantages(&r, 3, AdvantageMode::Batch),
            &[
                (2.0 / 3.0) / (bstd + 1e-4),
                (-1.0 / 3.0) / (bstd + 1e-4),
                (-1.0 / 3.0) / (bstd + 1e-4),
                0.0,
                0.0,
                0.0,
            ],
        );
        // RLOO: 1 - 0, 0 - 1/2, 0 - 1/2.
        close(
            &group_advantages(&r, 3, AdvantageMode::Rloo),
            &[1.0, -0.5, -0.5, 0.0, 0.0, 0.0],
        );
        close(&group_advantages(&[3.0], 1, AdvantageMode::Rloo), &[0.0]);
    }
}
