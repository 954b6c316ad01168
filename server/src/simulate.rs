//! `carclub-server simulate`: try a program on a member's events before launching it.
//!
//! The events file is a JSON array of events in the form documented in `docs/events.md`; the
//! result is the member state the projection computes, printed as JSON.

use std::path::PathBuf;

use anyhow::Context;
use carclub_shared::program::Program;

/// Arguments of `simulate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A preset (A, B or C) or a program file (.toml or .json).
    #[arg(long)]
    pub program: String,
    /// A JSON file with an array of events of one member (see docs/events.md).
    #[arg(long)]
    pub events: PathBuf,
    /// The date to compute the state at (YYYY-MM-DD; default: the day of the latest event).
    #[arg(long)]
    pub at: Option<String>,
}

fn load_program(spec: &str) -> anyhow::Result<Program> {
    if let Some(p) = Program::preset(spec) {
        return Ok(p);
    }
    let text = std::fs::read_to_string(spec).with_context(|| {
        format!("{spec} is neither a preset (A, B, C) nor a readable program file")
    })?;
    let program = if spec.ends_with(".json") {
        Program::from_json_str(&text)
    } else {
        Program::from_toml_str(&text)
    };
    program.with_context(|| format!("program file {spec} is not valid"))
}

/// Runs the simulation and prints the member state.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let program = load_program(&args.program)?;
    let events = std::fs::read_to_string(&args.events)
        .with_context(|| format!("cannot read the events file {}", args.events.display()))?;
    let at = match &args.at {
        Some(text) => {
            let fmt = time::macros::format_description!("[year]-[month]-[day]");
            Some(
                time::Date::parse(text, &fmt)
                    .with_context(|| format!("--at {text:?} is not a date (YYYY-MM-DD)"))?,
            )
        }
        None => None,
    };
    let state = carclub_shared::simulate::run(&program, &events, at).with_context(|| {
        format!(
            "the events in {} could not be simulated",
            args.events.display()
        )
    })?;
    println!("{}", serde_json::to_string_pretty(&state)?);
    Ok(())
}
