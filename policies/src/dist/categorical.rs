//! The categorical distribution of discrete-action (token) policies.

use super::ActionDistribution;
use crate::tensor_util::to_vec;
use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use rand::{Rng, RngExt};

/// Categorical distributions over `classes` outcomes, one per batch row, from unnormalised
/// logits.
///
/// Logits must be finite: mask an outcome with a large negative logit (e.g. `-1e9`), not
/// `-inf`, which turns `0 * ln 0` into NaN in the entropy and the KL.
///
/// # Shapes
/// `logits`, `log_probs: [batch, classes]`; actions are class indices `[batch]`
#[derive(Debug, Clone)]
pub struct Categorical {
    logits: Tensor<2>,
    log_probs: Tensor<2>,
}

impl Categorical {
    /// The distributions `softmax(logits)`, row by row.
    ///
    /// # Shapes
    /// `logits: [batch, classes]`
    pub fn new(logits: Tensor<2>) -> Self {
        let log_probs = log_softmax(logits.clone(), 1);
        Self { logits, log_probs }
    }

    /// The logits given to [`Categorical::new`]. `[batch, classes]`
    pub fn logits(&self) -> &Tensor<2> {
        &self.logits
    }

    /// Normalised log-probabilities, `log_softmax(logits)`. `[batch, classes]`
    pub fn log_probs(&self) -> &Tensor<2> {
        &self.log_probs
    }

    /// Probabilities, `softmax(logits)`. `[batch, classes]`
    pub fn probs(&self) -> Tensor<2> {
        self.log_probs.clone().exp()
    }

    /// Number of outcomes.
    pub fn num_classes(&self) -> usize {
        self.logits.dims()[1]
    }

    /// Class indices as the tensor [`ActionDistribution::log_prob`] takes.
    ///
    /// # Shapes
    /// `indices: [batch]` -> `[batch]`
    pub fn actions(indices: &[usize], device: &Device) -> Tensor<1, Int> {
        let ints: Vec<i64> = indices.iter().map(|&i| i as i64).collect();
        Tensor::<1, Int>::from_data(TensorData::new(ints, [indices.len()]), device)
    }

    /// Draws one class per row by inverse CDF: one uniform `u` in [0, 1) per row, in row order,
    /// picks the first class whose cumulative probability (summed in f64) exceeds `u`. Rounding
    /// that leaves the total just under `u` picks the last class with non-zero probability.
    ///
    /// # Shapes
    /// `-> [batch]` class indices
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<usize> {
        let classes = self.num_classes();
        let probs = to_vec(self.probs());
        probs
            .chunks(classes.max(1))
            .map(|row| {
                let u: f64 = rng.random();
                let mut cdf = 0.0f64;
                let mut last_possible = 0;
                for (i, &p) in row.iter().enumerate() {
                    if p > 0.0 {
                        last_possible = i;
                    }
                    cdf += p as f64;
                    if u < cdf {
                        return i;
                    }
                }
                last_possible
            })
            .collect()
    }

    /// The greedy choice of each row (the first arg-max) as host indices.
    ///
    /// # Shapes
    /// `-> [batch]`
    pub fn mode_indices(&self) -> Vec<usize> {
        self.mode()
            .into_data()
            .iter::<i64>()
            .map(|i| i as usize)
            .collect()
    }
}

impl ActionDistribution for Categorical {
    /// Class indices. `[batch]`
    type Actions = Tensor<1, Int>;

    fn batch_size(&self) -> usize {
        self.logits.dims()[0]
    }

    /// `ln p(a)` of each row's class `a`.
    ///
    /// # Shapes
    /// `actions: [batch]` -> `[batch]`
    fn log_prob(&self, actions: Tensor<1, Int>) -> Tensor<1> {
        self.log_probs
            .clone()
            .gather(1, actions.unsqueeze_dim::<2>(1))
            .squeeze_dim::<1>(1)
    }

    /// `-sum_c p_c ln p_c`.
    ///
    /// # Shapes
    /// `-> [batch]`
    fn entropy(&self) -> Tensor<1> {
        -(self.probs() * self.log_probs.clone())
            .sum_dim(1)
            .squeeze_dim::<1>(1)
    }

    /// `KL(self || other) = sum_c p_c (ln p_c - ln q_c)`.
    ///
    /// # Shapes
    /// `-> [batch]`
    fn kl(&self, other: &Self) -> Tensor<1> {
        (self.probs() * (self.log_probs.clone() - other.log_probs.clone()))
            .sum_dim(1)
            .squeeze_dim::<1>(1)
    }

