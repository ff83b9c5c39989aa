//! The expression audit of a Stalwart `config.toml`.
//!
//! In Stalwart's expression language equality is `==`; a single `=` silently
//! changes what an expression means or makes Stalwart fall back to the key's
//! default. [`audit_config`] reads a `config.toml` the way Stalwart reads it,
//! finds every value that Stalwart parses as an expression and reports each
//! bare `=`, unterminated string literal and unbalanced parenthesis or bracket
//! with its key, line, column and the corrected expression.
//!
//! Everything specific to a Stalwart version lives in three files, all for
//! Stalwart 0.15: [`dialect`] (its TOML dialect), [`tokenizer`] (its
//! expression tokenizer) and [`expression_keys`] (the keys that take
//! expressions). Stalwart 0.16 no longer reads expressions from `config.toml`,
//! so auditing it needs other readers behind the same [`Finding`] type.

pub mod dialect;
pub mod expression_keys;
pub mod tokenizer;

use std::fmt;

pub use dialect::Location;
pub use tokenizer::{ExpressionProblem, ProblemKind};

/// The file name that [`Finding`]'s `Display` shows before the line and
/// column; use [`Finding::render`] to show another.
pub const DEFAULT_FILE_NAME: &str = "config.toml";

/// One mistake in an expression of a `config.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The flattened key whose value is the expression, for example
    /// `session.rcpt.relay.0000.if`.
    pub key: String,
    /// 1-based line of the offending character in the file.
    pub line: usize,
    /// 1-based column of the offending character in the file, counted in
    /// characters.
    pub column: usize,
    /// The expression as Stalwart reads it, escapes decoded.
    pub expression: String,
    /// Char offset of the offending character in `expression`.
    pub offset: usize,
    pub problem: String,
    /// The corrected expression, when the audit can derive one.
    pub fixed: Option<String>,
    pub kind: ProblemKind,
    /// Number of further problems of the same expression that are not
    /// listed, set on the last listed finding of that expression.
    pub omitted: usize,
}

/// At most this many findings are listed per expression, so that a hostile
/// expression with thousands of problems gives a report of bounded size.
pub const MAX_FINDINGS_PER_EXPRESSION: usize = 10;

/// Characters shown on each side of the caret when an expression line is
/// longer than fits in a report.
const EXCERPT_CONTEXT: usize = 60;

/// Counts the problems behind `findings`, the omitted ones included.
#[must_use]
pub fn problem_count(findings: &[Finding]) -> usize {
    findings.iter().map(|finding| 1 + finding.omitted).sum()
}

impl Finding {
    /// Renders the report with `file_name` in place of `config.toml`.
    #[must_use]
    pub fn render(&self, file_name: &str) -> String {
        let mut report = String::new();
        // Writing into a String cannot fail.
        let _ = self.write_report(&mut report, file_name);
        report
    }

    fn write_report(&self, out: &mut impl fmt::Write, file_name: &str) -> fmt::Result {
        writeln!(
            out,
            "error: in the expression `{}`: {}",
            self.key, self.problem
        )?;
        writeln!(out, "  --> {file_name}:{}:{}", self.line, self.column)?;

        let (expression_line, caret_padding) = self.excerpt();
        writeln!(out, "   | {expression_line}")?;
        write!(out, "   | {caret_padding}^")?;
        if let Some(fixed) = self.fixed_excerpt() {
            write!(out, "\n  = help: write {fixed}")?;
        }
        if self.omitted > 0 {
            write!(
                out,
                "\n  = note: {} more problems in this expression are not listed",
                self.omitted
            )?;
        }
        Ok(())
    }

    /// Returns the corrected expression, cut with `…` when it is long.
    #[must_use]
    pub fn fixed_excerpt(&self) -> Option<String> {
        self.fixed.as_deref().map(shorten)
    }

