//! A decoder-only transformer with GPT-2's layout: token and learned position embeddings,
//! pre-LayerNorm blocks of causal multi-head self-attention and a GELU (tanh form) MLP, a final
//! LayerNorm, and an output head tied to the token embedding. The parameter names and layouts
//! are GPT-2's (`lm::gpt2` reads and writes Hugging Face's safetensors), so a model trained here
//! opens in `transformers` and the other way round.

use super::kv_cache::{KvCache, LayerCache};
use burn::module::Param;
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{sigmoid, softmax};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// The shape of a [`Gpt`] (the fields of Hugging Face's `GPT2Config` that matter here).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GptConfig {
    /// Number of token ids.
    pub vocab_size: usize,
    /// Longest sequence (prompt and completion together) the position embedding covers.
    pub n_positions: usize,
    /// Width of the residual stream.
    pub n_embd: usize,
    /// Number of transformer blocks.
    pub n_layer: usize,
    /// Attention heads per block (`n_embd` must be a multiple).
    pub n_head: usize,
    /// LayerNorm's epsilon (GPT-2: 1e-5).
    #[serde(default = "default_eps")]
    pub layer_norm_epsilon: f64,
}

fn default_eps() -> f64 {
    1e-5
}

impl GptConfig {
    /// Checks the shape; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            ("vocab_size", self.vocab_size),
            ("n_positions", self.n_positions),
            ("n_embd", self.n_embd),
            ("n_layer", self.n_layer),
            ("n_head", self.n_head),
        ];
        for (name, v) in positive {
            if v == 0 {
                return Err(format!("model.{name} must be positive"));
            }
        }
        if !self.n_embd.is_multiple_of(self.n_head) {
            return Err(format!(
                "model.n_embd ({}) must be a multiple of model.n_head ({})",
                self.n_embd, self.n_head
            ));
        }
        Ok(())
    }

    /// Number of parameters (the tied head counted once).
    pub fn num_params(&self) -> usize {
        let c = self.n_embd;
        let block =
            4 * c + (c * 3 * c + 3 * c) + (c * c + c) + (c * 4 * c + 4 * c) + (4 * c * c + c);
        self.vocab_size * c + self.n_positions * c + self.n_layer * block + 2 * c
    }
}

/// GPT-2's GELU, the tanh form `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`, written as
/// the equal `x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3))`: four element-wise passes instead
/// of burn's eight (`gelu_approximate` takes a `powf` for the cube and a `tanh`, which were a
/// third of a GRPO step's time on the CPU).
pub fn gelu_tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    const TWO_SQRT_2_OVER_PI: f64 = 2.0 * 0.797_884_560_802_865_4;
    let inner = x.clone() * (x.clone() * x.clone() * 0.044715 + 1.0) * TWO_SQRT_2_OVER_PI;
    x * sigmoid(inner)
}

/// One pre-LayerNorm transformer block (GPT-2's `h.{i}`).
#[derive(Module, Debug)]
pub struct Block {
    /// LayerNorm before attention.
    pub ln_1: LayerNorm,
    /// Query, key and value projections in one: `[C, 3C]`.
    pub c_attn: Linear,
    /// Attention output projection: `[C, C]`.
    pub attn_proj: Linear,
    /// LayerNorm before the MLP.
    pub ln_2: LayerNorm,
    /// MLP expansion: `[C, 4C]`.
    pub c_fc: Linear,
    /// MLP contraction: `[4C, C]`.
    pub mlp_proj: Linear,
    n_head: usize,
}

/// The model. Tensors flow as `[batch, time, channels]`.
#[derive(Module, Debug)]
pub struct Gpt {
    /// Token embedding, also the output head: `[vocab, C]`.
    pub wte: Embedding,
    /// Learned position embedding: `[n_positions, C]`.
    pub wpe: Embedding,
    /// The blocks.
    pub blocks: Vec<Block>,
    /// The final LayerNorm.
    pub ln_f: LayerNorm,
}

