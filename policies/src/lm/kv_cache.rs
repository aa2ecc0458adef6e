//! The key/value cache of autoregressive sampling: each block's keys and values of the
//! positions generated so far, so a new token costs one position's work instead of the whole
//! sequence's.

use burn::prelude::*;

/// One block's cached keys and values.
#[derive(Debug, Clone, Default)]
pub struct LayerCache {
    /// Keys and values so far: `[B, heads, S, head_dim]` each.
    kv: Option<(Tensor<4>, Tensor<4>)>,
}

impl LayerCache {
    /// Appends this step's keys and values and returns all of them.
    ///
    /// # Shapes
    /// `k, v: [B, heads, T, head_dim]` -> `[B, heads, S + T, head_dim]` each
    pub fn append(&mut self, k: Tensor<4>, v: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
        let (k, v) = match self.kv.take() {
            None => (k, v),
            Some((pk, pv)) => (Tensor::cat(vec![pk, k], 2), Tensor::cat(vec![pv, v], 2)),
        };
        self.kv = Some((k.clone(), v.clone()));
        (k, v)
    }

    /// Number of cached positions.
    pub fn len(&self) -> usize {
        self.kv.as_ref().map_or(0, |(k, _)| k.dims()[2])
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Every block's cache.
#[derive(Debug, Clone)]
pub struct KvCache {
    /// One per block, in order.
    pub layers: Vec<LayerCache>,
}

impl KvCache {
    /// An empty cache for `n_layer` blocks.
    pub fn new(n_layer: usize) -> Self {
        Self {
            layers: vec![LayerCache::default(); n_layer],
        }
    }

    /// Number of cached positions.
    pub fn len(&self) -> usize {
        self.layers.first().map_or(0, LayerCache::len)
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
