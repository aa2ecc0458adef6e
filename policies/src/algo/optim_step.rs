//! The optimiser step every learner takes: backward, clipping by the global gradient norm,
//! Adam.

use super::core_trace::record;
use super::grad_clip::clip_global_norm;
use super::grad_sync::{flatten_gradients, gradients_from_flat};
use crate::collective::Comm;
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

/// [`optimizer_step`] of data-parallel ranks: back-propagates this rank's share of the loss
/// (`None` when the minibatch has no rows of this rank), sums the gradients and `extra` (the
/// statistics the step needs, e.g. the KL that sets the learning rate) over the ranks in one
/// all-reduce, takes the rate from the summed `extra`, clips by the global norm of the summed
/// gradients and steps. Every rank applies the same update. Returns the updated model and the
/// gradient norm before clipping.
///
/// Each rank's loss must be scaled so the ranks' losses add up to the minibatch's loss (a
/// mean over the rank's rows times its share of the minibatch's rows).
///
/// # Shapes
/// `loss: [1]`
pub fn optimizer_step_across<M: Module>(
    model: M,
    optim: &mut ModuleOptimizer,
    loss: Option<Tensor<1>>,
    extra: &mut [f32],
    lr: impl FnOnce(&[f32]) -> f64,
    max_grad_norm: f32,
    comm: &Comm,
) -> (M, f32) {
    record("optimizer_step");
    let grads = loss.map(|l| GradientsParams::from_grads(l.backward(), &model));
    let mut flat = flatten_gradients(&model, grads.as_ref());
    let params = flat.len();
    flat.extend_from_slice(extra);
    comm.sum_f32(&mut flat);
    extra.copy_from_slice(&flat[params..]);
    let mut grads = gradients_from_flat(&model, &flat[..params]);
    let grad_norm = clip_global_norm(&model, &mut grads, max_grad_norm);
    let lr = lr(extra);
    (optim.step(lr, model, grads), grad_norm)
}
