//! `embody train --rerun`: training scalars and selected environments in a Rerun recording, as a
//! hook called after every iteration (the runner itself knows nothing of Rerun).

use clap::Args;
use policies::runner::{IterationStats, OnPolicyRunner};
use sim::env::Env;
use std::path::{Path, PathBuf};

/// Rerun options of `embody train`.
#[derive(Debug, Default, Args)]
pub struct RerunArgs {
    /// Record training to Rerun (needs the `rerun` feature): returns, losses, KL, learning rate,
    /// steps/s, reward terms, and the first --rerun-envs environments at the end of every
    /// iteration. Saved to <run folder>/train.rrd unless --rerun-spawn or --rerun-connect.
    #[arg(long)]
    pub rerun: bool,
    /// How many environments to show (side by side).
    #[arg(long, default_value_t = 1, requires = "rerun")]
    pub rerun_envs: usize,
    /// Save the recording here instead of <run folder>/train.rrd.
    #[arg(long, value_name = "FILE", requires = "rerun")]
    pub rerun_rrd: Option<PathBuf>,
    /// Spawn a viewer and stream to it.
    #[arg(long, requires = "rerun", conflicts_with = "rerun_rrd")]
    pub rerun_spawn: bool,
    /// Stream to a viewer at ADDR (host:port or rerun+http:// URL).
    #[arg(long, value_name = "ADDR", requires = "rerun", conflicts_with_all = ["rerun_rrd", "rerun_spawn"])]
    pub rerun_connect: Option<String>,
}

/// Environments that can show themselves in the visual debugger.
pub trait VizEnv {
    /// The robot world and task command, for robot tasks.
    #[cfg_attr(not(feature = "rerun"), allow(dead_code))]
    fn viz_world(&self) -> Option<(&sim::RobotWorld, &sim::Terrain, Option<[f32; 3]>)> {
        None
    }
}

impl VizEnv for sim::tasks::locomotion::LocomotionEnv {
    fn viz_world(&self) -> Option<(&sim::RobotWorld, &sim::Terrain, Option<[f32; 3]>)> {
        Some((self.world(), self.terrain(), Some(self.command())))
    }
}
impl VizEnv for sim::tasks::imitate::ImitationEnv {
    fn viz_world(&self) -> Option<(&sim::RobotWorld, &sim::Terrain, Option<[f32; 3]>)> {
        Some((self.world(), self.terrain(), None))
    }
}
impl VizEnv for sim::tasks::confined_nav::ConfinedNavEnv {
    fn viz_world(&self) -> Option<(&sim::RobotWorld, &sim::Terrain, Option<[f32; 3]>)> {
        let walk = self.locomotion();
        Some((walk.world(), walk.terrain(), Some(walk.command())))
    }
}
impl VizEnv for sim::tasks::maze::MazeEnv {
    fn viz_world(&self) -> Option<(&sim::RobotWorld, &sim::Terrain, Option<[f32; 3]>)> {
        self.nav().viz_world()
    }
}
impl<E: sim::env::CellFeatures + VizEnv> VizEnv for sim::env::CountBonus<E> {
    fn viz_world(&self) -> Option<(&sim::RobotWorld, &sim::Terrain, Option<[f32; 3]>)> {
        self.inner().viz_world()
    }
}
impl<E: sim::env::Env + VizEnv> VizEnv for policies::explore::robustify::DemoStarts<E> {
    fn viz_world(&self) -> Option<(&sim::RobotWorld, &sim::Terrain, Option<[f32; 3]>)> {
        self.inner().viz_world()
    }
}
impl VizEnv for sim::tasks::cartpole::CartPoleEnv {}
impl VizEnv for sim::tasks::bimanual::BimanualEnv {}
impl VizEnv for sim::tasks::handover::HandoverEnv {}
impl VizEnv for sim::tasks::pendulum::PendulumEnv {}

/// The per-iteration hook (does nothing without `--rerun`).
pub struct TrainViz {
    #[cfg(feature = "rerun")]
    rec: Option<(sim::viz::recorder::Recorder, Vec<(usize, usize)>)>,
}

