//! The GRPO loop for a language model: draw prompts, sample G completions each (one batch,
//! key/value cache), score them with the task's verifier and the reward terms, drop groups
//! without signal and refill (dynamic sampling), rescue all-failed groups with hints
//! (Scaf-GRPO), then update ([`crate::algo::Grpo`]).

use super::checkpoint::{LmState, MetricsCsv, checkpoint_dir, load_init, load_resumable, save};
use super::eval::{Validation, encode_prompt};
use super::logprobs::SequenceBatch;
use super::model::Gpt;
use super::run_config::LmRunConfig;
use super::sampler::{Completion, generate};
use super::tasks::{Problem, Split, Task, draw, problem_set};
use super::tokenizer::CharTokenizer;
use crate::PolicyError;
use crate::algo::{
    Grpo, GrpoBatch, GrpoConfig, GrpoStats, LengthShaping, alp_reward, group_advantages,
    informative_groups, laser_reward, mask_truncated, new_adam, overlong_penalty,
};
use burn::prelude::*;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One sampled completion and its scores.
#[derive(Debug, Clone)]
struct Row {
    prompt: Vec<u32>,
    completion: Completion,
    correct: bool,
    well_formed: bool,
}

/// A prompt's G completions.
#[derive(Debug, Clone)]
struct Group {
    rows: Vec<Row>,
    rewards: Vec<f32>,
    hinted: bool,
}

/// What building one batch took and found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct BatchStats {
    /// Mean reward of the batch's completions.
    pub reward_mean: f32,
    /// Share of the batch's completions the verifier accepted.
    pub solve_rate: f32,
    /// Mean completion length in tokens.
    pub completion_len: f32,
    /// Completions in the batch.
    pub completions: usize,
    /// Completion tokens sampled while building it (dropped groups and hint attempts
    /// included).
    pub sampled_tokens: usize,
    /// Completions sampled while building it.
    pub sampled_completions: usize,
    /// Groups that were all-failed and rescued by a hint.
    pub hinted_groups: usize,
    /// Generation rounds (more than 1 only with dynamic sampling).
    pub rounds: usize,
    /// Seconds spent sampling and scoring.
    pub generate_s: f64,
}

/// Builds GRPO batches for a task.
pub struct BatchBuilder<'a> {
    /// The task.
    pub task: &'a dyn Task,
    /// Its tokenizer.
    pub tokenizer: &'a CharTokenizer,
}

