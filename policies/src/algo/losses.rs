//! PPO's loss terms on burn tensors. (Log-probabilities and entropies belong to the action
//! distributions: [`crate::dist`].)

use super::core_trace::record;
use burn::prelude::*;

/// The clipped surrogate per element (to minimise), with separate lower and upper clip
/// ranges: `max(-A min(r, delta), -A clamp(r, 1 - clip_low, 1 + clip_high))`. `delta` is the
/// two-sided clip of INTELLECT-2 (an upper bound on the unclipped ratio, for negative
/// advantages); PPO passes None.
///
/// # Shapes
/// `ratio, advantages: [..]` (same shape) -> same shape
pub fn clipped_surrogate<const D: usize>(
    ratio: Tensor<D>,
    advantages: Tensor<D>,
    clip_low: f32,
    clip_high: f32,
    delta: Option<f32>,
) -> Tensor<D> {
    record("clipped_surrogate");
    let clipped = -advantages.clone() * ratio.clone().clamp(1.0 - clip_low, 1.0 + clip_high);
    let ratio = match delta {
        Some(d) => ratio.clamp_max(d),
        None => ratio,
    };
    let unclipped = -advantages * ratio;
    unclipped.max_pair(clipped)
}

/// The clipped surrogate loss (to minimise), averaged: PPO's policy loss,
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
    clipped_surrogate(ratio, advantages, clip_low, clip_high, None).mean()
}

/// Klear-Reasoner's gradient-preserving clipping (GPPO), per element: the same value as
/// [`clipped_surrogate`], but where PPO's clip cuts the gradient (`A > 0, r > 1 + clip_high` and
/// `A < 0, r < 1 - clip_low`) the term is `-A * sg(bound / r) * r`, so the gradient still flows,
/// scaled by `bound / r`.
///
/// # Shapes
/// `ratio, advantages: [..]` -> same shape
pub fn gradient_preserving_surrogate<const D: usize>(
    ratio: Tensor<D>,
    advantages: Tensor<D>,
    clip_low: f32,
    clip_high: f32,
) -> Tensor<D> {
    record("gradient_preserving_surrogate");
    let (lo, hi) = (1.0 - clip_low, 1.0 + clip_high);
    let r = ratio.clone().detach();
    let above = advantages
        .clone()
        .greater_elem(0.0)
        .bool_and(r.clone().greater_elem(hi));
    let below = advantages
        .clone()
        .lower_elem(0.0)
        .bool_and(r.clone().lower_elem(lo));
    let scale = r.clone().ones_like();
    let scale = scale
        .mask_where(above, r.clone().recip() * hi)
        .mask_where(below, r.recip() * lo);
    -(advantages * ratio * scale.detach())
}

