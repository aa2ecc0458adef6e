//! KL-divergence estimators from samples. (Analytic KLs belong to the action distributions:
//! [`crate::dist::ActionDistribution::kl`].)

use burn::prelude::*;

/// Schulman's k3 estimator of KL(old || new) from samples of the old policy:
/// `(r - 1) - ln r` with `r = p_new / p_old`. Unbiased and never negative.
///
/// # Shapes
/// `logp_old, logp_new: [batch]` -> `[batch]`
pub fn kl_k3(logp_old: Tensor<1>, logp_new: Tensor<1>) -> Tensor<1> {
    let log_ratio = logp_new - logp_old;
    log_ratio.clone().exp() - 1.0 - log_ratio
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
}
