//! The optimiser step every learner takes: backward, clipping by the global gradient norm,
//! Adam.

use super::core_trace::record;
use super::grad_clip::clip_global_norm;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;

/// A fresh Adam optimiser (epsilon 1e-8, as PyTorch, rsl_rl and TRL use).
pub fn new_adam() -> ModuleOptimizer {
    AdamConfig::new().with_epsilon(1e-8).init()
}

/// Back-propagates `loss`, clips the gradients of `model` to `max_grad_norm` by their global
/// norm and takes one optimiser step at learning rate `lr`. Returns the updated model and the
/// gradient norm before clipping.
///
/// # Shapes
/// `loss: [1]`
pub fn optimizer_step<M: Module>(
    model: M,
    optim: &mut ModuleOptimizer,
    loss: Tensor<1>,
    lr: f64,
    max_grad_norm: f32,
) -> (M, f32) {
    record("optimizer_step");
    let mut grads = GradientsParams::from_grads(loss.backward(), &model);
    let grad_norm = clip_global_norm(&model, &mut grads, max_grad_norm);
    // Cloning a module shares its tensors; the step returns the updated one.
    (optim.step(lr, model, grads), grad_norm)
}
