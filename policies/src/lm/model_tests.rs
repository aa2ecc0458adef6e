//! The model against PyTorch's GPT-2 (the committed fixture), and the properties sampling and
//! batching rely on: the cache gives the full forward's logits, left padding changes nothing.

use super::gpt2;
use super::logprobs::{SequenceBatch, completion_logprobs};
use super::model::{Gpt, GptConfig, GptInput};
use super::sampler::{SamplingConfig, generate};
use crate::tensor_util::to_vec;
use burn::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::PathBuf;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/gpt2_tiny")
}

#[derive(serde::Deserialize)]
struct Expected {
    input_ids: Vec<Vec<u32>>,
    token_logprobs: Vec<Vec<f64>>,
}

fn tiny_config() -> GptConfig {
    GptConfig {
        vocab_size: 24,
        n_positions: 32,
        n_embd: 32,
        n_layer: 2,
        n_head: 4,
        layer_norm_epsilon: 1e-5,
    }
}

#[test]
fn gpt2_parity_token_logprobs_match_pytorch_within_1e_4() {
    let dev = Device::flex();
    let dir = fixture();
    let config = gpt2::read_config(&dir.join("config.json")).expect("fixture config.json");
    let model =
        gpt2::load_weights(&dir.join("model.safetensors"), &config, &dev).expect("fixture weights");
    let text = std::fs::read_to_string(dir.join("expected.json")).expect("fixture expected.json");
    let expected: Expected = serde_json::from_str(&text).expect("expected.json parses");
    let prompts: Vec<Vec<u32>> = expected.input_ids.iter().map(|r| r[..1].to_vec()).collect();
    let completions: Vec<Vec<u32>> = expected.input_ids.iter().map(|r| r[1..].to_vec()).collect();
    let batch = SequenceBatch::new(&prompts, &completions).expect("batch");
    let (logp, _) = completion_logprobs(&model, &batch, &dev);
    let got = to_vec(logp);
    let want: Vec<f64> = expected.token_logprobs.concat();
    assert_eq!(got.len(), want.len());
    let worst = got
        .iter()
        .zip(&want)
        .map(|(g, w)| (*g as f64 - w).abs())
        .fold(0.0, f64::max);
    eprintln!(
        "largest log-prob difference to PyTorch over {} tokens: {worst:e}",
        got.len()
    );
    assert!(
        worst < 1e-4,
        "largest log-prob difference to PyTorch: {worst:e}"
    );
}

#[test]
fn saved_model_loads_back_identically() {
    let dev = Device::flex();
    let config = tiny_config();
    let model = Gpt::new(&config, &dev, &mut ChaCha8Rng::seed_from_u64(0));
    let dir = std::env::temp_dir().join(format!("embody_gpt2_roundtrip_{}", std::process::id()));
    gpt2::save(&model, &config, &dir).expect("save");
    let (back, back_config) = gpt2::load(&dir, &dev).expect("load");
    assert_eq!(back_config, config);
    let batch = SequenceBatch::new(&[vec![3, 4, 5]], &[vec![6, 7, 1]]).expect("batch");
    let a = to_vec(completion_logprobs(&model, &batch, &dev).0);
    let b = to_vec(completion_logprobs(&back, &batch, &dev).0);
    assert_eq!(a, b);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_missing_tensor_is_named() {
    let dev = Device::flex();
    let mut config = tiny_config();
    config.n_layer = 3; // the fixture has two blocks
    let err = gpt2::load_weights(&fixture().join("model.safetensors"), &config, &dev)
        .expect_err("the third block is not in the file")
        .to_string();
    assert!(
        err.contains("h.2.ln_1.weight") && err.contains("model.safetensors"),
        "{err}"
    );
}

#[test]
fn left_padding_does_not_change_a_row() {
    let dev = Device::flex();
    let model = Gpt::new(&tiny_config(), &dev, &mut ChaCha8Rng::seed_from_u64(0));
    let alone = SequenceBatch::new(&[vec![5, 6]], &[vec![7, 8, 1]]).expect("batch");
    let padded = SequenceBatch::new(
        &[vec![5, 6], vec![2, 3, 4, 9, 10]],
        &[vec![7, 8, 1], vec![11]],
    )
    .expect("batch");
    assert_eq!(padded.pads, vec![3, 0]);
    let a = to_vec(completion_logprobs(&model, &alone, &dev).0);
    let b = to_vec(completion_logprobs(&model, &padded, &dev).0);
    for k in 0..3 {
        assert!(
            (a[k] - b[k]).abs() < 1e-5,
            "token {k}: {} alone, {} padded",
            a[k],
            b[k]
        );
    }
}

#[test]
fn cached_decoding_gives_the_full_forward_logits() {
    let dev = Device::flex();
    let model = Gpt::new(&tiny_config(), &dev, &mut ChaCha8Rng::seed_from_u64(0));
    let seq: Vec<u32> = vec![4, 9, 2, 17, 5, 8];
    let full = to_vec(model.forward(&GptInput::new(&seq, &[0], seq.len(), 0, &dev), None));
    let mut cache = model.new_cache();
    let mut stepped = to_vec(model.forward(
        &GptInput::new(&seq[..2], &[0], 2, 0, &dev),
        Some(&mut cache),
    ));
    for (i, &tok) in seq.iter().enumerate().skip(2) {
        stepped.extend(to_vec(
            model.forward(&GptInput::new(&[tok], &[0], 1, i, &dev), Some(&mut cache)),
        ));
    }
    assert_eq!(cache.len(), seq.len());
    let worst = full
        .iter()
        .zip(&stepped)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst < 1e-4,
        "largest logit difference, cached against full: {worst:e}"
    );
}

#[test]
fn greedy_generation_is_the_argmax_of_the_full_forward() {
    let dev = Device::flex();
    let model = Gpt::new(&tiny_config(), &dev, &mut ChaCha8Rng::seed_from_u64(0));
    let prompts = vec![vec![3, 4], vec![5, 6, 7, 8]];
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let out =
        generate(&model, &prompts, &SamplingConfig::greedy(6), &mut rng, &dev).expect("generates");
    for (prompt, completion) in prompts.iter().zip(&out) {
        let mut seq = prompt.clone();
        for &tok in &completion.tokens {
            let logits =
                to_vec(model.forward(&GptInput::new(&seq, &[0], seq.len(), 0, &dev), None));
            let v = model.vocab_size();
            let last = &logits[(seq.len() - 1) * v..];
            let best = (1..v)
                .max_by(|&a, &b| last[a].total_cmp(&last[b]))
                .expect("vocab");
            assert_eq!(
                tok as usize, best,
                "prompt {prompt:?}: completion {:?}",
                completion.tokens
            );
            seq.push(tok);
        }
    }
}
