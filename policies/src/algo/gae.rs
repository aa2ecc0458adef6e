//! Generalised advantage estimation (Schulman et al. 2016).

/// Computes GAE advantages and returns over a time-major rollout.
///
/// `dones[t*envs+e] = 1` means the episode ended after step `t`, so step `t+1` does not bootstrap
/// into it. Time-outs are handled by the caller adding `gamma * V(terminal obs)` to the reward of
/// the truncated step (then they count as done here).
///
/// # Shapes
/// `rewards, values, dones: [steps * envs]`, `last_values: [envs]` (values of the observation
/// after the last step); returns `(advantages, returns)`, both `[steps * envs]`.
pub fn compute_gae(
    rewards: &[f32],
    values: &[f32],
    dones: &[f32],
    last_values: &[f32],
    envs: usize,
    gamma: f32,
    lambda: f32,
) -> (Vec<f32>, Vec<f32>) {
    let n = rewards.len();
    let steps = n.checked_div(envs).unwrap_or(0);
    let mut adv = vec![0.0f32; n];
    let mut next_adv = vec![0.0f32; envs];
    for t in (0..steps).rev() {
        for e in 0..envs {
            let i = t * envs + e;
            let next_value = if t + 1 < steps {
                values[i + envs]
            } else {
                last_values[e]
            };
            let not_done = 1.0 - dones[i];
            let delta = rewards[i] + gamma * not_done * next_value - values[i];
            next_adv[e] = delta + gamma * lambda * not_done * next_adv[e];
            adv[i] = next_adv[e];
        }
    }
    let returns = adv.iter().zip(values).map(|(a, v)| a + v).collect();
    (adv, returns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_hand_computed_values() {
        // One env, three steps, gamma 0.9, lambda 0.8, episode ends after step 1.
        let r = [1.0, 2.0, 3.0];
        let v = [0.5, 1.0, 1.5];
        let d = [0.0, 1.0, 0.0];
        let last = [2.0];
        let (adv, ret) = compute_gae(&r, &v, &d, &last, 1, 0.9, 0.8);
        // t=2: delta = 3 + 0.9*2 - 1.5 = 3.3; A2 = 3.3
        // t=1: done, delta = 2 - 1 = 1; A1 = 1
        // t=0: delta = 1 + 0.9*1.0 - 0.5 = 1.4; A0 = 1.4 + 0.72*1 = 2.12
        let expect = [2.12, 1.0, 3.3];
        for (a, e) in adv.iter().zip(expect) {
            assert!((a - e).abs() < 1e-6, "{adv:?}");
        }
        assert!((ret[0] - 2.62).abs() < 1e-6);
    }

    #[test]
    fn envs_are_independent_in_time_major_layout() {
        // Two envs; env 1 has zero rewards everywhere.
        let r = [1.0, 0.0, 1.0, 0.0];
        let v = [0.0; 4];
        let d = [0.0; 4];
        let (adv, _) = compute_gae(&r, &v, &d, &[0.0, 0.0], 2, 1.0, 1.0);
        assert_eq!(adv, vec![2.0, 0.0, 1.0, 0.0]);
    }
}
