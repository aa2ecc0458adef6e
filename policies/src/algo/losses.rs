//! PPO's loss terms on burn tensors.

use burn::prelude::*;

const LN_2PI: f32 = 1.837_877_1; // ln(2 pi)

/// Log-density of `actions` under a diagonal Gaussian, summed over action dimensions.
///
/// # Shapes
/// `actions, mean: [batch, act]`, `log_std: [1, act]` -> `[batch]`
pub fn gaussian_log_prob(actions: Tensor<2>, mean: Tensor<2>, log_std: Tensor<2>) -> Tensor<1> {
    let z = (actions - mean) / log_std.clone().exp();
    (z.powf_scalar(2.0) * -0.5 - log_std - 0.5 * LN_2PI)
        .sum_dim(1)
        .squeeze_dim::<1>(1)
}

/// Entropy of a diagonal Gaussian, summed over action dimensions.
///
/// # Shapes
/// `log_std: [1, act]` -> `[1]`
pub fn gaussian_entropy(log_std: Tensor<2>) -> Tensor<1> {
    (log_std + 0.5 * (LN_2PI + 1.0)).sum()
}

/// The clipped surrogate loss (to minimise), with separate lower and upper clip ranges:
/// `mean(max(-A r, -A clamp(r, 1 - clip_low, 1 + clip_high)))`.
///
/// # Shapes
/// `ratio, advantages: [batch]` -> `[1]`
pub fn clipped_surrogate_loss(
    ratio: Tensor<1>,
    advantages: Tensor<1>,
    clip_low: f32,
    clip_high: f32,
) -> Tensor<1> {
    let unclipped = -advantages.clone() * ratio.clone();
    let clipped = -advantages * ratio.clamp(1.0 - clip_low, 1.0 + clip_high);
    unclipped.max_pair(clipped).mean()
}

/// Value loss `mean((V - R)^2)`, or with clipping (`Some(c)`) the larger of that and the loss of
/// `V_old + clamp(V - V_old, -c, c)`.
///
/// # Shapes
/// `values, old_values, returns: [batch]` -> `[1]`
pub fn value_loss(
    values: Tensor<1>,
    old_values: Tensor<1>,
    returns: Tensor<1>,
    clip: Option<f32>,
) -> Tensor<1> {
    let plain = (values.clone() - returns.clone()).powf_scalar(2.0);
    match clip {
        None => plain.mean(),
        Some(c) => {
            let clipped = old_values.clone() + (values - old_values).clamp(-c, c);
            let clipped_loss = (clipped - returns).powf_scalar(2.0);
            plain.max_pair(clipped_loss).mean()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev() -> Device {
        Device::flex()
    }

    fn t1(v: &[f32]) -> Tensor<1> {
        Tensor::<1>::from_floats(v, &dev())
    }

    fn scalar(t: Tensor<1>) -> f32 {
        t.into_scalar::<f32>()
    }

    #[test]
    fn surrogate_matches_hand_values() {
        // r = [0.5, 1.0, 1.5], A = [1, -1, 2], clip 0.2 both sides:
        // -A r = [-0.5, 1.0, -3.0]; -A clamp = [-0.8, 1.0, -2.4]; max = [-0.5, 1.0, -2.4]
        let loss = scalar(clipped_surrogate_loss(
            t1(&[0.5, 1.0, 1.5]),
            t1(&[1.0, -1.0, 2.0]),
            0.2,
            0.2,
        ));
        assert!((loss - (-1.9 / 3.0)).abs() < 1e-6, "{loss}");
        // Asymmetric: clip_high 0.3 lets r = 1.5 reach 1.3: max(-3, -2.6) = -2.6
        let loss = scalar(clipped_surrogate_loss(t1(&[1.5]), t1(&[2.0]), 0.2, 0.3));
        assert!((loss + 2.6).abs() < 1e-6, "{loss}");
    }

    #[test]
    fn value_clipping_matches_hand_values() {
        // V = 2, V_old = 1, R = 3, clip 0.2: plain (2-3)^2 = 1; clipped V = 1.2 -> 3.24; max = 3.24
        let v = scalar(value_loss(t1(&[2.0]), t1(&[1.0]), t1(&[3.0]), Some(0.2)));
        assert!((v - 3.24).abs() < 1e-5, "{v}");
        let v = scalar(value_loss(t1(&[2.0]), t1(&[1.0]), t1(&[3.0]), None));
        assert!((v - 1.0).abs() < 1e-6, "{v}");
    }

    #[test]
    fn gaussian_log_prob_and_entropy_match_closed_forms() {
        let d = dev();
        let a = Tensor::<2>::from_floats([[1.0, 0.0]], &d);
        let m = Tensor::<2>::from_floats([[0.0, 0.0]], &d);
        let ls = Tensor::<2>::from_floats([[0.0, (2.0f32).ln()]], &d);
        let lp = scalar(gaussian_log_prob(a, m, ls.clone()));
        // N(1; 0, 1) + N(0; 0, 2) in log: -0.5 - 0.5 ln 2pi + (-ln 2 - 0.5 ln 2pi)
        let expect = -0.5 - LN_2PI - 2.0f32.ln();
        assert!((lp - expect).abs() < 1e-5, "{lp} vs {expect}");
        let h = scalar(gaussian_entropy(ls));
        let expect_h = (LN_2PI + 1.0) + 2.0f32.ln();
        assert!((h - expect_h).abs() < 1e-5);
    }
}
