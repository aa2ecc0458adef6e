//! `elu(x · W + b)`, a hidden layer of the actor-critic, as one burn custom op on the CPU
//! backend (flex) with a hand-written backward.
//!
//! Why a custom op: composed from burn's tensor ops, the layer is a matrix product, a bias add
//! and five element-wise ops (the overflow-safe ELU below), and its backward another eight
//! element-wise passes (two masked fills among them), each over the whole `[rows, width]`
//! activation, each single-threaded and each into a freshly allocated buffer. At PPO's
//! minibatches (24,576 rows x 512) those passes and their page faults took more time than the
//! matrix products. The custom op multiplies as flex does (the `gemm` crate, same calls: see
//! `cpu_gemm`) and does everything else in one parallel pass each way:
//! - forward: `y = elu(x · W + b)`, the bias and ELU applied in place on the product;
//! - backward: `g_pre = g * elu'(pre)` with `elu'(pre) = 1` where `y > 0`, else `y + 1`
//!   (`= exp(pre)`), and the bias gradient (column sums of `g_pre`) in the same pass; then
//!   `g_x = g_pre · Wᵀ` and `g_W = xᵀ · g_pre` as products.
//!
//! The element-wise kernels are written to vectorise (a branch-free `exp` for the negative
//! side, within 2 ulp of libm's) and run in AVX2 when the CPU has it. The module API is
//! unchanged ([`super::Mlp`] holds burn `Linear` layers and their parameters); on other devices
//! (wgpu) the layer is composed from burn's ops as before. Every row's output depends on that
//! row alone, so collection and update still compute the same bits for the same observation.

use super::cpu_gemm::{Operand, matmul};
use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Dispatch, Flex, backend_extension};
use burn::prelude::*;
use burn::tensor::TensorData;
use rayon::prelude::*;

/// Rows per parallel chunk of the element-wise passes (also the granularity of the bias
/// gradient's partial sums, which are added in chunk order, so results do not depend on the
/// number of threads).
const ROWS_PER_CHUNK: usize = 64;

