//! Where results go: one JSON document or a table on stdout, messages and warnings on stderr.
//!
//! Everything printed goes through here, so a closed stdout (`ledgerctl account list | head`)
//! ends the program quietly instead of panicking as `println!` would.

use std::io::{self, Write};

use serde::Serialize;

use crate::error::CliError;

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Aligned, human-readable columns.
    Table,
    /// Exactly one JSON document on stdout.
    Json,
}

/// A result that can be printed in both modes: its `Serialize` form is the JSON document.
pub trait Render: Serialize {
    /// The table-mode text, without the final newline.
    fn table(&self) -> String;
}

/// Prints `result` on stdout in `mode`.
pub fn emit<R: Render>(mode: Mode, result: &R) -> Result<(), CliError> {
    let text = match mode {
        Mode::Table => result.table(),
        Mode::Json => serde_json::to_string(result)
            .map_err(|error| CliError::Failed(format!("cannot encode the result: {error}")))?,
    };
    stdout_line(&text)
}

/// Prints a document in a format of its own (a CSV statement) on stdout, whatever the mode.
pub fn raw(text: &str) -> Result<(), CliError> {
    stdout_line(text)
}

/// Reports a failure: the JSON error document on stdout in json mode, one line on stderr in
/// table mode.
pub fn report_error(mode: Mode, error: &CliError) {
    match mode {
        // Nothing useful can be done when stdout is gone too, so a failure here is ignored.
        Mode::Json => {
            let _ = stdout_line(&error.document());
        }
        Mode::Table => stderr_line(&error.line()),
    }
}

/// Writes a warning on stderr, in both modes.
pub fn warn(message: &str) {
    stderr_line(&format!("warning: {message}"));
}

/// Writes an informational message on stderr, in both modes.
pub fn note(message: &str) {
    stderr_line(message);
}

/// Writes `text` and a newline on stdout. A reader that went away (broken pipe) is not an error:
/// the output is simply no longer wanted.
fn stdout_line(text: &str) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    let written = out.write_all(text.as_bytes()).and_then(|()| out.write_all(b"\n")).and_then(|()| out.flush());
    match written {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
            Err(CliError::Failed(format!("cannot write to standard output: {error}")))
        }
        _ => Ok(()),
    }
}

/// Writes `text` and a newline on stderr; if stderr itself is gone there is nowhere to report it.
fn stderr_line(text: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{text}");
}
