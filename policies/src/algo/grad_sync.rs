//! Gradients as one flat vector and back, so data-parallel ranks can sum them in one
//! all-reduce (OpenAI baselines' `MpiAdam` flattens the same way).

use burn::module::{ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;

/// Appends each float parameter's gradient, flattened row-major, in the module's visiting order
/// (zeros where a parameter has none).
struct Flatten<'a> {
    grads: Option<&'a GradientsParams>,
    out: Vec<f32>,
}

impl ModuleVisitor for Flatten<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        match self.grads.and_then(|g| g.get::<D>(param.id)) {
            Some(g) => self.out.extend(g.into_data().iter::<f32>()),
            None => {
                let n = param.val().shape().num_elements();
                self.out.resize(self.out.len() + n, 0.0);
            }
        }
    }
}

/// Appends each float parameter's value, flattened row-major, in the module's visiting order.
struct Values {
    out: Vec<f32>,
}

impl ModuleVisitor for Values {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.out.extend(param.val().into_data().iter::<f32>());
    }
}

/// Every float parameter of `model`, in its visiting order, as one vector (to compare ranks'
/// weights).
///
/// # Shapes
/// -> `[parameter_count(model)]`
pub fn flatten_parameters<M: Module>(model: &M) -> Vec<f32> {
    let mut v = Values { out: Vec::new() };
    model.visit(&mut v);
    v.out
}

/// Registers each float parameter's gradient from consecutive values of a flat vector.
struct Unflatten<'a> {
    flat: &'a [f32],
    at: usize,
    grads: GradientsParams,
}

impl ModuleVisitor for Unflatten<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val().inner();
        let shape = value.shape();
        let n = shape.num_elements();
        let data = TensorData::new(self.flat[self.at..self.at + n].to_vec(), shape);
        self.at += n;
        self.grads
            .register::<D>(param.id, Tensor::from_data(data, &value.device()));
    }
}

/// Number of float parameters in `model`.
pub fn parameter_count<M: Module>(model: &M) -> usize {
    let mut f = Flatten {
        grads: None,
        out: Vec::new(),
    };
    model.visit(&mut f);
    f.out.len()
}

/// The gradients of every float parameter of `model`, in its visiting order, as one vector
/// (zeros for parameters `grads` lacks; all zeros without `grads`).
///
/// # Shapes
/// -> `[parameter_count(model)]`
pub fn flatten_gradients<M: Module>(model: &M, grads: Option<&GradientsParams>) -> Vec<f32> {
    let mut f = Flatten {
        grads,
        out: Vec::new(),
    };
    model.visit(&mut f);
    f.out
}

/// Gradients for every float parameter of `model` from `flat` (as [`flatten_gradients`] lays
/// them out).
///
/// # Shapes
/// `flat: [parameter_count(model)]` (longer is allowed: the rest is ignored)
pub fn gradients_from_flat<M: Module>(model: &M, flat: &[f32]) -> GradientsParams {
    let mut u = Unflatten {
        flat,
        at: 0,
        grads: GradientsParams::new(),
    };
    model.visit(&mut u);
    u.grads
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};

    #[test]
    fn flattening_and_back_keeps_every_gradient() {
        let device = Device::flex().autodiff();
        let layer: Linear = LinearConfig::new(3, 2).init(&device);
        let x = Tensor::<2>::from_floats([[1.0, -2.0, 0.5]], &device);
        let loss = layer.forward(x).powf_scalar(2.0).sum();
        let grads = GradientsParams::from_grads(loss.backward(), &layer);
        let flat = flatten_gradients(&layer, Some(&grads));
        assert_eq!(flat.len(), parameter_count(&layer));
        assert_eq!(flat.len(), 3 * 2 + 2);
        let back = gradients_from_flat(&layer, &flat);
        let bias = layer.bias.as_ref().map(|b| b.id).expect("bias");
        for (id, d) in [(layer.weight.id, 2usize), (bias, 1)] {
            let (a, b) = match d {
                2 => (
                    grads.get::<2>(id).expect("grad").into_data(),
                    back.get::<2>(id).expect("grad").into_data(),
                ),
                _ => (
                    grads.get::<1>(id).expect("grad").into_data(),
                    back.get::<1>(id).expect("grad").into_data(),
                ),
            };
            assert_eq!(a, b);
        }
        // Without gradients: zeros of the same length.
        let zeros = flatten_gradients(&layer, None);
        assert_eq!(zeros, vec![0.0; flat.len()]);
    }
}
