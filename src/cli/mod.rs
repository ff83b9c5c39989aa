//! The command line: argument parsing, one module per subcommand, and the
//! exit-code contract (0 success, 1 invalid input, 2 usage error).
//!
//! stdout carries data only (manifests, records, schemas); every message
//! for people goes to stderr.

pub mod argocd;
mod audit;
mod dns;
mod lint;
mod printer;
mod render;
mod tenants;
mod values;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::BoolishValueParser;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::values::Input;
pub use printer::Printer;

/// Exit code for invalid input: values, gates, audit findings, output checks.
pub const EXIT_INVALID: u8 = 1;
/// Exit code for a usage error (unknown flag, missing argument).
pub const EXIT_USAGE: u8 = 2;

/// Renders the complete, validated Kubernetes manifests for one
/// organisation's Stalwart mail server from a tenant values file.
#[derive(Debug, Parser)]
#[command(name = "stalwart-tenant", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the manifests to stdout (nothing is written when anything fails).
    Render(render::RenderArgs),
    /// Report every problem in the values, gates, config audit and output checks, without manifests.
    Lint(lint::LintArgs),
    /// Audit the Stalwart expressions in any config.toml (exit 1 on findings).
    Audit(audit::AuditArgs),
    /// Print the DNS records the tenant's domain needs.
    Dns(dns::DnsArgs),
    /// Print the default values, or their JSON Schema.
    Values(values::ValuesArgs),
    /// Argo CD plugin generate command: render from the `ARGOCD_APP_*`, `ARGOCD_ENV_*` and `PARAM_*`
    /// variables to stdout. Running the binary with no arguments under Argo CD does the same.
    #[command(name = "argocd-generate")]
    ArgocdGenerate,
    /// Argo CD plugin discover command: print the first tenant values file found under the
    /// current directory (a YAML file with a top-level `domain` key), or nothing.
    #[command(name = "argocd-discover")]
    ArgocdDiscover,
}

/// The flags that build the values, shared by render, lint and dns.
#[derive(Debug, Clone, Args)]
pub struct ValueArgs {
    /// A tenant values file; `-` reads stdin. Repeatable, or comma-separated: later files override
    /// earlier ones.
    #[arg(
        short = 'f',
        long = "values",
        value_name = "FILE",
        env = "STALWART_TENANT_VALUES",
        value_delimiter = ','
    )]
    pub values: Vec<PathBuf>,
    /// Set a value: PATH=VALUE, VALUE read as YAML (`a.b[0].c=1`, `x=null` deletes). Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Set a value as a string, never converted to a number or boolean. Repeatable.
    #[arg(long = "set-string", value_name = "PATH=VALUE")]
    pub set_string: Vec<String>,
    /// Prefix of every object name, unless fullnameOverride is set.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "stalwart",
        env = "STALWART_TENANT_RELEASE_NAME"
    )]
    pub release_name: String,
    /// Namespace written into every object; without it kubectl's context decides.
    #[arg(
        short = 'n',
        long,
        value_name = "NS",
        env = "STALWART_TENANT_NAMESPACE"
    )]
    pub namespace: Option<String>,
    /// Render the defaults alone: templates whose tenant inputs are missing are skipped with a note.
    #[arg(long, env = "STALWART_TENANT_SMOKE", value_parser = BoolishValueParser::new())]
    pub smoke: bool,
    /// Read templates from this directory, over the embedded ones (for template development).
    #[arg(
        long,
        value_name = "DIR",
        hide = true,
        env = "STALWART_TENANT_TEMPLATES_DIR"
    )]
    pub templates_dir: Option<PathBuf>,
    /// The layers in command-line order, filled from the argument indices.
    #[arg(skip)]
    pub inputs: Vec<Input>,
}

impl ValueArgs {
    /// Orders `-f`, `--set` and `--set-string` as they were given.
    fn order_inputs(&mut self, matches: &ArgMatches) {
        // An empty STALWART_TENANT_NAMESPACE means no namespace, as if unset.
        self.namespace = self
            .namespace
            .take()
            .filter(|namespace| !namespace.is_empty());
        let mut ordered: Vec<(usize, Input)> = Vec::new();
        let mut collect = |id: &str, make: &dyn Fn(usize) -> Input| {
            if let Some(indices) = matches.indices_of(id) {
                for (position, index) in indices.enumerate() {
                    ordered.push((index, make(position)));
                }
            }
        };
        collect("values", &|i| Input::File(self.values[i].clone()));
        collect("set", &|i| Input::Set(self.set[i].clone()));
        collect("set_string", &|i| {
            Input::SetString(self.set_string[i].clone())
        });
        ordered.sort_by_key(|(index, _)| *index);
        let mut inputs: Vec<Input> = ordered.into_iter().map(|(_, input)| input).collect();
        // Values from the environment variable have no index: they come first.
        if matches.indices_of("values").is_none() {
            inputs.splice(0..0, self.values.iter().cloned().map(Input::File));
        }
        self.inputs = inputs;
    }

    /// Checks the namespace flag.
    fn namespace_problem(&self) -> Option<String> {
        let namespace = self.namespace.as_deref()?;
        (!crate::values::validate::is_dns_label(namespace))
            .then(|| format!("invalid --namespace {namespace:?}: a namespace is a DNS-1123 label (lowercase letters, digits and `-`, at most 63 characters)"))
    }
}

/// Parses the arguments and runs the command.
#[must_use]
pub fn main() -> ExitCode {
    run(std::env::args_os())
}

/// Runs the command line `args` (the first item is the program name).
///
/// Without arguments, and with `ARGOCD_APP_NAME` or `ARGOCD_APP_NAMESPACE`
/// set, the binary runs as the Argo CD plugin's generate command.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    if args.len() <= 1 && argocd::is_plugin_environment() {
        return argocd::generate(&Printer::new());
    }
    let matches = match Cli::command().try_get_matches_from(args) {
        Ok(matches) => matches,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let printer = Printer::new();
    let sub = matches.subcommand().map(|(_, sub)| sub);
    match &mut cli.command {
        Command::Render(args) => {
            if let Some(sub) = sub {
                args.values.order_inputs(sub);
            }
            render::run(args, &printer)
        }
        Command::Lint(args) => {
            if let Some(sub) = sub {
                args.values.order_inputs(sub);
            }
            lint::run(args, &printer)
        }
        Command::Dns(args) => {
            if let Some(sub) = sub {
                args.values.order_inputs(sub);
            }
            dns::run(args, &printer)
        }
        Command::Audit(args) => audit::run(args, &printer),
        Command::Values(args) => values::run(args, &printer),
        Command::ArgocdGenerate => argocd::generate(&printer),
        Command::ArgocdDiscover => argocd::discover(&printer),
    }
}