impl TrainViz {
    /// Opens the recording when `--rerun` was given.
    #[cfg(feature = "rerun")]
    pub fn open<E: Env + VizEnv>(
        args: &RerunArgs,
        runner: &OnPolicyRunner<E>,
        run_dir: &Path,
        json: bool,
    ) -> anyhow::Result<Self> {
        use sim::viz::recorder::{Recorder, Sink};
        if !args.rerun {
            return Ok(Self { rec: None });
        }
        let sink = if args.rerun_spawn {
            Sink::Spawn
        } else if let Some(a) = &args.rerun_connect {
            Sink::Connect(a.clone())
        } else {
            Sink::Save(
                args.rerun_rrd
                    .clone()
                    .unwrap_or_else(|| run_dir.join("train.rrd")),
            )
        };
        let mut rec = Recorder::new("embody_train", &sink)?;
        let mut shown = Vec::new();
        for (i, env) in runner.venv.envs().iter().enumerate().take(args.rerun_envs) {
            if let Some((world, terrain, _)) = env.viz_world() {
                let id = rec.add_env(
                    &format!("env{i}"),
                    world.spec(),
                    terrain,
                    [0.0, 2.5 * i as f32, 0.0],
                )?;
                shown.push((i, id));
            }
        }
        rec.send_blueprint(true)?;
        if !json {
            eprintln!("rerun: recording training to {sink:?}");
        }
        Ok(Self {
            rec: Some((rec, shown)),
        })
    }

    /// Without the `rerun` feature `--rerun` is an error.
    #[cfg(not(feature = "rerun"))]
    pub fn open<E: Env + VizEnv>(
        args: &RerunArgs,
        _: &OnPolicyRunner<E>,
        _: &Path,
        _: bool,
    ) -> anyhow::Result<Self> {
        if args.rerun {
            anyhow::bail!(
                "this embody was built without the `rerun` feature: rebuild with `cargo build --features rerun` to use --rerun"
            );
        }
        Ok(Self {})
    }

    /// Logs one iteration: scalars, reward terms, and the shown envs' current state.
    #[cfg(feature = "rerun")]
    pub fn iteration<E: Env + VizEnv>(
        &mut self,
        runner: &OnPolicyRunner<E>,
        s: &IterationStats,
    ) -> anyhow::Result<()> {
        let Some((rec, shown)) = &mut self.rec else {
            return Ok(());
        };
        rec.set_iteration(s.iteration as i64, s.total_steps as i64);
        let u = &s.update;
        for (path, v) in [
            ("train/return", s.mean_return as f64),
            ("train/episode_length", s.mean_episode_length as f64),
            ("train/loss/policy", u.policy_loss as f64),
            ("train/loss/value", u.value_loss as f64),
            ("train/entropy", u.entropy as f64),
            ("train/kl", u.kl as f64),
            ("train/learning_rate", u.learning_rate),
            ("train/loss/mirror", u.mirror_loss as f64),
            ("train/grad_norm", u.grad_norm as f64),
            ("train/steps_per_s", s.steps_per_s as f64),
        ] {
            rec.log_scalar(path, v)?;
        }
        for (term, v) in runner.reward_terms() {
            rec.log_scalar(&format!("train/rewards/{term}"), *v as f64)?;
        }
        for (name, v) in runner.curriculum_levels() {
            rec.log_scalar(&format!("train/curriculum/{name}"), v as f64)?;
        }
        if let Some(c) = u.constraint {
            // The H-infinity constraint (the disturber's force shows as an arrow on the base).
            for (path, v) in [
                ("train/constraint/cost", c.cost),
                ("train/constraint/bound", c.bound),
                ("train/constraint/cost_bound_ratio", c.ratio()),
                ("train/constraint/violation", c.violation()),
                ("train/constraint/multiplier", u.multiplier),
                ("train/constraint/force_n", c.force_n),
                ("train/constraint/disturbed_task_reward", c.task_reward),
            ] {
                rec.log_scalar(path, v as f64)?;
            }
        }
        for &(i, id) in shown.iter() {
            if let Some((world, _, command)) = runner.venv.envs().get(i).and_then(VizEnv::viz_world)
            {
                rec.log_frame(id, &sim::viz::RobotFrame::capture(world, command))?;
            }
        }
        Ok(())
    }

    /// Does nothing without the `rerun` feature.
    #[cfg(not(feature = "rerun"))]
    pub fn iteration<E: Env + VizEnv>(
        &mut self,
        _: &OnPolicyRunner<E>,
        _: &IterationStats,
    ) -> anyhow::Result<()> {
        Ok(())
    }

    /// Flushes the recording.
    pub fn finish(&self) -> anyhow::Result<()> {
        #[cfg(feature = "rerun")]
        if let Some((rec, _)) = &self.rec {
            rec.flush()?;
        }
        Ok(())
    }
}
