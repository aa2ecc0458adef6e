//! GRPO's loss by hand, its update's direction, and the shared core: PPO and GRPO run the
//! same surrogate, advantage normaliser, gradient clipping and optimiser step.

use super::core_trace::trace;
use super::grpo::{Grpo, GrpoBatch, GrpoConfig, ImportanceLevel, LossInputs, policy_loss};
use super::loss_agg::{AggregationScale, LossAggregation};
use super::{AdvantageMode, Ppo, PpoConfig, group_advantages};
use crate::lm::{Gpt, GptConfig, SequenceBatch, completion_logprobs};
use crate::nets::{ActorCritic, ActorCriticConfig};
use crate::storage::RolloutStorage;
use crate::tensor_util::to_vec;
use burn::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn scale() -> AggregationScale {
    AggregationScale {
        max_completion_length: 4,
        tokens_per_step: 2.0,
    }
}

fn loss_of(config: &GrpoConfig, logp: [f32; 2], old: [f32; 2], mask: [f32; 2], adv: f32) -> f32 {
    let d = Device::flex();
    let t = |v: [f32; 2]| Tensor::<2>::from_data(TensorData::new(v.to_vec(), [1, 2]), &d);
    let inputs = LossInputs {
        logp: t(logp),
        old_logp: t(old),
        ref_logp: None,
        advantages: Tensor::<1>::from_floats([adv], &d),
        mask: t(mask),
    };
    policy_loss(config, inputs, scale()).0.into_scalar::<f32>()
}

#[test]
fn gspo_sequence_ratio_matches_hand_values() {
    let (h, q) = (0.5f32.ln(), 0.25f32.ln());
    let mut config = GrpoConfig {
        loss_type: LossAggregation::Grpo,
        ..GrpoConfig::default()
    };
    // Token ratios 2 and 1: clipped to 1.2 and 1: token mean -(1.2 + 1) / 2.
    let token = loss_of(&config, [h, q], [q, q], [1.0, 1.0], 1.0);
    assert!((token + 1.1).abs() < 1e-6, "{token}");
    // GSPO: the sequence ratio exp((ln 2 + 0) / 2) = sqrt 2, clipped to 1.2 on both tokens.
    config.importance_sampling_level = ImportanceLevel::Sequence;
    let seq = loss_of(&config, [h, q], [q, q], [1.0, 1.0], 1.0);
    assert!((seq + 1.2).abs() < 1e-6, "{seq}");
    // Unclipped for a negative advantage above the range: -(-1) * sqrt 2.
    let seq = loss_of(&config, [h, q], [q, q], [1.0, 1.0], -1.0);
    assert!((seq - 2.0f32.sqrt()).abs() < 1e-5, "{seq}");
    // The mask leaves the second token out of the sequence ratio: exp(ln 2) = 2.
    let seq = loss_of(&config, [h, 0.0], [q, q], [1.0, 0.0], -1.0);
    assert!((seq - 2.0).abs() < 1e-5, "{seq}");
}

fn tiny_gpt(device: &Device) -> Gpt {
    let config = GptConfig {
        vocab_size: 8,
        n_positions: 16,
        n_embd: 16,
        n_layer: 1,
        n_head: 2,
        layer_norm_epsilon: 1e-5,
    };
    Gpt::new(&config, device, &mut ChaCha8Rng::seed_from_u64(0))
}

fn grpo_batch(rewards: &[f32]) -> GrpoBatch {
    // One prompt, two completions: [3, 4, EOS] and [5, EOS].
    let seqs =
        SequenceBatch::new(&[vec![2], vec![2]], &[vec![3, 4, 1], vec![5, 1]]).expect("batch");
    GrpoBatch {
        advantages: group_advantages(rewards, 2, AdvantageMode::Group),
        loss_mask: seqs.mask.clone(),
        seqs,
        old_logp: None,
        ref_logp: None,
    }
}

#[test]
fn an_update_raises_the_log_probability_of_the_better_completion() {
    let dev = Device::flex();
    let model = tiny_gpt(&dev.clone().autodiff());
    let config = GrpoConfig {
        learning_rate: 1e-2,
        ..GrpoConfig::default()
    };
    let mut grpo = Grpo::new(model, config, dev.clone(), 0).expect("learner");
    let batch = grpo_batch(&[1.0, 0.0]);
    let seq_logp = |g: &Grpo| {
        let lp = to_vec(completion_logprobs(&g.policy(), &batch.seqs, &dev).0);
        let m = &batch.seqs.mask;
        (0..2)
            .map(|r| (0..3).map(|k| lp[r * 3 + k] * m[r * 3 + k]).sum::<f32>())
            .collect::<Vec<f32>>()
    };
    let before = seq_logp(&grpo);
    let stats = grpo.update(&batch);
    let after = seq_logp(&grpo);
    assert_eq!(stats.steps, 1);
    assert!(
        after[0] > before[0],
        "rewarded completion: {} -> {}",
        before[0],
        after[0]
    );
    assert!(
        after[1] < before[1],
        "unrewarded completion: {} -> {}",
        before[1],
        after[1]
    );
}

#[test]
fn ppo_and_grpo_call_the_same_core_functions() {
    let dev = Device::flex();
    // PPO: one update of a tiny actor-critic on a hand-filled rollout.
    let ac_config = ActorCriticConfig {
        actor_hidden: vec![8],
        critic_hidden: vec![8],
        init_noise_std: 1.0,
    };
    let ac = ActorCritic::new(3, 2, &ac_config, &dev.clone().autodiff());
    let ppo_config = PpoConfig {
        num_learning_epochs: 1,
        num_mini_batches: 1,
        ..PpoConfig::default()
    };
    let mut ppo = Ppo::new(ac, ppo_config, dev.clone().autodiff()).expect("ppo");
    let mut storage = RolloutStorage::new(2, 2, 3, 2);
    for step in 0..2 {
        let x = step as f32 * 0.1;
        storage
            .push(&[x; 6], &[x; 4], &[0.0; 4], &[0.0; 2], &[-1.0; 2])
            .expect("push");
        storage
            .push_outcome(&[1.0, 0.0], &[0.0; 2])
            .expect("outcome");
    }
    storage.advantages = vec![1.0, -1.0, 0.5, -0.5];
    storage.returns = vec![1.0, 0.0, 0.5, 0.0];
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let (_, ppo_calls) = trace(|| ppo.update(&storage, 0.0, &mut rng));

    // GRPO: advantages from rewards, one update of a tiny language model.
    let mut grpo = Grpo::new(
        tiny_gpt(&dev.clone().autodiff()),
        GrpoConfig::default(),
        dev,
        0,
    )
    .expect("grpo");
    let (_, grpo_calls) = trace(|| {
        let batch = grpo_batch(&[1.0, 0.0]);
        grpo.update(&batch)
    });
    for core in [
        "mean_and_std",
        "clipped_surrogate",
        "clip_global_norm",
        "optimizer_step",
    ] {
        assert!(
            ppo_calls.contains(&core),
            "PPO did not call {core}: {ppo_calls:?}"
        );
        assert!(
            grpo_calls.contains(&core),
            "GRPO did not call {core}: {grpo_calls:?}"
        );
    }
}
