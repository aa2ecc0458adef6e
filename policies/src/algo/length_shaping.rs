//! Rewards that depend on a completion's length: DAPO's soft over-length penalty, LASER's step
//! bonus and ALP's adaptive penalty. Lengths are in tokens.

use serde::{Deserialize, Serialize};

/// DAPO's soft over-length punishment: 0 up to `max_len - cache_len` tokens, then falling
/// linearly to -1 at `max_len`, and -1 beyond.
pub fn overlong_penalty(len: usize, max_len: usize, cache_len: usize) -> f32 {
    let free = max_len.saturating_sub(cache_len);
    if len <= free {
        0.0
    } else if len <= max_len {
        (free as f32 - len as f32) / cache_len.max(1) as f32
    } else {
        -1.0
    }
}

/// LASER (Liu et al. 2025): the correctness reward plus `alpha` when the completion is
/// correct and at most `target_len` tokens long.
pub fn laser_reward(correct: bool, len: usize, target_len: usize, alpha: f32) -> f32 {
    let c = if correct { 1.0 } else { 0.0 };
    c + if correct && len <= target_len {
        alpha
    } else {
        0.0
    }
}

/// ALP ("Just Enough Thinking", Xiang et al. 2025): `1[correct] - beta / n * max(p_solved,
/// 1 / k) * len`, where `p_solved` is the prompt's solve rate over its `k` rollouts and `n` a
/// normalising constant.
pub fn alp_reward(correct: bool, len: usize, solve_rate: f32, k: usize, beta: f32, n: f32) -> f32 {
    let c = if correct { 1.0 } else { 0.0 };
    c - beta / n * solve_rate.max(1.0 / k.max(1) as f32) * len as f32
}

/// Which length shaping the GRPO trainer applies to a task's correctness reward.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LengthShaping {
    /// None.
    None,
    /// [`laser_reward`] replaces the correctness reward.
    Laser {
        /// Target length `L_T` in tokens.
        target_len: usize,
        /// Bonus for a correct completion within the target.
        alpha: f32,
    },
    /// [`alp_reward`] replaces the correctness reward (K is the group size).
    Alp {
        /// Global coefficient.
        beta: f32,
        /// Normalising constant (e.g. the completion length limit).
        n: f32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlong_penalty_matches_dapo_by_hand() {
        // max 20, cache 4: free up to 16, then -(len - 16) / 4, -1 beyond 20.
        assert_eq!(overlong_penalty(16, 20, 4), 0.0);
        assert_eq!(overlong_penalty(18, 20, 4), -0.5);
        assert_eq!(overlong_penalty(20, 20, 4), -1.0);
        assert_eq!(overlong_penalty(21, 20, 4), -1.0);
    }

    #[test]
    fn laser_and_alp_match_hand_values() {
        assert_eq!(laser_reward(true, 5, 8, 0.5), 1.5);
        assert_eq!(laser_reward(true, 9, 8, 0.5), 1.0);
        assert_eq!(laser_reward(false, 5, 8, 0.5), 0.0);
        // beta 0.1, n 10, solve rate 0.75, 8 tokens: 1 - 0.01 * 0.75 * 8 = 0.94.
        assert!((alp_reward(true, 8, 0.75, 8, 0.1, 10.0) - 0.94).abs() < 1e-6);
        // A prompt nobody solved is charged at 1/K: 0 - 0.01 * (1/4) * 8 = -0.02.
        assert!((alp_reward(false, 8, 0.0, 4, 0.1, 10.0) + 0.02).abs() < 1e-6);
    }
}
