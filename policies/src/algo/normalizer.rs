//! Advantage normalisers (batch, per group) and the empirical observation normaliser.

use crate::collective::Comm;
use serde::{Deserialize, Serialize};

/// Mean and standard deviation of `x` (in f64), the population form (divide by n) or the sample
/// form (divide by n - 1; 0 for fewer than two values). PyTorch's `std` (and so TRL's group
/// std) is the sample form.
pub fn mean_and_std(x: &[f32], sample: bool) -> (f32, f32) {
    super::core_trace::record("mean_and_std");
    let n = x.len();
    let mean = x.iter().map(|&v| v as f64).sum::<f64>() / n.max(1) as f64;
    let ss = x.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>();
    let var = match (sample, n) {
        (true, 0 | 1) => 0.0,
        (true, n) => ss / (n - 1) as f64,
        (false, n) => ss / n.max(1) as f64,
    };
    (mean as f32, var.sqrt() as f32)
}

fn mean_std(x: &[f32]) -> (f32, f32) {
    mean_and_std(x, false)
}

/// Normalises `x` in place to zero mean and unit standard deviation (`eps` guards the divide).
pub fn normalize_batch(x: &mut [f32], eps: f32) {
    let (mean, std) = mean_std(x);
    for v in x.iter_mut() {
        *v = (*v - mean) / (std + eps);
    }
}

/// [`normalize_batch`] over the union of every rank's `x`: the mean, then the population
/// standard deviation around it, each summed over the ranks (two all-reduces, as the single
/// process's two passes). On one rank it is [`normalize_batch`].
pub fn normalize_batch_across(x: &mut [f32], eps: f32, comm: &Comm) {
    if !comm.is_distributed() {
        return normalize_batch(x, eps);
    }
    let mut sum = [x.iter().map(|&v| v as f64).sum::<f64>(), x.len() as f64];
    comm.sum_f64(&mut sum);
    let mean = sum[0] / sum[1].max(1.0);
    let mut ss = [x.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>()];
    comm.sum_f64(&mut ss);
    let (mean, std) = (mean as f32, (ss[0] / sum[1].max(1.0)).sqrt() as f32);
    for v in x.iter_mut() {
        *v = (*v - mean) / (std + eps);
    }
}

/// Normalises each consecutive group of `group_size` values on its own (GRPO's group-relative
/// advantages). A trailing partial group is normalised on its own too.
pub fn normalize_groups(x: &mut [f32], group_size: usize, eps: f32) {
    for chunk in x.chunks_mut(group_size.max(1)) {
        normalize_batch(chunk, eps);
    }
}

/// Running mean and variance per feature (Chan et al.'s parallel update), for empirical
/// observation normalisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningMeanStd {
    /// Per-feature mean. `[dim]`
    pub mean: Vec<f64>,
    /// Per-feature variance. `[dim]`
    pub var: Vec<f64>,
    /// Number of samples seen.
    pub count: f64,
}

impl RunningMeanStd {
    /// Zero mean, unit variance, no samples.
    pub fn new(dim: usize) -> Self {
        Self {
            mean: vec![0.0; dim],
            var: vec![1.0; dim],
            count: 0.0,
        }
    }

    /// Folds a batch of rows into the statistics.
    ///
    /// # Shapes
    /// `batch: [rows * dim]`
    pub fn update(&mut self, batch: &[f32]) {
        let dim = self.mean.len();
        if dim == 0 || batch.is_empty() {
            return;
        }
        let rows = batch.len() / dim;
        let n = rows as f64;
        for j in 0..dim {
            let col = (0..rows).map(|r| batch[r * dim + j] as f64);
            let bmean = col.clone().sum::<f64>() / n;
            let bvar = col.map(|v| (v - bmean).powi(2)).sum::<f64>() / n;
            let total = self.count + n;
            let delta = bmean - self.mean[j];
            let m2 = self.var[j] * self.count + bvar * n + delta * delta * self.count * n / total;
            self.mean[j] += delta * n / total;
            self.var[j] = m2 / total;
        }
        self.count += n;
    }

