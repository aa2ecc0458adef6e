//! The diagonal Gaussian of continuous-action policies (rsl_rl's `Normal` over actions).

use super::ActionDistribution;
use burn::prelude::*;

/// `ln(2 pi)`.
const LN_2PI: f32 = 1.837_877_1;

/// Diagonal Gaussians over `act`-dimensional actions, one per batch row.
///
/// The standard deviation is either one state-independent row shared by the whole batch (PPO's
/// `ActorCritic`, rsl_rl's default) or one row per batch row (state-dependent noise).
///
/// # Shapes
/// `mean: [batch, act]`; `log_std`, `std: [1, act]` (shared) or `[batch, act]`
#[derive(Debug, Clone)]
pub struct DiagGaussian {
    mean: Tensor<2>,
    log_std: Tensor<2>,
    std: Tensor<2>,
}

impl DiagGaussian {
    /// The Gaussians with means `mean` and log standard deviations `log_std`.
    ///
    /// # Shapes
    /// `mean: [batch, act]`, `log_std: [1, act]` or `[batch, act]`
    pub fn new(mean: Tensor<2>, log_std: Tensor<2>) -> Self {
        let std = log_std.clone().exp();
        Self { mean, log_std, std }
    }

    /// The Gaussians with means `mean` and standard deviations `std` (all positive), e.g. the
    /// behaviour policy's parameters as a rollout stores them.
    ///
    /// # Shapes
    /// `mean: [batch, act]`, `std: [1, act]` or `[batch, act]`
    pub fn from_std(mean: Tensor<2>, std: Tensor<2>) -> Self {
        let log_std = std.clone().log();
        Self { mean, log_std, std }
    }

    /// Means. `[batch, act]`
    pub fn mean(&self) -> &Tensor<2> {
        &self.mean
    }

    /// Log standard deviations. `[1, act]` or `[batch, act]`
    pub fn log_std(&self) -> &Tensor<2> {
        &self.log_std
    }

    /// Standard deviations, `exp(log_std)`. `[1, act]` or `[batch, act]`
    pub fn std(&self) -> &Tensor<2> {
        &self.std
    }

    /// Action dimensions.
    pub fn act_dim(&self) -> usize {
        self.mean.dims()[1]
    }

    /// Whether the standard deviation is one row shared by the batch.
    fn shared_std(&self) -> bool {
        self.log_std.dims()[0] == 1
    }

    /// Samples `mean + std * noise` with the caller's standard-normal `noise`, so the caller keeps
    /// its own random stream (and may correlate the noise over time: every marginal stays
    /// N(0, 1), so log-probabilities are unaffected).
    ///
    /// # Shapes
    /// `noise: [batch, act]` -> `[batch, act]`
    pub fn sample_with_noise(&self, noise: Tensor<2>) -> Tensor<2> {
        self.mean.clone() + self.std.clone() * noise
    }
}

impl ActionDistribution for DiagGaussian {
    /// `[batch, act]`
    type Actions = Tensor<2>;

    fn batch_size(&self) -> usize {
        self.mean.dims()[0]
    }

    /// `sum_k -z_k^2 / 2 - ln sigma_k - ln(2 pi) / 2` with `z = (a - mu) / sigma`.
    ///
    /// # Shapes
    /// `actions: [batch, act]` -> `[batch]`
    fn log_prob(&self, actions: Tensor<2>) -> Tensor<1> {
        let z = (actions - self.mean.clone()) / self.std.clone();
        (z.powf_scalar(2.0) * -0.5 - self.log_std.clone() - 0.5 * LN_2PI)
            .sum_dim(1)
            .squeeze_dim::<1>(1)
    }

    /// `sum_k ln sigma_k + (ln(2 pi) + 1) / 2`.
    ///
    /// # Shapes
    /// `-> [batch]`
    fn entropy(&self) -> Tensor<1> {
        let per_row = (self.log_std.clone() + 0.5 * (LN_2PI + 1.0))
            .sum_dim(1)
            .squeeze_dim::<1>(1);
        if self.shared_std() {
            per_row.expand([self.batch_size()])
        } else {
            per_row
        }
    }

    /// With a shared standard deviation the entropy of every row is the same number: it is
    /// returned as is (no average of copies).
    ///
    /// # Shapes
    /// `-> [1]`
    fn mean_entropy(&self) -> Tensor<1> {
        if self.shared_std() {
            (self.log_std.clone() + 0.5 * (LN_2PI + 1.0)).sum()
        } else {
            self.entropy().mean()
        }
    }

    /// Analytic `KL(self || other) = sum_k ln(s'_k / s_k) + (s_k^2 + (mu_k - mu'_k)^2) / (2 s'_k^2)
    /// - 1/2`.
    ///
    /// # Shapes
    /// `-> [batch]`
    fn kl(&self, other: &Self) -> Tensor<1> {
        let var_other = other.std.clone().powf_scalar(2.0);
        let ratio_term = (self.std.clone().powf_scalar(2.0)
            + (self.mean.clone() - other.mean.clone()).powf_scalar(2.0))
            / (var_other * 2.0);
        ((other.std.clone() / self.std.clone()).log() + ratio_term - 0.5)
            .sum_dim(1)
            .squeeze_dim::<1>(1)
    }