/// One forward pass's input: token ids, their positions and the additive attention mask.
#[derive(Debug, Clone)]
pub struct GptInput {
    /// Token ids. `[B, T]`
    pub tokens: Tensor<2, Int>,
    /// Position of each token (0 at the first non-padding token of its row). `[B, T]`
    pub positions: Tensor<2, Int>,
    /// 0 where a query may attend to a key, a large negative number where it may not (causal
    /// order, left padding). `[B, 1, T, past + T]`
    pub attn_bias: Tensor<4>,
}

/// The masking value: finite, so a query whose every key is masked (a padding position)
/// gives a finite, ignored output instead of NaN.
const MASKED: f32 = -1e9;

impl GptInput {
    /// The input for `rows` of `t` token ids each, whose first `pads[b]` entries are left
    /// padding, following `past` cached positions.
    ///
    /// # Shapes
    /// `tokens: [B * t]`, `pads: [B]`
    pub fn new(tokens: &[u32], pads: &[usize], t: usize, past: usize, device: &Device) -> Self {
        let b = pads.len();
        debug_assert_eq!(tokens.len(), b * t);
        let s = past + t;
        let ids: Vec<i64> = tokens.iter().map(|&x| x as i64).collect();
        let mut positions = Vec::with_capacity(b * t);
        let mut bias = vec![0.0f32; b * t * s];
        for (row, &pad) in pads.iter().enumerate() {
            for i in 0..t {
                positions.push((past + i).saturating_sub(pad) as i64);
                let q = past + i;
                for j in 0..s {
                    if j < pad || j > q {
                        bias[(row * t + i) * s + j] = MASKED;
                    }
                }
            }
        }
        Self {
            tokens: Tensor::<2, Int>::from_data(TensorData::new(ids, [b, t]), device),
            positions: Tensor::<2, Int>::from_data(TensorData::new(positions, [b, t]), device),
            attn_bias: Tensor::<4>::from_data(TensorData::new(bias, [b, 1, t, s]), device),
        }
    }
}

impl Block {
    fn new(config: &GptConfig, device: &Device) -> Self {
        let c = config.n_embd;
        let ln = || {
            LayerNormConfig::new(c)
                .with_epsilon(config.layer_norm_epsilon)
                .init(device)
        };
        Self {
            ln_1: ln(),
            c_attn: LinearConfig::new(c, 3 * c).init(device),
            attn_proj: LinearConfig::new(c, c).init(device),
            ln_2: ln(),
            c_fc: LinearConfig::new(c, 4 * c).init(device),
            mlp_proj: LinearConfig::new(4 * c, c).init(device),
            n_head: config.n_head,
        }
    }

    /// # Shapes
    /// `x: [B, T, C]`, `attn_bias: [B, 1, T, S]` -> `[B, T, C]`
    fn forward(
        &self,
        x: Tensor<3>,
        attn_bias: Tensor<4>,
        cache: Option<&mut LayerCache>,
    ) -> Tensor<3> {
        let h = self.attention(self.ln_1.forward(x.clone()), attn_bias, cache);
        let x = x + h;
        let h = self
            .mlp_proj
            .forward(gelu_tanh(self.c_fc.forward(self.ln_2.forward(x.clone()))));
        x + h
    }

    /// Causal multi-head self-attention; with a cache, keys and values of earlier positions
    /// come from it and this call's are appended.
    fn attention(
        &self,
        x: Tensor<3>,
        attn_bias: Tensor<4>,
        cache: Option<&mut LayerCache>,
    ) -> Tensor<3> {
        let [b, t, c] = x.dims();
        let (nh, hd) = (self.n_head, c / self.n_head);
        let qkv = self.c_attn.forward(x);
        let heads = |part: usize| {
            qkv.clone()
                .narrow(2, part * c, c)
                .reshape([b, t, nh, hd])
                .swap_dims(1, 2)
        };
        let (q, mut k, mut v) = (heads(0), heads(1), heads(2));
        if let Some(cache) = cache {
            (k, v) = cache.append(k, v);
        }
        let scores = q.matmul(k.swap_dims(2, 3)) * (1.0 / (hd as f64).sqrt()) + attn_bias;
        let y = softmax(scores, 3)
            .matmul(v)
            .swap_dims(1, 2)
            .reshape([b, t, c]);
        self.attn_proj.forward(y)
    }
}

