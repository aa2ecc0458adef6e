//! `embody checkpoint upgrade`: writes the manifest (`manifest.json`, with the deploy contract)
//! into a checkpoint folder written before manifests existed. The contract comes from the task
//! built from the checkpoint's own `config.toml`, so it is exactly what training observed.

use anyhow::Context;
use clap::{Args, Subcommand};
use policies::checkpoint::{self, RunnerState};
use policies::config::TrainConfig;
use policies::manifest::{MANIFEST_FILE, Manifest};
use std::path::PathBuf;

/// Checkpoint maintenance.
#[derive(Debug, Subcommand)]
pub enum CheckpointCommand {
    /// Write `manifest.json` (version, modules, observation slices, action map) into an old
    /// checkpoint folder; a folder that has one is checked against its config instead.
    Upgrade(UpgradeArgs),
}

/// Arguments of `embody checkpoint upgrade`.
#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// A run folder, a checkpoint folder, or its model.bpk.
    pub checkpoint: PathBuf,
}

/// Runs `embody checkpoint ...`.
pub fn run(cmd: CheckpointCommand) -> anyhow::Result<()> {
    match cmd {
        CheckpointCommand::Upgrade(args) => upgrade(&args),
    }
}

fn upgrade(args: &UpgradeArgs) -> anyhow::Result<()> {
    let dir = checkpoint::resolve(&args.checkpoint)?;
    let config = TrainConfig::load(&dir.join("config.toml"), &[])?;
    let state_path = dir.join("state.json");
    let text = std::fs::read_to_string(&state_path)
        .with_context(|| format!("reading {}", state_path.display()))?;
    let state: RunnerState = serde_json::from_str(&text)
        .with_context(|| format!("{}: corrupt state", state_path.display()))?;
    let contract = (super::tasks::task(&config.task)?.contract)(&config)?;
    let mut manifest = checkpoint::manifest(&state, &config, contract.as_ref());
    // Shipped policies carry no optimiser state: list only the files that are here.
    for module in &mut manifest.modules {
        module.files.retain(|f| dir.join(f).is_file());
    }
    if let Some(existing) = Manifest::read(&dir)? {
        anyhow::ensure!(
            existing == manifest,
            "{} exists and differs from what {} describes; not overwritten",
            dir.join(MANIFEST_FILE).display(),
            dir.join("config.toml").display()
        );
        println!("{}: up to date", dir.join(MANIFEST_FILE).display());
        return Ok(());
    }
    manifest.write(&dir)?;
    println!(
        "{}: written ({} observation slices)",
        dir.join(MANIFEST_FILE).display(),
        manifest
            .contract
            .as_ref()
            .map_or(0, |c| c.observation.slices().len())
    );
    Ok(())
}