    /// The arg-max class of each row. `[batch]`
    fn mode(&self) -> Tensor<1, Int> {
        self.logits.clone().argmax(1).squeeze_dim::<1>(1)
    }

    fn detach(&self) -> Self {
        Self {
            logits: self.logits.clone().detach(),
            log_probs: self.log_probs.clone().detach(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn dev() -> Device {
        Device::flex()
    }

    /// Probabilities 1/6, 2/6, 3/6 (logits ln 1, ln 2, ln 3 plus a row offset, which softmax
    /// ignores) and 1/4 each.
    fn known() -> Categorical {
        let (l2, l3) = (2.0f32.ln(), 3.0f32.ln());
        Categorical::new(Tensor::<2>::from_floats(
            [[0.0, l2, l3, -1e9], [5.0, 5.0, 5.0, 5.0]],
            &dev(),
        ))
    }

    #[test]
    fn log_prob_and_entropy_match_hand_values() {
        let c = known();
        let lp = to_vec(c.log_prob(Categorical::actions(&[2, 1], &dev())));
        assert!((lp[0] - 0.5f32.ln()).abs() < 1e-6, "{lp:?}");
        assert!((lp[1] - 0.25f32.ln()).abs() < 1e-6, "{lp:?}");
        let h = to_vec(c.entropy());
        let p = [1.0f64 / 6.0, 2.0 / 6.0, 3.0 / 6.0];
        let h0 = -p.iter().map(|p| p * p.ln()).sum::<f64>();
        assert!((h[0] as f64 - h0).abs() < 1e-6, "{h:?} vs {h0}");
        assert!((h[1] as f64 - 4.0f64.ln()).abs() < 1e-6, "{h:?}");
        let m = c.mean_entropy().into_scalar::<f32>() as f64;
        assert!((m - (h0 + 4.0f64.ln()) / 2.0).abs() < 1e-6);
    }

    #[test]
    fn kl_matches_hand_value_and_is_zero_for_identical_distributions() {
        let d = dev();
        let c = known();
        assert_eq!(to_vec(c.kl(&c.clone())), vec![0.0, 0.0]);
        // KL([1/2, 1/2] || [1/4, 3/4]) = 1/2 ln 2 + 1/2 ln(2/3)
        let p = Categorical::new(Tensor::<2>::from_floats([[0.0, 0.0]], &d));
        let q = Categorical::new(Tensor::<2>::from_floats([[0.0, 3.0f32.ln()]], &d));
        let kl = p.kl(&q).into_scalar::<f32>() as f64;
        let want = 0.5 * 2.0f64.ln() + 0.5 * (2.0f64 / 3.0).ln();
        assert!((kl - want).abs() < 1e-6, "{kl} vs {want}");
    }

    #[test]
    fn mode_is_the_arg_max() {
        let c = known();
        assert_eq!(c.mode_indices()[0], 2);
    }

    #[test]
    fn sampling_frequencies_match_the_probabilities() {
        let c = known();
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let draws = 20_000;
        let mut counts = [[0usize; 4]; 2];
        for _ in 0..draws {
            for (row, &k) in c.sample(&mut rng).iter().enumerate() {
                counts[row][k] += 1;
            }
        }
        let want = [[1.0 / 6.0, 2.0 / 6.0, 3.0 / 6.0, 0.0], [0.25; 4]];
        for (row, w) in counts.iter().zip(&want) {
            for (&n, &p) in row.iter().zip(w) {
                let f = n as f64 / draws as f64;
                assert!((f - p).abs() < 0.01, "{counts:?}");
            }
        }
        // The masked class is never drawn.
        assert_eq!(counts[0][3], 0);
    }

    #[test]
    fn log_prob_is_differentiable_in_the_logits() {
        // d/dz_a ln softmax(z)_a = 1 - p_a; d/dz_b = -p_b.
        let d = dev().autodiff();
        let logits = Tensor::<2>::from_floats([[0.0, 0.0]], &d).require_grad();
        let c = Categorical::new(logits.clone());
        let grads = c.log_prob(Categorical::actions(&[0], &d)).sum().backward();
        let g = to_vec(logits.grad(&grads).expect("gradient"));
        assert!(
            (g[0] - 0.5).abs() < 1e-6 && (g[1] + 0.5).abs() < 1e-6,
            "{g:?}"
        );
    }
}
