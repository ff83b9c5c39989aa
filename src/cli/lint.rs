//! `stalwart-tenant lint`: every finding of a render, without manifests.

use std::process::ExitCode;

use clap::Args;
use clap::builder::BoolishValueParser;

use super::printer::Printer;
use super::{EXIT_INVALID, ValueArgs};
use crate::diagnostic::{Diagnostic, Severity};

#[derive(Debug, Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub values: ValueArgs,
    /// Treat warnings (such as an image pinned by tag only) as errors.
    #[arg(long, env = "STALWART_TENANT_STRICT", value_parser = BoolishValueParser::new())]
    pub strict: bool,
}

pub fn run(args: &LintArgs, printer: &Printer) -> ExitCode {
    let outcome = super::render::load_and_render(&args.values);
    let mut diagnostics: Vec<Diagnostic> = outcome.diagnostics;
    if args.strict {
        for diagnostic in &mut diagnostics {
            if diagnostic.severity == Severity::Warning {
                diagnostic.severity = Severity::Error;
                for help in &mut diagnostic.help {
                    *help = help.replace(" (lint --strict makes this an error)", "");
                }
                diagnostic
                    .help
                    .push("an error because of lint --strict".to_owned());
            }
        }
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let failed = errors > 0 || outcome.rendered.is_none();
    let summary = if failed {
        format!(
            "error: lint found {errors} error{} and {warnings} warning{}",
            plural(errors),
            plural(warnings)
        )
    } else {
        let objects = outcome.rendered.as_ref().map_or(0, |r| r.objects.len());
        format!(
            "lint passed: {objects} objects rendered and checked, {warnings} warning{}",
            plural(warnings)
        )
    };
    printer.diagnostics(&diagnostics, Some(&summary));
    if failed {
        ExitCode::from(EXIT_INVALID)
    } else {
        ExitCode::SUCCESS
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
