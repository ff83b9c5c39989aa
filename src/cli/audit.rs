//! `stalwart-tenant audit FILE|-`: the expression audit on any config.toml.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::EXIT_INVALID;
use super::printer::Printer;
use crate::audit;

/// config.toml files larger than this are rejected before reading.
const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The config.toml to audit; `-` reads stdin.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

pub fn run(args: &AuditArgs, printer: &Printer) -> ExitCode {
    let is_stdin = args.file.as_os_str() == "-";
    let name = if is_stdin {
        "<stdin>".to_owned()
    } else {
        args.file.display().to_string()
    };
    let mut bytes = Vec::new();
    let read = if is_stdin {
        std::io::stdin()
            .lock()
            .take(MAX_CONFIG_BYTES + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(&args.file)
            .and_then(|file| file.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes))
    };
    if let Err(error) = read {
        printer.message(&format!(
            "stalwart-tenant: error: cannot read {name}: {error}"
        ));
        return ExitCode::from(EXIT_INVALID);
    }
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        printer.message(&format!(
            "stalwart-tenant: error: {name} is larger than {} MiB",
            MAX_CONFIG_BYTES / (1024 * 1024)
        ));
        return ExitCode::from(EXIT_INVALID);
    }
    let Ok(text) = String::from_utf8(bytes) else {
        printer.message(&format!("stalwart-tenant: error: {name} is not valid UTF-8; Stalwart reads config.toml as UTF-8 text"));
        return ExitCode::from(EXIT_INVALID);
    };
    match audit::audit_config(&text) {
        Ok(findings) if findings.is_empty() => {
            printer.message(&format!(
                "stalwart-tenant: {name}: no expression problems found"
            ));
            ExitCode::SUCCESS
        }
        Ok(findings) => {
            let count = audit::problem_count(&findings);
            printer.message(&format!(
                "stalwart-tenant: error: {name}: {count} expression problem{} found",
                if count == 1 { "" } else { "s" }
            ));
            for finding in findings {
                printer.message(&finding.render(&name));
            }
            ExitCode::from(EXIT_INVALID)
        }
        Err(error) => {
            printer.message(&format!(
                "stalwart-tenant: error: {name}:{}:{}: {}",
                error.line, error.column, error.message
            ));
            ExitCode::from(EXIT_INVALID)
        }
    }
}
