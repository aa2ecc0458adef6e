//! A multilayer perceptron with ELU hidden activations and a linear output.

use super::linear_elu::{linear_elu_flex, on_flex};
use burn::module::Param;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// ELU with alpha 1, written so its gradient stays finite for large inputs (burn's `elu` masks an
/// `exp` branch whose gradient turns NaN above ~88).
pub fn elu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    x.clone().clamp_min(0.0) + (x.clamp_max(0.0).exp() - 1.0)
}

/// Rows per block in which a layer with one output is evaluated (see [`linear_batch_invariant`]).
const DOT_BLOCK_ROWS: usize = 256;

/// `layer.forward(x)` such that each output row is bit-identical whatever the number of rows.
///
/// burn's CPU backend multiplies with the `gemm` crate (0.19), whose kernel choice depends on the
/// shape: on x86-64 with AVX2/FMA an `[m, k] x [k, 1]` product (one output: a value head, a
/// one-dimensional action) runs a horizontal dot-product kernel while `m * 1 <= 256` and its
/// matrix-vector kernel above, and the two sum the `k` products in different orders, so the same
/// row gave different bits in a batch of 64 envs and in a minibatch of 512. Wider outputs take
/// one micro-kernel at every batch size (checked from 1 to 4096 rows with up to 512 inputs; `gemm`
/// splits the sum over `k` only above 512 inputs), so only one-output layers need care: above
/// [`DOT_BLOCK_ROWS`] rows they run as a batched product of blocks of at most that many rows (the
/// largest divisor of the row count), which takes the small-`m` kernel for every block. Batches of
/// up to [`DOT_BLOCK_ROWS`] rows (the runner's batches of envs) are computed exactly as before; the
/// gradients are the plain product's (burn's linear backward folds the blocks back into one matrix
/// product), up to the last bits of its reductions.
///
/// # Shapes
/// `x: [rows, in]` -> `[rows, out]`
fn linear_batch_invariant(layer: &Linear, x: Tensor<2>) -> Tensor<2> {
    let [rows, input] = x.dims();
    let output = layer.weight.dims()[1];
    if output != 1 || rows <= DOT_BLOCK_ROWS {
        return layer.forward(x);
    }
    let block = (1..=DOT_BLOCK_ROWS)
        .rev()
        .find(|b| rows.is_multiple_of(*b))
        .unwrap_or(1);
    layer
        .forward(x.reshape([rows / block, block, input]))
        .reshape([rows, output])
}

/// `input -> hidden[0] -> ... -> output`, ELU between layers.
#[derive(Module, Debug)]
pub struct Mlp {
    layers: Vec<Linear>,
}

impl Mlp {
    /// Builds the layers on `device` (PyTorch-style uniform initialisation).
    pub fn new(input: usize, hidden: &[usize], output: usize, device: &Device) -> Self {
        let mut dims = vec![input];
        dims.extend_from_slice(hidden);
        dims.push(output);
        let layers = dims
            .windows(2)
            .map(|w| LinearConfig::new(w[0], w[1]).init(device))
            .collect();
        Self { layers }
    }

    /// Builds the layers on `device` with weights and biases drawn from `rng` (PyTorch's
    /// default: uniform in +-1/sqrt(fan_in)). Unlike [`Mlp::new`], which draws from burn's
    /// process-wide RNG, this is deterministic however many models are built concurrently.
    pub fn new_seeded(
        input: usize,
        hidden: &[usize],
        output: usize,
        device: &Device,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let mut dims = vec![input];
        dims.extend_from_slice(hidden);
        dims.push(output);
        let layers = dims
            .windows(2)
            .map(|w| {
                let (fan_in, fan_out) = (w[0], w[1]);
                let bound = 1.0 / (fan_in as f32).sqrt();
                let mut draw = |n: usize| -> Vec<f32> {
                    (0..n).map(|_| rng.random_range(-bound..bound)).collect()
                };
                let mut layer = LinearConfig::new(fan_in, fan_out).init(device);
                // burn stores weights as [in, out].
                let weight = Tensor::<2>::from_data(
                    TensorData::new(draw(fan_in * fan_out), [fan_in, fan_out]),
                    device,
                );
                let bias =
                    Tensor::<1>::from_data(TensorData::new(draw(fan_out), [fan_out]), device);
                layer.weight = Param::from_tensor(weight);
                layer.bias = Some(Param::from_tensor(bias));
                layer
            })
            .collect();
        Self { layers }
    }

