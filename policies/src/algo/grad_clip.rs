//! Clipping gradients by their global norm across every parameter (PyTorch's
//! `clip_grad_norm_`). burn's own `GradientClippingConfig::Norm` clips each tensor separately,
//! which is not what PPO implementations do.

use burn::module::{ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;

struct SquaredSum<'a> {
    grads: &'a GradientsParams,
    total: f64,
}

impl ModuleVisitor for SquaredSum<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.get::<D>(param.id) {
            self.total += g.powf_scalar(2.0).sum().into_scalar::<f32>() as f64;
        }
    }
}

struct Scale<'a> {
    grads: &'a mut GradientsParams,
    factor: f32,
}

impl ModuleVisitor for Scale<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.remove::<D>(param.id) {
            self.grads.register::<D>(param.id, g * self.factor);
        }
    }
}

/// Scales every gradient of `model` by `min(1, max_norm / (norm + 1e-6))`, where `norm` is the
/// L2 norm of all gradients together. Returns the norm before clipping.
pub fn clip_global_norm<M: Module>(model: &M, grads: &mut GradientsParams, max_norm: f32) -> f32 {
    super::core_trace::record("clip_global_norm");
    let mut sum = SquaredSum { grads, total: 0.0 };
    model.visit(&mut sum);
    let norm = sum.total.sqrt() as f32;
    if norm.is_finite() && norm > max_norm {
        model.visit(&mut Scale {
            grads,
            factor: max_norm / (norm + 1e-6),
        });
    }
    norm
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};

    #[test]
    fn clips_by_the_norm_of_all_parameters_together() {
        let device = Device::flex().autodiff();
        let layer: Linear = LinearConfig::new(2, 1).init(&device);
        // loss = sum(W x + b) with x = [3, 4]: dW = [3, 4], db = 1 -> global norm sqrt(26).
        let x = Tensor::<2>::from_floats([[3.0, 4.0]], &device);
        let loss = layer.forward(x).sum();
        let mut grads = GradientsParams::from_grads(loss.backward(), &layer);
        let norm = clip_global_norm(&layer, &mut grads, 1.0);
        assert!((norm - 26.0f32.sqrt()).abs() < 1e-5, "{norm}");
        let mut after = SquaredSum {
            grads: &grads,
            total: 0.0,
        };
        layer.visit(&mut after);
        assert!(
            (after.total.sqrt() - 1.0).abs() < 1e-4,
            "clipped norm {}",
            after.total.sqrt()
        );
        // Each tensor keeps its share: per-tensor clipping would give dW norm 1 and db 1.
        let db = grads
            .get::<1>(layer.bias.as_ref().map(|b| b.id).expect("bias"))
            .expect("bias grad")
            .into_scalar::<f32>();
        assert!((db - 1.0 / 26.0f32.sqrt()).abs() < 1e-4, "{db}");
    }
}
