//! The `confined-nav` task on the command line: its envs from a training config, and the
//! evaluation that compares the hierarchical policy (planner + learned waypoint follower), the
//! end-to-end baseline (the goal only) and the velocity-skill baseline (the walking policy
//! steered along the plan) on the held-out worlds in one run.

use super::train::EvalArgs;
use anyhow::{Context, bail};
use policies::checkpoint;
use policies::config::TrainConfig;
use policies::deploy::DeployPolicy;
use policies::runner::{ConfinedNavEvalStats, evaluate_confined_nav};
use serde::Serialize;
use sim::confined::{RobotSize, TEST_SEED_BASE, test_set};
use sim::env::VecEnv;
use sim::tasks::confined_nav::{ConfinedNavConfig, ConfinedNavEnv, Strategy};
use std::path::Path;
use std::sync::Arc;

/// The task's name on the command line.
pub(crate) const TASK: &str = "confined-nav";

/// Worlds stepped together in an evaluation.
const EVAL_BATCH: usize = 50;

fn load(config: &TrainConfig) -> anyhow::Result<(ConfinedNavConfig, Arc<robots::RobotSpec>)> {
    let task: ConfinedNavConfig = config.env_config()?;
    let robot = &task.locomotion.robot;
    let spec = robots::load_builtin_or_path(robot)
        .with_context(|| format!("env.locomotion.robot: loading '{robot}'"))?;
    Ok((task, Arc::new(spec)))
}

/// Confined-navigation envs from the `[env]` table of `config`.
pub(crate) fn confined_nav_venv(
    config: &TrainConfig,
    num_envs: usize,
    seed: u64,
) -> anyhow::Result<VecEnv<ConfinedNavEnv>> {
    let (task, spec) = load(config)?;
    Ok(VecEnv::try_new_at(
        config.runner.first_env,
        num_envs,
        |i| ConfinedNavEnv::new(spec.clone(), task.clone(), seed ^ i as u64),
    )?)
}

/// What `embody eval confined-nav --json` prints.
#[derive(Serialize)]
struct ConfinedNavEval {
    task: &'static str,
    worlds: usize,
    seed: u64,
    hierarchical: Named,
    end_to_end: Named,
    velocity_skill: Named,
}

#[derive(Serialize)]
struct Named {
    checkpoint: String,
    #[serde(flatten)]
    stats: ConfinedNavEvalStats,
}

/// `embody eval confined-nav`: `--checkpoint` is the hierarchical policy; `--end-to-end` and
/// `--velocity-skill` the baselines; each crosses the same held-out worlds once.
pub(crate) fn eval_confined_nav(
    actor: &mut DeployPolicy,
    config: &TrainConfig,
    args: &EvalArgs,
    dir: &Path,
) -> anyhow::Result<()> {
    let (mut task, spec) = load(config)?;
    if let Some(s) = args.episode_s {
        task.episode_s = s;
    }
    if task.strategy != Strategy::Hierarchical {
        bail!(
            "{}: --checkpoint is the hierarchical policy, and this one was trained with \
             env.strategy = {:?}; pass it as --end-to-end",
            dir.display(),
            task.strategy
        );
    }
    let body = robots::body_extents(&spec).context("sizing the worlds by the robot")?;
    let worlds = test_set(RobotSize::from(&body), args.worlds.max(1));
    let dim = actor.obs_dim();
    let hierarchical = evaluate_confined_nav(actor, dim, spec.clone(), &task, &worlds, EVAL_BATCH)?;
    // The end-to-end baseline, in its own configuration.
    let e2e_dir = checkpoint::resolve(&args.end_to_end)
        .with_context(|| format!("--end-to-end {}", args.end_to_end.display()))?;
    let mut e2e = DeployPolicy::load(&e2e_dir)?;
    let e2e_config = TrainConfig::load(&e2e_dir.join("config.toml"), &[])?;
    let (mut e2e_task, _) = load(&e2e_config)?;
    e2e_task.episode_s = task.episode_s;
    if e2e_config.task != TASK || e2e_task.strategy != Strategy::EndToEnd {
        bail!(
            "{}: not an end-to-end confined-nav policy (task '{}')",
            e2e_dir.display(),
            e2e_config.task
        );
    }
    let e2e_dim = e2e.obs_dim();
    let end_to_end = evaluate_confined_nav(
        &mut e2e,
        e2e_dim,
        spec.clone(),
        &e2e_task,
        &worlds,
        EVAL_BATCH,
    )?;
    // The velocity-skill baseline: the walking policy on the locomotion part of the
    // hierarchical task's observation, whose command slot carries the pursuit of the plan.
    let vel_dir = checkpoint::resolve(&args.velocity_skill)
        .with_context(|| format!("--velocity-skill {}", args.velocity_skill.display()))?;
    let mut vel = DeployPolicy::load(&vel_dir)?;
    let probe = ConfinedNavEnv::new(spec.clone(), task.clone(), 0)?;
    if vel.obs_dim() != probe.locomotion_obs_dim() {
        bail!(
            "{}: the walking policy observes {} values, the task's locomotion part has {} \
             (its [env.locomotion] must match the policy's [env])",
            vel_dir.display(),
            vel.obs_dim(),
            probe.locomotion_obs_dim()
        );
    }
    let vel_dim = vel.obs_dim();
    let velocity_skill =
        evaluate_confined_nav(&mut vel, vel_dim, spec, &task, &worlds, EVAL_BATCH)?;
    let out = ConfinedNavEval {
        task: TASK,
        worlds: worlds.len(),
        seed: TEST_SEED_BASE,
        hierarchical: Named {
            checkpoint: dir.display().to_string(),
            stats: hierarchical,
        },
        end_to_end: Named {
            checkpoint: e2e_dir.display().to_string(),
            stats: end_to_end,
        },
        velocity_skill: Named {
            checkpoint: vel_dir.display().to_string(),
            stats: velocity_skill,
        },
    };
    if args.json {
        println!("{}", serde_json::to_string(&out)?);
    } else {
        println!(
            "confined-nav: {} held-out worlds (seeds from {})",
            out.worlds, out.seed
        );
        for (name, r) in [
            ("hierarchical", &out.hierarchical),
            ("end_to_end", &out.end_to_end),
            ("velocity_skill", &out.velocity_skill),
        ] {
            let s = &r.stats;
            println!(
                "  {name:<15} success {:.3}  time to goal {}  collisions/m {:.3}  falls {:.3}  \
                 progress {:.3}  ({})",
                s.success_rate,
                s.time_to_goal_s
                    .map_or("-".to_string(), |t| format!("{t:.1} s")),
                s.collisions_per_m,
                s.fall_rate,
                s.mean_progress,
                r.checkpoint
            );
        }
    }
    Ok(())
}
