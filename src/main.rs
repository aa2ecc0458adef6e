//! `embody`: the command line of the embody robot-learning stack.

mod cmd;

use clap::Parser;

fn main() -> anyhow::Result<()> {
    policies::memory::keep_large_allocations();
    let cli = cmd::Cli::parse();
    cmd::run(cli)
}
