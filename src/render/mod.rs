//! Rendering: the minijinja environment over the embedded templates, and
//! the pipeline that turns loaded values into checked Kubernetes objects.
//!
//! Everything happens in memory. The caller writes nothing unless
//! [`Outcome::rendered`] is present, which it is only when no stage
//! (gates, config render, audit, output checks) reported an error.

pub mod config;
pub mod context;
pub mod environment;
pub mod templates;
pub mod toml;
pub mod yaml;

use std::fmt::Write as _;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::audit;
use crate::check::{self, CheckedObject, RenderedDocument};
use crate::diagnostic::{Diagnostic, Location, SourceText};
use crate::gates::{self, Decision, Template};
use crate::values::Loaded;
use crate::values::model::ExternalSecretsApiVersion;
use context::{JOB_HASH_LENGTH, RenderOptions, Tenant};
use templates::TemplateSet;

/// One rendered Kubernetes object.
#[derive(Debug, Clone)]
pub struct RenderedObject {
    /// `templates/<file>`, for the `# Source:` header.
    pub source: String,
    /// The object's YAML as the template wrote it, without `---`.
    pub text: String,
    pub object: CheckedObject,
}

/// Everything a successful render produced.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub objects: Vec<RenderedObject>,
    pub config_toml: String,
    pub tenant: Tenant,
}

/// The result of a render: the objects when nothing failed, and every
/// diagnostic (errors, warnings, notes) in the order found.
#[derive(Debug)]
pub struct Outcome {
    pub rendered: Option<Rendered>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Renders the loaded values with the given templates.
#[must_use]
pub fn render(loaded: &Loaded, options: &RenderOptions, templates: &TemplateSet) -> Outcome {
    let plan = gates::plan(loaded, options.smoke);
    let mut diagnostics = plan.diagnostics.clone();
    for (template, decision) in &plan.decisions {
        if let Decision::Skip { note, tell } = decision
            && (options.smoke || *tell)
        {
            diagnostics.push(Diagnostic::note(format!(
                "skipped templates/{}: {note}",
                template.file()
            )));
        }
    }
    if loaded.values.external_secrets.api_version == ExternalSecretsApiVersion::V1Beta1 {
        diagnostics.push(
            Diagnostic::warning("externalSecrets.apiVersion is external-secrets.io/v1beta1, which external-secrets v0.17.0 and later no longer serve")
                .help("use external-secrets.io/v1 unless the cluster runs an older external-secrets"),
        );
    }
    let Some(generation) = plan.generation else {
        return Outcome {
            rendered: None,
            diagnostics,
        };
    };
    let tenant = Tenant::new(&loaded.values, options, generation, &plan.domain);
    diagnostics.extend(check_names(&tenant, &plan));
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Outcome {
            rendered: None,
            diagnostics,
        };
    }

    let environment = match environment::build(templates, loaded, &tenant, &plan.features) {
        Ok(environment) => environment,
        Err(error) => {
            diagnostics.push(Diagnostic::error(format!(
                "internal error: cannot load the templates: {error:#}"
            )));
            return Outcome {
                rendered: None,
                diagnostics,
            };
        }
    };

    // config.toml first: the ConfigMap embeds it and the pod annotation hashes it.
    // A tenant setting that clashes with a managed key is an error, but it
    // is left out of the text, so the audit still runs and reports its own
    // findings in the same run.
    let (config_toml, mut problems) = config::render(&environment, generation, loaded);
    diagnostics.append(&mut problems);
    let Some(config_toml) = config_toml else {
        return Outcome {
            rendered: None,
            diagnostics,
        };
    };
    diagnostics.extend(audit_config(&config_toml, loaded));
    let checksum = hex_digest(config_toml.as_bytes());

