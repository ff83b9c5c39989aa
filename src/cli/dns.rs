//! `stalwart-tenant dns`: the records the tenant's domain needs.

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::printer::{Printer, count_errors};
use super::{EXIT_INVALID, ValueArgs};
use crate::diagnostic::Diagnostic;
use crate::dns;
use crate::values;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DnsFormat {
    /// A zone-file fragment with absolute names.
    Zone,
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub struct DnsArgs {
    #[command(flatten)]
    pub values: ValueArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "zone")]
    pub format: DnsFormat,
}

pub fn run(args: &DnsArgs, printer: &Printer) -> ExitCode {
    let loaded = match values::load(&args.values.inputs, &mut std::io::stdin().lock()) {
        Ok(loaded) => loaded,
        Err(problems) => {
            let summary = format!("error: {}; no records printed", count_errors(&problems));
            printer.diagnostics(&problems, Some(&summary));
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let values = &loaded.values;
    if values.domain.primary.is_empty() {
        printer.diagnostics(
            &[Diagnostic::error(
                "missing value `domain.primary`: the records are for the tenant's domain",
            )
            .help("set domain.primary: acme.example, or pass --set domain=acme.example")],
            Some("error: no records printed"),
        );
        return ExitCode::from(EXIT_INVALID);
    }
    let domain = &values.domain.primary;
    let mail_host = crate::render::context::mail_host(values, domain);
    let rua = crate::render::context::dmarc_rua(values, domain);
    let records = dns::records(&dns::RecordInputs {
        domain,
        mail_host: &mail_host,
        dmarc_rua: &rua,
        values,
    });
    let text = match args.format {
        DnsFormat::Zone => records.zone_file(),
        DnsFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&records).unwrap_or_default()
        ),
        DnsFormat::Yaml => format!(
            "{}\n",
            crate::render::yaml::block(&serde_json::to_value(&records).unwrap_or_default(), 0)
        ),
    };
    printer.data(&text)
}
