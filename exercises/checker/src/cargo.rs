//! Builds programs with cargo, quietly: what cargo says (compiler errors, warnings) is kept
//! for the caller to show or to drop.

use std::ffi::OsString;
use std::io::{self, IsTerminal};
use std::path::Path;
use std::process::Command;

/// What a build said, and whether it worked.
pub struct Build {
    pub ok: bool,
    /// Cargo's and the compiler's messages: errors if it failed, warnings if any.
    pub messages: String,
}

/// `cargo build --quiet` in the workspace whose `Cargo.toml` is in `workspace`, into
/// `target` (whatever `CARGO_TARGET_DIR` says for the lessons), with more `args`
/// (`-p PACKAGE`, `--workspace`, `--locked`).
pub fn build(workspace: &Path, target: &Path, args: &[&str]) -> io::Result<Build> {
    // The cargo that runs this checker (`cargo run -p exercise-check`), or the one on PATH.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(cargo);
    command
        .arg("build")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target)
        .args(args);
    if io::stderr().is_terminal() {
        // Captured, the messages would lose their colours; they are shown on this terminal.
        command.arg("--color=always");
    }
    let output = command.output().map_err(|error| {
        io::Error::new(
            error.kind(),
            format!("cannot run cargo: {}", common::describe(&error)),
        )
    })?;
    Ok(Build {
        ok: output.status.success(),
        messages: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}
