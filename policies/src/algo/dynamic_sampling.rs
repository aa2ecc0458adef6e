//! DAPO's dynamic sampling: a group whose rewards are all equal has zero advantage everywhere
//! and teaches nothing, so it is dropped and the batch refilled with new groups.

/// Whether each group of `group` rewards has any spread (is kept by dynamic sampling).
///
/// # Shapes
/// `rewards: [groups * group]` -> `[groups]`
pub fn informative_groups(rewards: &[f32], group: usize) -> Vec<bool> {
    rewards
        .chunks(group.max(1))
        .map(|g| g.iter().any(|&r| (r - g[0]).abs() > 1e-6))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_groups_without_spread() {
        let r = [1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0];
        assert_eq!(informative_groups(&r, 3), vec![false, true, false]);
    }
}
