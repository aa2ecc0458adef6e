//! Subcommand definitions and dispatch.

mod attack;
mod bench;
mod bimanual;
mod bimanual_play;
mod checkpoint_cmd;
mod confined_nav;
mod confined_nav_play;
mod distill;
mod explore;
mod handover;
mod imitate;
mod imitate_play;
mod job;
mod lm;
mod maze;
mod maze_viz;
mod motion;
mod play;
mod plot;
pub(crate) mod sim_cmd;
mod tasks;
mod train;
mod train_viz;

use clap::{Parser, Subcommand};

/// embody: embodied reinforcement learning and robot control on Rapier and burn.
#[derive(Debug, Parser)]
#[command(name = "embody", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate a robot holding its default pose under PD, headless, and print a summary.
    Sim(sim_cmd::SimArgs),
    /// Train a policy with PPO (checkpoints, metrics CSV and config in a run folder).
    Train(train::TrainArgs),
    /// Evaluate a checkpoint on a seeded, held-out test set.
    Eval(train::EvalArgs),
    /// Run a trained policy in the simulator, driven by a gamepad, the keyboard or a command
    /// script; optionally streamed to a Rerun viewer or saved as .rrd; prints a summary.
    Play(play::PlayArgs),
    /// Checkpoint maintenance (`upgrade`: write the manifest into an old checkpoint).
    #[command(subcommand)]
    Checkpoint(checkpoint_cmd::CheckpointCommand),
    /// Train a fresh adversary against a frozen locomotion policy for a fixed budget and report
    /// the fall rate it reaches (worst-case robustness).
    Attack(attack::AttackArgs),
    /// Language models on the RL core: supervised warm-up, GRPO, evaluation.
    #[command(subcommand)]
    Lm(lm::LmCommand),
    /// Motion clips: retarget a character's clip onto a robot.
    #[command(subcommand)]
    Motion(motion::MotionCommand),
    /// Go-Explore phase 1: an archive of cells, returned to by restoring the simulator and
    /// explored from with repeated random actions (archive, CSV and PNG in a run folder).
    Explore(explore::ExploreArgs),
    /// Go-Explore phase 2: the backward algorithm on an archive's best trajectory, then the
    /// success rate from the task's start without restores, with the simulator's noise on.
    Robustify(explore::RobustifyArgs),
    /// Scripted policies that test a scene's physics over randomised episodes
    /// (`transfer_cube`: the ALOHA hand-over).
    Scripted(bimanual::ScriptedArgs),
    /// Distil a trained teacher into a student on the task's realistic observation (DAgger;
    /// the student's checkpoint in --out loads like any policy).
    Distill(distill::DistillArgs),
    /// Benchmarks (throughput, comparisons against peers).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    // MPI (when `mpirun` started this process) lives until this function returns.
    let comm = job::init()?;
    let command = match cli.command {
        Command::Train(mut args) => {
            args.comm = comm;
            return train::run_train(args);
        }
        Command::Bench(bench::BenchCommand::Train(mut args)) => {
            args.comm = comm;
            return bench::train::run(args);
        }
        Command::Bench(bench::BenchCommand::Allreduce(mut args)) => {
            args.comm = comm;
            return bench::allreduce::run(args);
        }
        other => {
            job::single_process_only(&comm, "this command")?;
            other
        }
    };
    match command {
        Command::Train(args) => train::run_train(args),
        Command::Sim(args) => sim_cmd::run(args),
        Command::Bench(cmd) => bench::run(cmd),
        Command::Checkpoint(cmd) => checkpoint_cmd::run(cmd),
        Command::Eval(args) => train::run_eval(args),
        Command::Play(args) => play::run_play(args),
        Command::Attack(args) => attack::run_attack(args),
        Command::Lm(cmd) => lm::run(cmd),
        Command::Motion(cmd) => motion::run(cmd),
        Command::Explore(args) => explore::run_explore(args),
        Command::Robustify(args) => explore::run_robustify(args),
        Command::Scripted(args) => bimanual::run_scripted(args),
        Command::Distill(args) => distill::run_distill(args),
    }
}
