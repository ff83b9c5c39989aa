//! `stalwart-tenant render`.

use std::process::ExitCode;

use clap::Args;

use super::printer::{count_errors, Printer};
use super::{ValueArgs, EXIT_INVALID};
use crate::diagnostic::Diagnostic;
use crate::output::{self, Format};
use crate::render::context::RenderOptions;
use crate::render::templates::TemplateSet;
use crate::render::{self, Outcome};
use crate::values;

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub values: ValueArgs,
    /// Output format: a YAML stream or a JSON v1 List.
    #[arg(short = 'o', long, value_enum, default_value = "yaml", env = "STALWART_TENANT_OUTPUT")]
    pub output: Format,
    /// Print only these objects: KIND/NAME (e.g. StatefulSet/stalwart) or templates/FILE. Repeatable.
    #[arg(long = "show-only", value_name = "KIND/NAME")]
    pub show_only: Vec<String>,
}

/// Loads the values and renders, collecting every diagnostic.
pub(super) fn load_and_render(args: &ValueArgs) -> Outcome {
    let mut diagnostics = Vec::new();
    if let Some(problem) = args.namespace_problem() {
        diagnostics.push(Diagnostic::error(problem));
    }
    if !crate::values::validate::is_dns_label(&args.release_name) {
        diagnostics.push(Diagnostic::error(format!(
            "invalid --release-name {:?}: it prefixes every object name, so it must be a DNS-1123 label (lowercase letters, digits and `-`)",
            args.release_name
        )));
    }
    let templates = match &args.templates_dir {
        Some(dir) => match TemplateSet::with_directory(dir) {
            Ok(set) => set,
            Err(error) => {
                diagnostics.push(Diagnostic::error(format!("cannot read templates from {}: {error}", dir.display())));
                return Outcome { rendered: None, diagnostics };
            }
        },
        None => TemplateSet::embedded(),
    };
    // Unknown keys do not stop the render: the gates, audit and output
    // checks still run, so one run reports every problem.
    let (loaded, mut problems) = values::load_all(&args.inputs, &mut std::io::stdin().lock());
    diagnostics.append(&mut problems);
    let Some(loaded) = loaded else {
        return Outcome { rendered: None, diagnostics };
    };
    let options = RenderOptions { release_name: args.release_name.clone(), namespace: args.namespace.clone(), smoke: args.smoke };
    let mut outcome = render::render(&loaded, &options, &templates);
    if diagnostics.iter().any(Diagnostic::is_error) {
        outcome.rendered = None;
    }
    diagnostics.append(&mut outcome.diagnostics);
    Outcome { rendered: outcome.rendered, diagnostics }
}

pub fn run(args: &RenderArgs, printer: &Printer) -> ExitCode {
    let outcome = load_and_render(&args.values);
    let Some(rendered) = outcome.rendered else {
        let summary = format!("error: render failed with {}; nothing was written to stdout", count_errors(&outcome.diagnostics));
        printer.diagnostics(&outcome.diagnostics, Some(&summary));
        return ExitCode::from(EXIT_INVALID);
    };
    let selected = match output::select(&rendered.objects, &args.show_only) {
        Ok(selected) => selected,
        Err(unmatched) => {
            let available: Vec<String> = rendered.objects.iter().map(|o| format!("{}/{}", o.object.kind, o.object.name)).collect();
            printer.diagnostics(
                &[Diagnostic::error(format!("--show-only {} matched no rendered object", unmatched.join(", ")))
                    .help(format!("rendered objects: {}", available.join(", ")))],
                Some("error: nothing was written to stdout"),
            );
            return ExitCode::from(EXIT_INVALID);
        }
    };
    printer.diagnostics(&outcome.diagnostics, None);
    printer.data(&output::format(&selected, args.output))
}
