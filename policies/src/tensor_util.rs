//! Small conversions between host buffers and tensors.

use burn::prelude::*;

/// Copies a tensor to a host `Vec<f32>` (row-major).
pub fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().iter::<f32>().collect()
}

/// A `[rows, cols]` tensor from a row-major host buffer.
pub fn matrix(data: &[f32], rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    Tensor::<2>::from_data(TensorData::new(data.to_vec(), [rows, cols]), device)
}

/// A `[len]` tensor from a host buffer.
pub fn vector(data: &[f32], device: &Device) -> Tensor<1> {
    Tensor::<1>::from_data(TensorData::new(data.to_vec(), [data.len()]), device)
}
