//! PPO's loss terms on burn tensors. (Log-probabilities and entropies belong to the action
//! distributions: [`crate::dist`].)

use burn::prelude::*;

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
}
