//! `stalwart-tenant values`: the embedded defaults, or their JSON Schema.

use std::process::ExitCode;

use clap::Args;

use super::printer::Printer;

#[derive(Debug, Args)]
pub struct ValuesArgs {
    /// Print a JSON Schema of a tenant values file instead of the defaults.
    #[arg(long)]
    pub schema: bool,
}

pub fn run(args: &ValuesArgs, printer: &Printer) -> ExitCode {
    if args.schema {
        let mut text =
            serde_json::to_string_pretty(&crate::values::values_file_schema()).unwrap_or_default();
        text.push('\n');
        printer.data(&text)
    } else {
        printer.data(crate::values::DEFAULT_VALUES)
    }
}
