//! How per-token losses become one loss: TRL's `loss_type`s and verl's `loss_agg_mode`s.

use super::core_trace::record;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// The aggregation of a `[B, T]` per-token loss under its completion mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LossAggregation {
    /// TRL `grpo`: each sequence's token mean, then the mean over sequences (verl's
    /// `seq-mean-token-mean` is the same).
    #[serde(rename = "grpo")]
    Grpo,
    /// TRL `bnpo`: sum over the minibatch's tokens / its token count.
    #[serde(rename = "bnpo")]
    Bnpo,
    /// TRL `dr_grpo`: sum / (sequences * max_completion_length): no length bias.
    #[serde(rename = "dr_grpo")]
    DrGrpo,
    /// TRL `dapo`: sum / the tokens per optimiser step of the whole generation batch (its
    /// token count over the number of minibatches), so every token weighs the same across
    /// minibatches.
    #[serde(rename = "dapo")]
    Dapo,
    /// verl `token-mean`: sum / the minibatch's token count.
    #[serde(rename = "token-mean")]
    TokenMean,
    /// verl `seq-mean-token-sum`: each sequence's token sum, then the mean over sequences.
    #[serde(rename = "seq-mean-token-sum")]
    SeqMeanTokenSum,
    /// verl `seq-mean-token-mean`: each sequence's token mean, then the mean over sequences.
    #[serde(rename = "seq-mean-token-mean")]
    SeqMeanTokenMean,
}

/// What the normalisers of some aggregations need besides the minibatch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AggregationScale {
    /// The completion length limit (`dr_grpo`).
    pub max_completion_length: usize,
    /// Completion tokens of the whole generation batch over its number of minibatches
    /// (`dapo`).
    pub tokens_per_step: f32,
}

/// Aggregates `per_token` under `mask` (1 for completion tokens, 0 for padding).
///
/// # Shapes
/// `per_token, mask: [B, T]` -> `[1]`
pub fn aggregate_loss(
    mode: LossAggregation,
    per_token: Tensor<2>,
    mask: Tensor<2>,
    scale: AggregationScale,
) -> Tensor<1> {
    record("aggregate_loss");
    let [b, _] = per_token.dims();
    let masked = per_token * mask.clone();
    let seq_tokens = || mask.clone().sum_dim(1).clamp_min(1.0);
    match mode {
        LossAggregation::Grpo | LossAggregation::SeqMeanTokenMean => {
            (masked.sum_dim(1) / seq_tokens()).mean().reshape([1])
        }
        LossAggregation::Bnpo | LossAggregation::TokenMean => {
            masked.sum() / mask.sum().clamp_min(1.0)
        }
        LossAggregation::DrGrpo => masked.sum() / (b * scale.max_completion_length.max(1)) as f32,
        LossAggregation::Dapo => masked.sum() / scale.tokens_per_step.max(1.0),
        LossAggregation::SeqMeanTokenSum => masked.sum_dim(1).mean().reshape([1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_aggregation_matches_hand_values() {
        let d = Device::flex();
        // Sequence 0: tokens 1, 2, 3; sequence 1: token 4 (then two padding tokens of 100).
        let loss = Tensor::<2>::from_floats([[1.0, 2.0, 3.0], [4.0, 100.0, 100.0]], &d);
        let mask = Tensor::<2>::from_floats([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]], &d);
        let scale = AggregationScale {
            max_completion_length: 5,
            tokens_per_step: 8.0,
        };
        let agg = |m| aggregate_loss(m, loss.clone(), mask.clone(), scale).into_scalar::<f32>();
        let cases = [
            (LossAggregation::Grpo, (2.0 + 4.0) / 2.0),
            (LossAggregation::SeqMeanTokenMean, 3.0),
            (LossAggregation::Bnpo, 10.0 / 4.0),
            (LossAggregation::TokenMean, 2.5),
            (LossAggregation::DrGrpo, 10.0 / (2.0 * 5.0)),
            (LossAggregation::Dapo, 10.0 / 8.0),
            (LossAggregation::SeqMeanTokenSum, (6.0 + 4.0) / 2.0),
        ];
        for (mode, want) in cases {
            let got = agg(mode);
            assert!((got - want).abs() < 1e-6, "{mode:?}: {got} vs {want}");
        }
    }

    #[test]
    fn names_are_trl_and_verl_names() {
        for (name, mode) in [
            ("\"grpo\"", LossAggregation::Grpo),
            ("\"dr_grpo\"", LossAggregation::DrGrpo),
            ("\"seq-mean-token-sum\"", LossAggregation::SeqMeanTokenSum),
        ] {
            assert_eq!(
                serde_json::from_str::<LossAggregation>(name).expect(name),
                mode
            );
        }
    }
}
