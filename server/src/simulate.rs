//! `carclub-server simulate`: try a program on a member's events before launching it.

use std::path::PathBuf;

/// Arguments of `simulate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A preset (A, B or C) or a program file (.toml or .json).
    #[arg(long)]
    pub program: String,
    /// A JSON file with an array of events of one member.
    #[arg(long)]
    pub events: PathBuf,
    /// The date to compute the state at (YYYY-MM-DD; default today).
    #[arg(long)]
    pub at: Option<String>,
}

/// Runs the simulation and prints the member state.
pub fn run(args: &Args) -> anyhow::Result<()> {
    anyhow::bail!(
        "simulate of {} with {} is not available in this build",
        args.program,
        args.events.display()
    )
}