    /// [`Self::update`] with the union of every rank's `batch` (each rank passes its own rows
    /// and all end with the same statistics): the batch's count and mean, then its squared
    /// deviations, each summed over the ranks. On one rank it is [`Self::update`].
    ///
    /// # Shapes
    /// `batch: [rows * dim]` on each rank
    pub fn update_across(&mut self, batch: &[f32], comm: &Comm) {
        if !comm.is_distributed() {
            return self.update(batch);
        }
        let dim = self.mean.len();
        if dim == 0 {
            return;
        }
        let rows = batch.len() / dim;
        // [column sums..., rows]
        let mut sums = vec![0.0f64; dim + 1];
        for row in batch.chunks_exact(dim) {
            for (s, &v) in sums.iter_mut().zip(row) {
                *s += v as f64;
            }
        }
        sums[dim] = rows as f64;
        comm.sum_f64(&mut sums);
        let n = sums[dim];
        if n == 0.0 {
            return;
        }
        let bmean: Vec<f64> = sums[..dim].iter().map(|s| s / n).collect();
        let mut ss = vec![0.0f64; dim];
        for row in batch.chunks_exact(dim) {
            for ((s, &v), m) in ss.iter_mut().zip(row).zip(&bmean) {
                *s += (v as f64 - m).powi(2);
            }
        }
        comm.sum_f64(&mut ss);
        for j in 0..dim {
            let bvar = ss[j] / n;
            let total = self.count + n;
            let delta = bmean[j] - self.mean[j];
            let m2 = self.var[j] * self.count + bvar * n + delta * delta * self.count * n / total;
            self.mean[j] += delta * n / total;
            self.var[j] = m2 / total;
        }
        self.count += n;
    }

    /// Normalises rows in place: `(x - mean) / sqrt(var + eps)`, clipped to `[-clip, clip]`.
    ///
    /// # Shapes
    /// `batch: [rows * dim]`
    pub fn normalize(&self, batch: &mut [f32], clip: f32) {
        let dim = self.mean.len();
        for (k, v) in batch.iter_mut().enumerate() {
            let j = k % dim.max(1);
            let z = (*v as f64 - self.mean[j]) / (self.var[j] + 1e-8).sqrt();
            *v = (z as f32).clamp(-clip, clip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn batch_normalisation_gives_zero_mean_unit_std(x in prop::collection::vec(-1e3f32..1e3, 2..200)) {
            let (_, std) = mean_std(&x);
            prop_assume!(std > 1e-2);
            let mut y = x.clone();
            normalize_batch(&mut y, 1e-8);
            let (m, s) = mean_std(&y);
            prop_assert!(m.abs() < 1e-3, "mean {m}");
            prop_assert!((s - 1.0).abs() < 1e-3, "std {s}");
        }

        #[test]
        fn group_normalisation_is_per_group(x in prop::collection::vec(-10f32..10.0, 8..64), g in 2usize..8) {
            let mut y = x.clone();
            normalize_groups(&mut y, g, 1e-6);
            for (cx, cy) in x.chunks(g).zip(y.chunks(g)) {
                let mut alone = cx.to_vec();
                normalize_batch(&mut alone, 1e-6);
                prop_assert_eq!(alone, cy.to_vec());
            }
        }

        #[test]
        fn running_stats_match_the_whole_batch(rows in prop::collection::vec(prop::collection::vec(-100f32..100.0, 3), 2..60), split in 1usize..59) {
            let flat: Vec<f32> = rows.iter().flatten().copied().collect();
            let split = split.min(rows.len() - 1) * 3;
            let mut rms = RunningMeanStd::new(3);
            rms.update(&flat[..split]);
            rms.update(&flat[split..]);
            for j in 0..3 {
                let col: Vec<f32> = rows.iter().map(|r| r[j]).collect();
                let (m, s) = mean_std(&col);
                prop_assert!((rms.mean[j] - m as f64).abs() < 1e-3 * (1.0 + m.abs() as f64));
                prop_assert!((rms.var[j].sqrt() - s as f64).abs() < 1e-3 * (1.0 + s as f64));
            }
            prop_assert_eq!(rms.count as usize, rows.len());
        }
    }
}
