//! KL-divergence estimators from samples. (Analytic KLs belong to the action distributions:
//! [`crate::dist::ActionDistribution::kl`].)

use super::core_trace::record;
use burn::prelude::*;

/// Schulman's k3 estimator of KL(old || new) from samples of the old policy:
/// `(r - 1) - ln r` with `r = p_new / p_old`. Unbiased and never negative.
///
/// # Shapes
/// `logp_old, logp_new: [batch]` -> `[batch]`
pub fn kl_k3<const D: usize>(logp_old: Tensor<D>, logp_new: Tensor<D>) -> Tensor<D> {
    record("kl_k3");
    let log_ratio = logp_new - logp_old;
    log_ratio.clone().exp() - 1.0 - log_ratio
}

/// Schulman's estimators of KL(pi || pi_ref) from samples of `pi`, with `r = pi_ref / pi`:
/// k1 `-ln r` (unbiased, can be negative), k2 `(ln r)^2 / 2` (biased, low variance), k3
/// `(r - 1) - ln r` (unbiased, never negative; TRL's and verl's default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KlEstimator {
    /// `-ln r`.
    K1,
    /// `(ln r)^2 / 2`.
    K2,
    /// `(r - 1) - ln r`.
    K3,
}

/// Per-sample estimate of KL(pi || pi_ref) from the log-probabilities `logp` (under pi, which
/// drew the samples) and `ref_logp` (under the reference).
///
/// # Shapes
/// `logp, ref_logp: [..]` -> same shape
pub fn kl_estimate<const D: usize>(
    estimator: KlEstimator,
    logp: Tensor<D>,
    ref_logp: Tensor<D>,
) -> Tensor<D> {
    match estimator {
        KlEstimator::K1 => logp - ref_logp,
        KlEstimator::K2 => (ref_logp - logp).powf_scalar(2.0) * 0.5,
        // k3 of KL(pi || ref) is k3's "(old || new)" form with old = pi, new = ref.
        KlEstimator::K3 => kl_k3(logp, ref_logp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k3_matches_hand_value_and_is_zero_for_equal_policies() {
        let d = Device::flex();
        // log r = ln 2: (2 - 1) - ln 2
        let k = kl_k3(
            Tensor::<1>::from_floats([0.0, -1.0], &d),
            Tensor::<1>::from_floats([2.0f32.ln(), -1.0], &d),
        );
        let k = crate::tensor_util::to_vec(k);
        assert!((k[0] - (1.0 - 2.0f32.ln())).abs() < 1e-6);
        assert_eq!(k[1], 0.0);
    }

    #[test]
    fn k1_k2_k3_match_hand_values() {
        let d = Device::flex();
        // logp = ln 0.5, ref = ln 0.25: ln r = ln 0.5 -> k1 = ln 2, k2 = (ln 2)^2 / 2,
        // k3 = (0.5 - 1) - ln 0.5 = ln 2 - 0.5.
        let logp = Tensor::<1>::from_floats([0.5f32.ln()], &d);
        let reference = Tensor::<1>::from_floats([0.25f32.ln()], &d);
        let l2 = 2.0f32.ln();
        let k = |e| crate::tensor_util::to_vec(kl_estimate(e, logp.clone(), reference.clone()))[0];
        assert!((k(KlEstimator::K1) - l2).abs() < 1e-6);
        assert!((k(KlEstimator::K2) - l2 * l2 / 2.0).abs() < 1e-6);
        assert!((k(KlEstimator::K3) - (l2 - 0.5)).abs() < 1e-6);
    }
}
