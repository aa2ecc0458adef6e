//! A multilayer perceptron with ELU hidden activations and a linear output.

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

    /// # Shapes
    /// `x: [batch, input]` -> `[batch, output]`
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let last = self.layers.len().saturating_sub(1);
        let mut h = x;
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(h);
            if i < last {
                h = elu(h);
            }
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
    pub fn widen_input(mut self, input: usize) -> Self {
        let old = self.input_dim();
        if let Some(first) = self.layers.first_mut()
            && input > old
        {
            let w = first.weight.val();
            let [_, out] = w.dims();
            let device = w.device();
            let zeros = Tensor::<2>::zeros([input - old, out], &device);
            // Rebuilt from its data: under autodiff a concatenation is no leaf and cannot be a
            // parameter.
            let wide = Tensor::cat(vec![w, zeros], 0).into_data();
            first.weight = Param::from_tensor(Tensor::<2>::from_data(wide, &device));
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

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
