//! `embody`: the command line of the embody robot-learning stack.

mod cmd;

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = cmd::Cli::parse();
    cmd::run(cli)
}
