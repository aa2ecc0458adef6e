//! Per-term reward sums that an env accumulates between drains (metrics.csv's `rew_*` columns).

/// `names` paired with `sums` (as f32) and the step count, then both reset to zero: the body of
/// [`crate::env::Env::drain_reward_terms`] for envs that keep one f64 sum per term.
pub fn drain_term_sums(
    names: &[&'static str],
    sums: &mut [f64],
    steps: &mut u32,
) -> (Vec<(&'static str, f32)>, u32) {
    let terms = names
        .iter()
        .zip(sums.iter())
        .map(|(n, s)| (*n, *s as f32))
        .collect();
    let drained = *steps;
    sums.iter_mut().for_each(|s| *s = 0.0);
    *steps = 0;
    (terms, drained)
}