impl Gpt {
    /// A model of `config`'s shape with GPT-2's initialisation (normal, std 0.02; the residual
    /// projections scaled by `1/sqrt(2 n_layer)`; zero biases; unit LayerNorm gains), drawn on
    /// the host from `rng`, so the same seed gives the same model everywhere.
    pub fn new(config: &GptConfig, device: &Device, rng: &mut ChaCha8Rng) -> Self {
        let c = config.n_embd;
        let mut normal = |shape: [usize; 2], std: f32| {
            let dist = rand_distr::Normal::new(0.0f32, std)
                .unwrap_or_else(|_| unreachable!("std is positive"));
            let data: Vec<f32> = (0..shape[0] * shape[1]).map(|_| rng.sample(dist)).collect();
            Param::from_tensor(Tensor::<2>::from_data(TensorData::new(data, shape), device))
        };
        let zeros = |n: usize| Some(Param::from_tensor(Tensor::<1>::zeros([n], device)));
        let proj_std = 0.02 / ((2 * config.n_layer) as f32).sqrt();
        let mut blocks = Vec::with_capacity(config.n_layer);
        for _ in 0..config.n_layer {
            let mut blk = Block::new(config, device);
            blk.c_attn.weight = normal([c, 3 * c], 0.02);
            blk.c_attn.bias = zeros(3 * c);
            blk.attn_proj.weight = normal([c, c], proj_std);
            blk.attn_proj.bias = zeros(c);
            blk.c_fc.weight = normal([c, 4 * c], 0.02);
            blk.c_fc.bias = zeros(4 * c);
            blk.mlp_proj.weight = normal([4 * c, c], proj_std);
            blk.mlp_proj.bias = zeros(c);
            blocks.push(blk);
        }
        let mut wte = EmbeddingConfig::new(config.vocab_size, c).init(device);
        wte.weight = normal([config.vocab_size, c], 0.02);
        let mut wpe = EmbeddingConfig::new(config.n_positions, c).init(device);
        wpe.weight = normal([config.n_positions, c], 0.01);
        Self {
            wte,
            wpe,
            blocks,
            ln_f: LayerNormConfig::new(c)
                .with_epsilon(config.layer_norm_epsilon)
                .init(device),
        }
    }

    /// Number of position embeddings (the longest sequence).
    pub fn n_positions(&self) -> usize {
        self.wpe.weight.dims()[0]
    }

    /// Vocabulary size.
    pub fn vocab_size(&self) -> usize {
        self.wte.weight.dims()[0]
    }

    /// Logits of the next token at every input position; with a cache, the inputs follow the
    /// cached positions and their keys and values are added to it.
    ///
    /// # Shapes
    /// `input.tokens: [B, T]` -> `[B, T, vocab]`
    pub fn forward(&self, input: &GptInput, mut cache: Option<&mut KvCache>) -> Tensor<3> {
        let mut x =
            self.wte.forward(input.tokens.clone()) + self.wpe.forward(input.positions.clone());
        for (i, block) in self.blocks.iter().enumerate() {
            let layer = cache.as_deref_mut().map(|c| &mut c.layers[i]);
            x = block.forward(x, input.attn_bias.clone(), layer);
        }
        let x = self.ln_f.forward(x);
        let [b, t, c] = x.dims();
        // The head is the token embedding, transposed.
        let head = self.wte.weight.val().transpose();
        x.reshape([b * t, c])
            .matmul(head)
            .reshape([b, t, self.vocab_size()])
    }

    /// An empty cache for this model's blocks.
    pub fn new_cache(&self) -> KvCache {
        KvCache::new(self.blocks.len())
    }
}
