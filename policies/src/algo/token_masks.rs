//! Masks over completion tokens: the high-entropy tokens (the "80/20" rule: only the top
//! quantile of token entropies gets a gradient) and truncated completions.

/// The `q`-quantile of `x` with linear interpolation between order statistics (PyTorch's
/// `torch.quantile` default).
pub fn quantile(x: &[f32], q: f32) -> Option<f32> {
    if x.is_empty() {
        return None;
    }
    let mut v = x.to_vec();
    v.sort_by(f32::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f32;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(v[lo] + (v[hi] - v[lo]) * (pos - lo as f32))
}

/// Keeps the completion tokens whose entropy is at least the `1 - top_share` quantile of the
/// completion tokens' entropies (TRL's `top_entropy_quantile = top_share`); 1 keeps every token.
///
/// # Shapes
/// `entropies, mask: [B * T]` -> `[B * T]` (1 kept, 0 dropped)
pub fn high_entropy_mask(entropies: &[f32], mask: &[f32], top_share: f32) -> Vec<f32> {
    if top_share >= 1.0 {
        return mask.to_vec();
    }
    let valid: Vec<f32> = entropies
        .iter()
        .zip(mask)
        .filter(|(_, m)| **m > 0.0)
        .map(|(e, _)| *e)
        .collect();
    let Some(threshold) = quantile(&valid, 1.0 - top_share) else {
        return vec![0.0; mask.len()];
    };
    entropies
        .iter()
        .zip(mask)
        .map(|(e, m)| {
            if *m > 0.0 && *e >= threshold {
                1.0
            } else {
                0.0
            }
        })
        .collect()
}

/// Zeroes the mask rows of truncated completions (TRL's `mask_truncated_completions`).
///
/// # Shapes
/// `mask: [B * T]`, `truncated: [B]`
pub fn mask_truncated(mask: &mut [f32], truncated: &[bool]) {
    let t = mask.len() / truncated.len().max(1);
    for (row, &tr) in truncated.iter().enumerate() {
        if tr {
            mask[row * t..(row + 1) * t].fill(0.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_top_entropy_share_of_valid_tokens() {
        // Valid entropies 1, 2, 3, 4, 5 (the 9 is padding); the 0.6-quantile is 3.4.
        let e = [1.0, 2.0, 3.0, 4.0, 5.0, 9.0];
        let m = [1.0, 1.0, 1.0, 1.0, 1.0, 0.0];
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.6), Some(3.4));
        assert_eq!(
            high_entropy_mask(&e, &m, 0.4),
            vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0]
        );
        assert_eq!(high_entropy_mask(&e, &m, 1.0), m.to_vec());
    }

    #[test]
    fn truncated_rows_are_masked() {
        let mut m = vec![1.0; 6];
        mask_truncated(&mut m, &[false, true]);
        assert_eq!(m, vec![1.0, 1.0, 1.0, 0.0, 0.0, 0.0]);
    }
}