/// The fused hidden layer as a backend extension (flex, and autodiff over flex).
#[backend_extension(Flex, Autodiff)]
pub trait LinearEluBackend: burn::backend::Backend {
    /// `elu(x · weight + bias)`.
    ///
    /// # Shapes
    /// `x: [rows, in]`, `weight: [in, out]`, `bias: [out]` -> `[rows, out]`
    fn linear_elu(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// `exp(x)` for `x <= 0`, branch-free so the element-wise loops vectorise (Cephes' `expf`
/// polynomial after range reduction by `ln 2`; within 2 ulp of libm's `expf`, checked in the
/// tests; inputs below -87.3 give `exp(-87.3)`, about 1.2e-38, where ELU is -1 in f32 anyway).
#[inline(always)]
fn exp_nonpositive(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding 1.5 * 2^23 rounds a float of magnitude below 2^22 to an integer (ties to even);
    // a float in [2^23, 2^24) holds the integer `y - 2^23` in its mantissa bits. Both tricks
    // avoid float-int conversions, whose saturation checks keep loops from vectorising.
    const ROUND: f32 = 12_582_912.0;
    const MANTISSA: f32 = 8_388_608.0;
    let x = x.clamp(-87.3, 0.0);
    let nf = (x * LOG2E + ROUND) - ROUND;
    let r = x - nf * LN2_HI - nf * LN2_LO;
    let mut p = 1.987_569_1e-4f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    // 2^n from the biased exponent n + 127 (in [1, 127]) put in place.
    let biased = (nf + 127.0 + MANTISSA)
        .to_bits()
        .wrapping_sub(MANTISSA.to_bits());
    e * f32::from_bits(biased << 23)
}

/// ELU with alpha 1 of one pre-activation: `p` where `p > 0`, else `exp(p) - 1`.
#[inline(always)]
fn elu_scalar(p: f32) -> f32 {
    let negative = exp_nonpositive(p) - 1.0;
    if p > 0.0 { p } else { negative }
}

/// Rows of `out` (each `bias.len()` wide) replaced by `elu(out + bias)`.
#[inline(always)]
fn bias_elu_rows(out: &mut [f32], bias: &[f32]) {
    for row in out.chunks_exact_mut(bias.len()) {
        for (v, b) in row.iter_mut().zip(bias) {
            *v = elu_scalar(*v + *b);
        }
    }
}

/// [`bias_elu_rows`] compiled for AVX2 and FMA (8 lanes instead of SSE2's 4).
///
/// # Safety
/// The CPU must support AVX2 and FMA.
// The one unsafe use in the crate: a function compiled for a CPU feature that is detected at
// run time (`has_avx2`) before every call.
#[allow(unsafe_code)]
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn bias_elu_rows_avx2(out: &mut [f32], bias: &[f32]) {
    bias_elu_rows(out, bias)
}

/// Rows of `g` multiplied by `elu'` read from the output rows `y` (`1` where `y > 0`, else
/// `y + 1 = exp(pre)`), the products' column sums added into `sums`.
#[inline(always)]
fn elu_grad_rows(g: &mut [f32], y: &[f32], sums: &mut [f32]) {
    let width = sums.len();
    for (grow, yrow) in g.chunks_exact_mut(width).zip(y.chunks_exact(width)) {
        for ((gv, yv), s) in grow.iter_mut().zip(yrow).zip(sums.iter_mut()) {
            let slope = if *yv > 0.0 { 1.0 } else { *yv + 1.0 };
            *gv *= slope;
            *s += *gv;
        }
    }
}

/// [`elu_grad_rows`] compiled for AVX2 and FMA.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[allow(unsafe_code)]
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn elu_grad_rows_avx2(g: &mut [f32], y: &[f32], sums: &mut [f32]) {
    elu_grad_rows(g, y, sums)
}

/// Whether this CPU runs the AVX2 versions of the element-wise kernels.
fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `out[r, j] = elu(out[r, j] + bias[j])` over contiguous rows, in parallel.
fn bias_elu_in_place(out: &mut [f32], bias: &[f32]) {
    let width = bias.len().max(1);
    let avx2 = has_avx2();
    out.par_chunks_mut(width * ROWS_PER_CHUNK)
        .for_each(|chunk| {
            #[cfg(target_arch = "x86_64")]
            if avx2 {
                // SAFETY: checked above that the CPU has AVX2 and FMA.
                #[allow(unsafe_code)]
                unsafe {
                    bias_elu_rows_avx2(chunk, bias)
                };
                return;
            }
            let _ = avx2;
            bias_elu_rows(chunk, bias);
        });
}

/// `g[r, j] *= elu'(pre[r, j])` (from the output `y`), in place, returning the column sums of
/// the result (the bias gradient), summed chunk by chunk in a fixed order.
fn elu_grad_in_place(g: &mut [f32], y: &[f32], width: usize) -> Vec<f32> {
    let width = width.max(1);
    let avx2 = has_avx2();
    let partial: Vec<Vec<f32>> = g
        .par_chunks_mut(width * ROWS_PER_CHUNK)
        .zip(y.par_chunks(width * ROWS_PER_CHUNK))
        .map(|(gc, yc)| {
            let mut sums = vec![0.0f32; width];
            #[cfg(target_arch = "x86_64")]
            if avx2 {
                // SAFETY: checked above that the CPU has AVX2 and FMA.
                #[allow(unsafe_code)]
                unsafe {
                    elu_grad_rows_avx2(gc, yc, &mut sums)
                };
                return sums;
            }
            let _ = avx2;
            elu_grad_rows(gc, yc, &mut sums);
            sums
        })
        .collect();
    let mut total = vec![0.0f32; width];
    for sums in partial {
        for (t, s) in total.iter_mut().zip(sums) {
            *t += s;
        }
    }
    total
}

/// `t` itself when contiguous from offset 0, else a contiguous copy.
fn contiguous(t: FlexTensor) -> FlexTensor {
    if t.is_contiguous() && t.layout().start_offset() == 0 {
        t
    } else {
        t.to_contiguous()
    }
}

/// The values of a contiguous f32 tensor.
fn values(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>()
        .expect("linear_elu: a contiguous f32 tensor")
}

/// `[rows, cols]` of a matrix.
fn dims2(t: &FlexTensor) -> [usize; 2] {
    let shape = t.layout().shape();
    [shape[0], shape[1]]
}

/// A row-major `[rows, cols]` tensor owning `values`.
fn tensor(values: Vec<f32>, dims: [usize; 2]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, dims))
}

/// The flex forward from contiguous operands: the product, then bias and ELU in place.
fn forward_flex(x: &FlexTensor, weight: &FlexTensor, bias: &FlexTensor) -> FlexTensor {
    let ([rows, input], [_, output]) = (dims2(x), dims2(weight));
    let mut y = matmul(
        rows,
        output,
        input,
        Operand::plain(values(x)),
        Operand::plain(values(weight)),
    );
    bias_elu_in_place(&mut y, values(bias));
    tensor(y, [rows, output])
}