    /// Returns the line of the expression around the offending character,
    /// cut to about [`EXCERPT_CONTEXT`] characters on each side with `…`,
    /// and the padding that puts a caret under that character.
    #[must_use]
    pub fn excerpt(&self) -> (String, String) {
        let (line, padding) = caret_line(&self.expression, self.offset);
        let column = padding.chars().count();
        let length = line.chars().count();
        if length <= 2 * EXCERPT_CONTEXT + 1 {
            return (line, padding);
        }
        let start = column.saturating_sub(EXCERPT_CONTEXT);
        let end = (column + EXCERPT_CONTEXT + 1).min(length);
        let mut window = String::new();
        let mut window_padding = String::new();
        if start > 0 {
            window.push('…');
            window_padding.push(' ');
        }
        window.extend(line.chars().skip(start).take(end - start));
        window_padding.extend(padding.chars().skip(start));
        if end < length {
            window.push('…');
        }
        (window, window_padding)
    }
}

/// Cuts a long corrected expression for display.
fn shorten(text: &str) -> String {
    let limit = 4 * EXCERPT_CONTEXT;
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut prefix: String = text.chars().take(limit).collect();
    prefix.push('…');
    prefix
}

impl fmt::Display for Finding {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_report(formatter, DEFAULT_FILE_NAME)
    }
}

/// Returns the line of `expression` that contains the character at `offset` and
/// the padding that puts a caret under that character. Tabs are kept in the
/// padding so the caret lines up under them.
// NOTE: characters that a terminal draws two columns wide, such as CJK
// ideographs, shift the caret to the left.
fn caret_line(expression: &str, offset: usize) -> (String, String) {
    let mut line_start = 0;
    for (index, ch) in expression.chars().enumerate() {
        if index >= offset {
            break;
        }
        if ch == '\n' {
            line_start = index + 1;
        }
    }
    let line: String = expression
        .chars()
        .skip(line_start)
        .take_while(|&ch| ch != '\n')
        .map(|ch| if ch == '\r' { ' ' } else { ch })
        .collect();
    let padding = line
        .chars()
        .take(offset - line_start)
        .map(|ch| if ch == '\t' { '\t' } else { ' ' })
        .collect();
    (line, padding)
}

/// A `config.toml` that Stalwart 0.15 cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{DEFAULT_FILE_NAME}:{line}:{column}: {message}")]
pub struct ConfigError {
    /// 1-based line of the offending character, or of the end of the file.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    pub message: String,
}

impl ConfigError {
    fn new(location: Location, message: impl Into<String>) -> Self {
        Self {
            line: location.line,
            column: location.column,
            message: message.into(),
        }
    }

    /// Returns the line and column of the error.
    #[must_use]
    pub fn location(&self) -> Location {
        Location {
            line: self.line,
            column: self.column,
        }
    }
}

/// Audits every expression of a whole `config.toml`.
///
/// Returns the findings in file order, or the first error that stops Stalwart
/// 0.15 from reading the file. Only quoted values are audited, because an
/// unquoted value cannot hold `=`, a quote or a parenthesis.
pub fn audit_config(text: &str) -> Result<Vec<Finding>, ConfigError> {
    let leaves = dialect::parse(text)?;
    let mut findings = Vec::new();
    for leaf in &leaves {
        let is_string = matches!(
            leaf.kind,
            dialect::ValueKind::Quoted | dialect::ValueKind::MultiLine
        );
        if !is_string || !expression_keys::takes_expression(&leaf.key) {
            continue;
        }
        let problems = audit_expression(&leaf.value);
        let omitted = problems.len().saturating_sub(MAX_FINDINGS_PER_EXPRESSION);
        let listed = problems.len() - omitted;
        for (index, problem) in problems.into_iter().take(listed).enumerate() {
            // Every decoded character has a location, so the fallback to the
            // opening quote is never taken.
            let location = leaf
                .location_of(problem.offset)
                .unwrap_or(leaf.value_location);
            findings.push(Finding {
                key: leaf.key.clone(),
                line: location.line,
                column: location.column,
                expression: leaf.value.clone(),
                offset: problem.offset,
                problem: problem.message,
                fixed: problem.fixed,
                kind: problem.kind,
                omitted: if index + 1 == listed { omitted } else { 0 },
            });
        }
    }
    Ok(findings)
}

/// Audits one expression and returns its mistakes sorted by offset.
#[must_use]
pub fn audit_expression(expression: &str) -> Vec<ExpressionProblem> {
    tokenizer::tokenize(expression).problems
}