impl BatchBuilder<'_> {
    fn score(
        &self,
        problem: &Problem,
        prompt: Vec<u32>,
        completion: Completion,
        prefix: &str,
    ) -> Row {
        let text = format!("{prefix}{}", self.tokenizer.decode(&completion.tokens));
        Row {
            correct: self.task.is_correct(problem, &text),
            well_formed: self.task.is_well_formed(problem, &text),
            prompt,
            completion,
        }
    }

    /// The rewards of a group's rows under `config`'s reward terms.
    fn rewards(&self, rows: &[Row], config: &GrpoConfig, rng: &mut ChaCha8Rng) -> Vec<f32> {
        let g = rows.len();
        let solve_rate = rows.iter().filter(|r| r.correct).count() as f32 / g.max(1) as f32;
        let max_len = config.sampling.max_new_tokens;
        rows.iter()
            .map(|r| {
                let len = r.completion.tokens.len();
                config
                    .rewards
                    .iter()
                    .map(|term| {
                        let v = match term.kind.as_str() {
                            "correct" => match config.length_shaping {
                                LengthShaping::None => f32::from(u8::from(r.correct)),
                                LengthShaping::Laser { target_len, alpha } => {
                                    laser_reward(r.correct, len, target_len, alpha)
                                }
                                LengthShaping::Alp { beta, n } => {
                                    alp_reward(r.correct, len, solve_rate, g, beta, n)
                                }
                            },
                            "format" => f32::from(u8::from(r.well_formed)),
                            "overlong" => overlong_penalty(len, max_len, config.overlong_cache_len),
                            _ => rng.random::<f32>(),
                        };
                        term.weight * v
                    })
                    .sum()
            })
            .collect()
    }

    /// Samples G completions for each of `problems` and scores them (with hints for groups
    /// where every completion failed, when configured).
    fn sample_groups(
        &self,
        policy: &Gpt,
        problems: &[Problem],
        config: &GrpoConfig,
        rng: &mut ChaCha8Rng,
        stats: &mut BatchStats,
        device: &Device,
    ) -> Result<Vec<Group>, PolicyError> {
        let g = config.num_generations;
        let mut prompts = Vec::with_capacity(problems.len() * g);
        for p in problems {
            let ids = encode_prompt(self.tokenizer, p)?;
            prompts.extend(std::iter::repeat_n(ids, g));
        }
        let done = generate(policy, &prompts, &config.sampling, rng, device)
            .map_err(|e| PolicyError::config("model.n_positions", e))?;
        stats.sampled_completions += done.len();
        stats.sampled_tokens += done.iter().map(|c| c.tokens.len()).sum::<usize>();
        let mut rows = prompts.into_iter().zip(done);
        let mut groups = Vec::with_capacity(problems.len());
        for p in problems {
            let rows: Vec<Row> = rows
                .by_ref()
                .take(g)
                .map(|(prompt, c)| self.score(p, prompt, c, ""))
                .collect();
            let mut group = Group {
                rows,
                rewards: Vec::new(),
                hinted: false,
            };
            if let Some(h) = config.hints
                && group.rows.iter().all(|r| !r.correct)
            {
                self.rescue_with_hints(policy, p, &mut group, h.tiers, config, rng, stats, device)?;
            }
            group.rewards = self.rewards(&group.rows, config, rng);
            groups.push(group);
        }
        Ok(groups)
    }

    /// Scaf-GRPO: retries an all-failed group's prompt with the first 1, 2, ... characters of
    /// the answer appended, and puts the first correct completion (its prompt the hinted one)
    /// in place of the group's first row.
    #[allow(clippy::too_many_arguments)]
    fn rescue_with_hints(
        &self,
        policy: &Gpt,
        problem: &Problem,
        group: &mut Group,
        tiers: usize,
        config: &GrpoConfig,
        rng: &mut ChaCha8Rng,
        stats: &mut BatchStats,
        device: &Device,
    ) -> Result<(), PolicyError> {
        let answer: Vec<char> = problem.answer.chars().collect();
        for tier in 1..=tiers.min(answer.len().saturating_sub(1)) {
            let hint: String = answer[..tier].iter().collect();
            let hinted = Problem {
                prompt: format!("{}{hint}", problem.prompt),
                answer: problem.answer.clone(),
            };
            let ids = encode_prompt(self.tokenizer, &hinted)?;
            let tries = vec![ids; config.num_generations];
            let done = generate(policy, &tries, &config.sampling, rng, device)
                .map_err(|e| PolicyError::config("model.n_positions", e))?;
            stats.sampled_completions += done.len();
            stats.sampled_tokens += done.iter().map(|c| c.tokens.len()).sum::<usize>();
            let found = tries
                .into_iter()
                .zip(done)
                .map(|(prompt, c)| self.score(problem, prompt, c, &hint))
                .find(|r| r.correct);
            if let Some(row) = found {
                group.rows[0] = row;
                group.hinted = true;
                stats.hinted_groups += 1;
                return Ok(());
            }
        }
        Ok(())
    }

    /// One GRPO batch of `prompts_per_step` groups from the training split, sampled from the
    /// learner's current policy; its statistics.
    pub fn build(
        &self,
        grpo: &Grpo,
        rng: &mut ChaCha8Rng,
    ) -> Result<(GrpoBatch, BatchStats), PolicyError> {
        let t0 = Instant::now();
        let config = &grpo.config;
        let policy = grpo.policy();
        let device = grpo.device().clone();
        let mut stats = BatchStats::default();
        let mut kept: Vec<Group> = Vec::new();
        let mut last: Vec<Group> = Vec::new();
        while kept.len() < config.prompts_per_step && stats.rounds < config.max_sampling_rounds {
            let need = config.prompts_per_step - kept.len();
            let problems: Vec<Problem> = (0..need)
                .map(|_| draw(self.task, Split::Train, rng))
                .collect();
            let groups =
                self.sample_groups(&policy, &problems, config, rng, &mut stats, &device)?;
            stats.rounds += 1;
            if !config.dynamic_sampling {
                kept = groups;
                break;
            }
            let flat: Vec<f32> = groups
                .iter()
                .flat_map(|g| g.rewards.iter().copied())
                .collect();
            let informative = informative_groups(&flat, config.num_generations);
            last = groups.clone();
            kept.extend(
                groups
                    .into_iter()
                    .zip(informative)
                    .filter(|(_, k)| *k)
                    .map(|(g, _)| g),
            );
        }
        if kept.is_empty() {
            // Nothing informative after every round: the batch carries no gradient signal, but
            // the step still counts (zero advantages).
            kept = last;
        }
        kept.truncate(config.prompts_per_step);
        let rewards: Vec<f32> = kept
            .iter()
            .flat_map(|g| g.rewards.iter().copied())
            .collect();
        let advantages = group_advantages(&rewards, config.num_generations, config.advantage);
        let rows: Vec<&Row> = kept.iter().flat_map(|g| g.rows.iter()).collect();
        let prompts: Vec<Vec<u32>> = rows.iter().map(|r| r.prompt.clone()).collect();
        let completions: Vec<Vec<u32>> = rows.iter().map(|r| r.completion.tokens.clone()).collect();
        let seqs = SequenceBatch::new(&prompts, &completions)
            .map_err(|e| PolicyError::config("task", e))?;
        let mut loss_mask = seqs.mask.clone();
        if config.mask_truncated_completions {
            let truncated: Vec<bool> = rows.iter().map(|r| r.completion.truncated).collect();
            mask_truncated(&mut loss_mask, &truncated);
        }
        let (old_logp, ref_logp) = grpo.stored_logprobs(&seqs);
        let n = rows.len().max(1) as f32;
        stats.reward_mean = rewards.iter().sum::<f32>() / n;
        stats.solve_rate = rows.iter().filter(|r| r.correct).count() as f32 / n;
        stats.completion_len = rows
            .iter()
            .map(|r| r.completion.tokens.len() as f32)
            .sum::<f32>()
            / n;
        stats.completions = rows.len();
        stats.generate_s = t0.elapsed().as_secs_f64();
        Ok((
            GrpoBatch {
                seqs,
                advantages,
                loss_mask,
                old_logp,
                ref_logp,
            },
            stats,
        ))
    }
}

