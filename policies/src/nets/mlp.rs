//! A multilayer perceptron with ELU hidden activations and a linear output.

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;

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
}