    let mut documents = Vec::new();
    let mut template_names: Vec<String> = Template::ALL
        .iter()
        .filter(|t| *plan.decision(**t) == Decision::Render)
        .map(|t| t.file().to_owned())
        .collect();
    let known: Vec<&str> = Template::ALL.iter().map(|t| t.file()).collect();
    template_names.extend(templates.extra_manifests(&known));
    for name in &template_names {
        match render_template(&environment, name, &config_toml, &checksum) {
            Ok(text) => documents.extend(split_documents(name, &text)),
            Err(error) => diagnostics.push(template_error(name, &error)),
        }
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Outcome {
            rendered: None,
            diagnostics,
        };
    }
    if documents.is_empty() {
        diagnostics.push(
            Diagnostic::error("the render produced no objects")
                .help("check the gates above; an empty render is never a success"),
        );
        return Outcome {
            rendered: None,
            diagnostics,
        };
    }
    match check::check_documents(&documents) {
        Ok(checked) => {
            let objects = documents
                .into_iter()
                .zip(checked)
                .map(|(document, object)| RenderedObject {
                    source: document.template,
                    text: document.text,
                    object,
                })
                .collect();
            Outcome {
                rendered: Some(Rendered {
                    objects,
                    config_toml,
                    tenant,
                }),
                diagnostics,
            }
        }
        Err(errors) => {
            diagnostics.extend(errors.into_iter().map(|error| {
                let help = if error.too_large {
                    "the values make this object too large: shorten the lists and texts that go into it, such as mailboxes, stalwart.settings and annotations"
                } else {
                    "this is a bug in stalwart-tenant's templates, not in your values; please report it"
                };
                Diagnostic::error(error.to_string()).help(help)
            }));
            Outcome {
                rendered: None,
                diagnostics,
            }
        }
    }
}

/// Stands in for a Job's spec hash while the Job is rendered: upper-case
/// letters never occur in an object name, so the first occurrence is the
/// name's suffix.
const JOB_HASH_PLACEHOLDER: &str = "JOBSPECHASH";

/// Renders one manifest template. A Job's name carries a hash of the Job as
/// rendered with a placeholder in its name, because a Job's pod template is
/// immutable and a changed Job must get a new name.
fn render_template(
    environment: &minijinja::Environment<'_>,
    name: &str,
    config_toml: &str,
    checksum: &str,
) -> Result<String, minijinja::Error> {
    let template = environment.get_template(name)?;
    let is_job = name.starts_with("job-");
    let job_hash = if is_job { JOB_HASH_PLACEHOLDER } else { "" };
    let text = template.render(minijinja::context! { config_toml => config_toml, config_checksum => checksum, job_hash => job_hash })?;
    if is_job {
        let hash = hex_digest(text.as_bytes());
        return Ok(text.replacen(JOB_HASH_PLACEHOLDER, &hash[..JOB_HASH_LENGTH], 1));
    }
    Ok(text)
}

fn template_error(name: &str, error: &minijinja::Error) -> Diagnostic {
    let mut message = format!(
        "internal error: template {name} failed: {}",
        error.detail().unwrap_or(&error.to_string())
    );
    if let Some(line) = error.line() {
        message = format!(
            "internal error: templates/{name}:{line}: {}",
            error.detail().unwrap_or(&error.kind().to_string())
        );
    }
    let mut diagnostic = Diagnostic::error(message);
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        diagnostic = diagnostic.help(format!("caused by: {cause}"));
        source = cause.source();
    }
    diagnostic
}

