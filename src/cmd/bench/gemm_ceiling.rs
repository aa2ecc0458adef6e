//! The machine's matrix-product ceiling at the learner's shapes: the `gemm` crate (what burn's
//! CPU backend multiplies with, called as `policies::nets::cpu_gemm` calls it) timed alone on
//! the products of one PPO update.

use policies::nets::cpu_gemm::{Operand, matmul_into};
use serde::Serialize;
use std::time::Instant;

/// One matrix product `[m, k] x [k, n]` of an update, with the operand layouts the learner
/// hands to `gemm` (a transposed operand is a strided view of a row-major buffer).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Product {
    /// Rows of the result.
    pub m: usize,
    /// Columns of the result.
    pub n: usize,
    /// Inner dimension.
    pub k: usize,
    /// The left operand is a transposed view.
    pub lhs_transposed: bool,
    /// The right operand is a transposed view.
    pub rhs_transposed: bool,
}

impl Product {
    /// Floating-point operations of the product (a multiply and an add per term).
    pub fn flops(&self) -> f64 {
        2.0 * self.m as f64 * self.n as f64 * self.k as f64
    }
}

/// The products of one update of an MLP with `widths` (input, hidden..., output) on `rows`
/// samples: each layer's forward, its weight gradient `xᵀ · g`, and (past the first layer, whose
/// input needs no gradient) its input gradient `g · Wᵀ`.
pub fn mlp_update_products(widths: &[usize], rows: usize) -> Vec<Product> {
    let mut products = Vec::new();
    for (layer, w) in widths.windows(2).enumerate() {
        let (input, output) = (w[0], w[1]);
        products.push(Product {
            m: rows,
            n: output,
            k: input,
            lhs_transposed: false,
            rhs_transposed: false,
        });
        products.push(Product {
            m: input,
            n: output,
            k: rows,
            lhs_transposed: true,
            rhs_transposed: false,
        });
        if layer > 0 {
            products.push(Product {
                m: rows,
                n: input,
                k: output,
                lhs_transposed: false,
                rhs_transposed: true,
            });
        }
    }
    products
}

/// What the ceiling measurement found.
#[derive(Debug, Clone, Serialize)]
pub struct Ceiling {
    /// Floating-point operations of one pass over the products.
    pub flops_per_update: f64,
    /// `gemm`'s rate over all the products (median of the repeats), GFLOP/s.
    pub gflops: f64,
    /// Each product's rate (median), GFLOP/s, in update order.
    pub by_product: Vec<(Product, f64)>,
}

/// One product into `dst`, as burn's flex backend calls `gemm` (row-major result, strided
/// operands, rayon's threads above flex's size threshold).
fn run(p: &Product, lhs: &[f32], rhs: &[f32], dst: &mut [f32]) {
    let operand = |data, transposed| {
        if transposed {
            Operand::transposed(data)
        } else {
            Operand::plain(data)
        }
    };
    matmul_into(
        p.m,
        p.n,
        p.k,
        operand(lhs, p.lhs_transposed),
        operand(rhs, p.rhs_transposed),
        dst,
    );
}

/// Times `products` with the `gemm` crate: `repeats` passes after a warm-up; medians.
pub fn measure(products: &[Product], repeats: usize) -> Ceiling {
    let largest = |f: &dyn Fn(&Product) -> usize| products.iter().map(f).max().unwrap_or(0);
    let lhs: Vec<f32> = (0..largest(&|p| p.m * p.k))
        .map(|i| ((i % 97) as f32 - 48.0) / 97.0)
        .collect();
    let rhs: Vec<f32> = (0..largest(&|p| p.k * p.n))
        .map(|i| ((i % 89) as f32 - 44.0) / 89.0)
        .collect();
    let mut dst = vec![0.0f32; largest(&|p| p.m * p.n)];
    let mut per_product: Vec<Vec<f64>> = vec![Vec::new(); products.len()];
    let mut totals = Vec::new();
    for pass in 0..=repeats {
        let mut seconds = 0.0;
        for (p, times) in products.iter().zip(per_product.iter_mut()) {
            let start = Instant::now();
            run(p, &lhs, &rhs, &mut dst);
            let s = start.elapsed().as_secs_f64();
            std::hint::black_box(&dst);
            if pass > 0 {
                times.push(p.flops() / s / 1e9);
                seconds += s;
            }
        }
        if pass > 0 {
            totals.push(seconds);
        }
    }
    let flops: f64 = products.iter().map(Product::flops).sum();
    Ceiling {
        flops_per_update: flops,
        gflops: flops / super::median(totals) / 1e9,
        by_product: products
            .iter()
            .zip(per_product)
            .map(|(p, rates)| (*p, super::median(rates)))
            .collect(),
    }
}
