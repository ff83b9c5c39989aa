//! Problems found in the input, with the place they were found and what to do.
//!
//! Every stage (values, gates, audit, output checks) reports [`Diagnostic`]s
//! instead of stopping at the first problem, so one run lists everything.

use std::fmt;
use std::sync::Arc;

/// A named piece of text that diagnostics point into: a values file, stdin,
/// a `--set` flag, the embedded defaults or the rendered `config.toml`.
#[derive(Debug)]
pub struct SourceText {
    pub name: String,
    pub text: String,
}

impl SourceText {
    #[must_use]
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<Self> {
        Arc::new(Self {
            name: name.into(),
            text: text.into(),
        })
    }

    /// Returns line `line` (1-based) without its line break.
    #[must_use]
    pub fn line(&self, line: usize) -> Option<&str> {
        self.text.lines().nth(line.checked_sub(1)?)
    }
}

/// A position in a [`SourceText`]: 1-based line and column, the column
/// counted in characters.
#[derive(Debug, Clone)]
pub struct Location {
    pub source: Arc<SourceText>,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A `--set` flag is named by its whole text, which may be long.
        let name = make_printable(&self.source.name);
        if self.line == 0 {
            write!(f, "{name}")
        } else {
            write!(f, "{name}:{}:{}", self.line, self.column)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
    /// Information that never fails a run, such as a template skipped in smoke mode.
    Note,
}

/// One problem: a decisive first line, where it is, and how to fix it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub location: Option<Location>,
    /// Further lines, each printed as `= help: …` or `= note: …`.
    pub help: Vec<String>,
    /// Extra lines printed verbatim under the location, such as an
    /// expression with a caret under the offending character.
    pub detail: Vec<String>,
}

impl Diagnostic {
    #[must_use]
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Severity::Error, message)
    }

    #[must_use]
    pub fn warning(message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, message)
    }

    #[must_use]
    pub fn note(message: impl Into<String>) -> Self {
        Self::new(Severity::Note, message)
    }

    fn new(severity: Severity, message: impl Into<String>) -> Self {
        Self {
            severity,
            message: message.into(),
            location: None,
            help: Vec::new(),
            detail: Vec::new(),
        }
    }

    #[must_use]
    pub fn at(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    #[must_use]
    pub fn detail(mut self, line: impl Into<String>) -> Self {
        self.detail.push(line.into());
        self
    }

    #[must_use]
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// Formats the diagnostic the way compilers do: the message, an arrow to
    /// the place, the source line with a caret under the column, then help.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        // Messages quote input (keys, file names), which must not be able to
        // send escape sequences to the terminal.
        writeln!(f, "{label}: {}", strip_controls(&self.message))?;
        if let Some(location) = &self.location {
            writeln!(f, "  --> {location}")?;
            if let Some(text) = location.source.line(location.line) {
                let number = location.line.to_string();
                let gutter = " ".repeat(number.len());
                let printable = make_printable(text);
                writeln!(f, "{gutter} |")?;
                writeln!(f, "{number} | {printable}")?;
                let caret_offset: String = printable
                    .chars()
                    .take(location.column.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                writeln!(f, "{gutter} | {caret_offset}^")?;
            }
        }
        for line in &self.detail {
            writeln!(f, "    {}", strip_controls(line))?;
        }
        for help in &self.help {
            writeln!(f, "  = help: {}", strip_controls(help))?;
        }
        Ok(())
    }
}

/// Replaces control characters other than tab, so a hostile input line
/// cannot move the terminal cursor or hide part of a message.
#[must_use]
pub fn make_printable(text: &str) -> String {
    const MAX_CHARS: usize = 240;
    let mut out: String = text
        .chars()
        .take(MAX_CHARS)
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect();
    if text.chars().count() > MAX_CHARS {
        out.push('…');
    }
    out
}

/// Replaces control characters other than tab with U+FFFD, without
/// shortening the text.
#[must_use]
pub fn strip_controls(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// Counts the errors in a list of diagnostics.
#[must_use]
pub fn error_count(diagnostics: &[Diagnostic]) -> usize {
    diagnostics.iter().filter(|d| d.is_error()).count()
}