/// Returns the hex SHA-256 of `bytes`.
#[must_use]
pub fn hex_digest(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest
        .iter()
        .fold(String::with_capacity(64), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

/// Splits a template's output at `---` lines into documents and drops the
/// documents that contain only comments. Each document starts at its first
/// content line, and keeps that line's number. The text is read once,
/// because the Jobs' embedded scripts make it long.
#[must_use]
pub fn split_documents(template: &str, text: &str) -> Vec<RenderedDocument> {
    let mut documents = Vec::new();
    // Byte offset and line number of the current document's first content line.
    let mut content: Option<(usize, usize)> = None;
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end();
        if bare == "---" {
            if let Some((from, number)) = content.take() {
                push_document(&mut documents, template, number, &text[from..offset]);
            }
        } else if content.is_none()
            && !bare.trim_start().is_empty()
            && !bare.trim_start().starts_with('#')
        {
            content = Some((offset, index + 1));
        }
        offset += line.len();
    }
    if let Some((from, number)) = content {
        push_document(&mut documents, template, number, &text[from..]);
    }
    documents
}

fn push_document(documents: &mut Vec<RenderedDocument>, template: &str, line: usize, text: &str) {
    let mut body = if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text.to_owned()
    };
    if !body.ends_with('\n') {
        body.push('\n');
    }
    documents.push(RenderedDocument {
        template: format!("templates/{template}"),
        line,
        text: body,
    });
}

/// Runs the expression audit on the rendered config.toml.
fn audit_config(config_toml: &str, loaded: &Loaded) -> Vec<Diagnostic> {
    let source = SourceText::new("config.toml (rendered)", config_toml);
    match audit::audit_config(config_toml) {
        Ok(findings) => findings
            .into_iter()
            .map(|finding| {
                let mut diagnostic = Diagnostic::error(format!(
                    "{} in the Stalwart expression `{}`",
                    finding.problem, finding.key
                ))
                .at(Some(Location {
                    source: Arc::clone(&source),
                    line: finding.line,
                    column: finding.column,
                }));
                let (excerpt, padding) = finding.excerpt();
                diagnostic = diagnostic.detail(excerpt).detail(format!("{padding}^"));
                if let Some(fixed) = finding.fixed_excerpt() {
                    diagnostic = diagnostic.help(format!("write: {fixed}"));
                }
                if finding.omitted > 0 {
                    diagnostic = diagnostic.help(format!(
                        "{} more problems in this expression are not listed",
                        finding.omitted
                    ));
                }
                if let Some(origin) = config::setting_origin(loaded, &finding.key) {
                    diagnostic = diagnostic.help(format!("set in {origin}"));
                }
                diagnostic
            })
            .collect(),
        Err(error) => vec![
            Diagnostic::error(format!(
                "internal error: the rendered config.toml does not parse: {}",
                error.message
            ))
            .at(Some(Location {
                source,
                line: error.line,
                column: error.column,
            })),
        ],
    }
}