impl LinearEluBackend for Flex {
    fn linear_elu(x: FlexTensor, weight: FlexTensor, bias: FlexTensor) -> FlexTensor {
        forward_flex(&contiguous(x), &contiguous(weight), &contiguous(bias))
    }
}

/// The backward step of [`LinearEluBackend::linear_elu`] on flex.
#[derive(Debug)]
struct LinearEluBackward;

impl Backward<Flex, 3> for LinearEluBackward {
    /// The input, the weight and the output.
    type State = (FlexTensor, FlexTensor, FlexTensor);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_weight, node_bias] = ops.parents;
        let (x, weight, y) = ops.state;
        let ([rows, input], [_, output]) = (dims2(&x), dims2(&weight));
        // The gradient before the activation, computed in place in the incoming gradient's
        // buffer (copied first only if something else still holds it).
        let mut g = contiguous(grads.consume::<Flex>(&ops.node));
        let g_pre = &mut g.storage_mut::<f32>()[..rows * output];
        let bias_grad = elu_grad_in_place(g_pre, values(&y), output);
        let g_pre = &*g_pre;
        if let Some(node) = node_bias {
            let grad = FlexTensor::from_data(TensorData::new(bias_grad, [output]));
            grads.register::<Flex>(node.id, grad);
        }
        if let Some(node) = node_weight {
            // xᵀ · g_pre: [input, rows] x [rows, output].
            let grad = matmul(
                input,
                output,
                rows,
                Operand::transposed(values(&x)),
                Operand::plain(g_pre),
            );
            grads.register::<Flex>(node.id, tensor(grad, [input, output]));
        }
        if let Some(node) = node_x {
            // g_pre · Wᵀ: [rows, output] x [output, input].
            let grad = matmul(
                rows,
                input,
                output,
                Operand::plain(g_pre),
                Operand::transposed(values(&weight)),
            );
            grads.register::<Flex>(node.id, tensor(grad, [rows, input]));
        }
    }
}

