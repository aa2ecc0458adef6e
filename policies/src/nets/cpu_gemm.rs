//! Matrix products on the CPU through the `gemm` crate (what burn's flex backend multiplies
//! with), into buffers the caller owns.
//!
//! flex allocates each product's result twice (a zeroed byte vector, then an aligned copy of
//! it); the fused layer (`linear_elu`) calls `gemm` the way flex does, with the same strides,
//! coefficients and threading rule, so its products are flex's bit for bit, without the extra
//! allocation and copy.

/// Products of at least this many multiply-adds (`m * n * k`) run on all of rayon's threads
/// (flex's rule).
const PARALLEL_THRESHOLD: usize = 192 * 192 * 192;

/// A row-major matrix, or the transposed view of one.
#[derive(Debug, Clone, Copy)]
pub struct Operand<'a> {
    /// The buffer of the row-major matrix (of the untransposed matrix for a view).
    pub data: &'a [f32],
    /// Read the buffer's matrix transposed.
    pub transposed: bool,
}

impl<'a> Operand<'a> {
    /// A row-major matrix.
    pub fn plain(data: &'a [f32]) -> Self {
        Self {
            data,
            transposed: false,
        }
    }

    /// The transposed view of a row-major matrix.
    pub fn transposed(data: &'a [f32]) -> Self {
        Self {
            data,
            transposed: true,
        }
    }

    /// (column stride, row stride) of the `[rows, cols]` matrix this operand stands for.
    fn strides(&self, rows: usize, cols: usize) -> (isize, isize) {
        if self.transposed {
            // Element (i, j) of the view is (j, i) of the `[cols, rows]` buffer.
            (rows as isize, 1)
        } else {
            (1, cols as isize)
        }
    }
}

/// `dst = lhs · rhs` with `lhs: [m, k]`, `rhs: [k, n]`, `dst: [m, n]` row-major.
///
/// # Panics
/// When a buffer is shorter than its matrix.
pub fn matmul_into(m: usize, n: usize, k: usize, lhs: Operand, rhs: Operand, dst: &mut [f32]) {
    assert!(
        lhs.data.len() >= m * k && rhs.data.len() >= k * n && dst.len() >= m * n,
        "matmul_into: buffers of {}, {} and {} values for [{m}, {k}] x [{k}, {n}]",
        lhs.data.len(),
        rhs.data.len(),
        dst.len()
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        dst[..m * n].fill(0.0);
        return;
    }
    let (lhs_cs, lhs_rs) = lhs.strides(m, k);
    let (rhs_cs, rhs_rs) = rhs.strides(k, n);
    let parallelism = if m.saturating_mul(n).saturating_mul(k) >= PARALLEL_THRESHOLD {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the three buffers hold at least the `m x k`, `k x n` and `m x n` elements the
    // strides address (asserted above); `dst` is a unique borrow, so it aliases neither operand.
    #[allow(unsafe_code)]
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            false,
            lhs.data.as_ptr(),
            lhs_cs,
            lhs_rs,
            rhs.data.as_ptr(),
            rhs_cs,
            rhs_rs,
            0.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// `lhs · rhs` as a new row-major `[m, n]` buffer.
pub fn matmul(m: usize, n: usize, k: usize, lhs: Operand, rhs: Operand) -> Vec<f32> {
    let mut dst = vec![0.0f32; m * n];
    matmul_into(m, n, k, lhs, rhs, &mut dst);
    dst
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_and_transposed_views_match_a_hand_computation() {
        // a = [[1, 2, 3], [4, 5, 6]] (2 x 3), b = [[1, 0], [0, 1], [1, 1]] (3 x 2).
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        assert_eq!(
            matmul(2, 2, 3, Operand::plain(&a), Operand::plain(&b)),
            vec![4.0, 5.0, 10.0, 11.0]
        );
        // aᵀ · a (3 x 3) from the one buffer.
        assert_eq!(
            matmul(3, 3, 2, Operand::transposed(&a), Operand::plain(&a)),
            vec![17.0, 22.0, 27.0, 22.0, 29.0, 36.0, 27.0, 36.0, 45.0]
        );
        // a · aᵀ (2 x 2).
        assert_eq!(
            matmul(2, 2, 3, Operand::plain(&a), Operand::transposed(&a)),
            vec![14.0, 32.0, 32.0, 77.0]
        );
    }
}
