//! The printer keeps stdout for data and stderr for people, and turns a
//! closed stdout pipe (`| head`) into a quiet exit instead of a panic.

use std::io::{self, Write};
use std::process::ExitCode;

use crate::diagnostic::{Diagnostic, Severity, error_count};

/// Writes data to stdout and messages to stderr.
#[derive(Debug, Default)]
pub struct Printer;

impl Printer {
    #[must_use]
    pub fn new() -> Self {
        Self
    }

    /// Writes `data` to stdout in one piece. A closed pipe ends the program
    /// quietly with success: the reader chose to stop.
    #[must_use]
    pub fn data(&self, data: &str) -> ExitCode {
        let mut stdout = io::stdout().lock();
        match stdout
            .write_all(data.as_bytes())
            .and_then(|()| stdout.flush())
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(error) => {
                self.message(&format!(
                    "stalwart-tenant: error: cannot write to stdout: {error}"
                ));
                ExitCode::from(super::EXIT_INVALID)
            }
        }
    }

    /// Writes one message line (or block) to stderr.
    pub fn message(&self, text: &str) {
        let mut stderr = io::stderr().lock();
        let _ = writeln!(stderr, "{}", text.trim_end());
    }

    /// Writes diagnostics to stderr: errors first with a decisive summary
    /// line on top, then warnings and notes.
    pub fn diagnostics(&self, diagnostics: &[Diagnostic], summary: Option<&str>) {
        let mut stderr = io::stderr().lock();
        if let Some(summary) = summary {
            let _ = writeln!(stderr, "stalwart-tenant: {summary}");
        }
        for severity in [Severity::Error, Severity::Warning, Severity::Note] {
            for diagnostic in diagnostics.iter().filter(|d| d.severity == severity) {
                let _ = write!(stderr, "{diagnostic}");
            }
        }
    }
}

/// Describes how many errors were found, for the summary line.
#[must_use]
pub fn count_errors(diagnostics: &[Diagnostic]) -> String {
    match error_count(diagnostics) {
        1 => "1 error".to_owned(),
        n => format!("{n} errors"),
    }
}