/// What a GRPO run reports.
#[derive(Debug, Clone, Serialize)]
pub struct GrpoSummary {
    /// The run folder.
    pub run_dir: PathBuf,
    /// Steps done in total.
    pub steps: usize,
    /// Wall seconds of training in total.
    pub train_s: f64,
    /// Greedy pass@1 on the validation set at the end.
    pub validation_pass_at_1: f32,
    /// The last step's batch statistics.
    pub last_batch: BatchStats,
    /// The last step's update statistics.
    pub last_update: GrpoStats,
}

/// Trains with GRPO from the warm-up `init_from` (or resumes the run in `run_dir` when None)
/// for `grpo_run.steps` steps or `grpo_run.max_seconds` of wall time.
pub fn train_grpo(
    config: &LmRunConfig,
    run_dir: &Path,
    init_from: Option<&Path>,
    device: &Device,
) -> Result<GrpoSummary, PolicyError> {
    let task = config.task();
    let tokenizer = config.tokenizer();
    let gpt = config.gpt_config();
    let train_dev = device.clone().autodiff();
    let ckpt = checkpoint_dir(run_dir);
    let resuming = init_from.is_none();
    let (model, optim, mut state) = match init_from {
        None => {
            let r = load_resumable(&ckpt, &train_dev)?;
            if r.state.phase != "grpo" {
                return Err(PolicyError::config(
                    "resume",
                    format!(
                        "{} holds a {} checkpoint, not a GRPO one",
                        ckpt.display(),
                        r.state.phase
                    ),
                ));
            }
            (r.model, Some(r.optim), r.state)
        }
        Some(from) => {
            let r = load_init(from, &gpt, &tokenizer, &train_dev)?;
            let state = LmState {
                phase: "grpo".into(),
                step: 0,
                rng: rand::SeedableRng::seed_from_u64(config.seed),
                elapsed_s: 0.0,
                init_from: Some(from.to_path_buf()),
            };
            (r.model, None, state)
        }
    };
    let mut grpo = Grpo::new(model, config.grpo.clone(), device.clone(), config.seed)
        .map_err(|e| PolicyError::config("grpo", e))?;
    grpo.optim = optim.unwrap_or_else(new_adam);
    std::fs::create_dir_all(run_dir).map_err(|e| PolicyError::File {
        path: run_dir.to_path_buf(),
        message: e.to_string(),
    })?;
    crate::atomic_file::write_atomic(&run_dir.join("config.toml"), config.to_toml().as_bytes())?;
    let csv = MetricsCsv::open(
        run_dir,
        vec![
            "step",
            "reward_mean",
            "solve_rate",
            "completion_len",
            "loss",
            "kl",
            "clip_ratio",
            "entropy",
            "grad_norm",
            "completions",
            "hinted_groups",
            "rounds",
            "generate_s",
            "update_s",
            "validation_pass_at_1",
            "elapsed_s",
        ],
        resuming.then_some(state.step),
    )?;
    let validation = Validation {
        task: task.as_ref(),
        tokenizer: &tokenizer,
        problems: problem_set(
            task.as_ref(),
            Split::Validation,
            config.eval.validation_problems,
            config.eval.validation_seed,
        ),
        max_new_tokens: config.grpo.sampling.max_new_tokens,
    };
    let builder = BatchBuilder {
        task: task.as_ref(),
        tokenizer: &tokenizer,
    };
    let max_s = (config.grpo_run.max_seconds > 0.0).then_some(config.grpo_run.max_seconds);
    let started = Instant::now();
    let base = state.elapsed_s;
    let mut val = if resuming {
        f32::NAN
    } else {
        validation.score(&grpo.policy(), device)?
    };
    if !resuming {
        csv.row(&[
            0.0,
            f64::NAN,
            f64::NAN,
            f64::NAN,
            f64::NAN,
            f64::NAN,
            f64::NAN,
            f64::NAN,
            f64::NAN,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            val as f64,
            0.0,
        ])?;
    }
    let mut last = (BatchStats::default(), GrpoStats::default());
    let out_of_time = |s: &LmState| max_s.is_some_and(|m| s.elapsed_s >= m);
    while state.step < config.grpo_run.steps && !out_of_time(&state) {
        let (batch, bstats) = builder.build(&grpo, &mut state.rng)?;
        let t1 = Instant::now();
        let ustats = grpo.update(&batch);
        let update_s = t1.elapsed().as_secs_f64();
        state.step += 1;
        state.elapsed_s = base + started.elapsed().as_secs_f64();
        let done = state.step >= config.grpo_run.steps || out_of_time(&state);
        if state.step.is_multiple_of(config.eval.interval) || done {
            val = validation.score(&grpo.policy(), device)?;
            save(&ckpt, &grpo.model, &gpt, &tokenizer, &grpo.optim, &state)?;
        } else {
            val = f32::NAN;
        }
        csv.row(&[
            state.step as f64,
            bstats.reward_mean as f64,
            bstats.solve_rate as f64,
            bstats.completion_len as f64,
            ustats.loss as f64,
            ustats.kl as f64,
            ustats.clip_ratio as f64,
            ustats.entropy as f64,
            ustats.grad_norm as f64,
            bstats.completions as f64,
            bstats.hinted_groups as f64,
            bstats.rounds as f64,
            bstats.generate_s,
            update_s,
            val as f64,
            state.elapsed_s,
        ])?;
        last = (bstats, ustats);
    }
    if val.is_nan() {
        val = validation.score(&grpo.policy(), device)?;
    }
    Ok(GrpoSummary {
        run_dir: run_dir.to_path_buf(),
        steps: state.step,
        train_s: state.elapsed_s,
        validation_pass_at_1: val,
        last_batch: last.0,
        last_update: last.1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::RewardTerm;
    use crate::lm::GptConfig;
    use crate::lm::tasks::Addition;
    use rand::SeedableRng;

    fn learner(rewards: &str, dynamic: bool) -> (Grpo, CharTokenizer) {
        let tokenizer = CharTokenizer::new(Addition { digits: 2 }.alphabet());
        let shape = GptConfig {
            vocab_size: tokenizer.vocab_size(),
            n_positions: 24,
            n_embd: 16,
            n_layer: 1,
            n_head: 2,
            layer_norm_epsilon: 1e-5,
        };
        let dev = Device::flex();
        let model = Gpt::new(
            &shape,
            &dev.clone().autodiff(),
            &mut ChaCha8Rng::seed_from_u64(0),
        );
        let mut config = GrpoConfig {
            num_generations: 4,
            prompts_per_step: 3,
            dynamic_sampling: dynamic,
            max_sampling_rounds: 3,
            rewards: vec![RewardTerm {
                kind: rewards.into(),
                weight: 1.0,
            }],
            ..GrpoConfig::default()
        };
        config.sampling.max_new_tokens = 4;
        (
            Grpo::new(model, config, dev, 0).expect("learner"),
            tokenizer,
        )
    }

    #[test]
    fn dynamic_sampling_refills_until_groups_carry_signal() {
        let task = Addition { digits: 2 };
        let build = |reward: &str, dynamic: bool| {
            let (grpo, tok) = learner(reward, dynamic);
            let builder = BatchBuilder {
                task: &task,
                tokenizer: &tok,
            };
            builder
                .build(&grpo, &mut ChaCha8Rng::seed_from_u64(1))
                .expect("batch")
        };
        // A random reward varies within every group: one round fills the batch.
        let (batch, stats) = build("random", true);
        assert_eq!(stats.rounds, 1);
        assert_eq!(batch.advantages.len(), 12);
        // An untrained model never answers correctly: every group is flat, so dynamic sampling
        // draws new groups up to its limit, then keeps the last round (zero advantages).
        let (batch, stats) = build("correct", true);
        assert_eq!(stats.rounds, 3);
        assert_eq!(stats.sampled_completions, 36);
        assert!(batch.advantages.iter().all(|&a| a == 0.0));
        // Without dynamic sampling the flat batch is used at once.
        assert_eq!(build("correct", false).1.rounds, 1);
    }
}
