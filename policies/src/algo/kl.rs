//! KL-divergence estimators.

use burn::prelude::*;

/// Analytic KL(old || new) between diagonal Gaussians, summed over action dimensions.
///
/// # Shapes
/// `mu_old, mu_new: [batch, act]`, `std_old, std_new: [batch or 1, act]` -> `[batch]`
pub fn gaussian_kl(
    mu_old: Tensor<2>,
    std_old: Tensor<2>,
    mu_new: Tensor<2>,
    std_new: Tensor<2>,
) -> Tensor<1> {
    let var_new = std_new.clone().powf_scalar(2.0);
    let ratio_term =
        (std_old.clone().powf_scalar(2.0) + (mu_old - mu_new).powf_scalar(2.0)) / (var_new * 2.0);
    ((std_new / std_old).log() + ratio_term - 0.5)
        .sum_dim(1)
        .squeeze_dim::<1>(1)
}

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
    fn analytic_kl_matches_hand_value() {
        let d = Device::flex();
        // KL(N(0,1) || N(1,2)) = ln 2 + (1 + 1) / 8 - 0.5 = ln 2 - 0.25
        let kl = gaussian_kl(
            Tensor::<2>::from_floats([[0.0]], &d),
            Tensor::<2>::from_floats([[1.0]], &d),
            Tensor::<2>::from_floats([[1.0]], &d),
            Tensor::<2>::from_floats([[2.0]], &d),
        )
        .into_scalar::<f32>();
        assert!((kl - (2.0f32.ln() - 0.25)).abs() < 1e-6, "{kl}");
    }

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