/// CISPO (MiniMax-M1) per element: the policy gradient weighted by the importance ratio, the
/// ratio capped at `max_ratio` and treated as a constant: `-sg(min(r, max_ratio)) * A * log p`.
///
/// # Shapes
/// `ratio, advantages, logp: [..]` -> same shape
pub fn cispo_surrogate<const D: usize>(
    ratio: Tensor<D>,
    advantages: Tensor<D>,
    logp: Tensor<D>,
    max_ratio: f32,
) -> Tensor<D> {
    record("cispo_surrogate");
    -(ratio.clamp_max(max_ratio).detach() * advantages * logp)
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
        // The two-sided clip, delta 1.2: A = -1, r = 2: -A min(r, 1.2) = 1.2 against
        // -A clamp(r) = 1.2 (clip 0.2): 1.2; without delta the unclipped 2.0 wins.
        let per = clipped_surrogate(t1(&[2.0]), t1(&[-1.0]), 0.2, 0.2, Some(1.2));
        assert!((scalar(per) - 1.2).abs() < 1e-6);
        let per = clipped_surrogate(t1(&[2.0]), t1(&[-1.0]), 0.2, 0.2, None);
        assert!((scalar(per) - 2.0).abs() < 1e-6);
    }

    #[test]
    fn gppo_keeps_the_clipped_value_and_the_gradient_of_clipped_tokens() {
        let dev = Device::flex().autodiff();
        // r: clipped above (A > 0), clipped below (A < 0), inside, unclipped A < 0 above.
        let r_vals = [1.5f32, 0.5, 1.1, 1.5];
        let a_vals = [2.0f32, -1.0, 1.0, -1.0];
        let ratio = Tensor::<1>::from_floats(r_vals, &dev).require_grad();
        let adv = Tensor::<1>::from_floats(a_vals, &dev);
        let gppo = gradient_preserving_surrogate(ratio.clone(), adv.clone(), 0.2, 0.28);
        let ppo = clipped_surrogate(ratio.clone(), adv, 0.2, 0.28, None);
        let (g_vals, p_vals) = (
            crate::tensor_util::to_vec(gppo.clone()),
            crate::tensor_util::to_vec(ppo.clone()),
        );
        for k in 0..4 {
            assert!(
                (g_vals[k] - p_vals[k]).abs() < 1e-6,
                "value {k}: {} vs {}",
                g_vals[k],
                p_vals[k]
            );
        }
        // Hand values: -2 * 1.28, -(-1) * 0.8, -1.1, 1.5.
        for (g, want) in g_vals.iter().zip([-2.56f32, 0.8, -1.1, 1.5]) {
            assert!((g - want).abs() < 1e-6, "{g} vs {want}");
        }
        let grad_gppo =
            crate::tensor_util::to_vec(ratio.grad(&gppo.sum().backward()).expect("grad"));
        let ratio2 = Tensor::<1>::from_floats(r_vals, &dev).require_grad();
        let ppo2 = clipped_surrogate(
            ratio2.clone(),
            Tensor::<1>::from_floats(a_vals, &dev),
            0.2,
            0.28,
            None,
        );
        let grad_ppo =
            crate::tensor_util::to_vec(ratio2.grad(&ppo2.sum().backward()).expect("grad"));
        // PPO: no gradient through the clipped tokens; GPPO: -A * bound / r.
        assert_eq!(grad_ppo[0], 0.0);
        assert_eq!(grad_ppo[1], 0.0);
        assert!(
            (grad_gppo[0] - (-2.0 * 1.28 / 1.5)).abs() < 1e-6,
            "{}",
            grad_gppo[0]
        );
        assert!(
            (grad_gppo[1] - (1.0 * 0.8 / 0.5)).abs() < 1e-6,
            "{}",
            grad_gppo[1]
        );
        assert!(
            (grad_gppo[2] - grad_ppo[2]).abs() < 1e-6 && (grad_gppo[3] - grad_ppo[3]).abs() < 1e-6
        );
    }

    #[test]
    fn cispo_matches_hand_values_and_treats_the_ratio_as_constant() {
        let dev = Device::flex().autodiff();
        let logp = Tensor::<1>::from_floats([-0.5f32, -2.0], &dev).require_grad();
        let ratio = Tensor::<1>::from_floats([7.0f32, 0.5], &dev).require_grad();
        let adv = Tensor::<1>::from_floats([1.0f32, -2.0], &dev);
        let loss = cispo_surrogate(ratio.clone(), adv, logp.clone(), 5.0);
        // -min(7, 5) * 1 * -0.5 = 2.5; -0.5 * -2 * -2 = -2.
        let v = crate::tensor_util::to_vec(loss.clone());
        assert!(
            (v[0] - 2.5).abs() < 1e-6 && (v[1] + 2.0).abs() < 1e-6,
            "{v:?}"
        );
        let grads = loss.sum().backward();
        let g = crate::tensor_util::to_vec(logp.grad(&grads).expect("logp grad"));
        assert!(
            (g[0] + 5.0).abs() < 1e-6 && (g[1] - 1.0).abs() < 1e-6,
            "{g:?}"
        );
        assert!(
            ratio
                .grad(&grads)
                .is_none_or(|g| crate::tensor_util::to_vec(g).iter().all(|&x| x == 0.0))
        );
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
