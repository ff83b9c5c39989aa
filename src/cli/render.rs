//! `stalwart-tenant render`: to stdout, into one output directory, or into
//! one directory per tenant file (see the `tenants` module).

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::printer::{Printer, count_errors};
use super::tenants::{self, TenantArgs};
use super::{EXIT_INVALID, EXIT_USAGE, ValueArgs};
use crate::diagnostic::Diagnostic;
use crate::output::{self, Format, dir};
use crate::render::context::RenderOptions;
use crate::render::templates::TemplateSet;
use crate::render::{self, Outcome, RenderedObject};
use crate::values::{self, Input};

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub values: ValueArgs,
    /// Output format: a YAML stream or a JSON v1 List.
    #[arg(
        short = 'o',
        long,
        value_enum,
        default_value = "yaml",
        env = "STALWART_TENANT_OUTPUT"
    )]
    pub output: Format,
    /// Print only these objects: KIND/NAME (e.g. StatefulSet/stalwart) or templates/FILE. Repeatable.
    /// Not with --output-dir, which always writes every object.
    #[arg(long = "show-only", value_name = "KIND/NAME")]
    pub show_only: Vec<String>,
    /// Write one YAML file per object and a kustomization.yaml into DIR instead of stdout. DIR is
    /// replaced as a whole, and only if it is missing, empty or written by stalwart-tenant.
    #[arg(long, value_name = "DIR", env = "STALWART_TENANT_OUTPUT_DIR")]
    pub output_dir: Option<PathBuf>,
    #[command(flatten)]
    pub tenants: TenantArgs,
}

/// Checks the flags that every render needs: the namespace and the release name.
pub(super) fn check_flags(args: &ValueArgs) -> Vec<Diagnostic> {
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
    diagnostics
}

/// Returns the embedded templates, or those of `--templates-dir` over them.
pub(super) fn load_templates(args: &ValueArgs) -> Result<TemplateSet, Diagnostic> {
    match &args.templates_dir {
        Some(dir) => TemplateSet::with_directory(dir).map_err(|error| {
            Diagnostic::error(format!(
                "cannot read templates from {}: {error}",
                dir.display()
            ))
        }),
        None => Ok(TemplateSet::embedded()),
    }
}

/// Loads the value layers over the defaults and renders them. Unknown keys
/// do not stop the render: the gates, audit and output checks still run, so
/// one run reports every problem (and the render still fails).
pub(super) fn render_layers(
    inputs: &[Input],
    options: &RenderOptions,
    templates: &TemplateSet,
    stdin: &mut dyn Read,
) -> Outcome {
    let (loaded, mut diagnostics) = values::load_all(inputs, stdin);
    let Some(loaded) = loaded else {
        return Outcome {
            rendered: None,
            diagnostics,
        };
    };
    let mut outcome = render::render(&loaded, options, templates);
    if diagnostics.iter().any(Diagnostic::is_error) {
        outcome.rendered = None;
    }
    diagnostics.append(&mut outcome.diagnostics);
    Outcome {
        rendered: outcome.rendered,
        diagnostics,
    }
}

/// Loads the values and renders, collecting every diagnostic.
pub(super) fn load_and_render(args: &ValueArgs) -> Outcome {
    let mut diagnostics = check_flags(args);
    if !diagnostics.is_empty() {
        // A bad flag would otherwise surface again on every rendered object.
        return Outcome {
            rendered: None,
            diagnostics,
        };
    }
    let templates = match load_templates(args) {
        Ok(templates) => templates,
        Err(problem) => {
            diagnostics.push(problem);
            return Outcome {
                rendered: None,
                diagnostics,
            };
        }
    };
    let options = RenderOptions {
        release_name: args.release_name.clone(),
        namespace: args.namespace.clone(),
        smoke: args.smoke,
    };
    render_layers(
        &args.inputs,
        &options,
        &templates,
        &mut std::io::stdin().lock(),
    )
}

/// Applies `--show-only`, or returns the error to print when a selector
/// matched nothing.
pub(super) fn select_objects<'a>(
    objects: &'a [RenderedObject],
    show_only: &[String],
) -> Result<Vec<&'a RenderedObject>, Diagnostic> {
    output::select(objects, show_only).map_err(|unmatched| {
        let available: Vec<String> = objects
            .iter()
            .map(|o| format!("{}/{}", o.object.kind, o.object.name))
            .collect();
        Diagnostic::error(format!(
            "--show-only {} matched no rendered object",
            unmatched.join(", ")
        ))
        .help(format!("rendered objects: {}", available.join(", ")))
    })
}

pub fn run(args: &RenderArgs, printer: &Printer) -> ExitCode {
    if args.output_dir.is_some() && args.output == Format::Json {
        printer.message("stalwart-tenant: error: --output-dir writes YAML files and cannot be combined with -o json");
        return ExitCode::from(EXIT_USAGE);
    }
    if args.output_dir.is_some() && !args.show_only.is_empty() {
        printer.message("stalwart-tenant: error: --output-dir writes a tenant's whole tree and its kustomization.yaml, and cannot be combined with --show-only: a GitOps controller would delete the objects left out");
        return ExitCode::from(EXIT_USAGE);
    }
    if args.tenants.is_requested() {
        return tenants::run(args, printer);
    }
    if args.tenants.namespace_from_file_stem {
        printer.message("stalwart-tenant: error: --namespace-from-file-stem needs tenant files: give --tenant FILE or --tenants-dir DIR");
        return ExitCode::from(EXIT_USAGE);
    }
    if args.tenants.prune {
        printer.message(&format!(
            "stalwart-tenant: error: {}",
            tenants::PRUNE_NEEDS_TENANTS_DIR
        ));
        return ExitCode::from(EXIT_USAGE);
    }

    let destination = match &args.output_dir {
        Some(dir) => format!("{} was left unchanged", dir.display()),
        None => "nothing was written to stdout".to_owned(),
    };

    let outcome = load_and_render(&args.values);
    let Some(rendered) = outcome.rendered else {
        let summary = format!(
            "error: render failed with {}; {destination}",
            count_errors(&outcome.diagnostics)
        );
        printer.diagnostics(&outcome.diagnostics, Some(&summary));
        return ExitCode::from(EXIT_INVALID);
    };
    let selected = match select_objects(&rendered.objects, &args.show_only) {
        Ok(selected) => selected,
        Err(problem) => {
            printer.diagnostics(&[problem], Some(&format!("error: {destination}")));
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let Some(output_dir) = &args.output_dir else {
        printer.diagnostics(&outcome.diagnostics, None);
        return printer.data(&output::format(&selected, args.output));
    };

    let files = dir::files_for(&selected);
    if let Err(error) = dir::write_dir(output_dir, &files) {
        printer.diagnostics(&outcome.diagnostics, None);
        printer.message(&format!("stalwart-tenant: error: {error}"));
        return ExitCode::from(EXIT_INVALID);
    }
    printer.diagnostics(&outcome.diagnostics, None);
    printer.message(&format!(
        "stalwart-tenant: wrote {} objects and {} to {}",
        selected.len(),
        dir::KUSTOMIZATION_FILE,
        output_dir.display()
    ));
    ExitCode::SUCCESS
}