    /// Each row's output depends on that row alone, bit for bit, whatever the batch it comes in,
    /// so the runner's collection (a batch of envs) and PPO's update (a minibatch) compute the
    /// same means and values for the same observation. (One-output layers are evaluated in blocks
    /// of at most 256 rows: on the CPU backend the matrix-vector kernel that larger batches would
    /// take sums in another order than the small-batch kernel.)
    ///
    /// # Shapes
    /// `x: [batch, input]` -> `[batch, output]`
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let last = self.layers.len().saturating_sub(1);
        let mut h = x;
        for (i, layer) in self.layers.iter().enumerate() {
            h = match (&layer.bias, i < last) {
                // A hidden layer on the CPU backend: one fused op (see `linear_elu`; a
                // one-wide layer keeps `linear_batch_invariant`'s blocking).
                (Some(bias), true) if on_flex(&h) && layer.weight.dims()[1] > 1 => {
                    linear_elu_flex(h, layer.weight.val(), bias.val())
                }
                (_, true) => elu(linear_batch_invariant(layer, h)),
                (_, false) => linear_batch_invariant(layer, h),
            };
        }
        h
    }

    /// Input width of the first layer.
    pub fn input_dim(&self) -> usize {
        self.layers.first().map_or(0, |l| l.weight.dims()[0])
    }

    /// The same network taking `input` >= [`Mlp::input_dim`] inputs: the new trailing inputs
    /// get zero weights, so the outputs are unchanged until training moves them (fine-tuning
    /// with an observation that gained entries at its end, e.g. a height scan).
    pub fn widen_input(self, input: usize) -> Self {
        let old = self.input_dim();
        self.widen_input_at(input, old)
    }

    /// Output width.
    pub fn output_dim(&self) -> usize {
        self.layers.last().map_or(0, |l| l.weight.dims()[1])
    }

    /// The same network with `output` >= [`Mlp::output_dim`] outputs: the new trailing outputs
    /// get zero weights and biases (they read 0 until training moves them), the others are
    /// unchanged.
    pub fn widen_output(mut self, output: usize) -> Self {
        let old = self.output_dim();
        if let Some(last) = self.layers.last_mut()
            && output > old
        {
            let w = last.weight.val();
            let [input, _] = w.dims();
            let device = w.device();
            let zeros = Tensor::<2>::zeros([input, output - old], &device);
            let wide = Tensor::cat(vec![w, zeros], 1).into_data();
            last.weight = Param::from_tensor(Tensor::<2>::from_data(wide, &device));
            if let Some(bias) = &last.bias {
                let b = bias.val();
                let zeros = Tensor::<1>::zeros([output - old], &device);
                let wide = Tensor::cat(vec![b, zeros], 0).into_data();
                last.bias = Some(Param::from_tensor(Tensor::<1>::from_data(wide, &device)));
            }
        }
        self
    }

    /// As [`Self::widen_input`], with the new zero-weighted inputs inserted before input `at`
    /// (an asymmetric critic keeps its privileged inputs last).
    pub fn widen_input_at(mut self, input: usize, at: usize) -> Self {
        let old = self.input_dim();
        if let Some(first) = self.layers.first_mut()
            && input > old
        {
            let w = first.weight.val();
            let [_, out] = w.dims();
            let device = w.device();
            let at = at.min(old);
            let zeros = Tensor::<2>::zeros([input - old, out], &device);
            let mut parts = vec![w.clone().slice([0..at, 0..out]), zeros];
            if at < old {
                parts.push(w.slice([at..old, 0..out]));
            }
            // Rebuilt from its data: under autodiff a concatenation is no leaf and cannot be a
            // parameter.
            let wide = Tensor::cat(parts, 0).into_data();
            first.weight = Param::from_tensor(Tensor::<2>::from_data(wide, &device));
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// Outputs of `mlp` on the first `rows` rows of `x`, in one batch.
    fn forward_rows(mlp: &Mlp, x: &[f32], rows: usize, device: &Device) -> Vec<f32> {
        let input = mlp.input_dim();
        crate::tensor_util::to_vec(mlp.forward(crate::tensor_util::matrix(
            &x[..rows * input],
            rows,
            input,
            device,
        )))
    }

    #[test]
    fn a_rows_output_does_not_depend_on_its_batch() {
        // Regression: a one-output layer (cart-pole's actor, every value head) gave other bits in
        // a minibatch of more than 256 rows than in a batch of envs, so PPO's first ratio was not 1.
        use rand::RngExt;
        let device = Device::flex().autodiff();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for (input, hidden, output) in [
            (4, vec![64, 64], 1),
            (48, vec![128, 64], 12),
            (3, vec![16], 2),
        ] {
            let mlp = Mlp::new_seeded(input, &hidden, output, &device, &mut rng);
            let x: Vec<f32> = (0..4096 * input)
                .map(|_| rng.random_range(-2.0f32..2.0))
                .collect();
            let one_by_one: Vec<f32> = (0..300)
                .flat_map(|r| forward_rows(&mlp, &x[r * input..], 1, &device))
                .collect();
            for rows in [7, 64, 256, 257, 300, 512, 4096] {
                let batch = forward_rows(&mlp, &x, rows, &device);
                let n = rows.min(300) * output;
                assert_eq!(
                    batch[..n],
                    one_by_one[..n],
                    "{input}->{hidden:?}->{output}, {rows} rows"
                );
            }
        }
    }

    #[test]
    fn blocked_one_output_layers_have_the_plain_gradients_to_rounding() {
        use rand::RngExt;
        let device = Device::flex().autodiff();
        let mut rng = ChaCha8Rng::seed_from_u64(6);
        let mlp = Mlp::new_seeded(5, &[32], 1, &device, &mut rng);
        let rows = 768;
        let x: Vec<f32> = (0..rows * 5)
            .map(|_| rng.random_range(-1.0f32..1.0))
            .collect();
        let x = crate::tensor_util::matrix(&x, rows, 5, &device);
        let c: Vec<f32> = (0..rows).map(|_| rng.random_range(-1.0f32..1.0)).collect();
        let c = crate::tensor_util::matrix(&c, rows, 1, &device);
        // A loss whose gradient is a plain (not broadcast) tensor, as PPO's are.
        let grads_of = |out: Tensor<2>| {
            let grads = (out * c.clone()).sum().backward();
            mlp.layers
                .iter()
                .flat_map(|l| {
                    let bias = l.bias.as_ref().expect("bias").val();
                    [
                        crate::tensor_util::to_vec(l.weight.val().grad(&grads).expect("grad")),
                        crate::tensor_util::to_vec(bias.grad(&grads).expect("grad")),
                    ]
                })
                .collect::<Vec<_>>()
        };
        let blocked = grads_of(mlp.forward(x.clone()));
        let h = elu(mlp.layers[0].forward(x));
        let plain = grads_of(mlp.layers[1].forward(h));
        // The same matrix products; the reductions may take other kernels (burn's CPU backend
        // picks them by stride layout), so the last bits may differ.
        for (b, p) in blocked.iter().zip(&plain) {
            for (x, y) in b.iter().zip(p) {
                assert!((x - y).abs() <= 1e-5 * (1.0 + y.abs()), "{x} vs {y}");
            }
        }
    }

    #[test]
    fn widening_the_input_keeps_the_outputs_whatever_the_new_inputs() {
        // The autodiff device, as in training (a checkpoint loads there for fine-tuning).
        let device = Device::flex().autodiff();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mlp = Mlp::new_seeded(4, &[8, 8], 2, &device, &mut rng);
        let x = Tensor::<2>::from_data(
            TensorData::new(vec![0.1f32, -0.5, 2.0, 0.3, 1.0, 0.0, -1.0, 0.7], [2, 4]),
            &device,
        );
        let before = mlp
            .forward(x.clone())
            .into_data()
            .try_to_vec::<f32>()
            .expect("f32");
        let wide = mlp.widen_input(7);
        assert_eq!(wide.input_dim(), 7);
        let extra = Tensor::<2>::from_data(
            TensorData::new(vec![5.0f32, -3.0, 9.0, 1.0, 2.0, 3.0], [2, 3]),
            &device,
        );
        let after = wide
            .forward(Tensor::cat(vec![x, extra], 1))
            .into_data()
            .try_to_vec::<f32>()
            .expect("f32");
        assert_eq!(before, after);
    }
}
