//! The DNS records a tenant's domain needs: MX, SPF, DKIM and DMARC.
//!
//! The same records feed the `F-dns-records-required` `ConfigMap`, the
//! `PowerDNS` publishing Job and `stalwart-tenant dns`.

use std::fmt::Write as _;

use serde::Serialize;

use crate::values::model::{DkimAlgorithm, DomainMode, Values};

/// Stands in for the DKIM public key, which only exists after the setup Job
/// has asked the running server to create the key. The setup Job prints the
/// real record; the `PowerDNS` Job publishes it.
pub const DKIM_PUBLIC_KEY_PLACEHOLDER: &str = "<DKIM_PUBLIC_KEY>";

/// One DNS record. `name` and host names in `value` are absolute, without
/// the trailing dot (the zone-file form adds it).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Record {
    pub name: String,
    #[serde(rename = "type")]
    pub record_type: &'static str,
    pub ttl: i64,
    /// The MX preference; absent for other types.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u16>,
    /// The MX target host, or the TXT text without quotes.
    pub value: String,
    /// The record's purpose, for people reading the output.
    pub purpose: &'static str,
}

/// The records of one tenant.
#[derive(Debug, Clone, Serialize)]
pub struct Records {
    pub domain: String,
    pub mode: DomainMode,
    pub mail_host: String,
    pub records: Vec<Record>,
}

/// The values a DNS record set is computed from, resolved from the values.
#[derive(Debug, Clone)]
pub struct RecordInputs<'a> {
    pub domain: &'a str,
    pub mail_host: &'a str,
    pub dmarc_rua: &'a str,
    pub values: &'a Values,
}

/// Returns the DKIM key type as written in the record (`k=`).
#[must_use]
pub fn dkim_key_type(algorithm: DkimAlgorithm) -> &'static str {
    match algorithm {
        DkimAlgorithm::Ed25519 => "ed25519",
        DkimAlgorithm::Rsa => "rsa",
    }
}

/// Computes the records.
#[must_use]
pub fn records(inputs: &RecordInputs<'_>) -> Records {
    let values = inputs.values;
    let ttl = values.dns.ttl;
    let domain = inputs.domain.to_owned();
    let spf_policy = serde_json::to_value(values.dns.spf.policy)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let dmarc_policy = serde_json::to_value(values.dns.dmarc.policy)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let records = vec![
        Record {
            name: domain.clone(),
            record_type: "MX",
            ttl,
            priority: Some(10),
            value: inputs.mail_host.to_owned(),
            purpose: "routes mail for the domain to the Stalwart server",
        },
        Record {
            name: domain.clone(),
            record_type: "TXT",
            ttl,
            priority: None,
            value: spf_text(&spf_policy),
            purpose: "SPF: only the domain's MX hosts may send its mail",
        },
        Record {
            name: format!("{}._domainkey.{domain}", values.dns.dkim.selector),
            record_type: "TXT",
            ttl,
            priority: None,
            value: format!(
                "v=DKIM1; k={}; p={DKIM_PUBLIC_KEY_PLACEHOLDER}",
                dkim_key_type(values.dns.dkim.algorithm)
            ),
            purpose: "DKIM public key; the setup Job prints the real key once the server has created it",
        },
        Record {
            name: format!("_dmarc.{domain}"),
            record_type: "TXT",
            ttl,
            priority: None,
            value: dmarc_text(&dmarc_policy, inputs.dmarc_rua),
            purpose: "DMARC policy and where aggregate reports go",
        },
    ];
    Records {
        domain,
        mode: values.domain.mode,
        mail_host: inputs.mail_host.to_owned(),
        records,
    }
}

/// Returns the SPF record text for a policy such as `-all`.
#[must_use]
pub fn spf_text(policy: &str) -> String {
    format!("v=spf1 mx {policy}")
}

/// Returns the DMARC record text.
#[must_use]
pub fn dmarc_text(policy: &str, rua: &str) -> String {
    format!("v=DMARC1; p={policy}; rua=mailto:{rua}")
}

impl Records {
    /// Formats the records as a zone-file fragment with absolute names.
    #[must_use]
    pub fn zone_file(&self) -> String {
        let mut out = format!(
            "; DNS records for {} ({} mode), rendered by stalwart-tenant.\n; Replace {DKIM_PUBLIC_KEY_PLACEHOLDER} with the key the setup Job prints.\n",
            self.domain,
            match self.mode {
                DomainMode::FreeSubdomain => "free-subdomain",
                DomainMode::Byo => "byo",
            }
        );
        for record in &self.records {
            let value = match record.priority {
                Some(priority) => format!("{priority} {}.", record.value),
                None => quote_txt(&record.value),
            };
            let _ = writeln!(
                out,
                "{}.\t{}\tIN\t{}\t{value}",
                record.name, record.ttl, record.record_type
            );
        }
        out
    }
}

/// Quotes TXT text for a zone file, splitting it into strings of at most
/// 255 characters as DNS requires.
#[must_use]
pub fn quote_txt(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(255)
        .map(|chunk| {
            let part: String = chunk.iter().collect();
            format!("\"{}\"", part.replace('\\', "\\\\").replace('"', "\\\""))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::quote_txt;

    #[test]
    fn splits_long_txt() {
        let long = "a".repeat(300);
        let quoted = quote_txt(&long);
        assert_eq!(
            quoted,
            format!("\"{}\" \"{}\"", "a".repeat(255), "a".repeat(45))
        );
    }

    #[test]
    fn escapes_quotes() {
        assert_eq!(quote_txt("a\"b"), "\"a\\\"b\"");
    }
}