    /// The means. `[batch, act]`
    fn mode(&self) -> Tensor<2> {
        self.mean.clone()
    }

    fn detach(&self) -> Self {
        Self {
            mean: self.mean.clone().detach(),
            log_std: self.log_std.clone().detach(),
            std: self.std.clone().detach(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor_util::{matrix, to_vec};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn dev() -> Device {
        Device::flex()
    }

    /// The log-density PPO used before distributions owned it (`algo::losses::gaussian_log_prob`),
    /// kept here as the oracle the distribution must reproduce bit for bit.
    fn reference_log_prob(actions: Tensor<2>, mean: Tensor<2>, log_std: Tensor<2>) -> Tensor<1> {
        let z = (actions - mean) / log_std.clone().exp();
        (z.powf_scalar(2.0) * -0.5 - log_std - 0.5 * LN_2PI)
            .sum_dim(1)
            .squeeze_dim::<1>(1)
    }

    #[test]
    fn log_prob_and_entropy_match_closed_forms() {
        let d = dev();
        let a = Tensor::<2>::from_floats([[1.0, 0.0]], &d);
        let m = Tensor::<2>::from_floats([[0.0, 0.0]], &d);
        let ls = Tensor::<2>::from_floats([[0.0, (2.0f32).ln()]], &d);
        let g = DiagGaussian::new(m, ls);
        let lp = g.log_prob(a).into_scalar::<f32>();
        // N(1; 0, 1) + N(0; 0, 2) in log: -0.5 - 0.5 ln 2pi + (-ln 2 - 0.5 ln 2pi)
        let expect = -0.5 - LN_2PI - 2.0f32.ln();
        assert!((lp - expect).abs() < 1e-5, "{lp} vs {expect}");
        let h = g.mean_entropy().into_scalar::<f32>();
        let expect_h = (LN_2PI + 1.0) + 2.0f32.ln();
        assert!((h - expect_h).abs() < 1e-5, "{h} vs {expect_h}");
        assert_eq!(to_vec(g.entropy()), vec![h]);
    }

    #[test]
    fn log_prob_is_bit_identical_to_the_former_loss_function() {
        let d = dev();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let (b, a) = (37, 5);
        let mut draw =
            |n: usize, r: f32| -> Vec<f32> { (0..n).map(|_| rng.random_range(-r..r)).collect() };
        let (mean, act, ls) = (draw(b * a, 2.0), draw(b * a, 3.0), draw(a, 1.0));
        let g = DiagGaussian::new(matrix(&mean, b, a, &d), matrix(&ls, 1, a, &d));
        let got = to_vec(g.log_prob(matrix(&act, b, a, &d)));
        let want = to_vec(reference_log_prob(
            matrix(&act, b, a, &d),
            matrix(&mean, b, a, &d),
            matrix(&ls, 1, a, &d),
        ));
        assert_eq!(got, want);
    }

    #[test]
    fn kl_matches_hand_value_and_is_zero_for_identical_distributions() {
        let d = dev();
        // KL(N(0,1) || N(1,2)) = ln 2 + (1 + 1) / 8 - 0.5 = ln 2 - 0.25
        let p = DiagGaussian::from_std(
            Tensor::<2>::from_floats([[0.0]], &d),
            Tensor::<2>::from_floats([[1.0]], &d),
        );
        let q = DiagGaussian::from_std(
            Tensor::<2>::from_floats([[1.0]], &d),
            Tensor::<2>::from_floats([[2.0]], &d),
        );
        let kl = p.kl(&q).into_scalar::<f32>();
        assert!((kl - (2.0f32.ln() - 0.25)).abs() < 1e-6, "{kl}");
        let g = DiagGaussian::new(
            Tensor::<2>::from_floats([[0.3, -1.0], [2.0, 0.5]], &d),
            Tensor::<2>::from_floats([[-0.7, 0.4]], &d),
        );
        assert_eq!(to_vec(g.kl(&g.clone())), vec![0.0, 0.0]);
    }

    #[test]
    fn sampling_with_given_noise_is_mean_plus_std_times_noise() {
        let d = dev();
        let g = DiagGaussian::new(
            Tensor::<2>::from_floats([[1.0, -2.0], [0.0, 3.0]], &d),
            Tensor::<2>::from_floats([[0.0, 2.0f32.ln()]], &d),
        );
        let a =
            to_vec(g.sample_with_noise(Tensor::<2>::from_floats([[0.5, 1.0], [-1.0, -0.25]], &d)));
        assert_eq!(a, vec![1.5, 0.0, -1.0, 2.5]);
        assert_eq!(to_vec(g.mode()), vec![1.0, -2.0, 0.0, 3.0]);
    }

    #[test]
    fn per_row_std_gives_per_row_entropy() {
        let d = dev();
        let g = DiagGaussian::new(
            Tensor::<2>::zeros([2, 1], &d),
            Tensor::<2>::from_floats([[0.0], [1.0]], &d),
        );
        let h = to_vec(g.entropy());
        let c = 0.5 * (LN_2PI + 1.0);
        assert!(
            (h[0] - c).abs() < 1e-6 && (h[1] - (1.0 + c)).abs() < 1e-6,
            "{h:?}"
        );
        let m = g.mean_entropy().into_scalar::<f32>();
        assert!((m - (0.5 + c)).abs() < 1e-6);
    }
}