/// Checks every generated object name: a DNS-1123 label of at most 63
/// characters (Services: a DNS-1035 label, starting with a letter).
fn check_names(tenant: &Tenant, plan: &gates::Plan) -> Vec<Diagnostic> {
    use crate::values::validate::is_dns_label;
    let names = &tenant.names;
    let hash_suffix = 1 + JOB_HASH_LENGTH;
    let mut checks: Vec<(&str, String, usize, bool)> = vec![
        ("ConfigMap", names.config.clone(), 0, false),
        ("ConfigMap", names.dns_records.clone(), 0, false),
        ("Service", names.smtp.clone(), 0, true),
        ("Service", names.imap.clone(), 0, true),
        ("Service", names.web.clone(), 0, true),
        ("Service", names.headless.clone(), 0, true),
        ("StatefulSet", names.statefulset.clone(), 0, false),
    ];
    let optional: [(bool, &str, &String, usize); 8] = [
        (
            plan.features.service_account,
            "ServiceAccount",
            &names.service_account,
            0,
        ),
        (
            plan.features.admin_external_secret,
            "ExternalSecret",
            &names.external_secret_admin,
            0,
        ),
        (
            plan.features.oidc_external_secret,
            "ExternalSecret",
            &names.external_secret_oidc,
            0,
        ),
        (
            plan.features.setup_job,
            "Job",
            &names.setup_job,
            hash_suffix,
        ),
        (plan.features.dns_job, "Job", &names.dns_job, hash_suffix),
        (
            plan.features.certificate,
            "Certificate",
            &names.certificate,
            0,
        ),
        (
            plan.features.http_route || plan.features.ingress,
            "HTTPRoute/Ingress",
            &names.webmail,
            0,
        ),
        (
            plan.features.network_policy,
            "NetworkPolicy",
            &names.network_policy_server,
            0,
        ),
    ];
    for (enabled, kind, name, extra) in optional {
        if enabled {
            checks.push((kind, name.clone(), extra, false));
        }
    }
    let mut problems = Vec::new();
    let mut too_long: Vec<(String, usize)> = Vec::new();
    let mut longest_suffix = 0;
    for (kind, name, extra, starts_with_letter) in checks {
        let length = name.len() + extra;
        longest_suffix = longest_suffix.max(length.saturating_sub(tenant.fullname.len()));
        let shown = if extra > 0 {
            format!("{name}-<hash>")
        } else {
            name.clone()
        };
        if length > 63 {
            too_long.push((format!("{kind} {shown}"), length));
        } else if !is_dns_label(&name)
            || (starts_with_letter && !name.starts_with(|c: char| c.is_ascii_lowercase()))
        {
            problems.push(
                Diagnostic::error(format!("the {kind} name {shown} is not a valid DNS-1123 label{}", if starts_with_letter { " starting with a letter" } else { "" }))
                    .help("use lowercase letters, digits and `-` in --release-name or fullnameOverride, starting with a letter"),
            );
        }
    }
    if let Some((longest, length)) = too_long.iter().max_by_key(|(_, length)| *length) {
        let allowed = 63usize.saturating_sub(longest_suffix);
        problems.push(
            Diagnostic::error(format!(
                "the full name {} ({} characters) makes {} object name{} longer than 63 characters; the longest is the {longest} ({length} characters)",
                tenant.fullname,
                tenant.fullname.len(),
                too_long.len(),
                if too_long.len() == 1 { "" } else { "s" }
            ))
            .help(format!(
                "stalwart-tenant keeps every name a DNS label of at most 63 characters (Services and Jobs require it); use a --release-name or fullnameOverride of at most {allowed} characters"
            )),
        );
    }
    problems
}

/// Converts any serializable value into a template value.
pub fn to_value<T: serde::Serialize>(value: T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}

#[cfg(test)]
mod tests {
    use super::split_documents;

    fn split(text: &str) -> Vec<(usize, String)> {
        split_documents("t.yaml", text)
            .into_iter()
            .map(|d| {
                assert_eq!(d.template, "templates/t.yaml");
                (d.line, d.text)
            })
            .collect()
    }

    #[test]
    fn documents_start_at_first_content() {
        let text = "# Source: t.yaml\n\nkind: A\n---\n  \n# note\nkind: B\n# trailing\n";
        assert_eq!(
            split(text),
            [
                (3, "kind: A\n".to_owned()),
                (7, "kind: B\n# trailing\n".to_owned())
            ]
        );
    }

    #[test]
    fn empty_documents_dropped() {
        let text = "---\n# only a comment\n---   \n\n---\nkind: A";
        assert_eq!(split(text), [(6, "kind: A\n".to_owned())]);
        assert!(split("").is_empty());
        assert!(split("# a\n---\n").is_empty());
    }

    #[test]
    fn indented_separators_stay_in_document() {
        let text = "data:\n  script: |\n    ---\n    echo\n";
        assert_eq!(split(text), [(1, text.to_owned())]);
    }

    #[test]
    fn crlf_line_ends_are_normalised() {
        let text = "kind: A\r\nb: c\r\n---\r\nkind: B\r\n";
        assert_eq!(
            split(text),
            [
                (1, "kind: A\nb: c\n".to_owned()),
                (4, "kind: B\n".to_owned())
            ]
        );
    }
}