impl<C: CheckpointStrategy> LinearEluBackend for Autodiff<Flex, C> {
    fn linear_elu(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        match LinearEluBackward
            .prepare::<C>([x.node(), weight.node(), bias.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let xp = contiguous(x.primitive().clone());
                let wp = contiguous(weight.primitive().clone());
                let out = forward_flex(&xp, &wp, &contiguous(bias.primitive().clone()));
                prep.finish((xp, wp, out.clone()), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(forward_flex(
                &contiguous(x.into_primitive()),
                &contiguous(weight.into_primitive()),
                &contiguous(bias.into_primitive()),
            )),
        }
    }
}

/// Whether `t` lives on the flex CPU backend (with or without autodiff).
pub(super) fn on_flex(t: &Tensor<2>) -> bool {
    matches!(
        t.device().inner().as_dispatch(),
        burn::backend::DispatchDevice::Flex(_)
    )
}

/// The fused hidden layer `elu(x · weight + bias)` on flex (see the module doc); callers check
/// [`on_flex`] first.
///
/// # Shapes
/// `x: [rows, in]`, `weight: [in, out]`, `bias: [out]` -> `[rows, out]`
pub(super) fn linear_elu_flex(x: Tensor<2>, weight: Tensor<2>, bias: Tensor<1>) -> Tensor<2> {
    Tensor::from_dispatch(<Dispatch as LinearEluBackend>::linear_elu(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nets::elu;
    use crate::tensor_util::to_vec;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random(shape: &[usize], scale: f32, rng: &mut ChaCha8Rng, device: &Device) -> Vec<f32> {
        let _ = device;
        (0..shape.iter().product::<usize>())
            .map(|_| rng.random_range(-scale..scale))
            .collect()
    }

    fn tensors(
        rows: usize,
        input: usize,
        output: usize,
        device: &Device,
    ) -> (Tensor<2>, Tensor<2>, Tensor<1>) {
        let mut rng = ChaCha8Rng::seed_from_u64((rows * 31 + input * 7 + output) as u64);
        let x = random(&[rows, input], 2.0, &mut rng, device);
        let w = random(&[input, output], 1.0, &mut rng, device);
        let b = random(&[output], 1.0, &mut rng, device);
        (
            Tensor::from_data(TensorData::new(x, [rows, input]), device),
            Tensor::from_data(TensorData::new(w, [input, output]), device),
            Tensor::from_data(TensorData::new(b, [output]), device),
        )
    }

    /// The layer composed from burn's ops (the path other backends take).
    fn composed(x: Tensor<2>, w: Tensor<2>, b: Tensor<1>) -> Tensor<2> {
        elu(x.matmul(w) + b.unsqueeze())
    }

    #[test]
    fn the_branch_free_exp_is_within_two_ulp_of_libm() {
        let mut worst = 0u32;
        let mut x = 0.0f32;
        while x > -87.0 {
            let (got, want) = (exp_nonpositive(x), x.exp());
            worst = worst.max(got.to_bits().abs_diff(want.to_bits()));
            x -= 1.0e-3;
        }
        assert!(worst <= 2, "{worst} ulp");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert_eq!(exp_nonpositive(-0.0), 1.0);
        assert!(exp_nonpositive(-200.0) < 1.0e-37);
        assert_eq!(elu_scalar(-200.0), -1.0);
        assert_eq!(elu_scalar(3.5), 3.5);
    }

    #[test]
    fn a_rows_output_does_not_depend_on_its_batch() {
        // The runner's collection (a batch of envs) and PPO's minibatches must agree bit for bit.
        let device = Device::flex();
        let (x, w, b) = tensors(300, 48, 128, &device);
        let all = to_vec(linear_elu_flex(x.clone(), w.clone(), b.clone()));
        for (start, len) in [(0, 1), (7, 64), (250, 50)] {
            let part = to_vec(linear_elu_flex(
                x.clone().narrow(0, start, len),
                w.clone(),
                b.clone(),
            ));
            assert_eq!(
                part,
                all[start * 128..(start + len) * 128],
                "rows {start}..+{len}"
            );
        }
    }

    #[test]
    fn the_fused_forward_is_the_composed_one_to_rounding() {
        let device = Device::flex();
        // Row counts below, at and off the chunk size; widths as in the networks.
        for (rows, input, output) in [(1, 48, 128), (64, 48, 512), (301, 512, 256), (1000, 7, 3)] {
            let (x, w, b) = tensors(rows, input, output, &device);
            assert!(on_flex(&x));
            let fused = to_vec(linear_elu_flex(x.clone(), w.clone(), b.clone()));
            let reference = to_vec(composed(x, w, b));
            for (f, r) in fused.iter().zip(&reference) {
                assert!(
                    (f - r).abs() <= 4.0 * f32::EPSILON * r.abs().max(1.0),
                    "{rows} x {input} -> {output}: {f} vs {r}"
                );
            }
        }
    }

    #[test]
    fn the_fused_backward_matches_burns_autodiff() {
        let device = Device::flex().autodiff();
        for (rows, input, output) in [(5, 4, 3), (300, 48, 128)] {
            let (x, w, b) = tensors(rows, input, output, &device);
            let grads_of = |fused: bool| {
                let (x, w, b) = (
                    x.clone().require_grad(),
                    w.clone().require_grad(),
                    b.clone().require_grad(),
                );
                let y = if fused {
                    linear_elu_flex(x.clone(), w.clone(), b.clone())
                } else {
                    composed(x.clone(), w.clone(), b.clone())
                };
                // A loss whose gradient differs per element.
                let weights = Tensor::<2>::from_data(
                    TensorData::new(
                        (0..rows * output)
                            .map(|i| (i % 7) as f32 - 3.0)
                            .collect::<Vec<_>>(),
                        [rows, output],
                    ),
                    &device,
                );
                let grads = (y * weights).sum().backward();
                let g = |t: Option<Tensor<2>>| to_vec(t.expect("gradient"));
                (
                    g(x.grad(&grads)),
                    g(w.grad(&grads)),
                    to_vec(b.grad(&grads).expect("bias gradient")),
                )
            };
            let (fused, reference) = (grads_of(true), grads_of(false));
            for (name, got, want) in [
                ("x", &fused.0, &reference.0),
                ("weight", &fused.1, &reference.1),
                ("bias", &fused.2, &reference.2),
            ] {
                assert_eq!(got.len(), want.len());
                for (i, (g, r)) in got.iter().zip(want).enumerate() {
                    assert!(
                        (g - r).abs() <= 1e-4 * (1.0 + r.abs()),
                        "d{name}[{i}] of {rows} x {input} -> {output}: {g} vs {r}"
                    );
                }
            }
        }
    }
}
