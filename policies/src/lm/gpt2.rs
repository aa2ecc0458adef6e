//! Hugging Face GPT-2 checkpoints: `model.safetensors` with `GPT2LMHeadModel`'s tensor names
//! (with or without the `transformer.` prefix; Conv1D weights stored `[in, out]`, as burn's
//! `Linear` stores them) and the `config.json` beside it. embody's language models are saved in
//! the same form, so `GPT2LMHeadModel.from_pretrained(dir)` opens them.

use super::model::{Gpt, GptConfig};
use crate::PolicyError;
use crate::atomic_file::write_atomic;
use burn::module::Param;
use burn::prelude::*;
use std::collections::HashMap;
use std::path::Path;

fn file_err(path: &Path, message: impl std::fmt::Display) -> PolicyError {
    PolicyError::File {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// File names inside a model folder.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// The shape, in Hugging Face's `GPT2Config` keys.
pub const CONFIG_FILE: &str = "config.json";

/// Reads `config.json` (Hugging Face's `GPT2Config`; other keys are ignored).
pub fn read_config(path: &Path) -> Result<GptConfig, PolicyError> {
    let text = std::fs::read_to_string(path).map_err(|e| file_err(path, e))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| file_err(path, format!("not JSON: {e}")))?;
    let int = |key: &str| -> Result<usize, PolicyError> {
        json.get(key)
            .and_then(serde_json::Value::as_u64)
            .map(|v| v as usize)
            .ok_or_else(|| {
                file_err(
                    path,
                    format!("key {key}: missing or not a non-negative integer"),
                )
            })
    };
    if let Some(act) = json.get("activation_function").and_then(|v| v.as_str())
        && act != "gelu_new"
        && act != "gelu_pytorch_tanh"
    {
        return Err(file_err(
            path,
            format!(
                "key activation_function: {act:?} is not supported (the tanh GELU, gelu_new, is)"
            ),
        ));
    }
    let flag = |key: &str| json.get(key).and_then(serde_json::Value::as_bool);
    if flag("scale_attn_weights") == Some(false)
        || flag("scale_attn_by_inverse_layer_idx") == Some(true)
    {
        return Err(file_err(
            path,
            "keys scale_attn_weights / scale_attn_by_inverse_layer_idx: only GPT-2's 1/sqrt(head_dim) attention scale is supported",
        ));
    }
    let config = GptConfig {
        vocab_size: int("vocab_size")?,
        n_positions: int("n_positions")?,
        n_embd: int("n_embd")?,
        n_layer: int("n_layer")?,
        n_head: int("n_head")?,
        layer_norm_epsilon: json
            .get("layer_norm_epsilon")
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(1e-5),
    };
    config.validate().map_err(|e| file_err(path, e))?;
    if let Some(inner) = json.get("n_inner").and_then(serde_json::Value::as_u64)
        && inner as usize != 4 * config.n_embd
    {
        return Err(file_err(
            path,
            format!(
                "key n_inner: {inner}; only GPT-2's 4 * n_embd = {} is supported",
                4 * config.n_embd
            ),
        ));
    }
    Ok(config)
}

/// Loads the model folder `dir` (`config.json` and `model.safetensors`) onto `device`.
pub fn load(dir: &Path, device: &Device) -> Result<(Gpt, GptConfig), PolicyError> {
    let config = read_config(&dir.join(CONFIG_FILE))?;
    let model = load_weights(&dir.join(WEIGHTS_FILE), &config, device)?;
    Ok((model, config))
}

/// Loads GPT-2 weights of `config`'s shape from a safetensors file. Every tensor the model
/// needs must be there with its shape (the error names the tensor); extra tensors (an untied
/// `lm_head.weight`, attention-mask buffers) are ignored.
pub fn load_weights(path: &Path, config: &GptConfig, device: &Device) -> Result<Gpt, PolicyError> {
    let bytes = std::fs::read(path).map_err(|e| file_err(path, e))?;
    let st = safetensors::SafeTensors::deserialize(&bytes)
        .map_err(|e| file_err(path, format!("not a safetensors file: {e}")))?;
    let names: HashMap<String, String> = st
        .names()
        .into_iter()
        .map(|n| {
            (
                n.strip_prefix("transformer.").unwrap_or(n).to_string(),
                n.to_string(),
            )
        })
        .collect();
    let read = |name: &str, shape: &[usize]| -> Result<TensorData, PolicyError> {
        let full = names.get(name).ok_or_else(|| {
            file_err(
                path,
                format!("tensor {name} (or transformer.{name}) is missing"),
            )
        })?;
        let view = st
            .tensor(full)
            .map_err(|e| file_err(path, format!("tensor {full}: {e}")))?;
        if view.dtype() != safetensors::Dtype::F32 {
            return Err(file_err(
                path,
                format!("tensor {full}: dtype {:?}, expected F32", view.dtype()),
            ));
        }
        if view.shape() != shape {
            return Err(file_err(
                path,
                format!(
                    "tensor {full}: shape {:?}, the config needs {shape:?}",
                    view.shape()
                ),
            ));
        }
        let data: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Ok(TensorData::new(data, shape.to_vec()))
    };
    let p1 = |name: &str, n: usize| -> Result<Param<Tensor<1>>, PolicyError> {
        Ok(Param::from_tensor(Tensor::<1>::from_data(
            read(name, &[n])?,
            device,
        )))
    };
    let p2 = |name: &str, r: usize, c: usize| -> Result<Param<Tensor<2>>, PolicyError> {
        Ok(Param::from_tensor(Tensor::<2>::from_data(
            read(name, &[r, c])?,
            device,
        )))
    };
    let c = config.n_embd;
    // Every parameter is replaced below; the draws only build the structure.
    let mut model = Gpt::new(config, device, &mut rand::SeedableRng::seed_from_u64(0));
    model.wte.weight = p2("wte.weight", config.vocab_size, c)?;
    model.wpe.weight = p2("wpe.weight", config.n_positions, c)?;
    for (i, blk) in model.blocks.iter_mut().enumerate() {
        let h = format!("h.{i}");
        blk.ln_1.gamma = p1(&format!("{h}.ln_1.weight"), c)?;
        blk.ln_1.beta = Some(p1(&format!("{h}.ln_1.bias"), c)?);
        blk.c_attn.weight = p2(&format!("{h}.attn.c_attn.weight"), c, 3 * c)?;
        blk.c_attn.bias = Some(p1(&format!("{h}.attn.c_attn.bias"), 3 * c)?);
        blk.attn_proj.weight = p2(&format!("{h}.attn.c_proj.weight"), c, c)?;
        blk.attn_proj.bias = Some(p1(&format!("{h}.attn.c_proj.bias"), c)?);
        blk.ln_2.gamma = p1(&format!("{h}.ln_2.weight"), c)?;
        blk.ln_2.beta = Some(p1(&format!("{h}.ln_2.bias"), c)?);
        blk.c_fc.weight = p2(&format!("{h}.mlp.c_fc.weight"), c, 4 * c)?;
        blk.c_fc.bias = Some(p1(&format!("{h}.mlp.c_fc.bias"), 4 * c)?);
        blk.mlp_proj.weight = p2(&format!("{h}.mlp.c_proj.weight"), 4 * c, c)?;
        blk.mlp_proj.bias = Some(p1(&format!("{h}.mlp.c_proj.bias"), c)?);
    }
    model.ln_f.gamma = p1("ln_f.weight", c)?;
    model.ln_f.beta = Some(p1("ln_f.bias", c)?);
    Ok(model)
}

fn host(t: Tensor<1>) -> Vec<f32> {
    t.into_data().iter::<f32>().collect()
}

fn host2(t: Tensor<2>) -> Vec<f32> {
    t.into_data().iter::<f32>().collect()
}

/// Every tensor of `model` under its GPT-2 name (with the `transformer.` prefix), with its
/// shape and values.
pub fn named_tensors(model: &Gpt) -> Vec<(String, Vec<usize>, Vec<f32>)> {
    let mut out = Vec::new();
    let mut push2 = |name: String, t: Tensor<2>| {
        let shape = t.dims().to_vec();
        out.push((format!("transformer.{name}"), shape, host2(t)));
    };
    push2("wte.weight".into(), model.wte.weight.val());
    push2("wpe.weight".into(), model.wpe.weight.val());
    let mut ones: Vec<(String, Tensor<1>)> = Vec::new();
    for (i, blk) in model.blocks.iter().enumerate() {
        let h = format!("h.{i}");
        push2(format!("{h}.attn.c_attn.weight"), blk.c_attn.weight.val());
        push2(
            format!("{h}.attn.c_proj.weight"),
            blk.attn_proj.weight.val(),
        );
        push2(format!("{h}.mlp.c_fc.weight"), blk.c_fc.weight.val());
        push2(format!("{h}.mlp.c_proj.weight"), blk.mlp_proj.weight.val());
        let bias = |l: &burn::nn::Linear| l.bias.as_ref().map(|b| b.val());
        let beta = |l: &burn::nn::LayerNorm| l.beta.as_ref().map(|b| b.val());
        for (name, t) in [
            (format!("{h}.ln_1.weight"), Some(blk.ln_1.gamma.val())),
            (format!("{h}.ln_1.bias"), beta(&blk.ln_1)),
            (format!("{h}.attn.c_attn.bias"), bias(&blk.c_attn)),
            (format!("{h}.attn.c_proj.bias"), bias(&blk.attn_proj)),
            (format!("{h}.ln_2.weight"), Some(blk.ln_2.gamma.val())),
            (format!("{h}.ln_2.bias"), beta(&blk.ln_2)),
            (format!("{h}.mlp.c_fc.bias"), bias(&blk.c_fc)),
            (format!("{h}.mlp.c_proj.bias"), bias(&blk.mlp_proj)),
        ] {
            if let Some(t) = t {
                ones.push((name, t));
            }
        }
    }
    ones.push(("ln_f.weight".into(), model.ln_f.gamma.val()));
    if let Some(b) = &model.ln_f.beta {
        ones.push(("ln_f.bias".into(), b.val()));
    }
    for (name, t) in ones {
        let shape = t.dims().to_vec();
        out.push((format!("transformer.{name}"), shape, host(t)));
    }
    out
}

/// Writes `model` into the folder `dir` as `model.safetensors` and `config.json` (Hugging
/// Face's GPT-2 form), each file atomically.
pub fn save(model: &Gpt, config: &GptConfig, dir: &Path) -> Result<(), PolicyError> {
    std::fs::create_dir_all(dir).map_err(|e| file_err(dir, e))?;
    let tensors = named_tensors(model);
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .into_iter()
        .map(|(n, s, d)| (n, s, d.iter().flat_map(|v| v.to_le_bytes()).collect()))
        .collect();
    let views = bytes
        .iter()
        .map(|(n, s, d)| {
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), d)
                .map(|v| (n.clone(), v))
                .map_err(|e| file_err(dir, format!("tensor {n}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let weights = dir.join(WEIGHTS_FILE);
    let data = safetensors::serialize(views, None).map_err(|e| file_err(&weights, e))?;
    write_atomic(&weights, &data)?;
    let json = serde_json::json!({
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "vocab_size": config.vocab_size,
        "n_positions": config.n_positions,
        "n_embd": config.n_embd,
        "n_layer": config.n_layer,
        "n_head": config.n_head,
        "layer_norm_epsilon": config.layer_norm_epsilon,
        "activation_function": "gelu_new",
        "resid_pdrop": 0.0,
        "embd_pdrop": 0.0,
        "attn_pdrop": 0.0,
        "tie_word_embeddings": true,
        "bos_token_id": super::tokenizer::EOS,
        "eos_token_id": super::tokenizer::EOS,
        "pad_token_id": super::tokenizer::PAD,
    });
    let text = serde_json::to_string_pretty(&json).map_err(|e| file_err(dir, e))?;
    write_atomic(&dir.join(CONFIG_FILE), text.as_bytes())
}
