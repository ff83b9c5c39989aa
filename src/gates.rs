//! Render gates: for each template, whether it renders, is skipped (its
//! feature is off), or fails because an enabled feature is misconfigured.
//!
//! All gates run before any template, and every failure is reported, each
//! with the value path, what needs it, and an example fix. By default the
//! rule is strict: an enabled feature with a missing value fails closed.
//! Smoke mode (`render --smoke`) renders the defaults alone: templates
//! whose tenant-specific inputs are missing are skipped with a note.

use crate::diagnostic::Diagnostic;
use crate::generation::{self, StalwartGeneration};
use crate::render::context::SMOKE_DOMAIN;
use crate::values::Loaded;
use crate::values::model::{DomainMode, TokenValidation, WebmailMode};
use crate::values::node::{PathSegment, path};
use crate::values::validate::check_dns_name;

/// The templates, in output order: the order `kubectl apply -f -` creates
/// objects in, so that Secrets' sources and config exist before the pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Template {
    ServiceAccount,
    ExternalSecretAdmin,
    ExternalSecretOidc,
    ConfigMapConfig,
    ConfigMapDnsRecords,
    Services,
    StatefulSet,
    SetupJob,
    DnsPublishJob,
    Certificate,
    HttpRoute,
    Ingress,
    NetworkPolicy,
}

impl Template {
    pub const ALL: [Template; 13] = [
        Template::ServiceAccount,
        Template::ExternalSecretAdmin,
        Template::ExternalSecretOidc,
        Template::ConfigMapConfig,
        Template::ConfigMapDnsRecords,
        Template::Services,
        Template::StatefulSet,
        Template::SetupJob,
        Template::DnsPublishJob,
        Template::Certificate,
        Template::HttpRoute,
        Template::Ingress,
        Template::NetworkPolicy,
    ];

    /// Returns the template's file name under `templates/`.
    #[must_use]
    pub fn file(self) -> &'static str {
        match self {
            Template::ServiceAccount => "serviceaccount.yaml",
            Template::ExternalSecretAdmin => "externalsecret-admin.yaml",
            Template::ExternalSecretOidc => "externalsecret-oidc.yaml",
            Template::ConfigMapConfig => "configmap-config.yaml",
            Template::ConfigMapDnsRecords => "configmap-dns-records.yaml",
            Template::Services => "services.yaml",
            Template::StatefulSet => "statefulset.yaml",
            Template::SetupJob => "job-setup.yaml",
            Template::DnsPublishJob => "job-dns-publish.yaml",
            Template::Certificate => "certificate.yaml",
            Template::HttpRoute => "httproute.yaml",
            Template::Ingress => "ingress.yaml",
            Template::NetworkPolicy => "networkpolicy.yaml",
        }
    }
}

/// A gate's verdict for one template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Render,
    /// Not rendered. `note` gives the reason. `tell` is true when the user
    /// must act (create a Secret by hand), so the note is shown even in strict mode.
    Skip {
        note: String,
        tell: bool,
    },
    /// Not rendered because the feature is enabled but misconfigured; the
    /// errors are in [`Plan::diagnostics`].
    Fail,
}

/// The features the templates treat as on, after the gates.
#[allow(
    clippy::struct_excessive_bools,
    reason = "one flag per optional template, read by the templates"
)]
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Features {
    pub service_account: bool,
    pub admin_external_secret: bool,
    pub oidc_external_secret: bool,
    /// The Keycloak OIDC directory is configured and is the default directory.
    pub keycloak: bool,
    pub setup_job: bool,
    pub dns_job: bool,
    pub certificate: bool,
    pub http_route: bool,
    pub ingress: bool,
    pub network_policy: bool,
}

/// The result of running every gate.
#[derive(Debug, Clone)]
pub struct Plan {
    pub decisions: Vec<(Template, Decision)>,
    pub features: Features,
    /// The domain to render with (the smoke placeholder when none is set in smoke mode).
    pub domain: String,
    pub generation: Option<StalwartGeneration>,
    /// Errors, warnings and notes, in the order found.
    pub diagnostics: Vec<Diagnostic>,
}

impl Plan {
    #[must_use]
    pub fn decision(&self, template: Template) -> &Decision {
        self.decisions
            .iter()
            .find(|(t, _)| *t == template)
            .map_or(&Decision::Fail, |(_, d)| d)
    }

    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

struct Gates<'a> {
    loaded: &'a Loaded,
    smoke: bool,
    diagnostics: Vec<Diagnostic>,
}

impl Gates<'_> {
    /// Reports that `value_path` is needed by `needed_by`, with an example fix.
    fn require(&mut self, template: Template, value_path: &str, needed_by: &str, fix: &str) {
        let location = self.loaded.locate(&path(value_path));
        self.diagnostics.push(
            Diagnostic::error(format!(
                "missing value `{value_path}`, needed by {needed_by}"
            ))
            .at(location)
            .help(format!("{fix} (read by templates/{})", template.file())),
        );
    }

    fn fail_at(&mut self, value_path: &str, message: String, fix: String) {
        let location = self.loaded.locate(&path(value_path));
        self.diagnostics
            .push(Diagnostic::error(message).at(location).help(fix));
    }

    fn skip(note: impl Into<String>) -> Decision {
        Decision::Skip {
            note: note.into(),
            tell: false,
        }
    }

    fn skip_and_tell(note: impl Into<String>) -> Decision {
        Decision::Skip {
            note: note.into(),
            tell: true,
        }
    }
}

/// Runs every gate. `smoke` selects smoke mode.
#[must_use]
pub fn plan(loaded: &Loaded, smoke: bool) -> Plan {
    let values = &loaded.values;
    let mut gates = Gates {
        loaded,
        smoke,
        diagnostics: Vec::new(),
    };
    let mut features = Features::default();
    let mut decisions: Vec<(Template, Decision)> = Vec::new();

    // The tenant's domain: everything names it.
    let mut domain = values.domain.primary.clone();
    if domain.is_empty() {
        if smoke {
            SMOKE_DOMAIN.clone_into(&mut domain);
            gates.diagnostics.push(Diagnostic::note(format!(
                "smoke mode: domain.primary is not set, so the manifests use the placeholder domain {SMOKE_DOMAIN}"
            )));
        } else {
            gates.require(
                Template::ConfigMapConfig,
                "domain.primary",
                "every object (host names, config.toml, DNS records)",
                "set domain.primary: acme.example, or `domain: acme.example`",
            );
        }
    }

    // The Stalwart generation decides the config format.
    let generation = match generation::resolve(values) {
        Ok(generation) => Some(generation),
        Err(error) => {
            gates.fail_at(error.path, error.message, error.help);
            None
        }
    };

    if values.stalwart.replicas != 1 {
        gates.fail_at(
            "stalwart.replicas",
            format!(
                "stalwart.replicas is {}, but Stalwart's RocksDB store allows a single writer",
                values.stalwart.replicas
            ),
            "set stalwart.replicas: 1".to_owned(),
        );
    }
    check_security_context(&mut gates);
    check_common_labels(&mut gates);

    // ServiceAccount.
    features.service_account = values.service_account.create;
    decisions.push((
        Template::ServiceAccount,
        if values.service_account.create {
            Decision::Render
        } else {
            Gates::skip(
                "serviceAccount.create is false: the pod runs as the existing ServiceAccount",
            )
        },
    ));

    secret_gates(&mut gates, &mut features, &mut decisions);

    decisions.push((Template::ConfigMapConfig, Decision::Render));
    decisions.push((Template::ConfigMapDnsRecords, Decision::Render));
    decisions.push((Template::Services, Decision::Render));
    decisions.push((Template::StatefulSet, Decision::Render));

    // The setup Job.
    features.setup_job = values.setup_job.enabled;
    decisions.push((
        Template::SetupJob,
        if values.setup_job.enabled {
            Decision::Render
        } else {
            Gates::skip_and_tell("setupJob.enabled is false: create the domain, the admin account, the groups and the DKIM key yourself")
        },
    ));

    // The PowerDNS Job.
    let dns_job = dns_job_gate(&mut gates, &domain);
    features.dns_job = dns_job == Decision::Render;
    decisions.push((Template::DnsPublishJob, dns_job));

    certificate_gate(&mut gates, &mut features, &mut decisions);
    webmail_gates(&mut gates, &mut features, &mut decisions);

    features.network_policy = values.network_policy.enabled;
    decisions.push((
        Template::NetworkPolicy,
        if values.network_policy.enabled {
            Decision::Render
        } else {
            Gates::skip("networkPolicy.enabled is false")
        },
    ));

    check_mailbox_domains(&mut gates, &domain);
    check_image_pins(&mut gates);

    // The pipeline stops before rendering whenever any error exists, so a
    // failed template's decision matters only for the notes.
    Plan {
        decisions,
        features,
        domain,
        generation,
        diagnostics: gates.diagnostics,
    }
}

/// Decides on Keycloak and on the ExternalSecrets for the admin password and the OIDC client secret.
fn secret_gates(
    gates: &mut Gates<'_>,
    features: &mut Features,
    decisions: &mut Vec<(Template, Decision)>,
) {
    let values = &gates.loaded.values;
    let smoke = gates.smoke;
    // Keycloak, and with it the OIDC client secret.
    let keycloak_ready = if values.keycloak.enabled && values.keycloak.realm_url.is_empty() {
        if smoke {
            gates.diagnostics.push(Diagnostic::note(
                "smoke mode: keycloak.realmURL is not set, so config.toml uses Stalwart's internal directory instead of Keycloak",
            ));
        } else {
            gates.require(
                Template::ConfigMapConfig,
                "keycloak.realmURL",
                "the Keycloak OIDC directory in config.toml (keycloak.enabled is true)",
                "set keycloak.realmURL: https://auth.<domain>/realms/<realm>, or keycloak.enabled: false to sign in with Stalwart's internal directory",
            );
        }
        false
    } else {
        values.keycloak.enabled
    };
    features.keycloak = keycloak_ready;

    // ExternalSecrets.
    let admin = external_secret_gate(
        gates,
        Template::ExternalSecretAdmin,
        "admin.externalSecret",
        values.admin.external_secret.enabled,
        values.admin.external_secret.remote_ref.key.is_empty(),
        &values.admin.secret_name,
        "admin",
    );
    features.admin_external_secret = admin == Decision::Render;
    decisions.push((Template::ExternalSecretAdmin, admin));
    let oidc = if values.keycloak.enabled && !keycloak_ready && smoke {
        Gates::skip("the Keycloak directory is not configured")
    } else if !values.keycloak.enabled {
        Gates::skip("keycloak.enabled is false")
    } else if values.keycloak.token_validation == TokenValidation::Userinfo {
        // Only introspection authenticates with the client secret.
        Gates::skip("keycloak.tokenValidation is userinfo, which needs no client secret")
    } else {
        external_secret_gate(
            gates,
            Template::ExternalSecretOidc,
            "keycloak.oidcExternalSecret",
            values.keycloak.oidc_external_secret.enabled,
            values
                .keycloak
                .oidc_external_secret
                .remote_ref
                .key
                .is_empty(),
            &values.keycloak.client_secret_name,
            "oidc",
        )
    };
    features.oidc_external_secret = oidc == Decision::Render;
    decisions.push((Template::ExternalSecretOidc, oidc));
}

/// Decides on the cert-manager Certificate of the mail host.
fn certificate_gate(
    gates: &mut Gates<'_>,
    features: &mut Features,
    decisions: &mut Vec<(Template, Decision)>,
) {
    // The Certificate.
    let values = &gates.loaded.values;
    let smoke = gates.smoke;
    let certificate = &values.stalwart.tls.certificate;
    let certificate_decision = if !certificate.enabled {
        Gates::skip_and_tell(format!(
            "stalwart.tls.certificate.enabled is false: the Secret {} with tls.crt and tls.key must already exist, because Stalwart reads the certificate at start and does not start without it",
            values.stalwart.tls.secret_name
        ))
    } else if certificate.issuer.is_empty() {
        if smoke {
            Gates::skip_and_tell(format!(
                "smoke mode: stalwart.tls.certificate.issuer is not set, so no Certificate is rendered; the Secret {} must exist",
                values.stalwart.tls.secret_name
            ))
        } else {
            gates.require(Template::Certificate, "stalwart.tls.certificate.issuer", "the cert-manager Certificate for the mail host", "set stalwart.tls.certificate.issuer: letsencrypt-prod, or stalwart.tls.certificate.enabled: false and create the TLS Secret yourself");
            Decision::Fail
        }
    } else {
        Decision::Render
    };
    features.certificate = certificate_decision == Decision::Render;
    decisions.push((Template::Certificate, certificate_decision));
}

/// Decides on the web interface: an `HTTPRoute` (gateway mode) or an `Ingress`.
fn webmail_gates(
    gates: &mut Gates<'_>,
    features: &mut Features,
    decisions: &mut Vec<(Template, Decision)>,
) {
    let smoke = gates.smoke;
    // The web interface: HTTPRoute or Ingress.
    let webmail = &gates.loaded.values.ingress.webmail;
    let route = match webmail.mode {
        WebmailMode::Gateway if webmail.parent_ref.name.is_empty() => {
            if smoke {
                Gates::skip(
                    "smoke mode: ingress.webmail.parentRef.name is not set, so no HTTPRoute is rendered",
                )
            } else {
                gates.require(Template::HttpRoute, "ingress.webmail.parentRef.name", "the HTTPRoute of the web interface (ingress.webmail.mode is gateway)", "set ingress.webmail.parentRef.name to your Gateway's name, or ingress.webmail.mode: ingress or none");
                Decision::Fail
            }
        }
        WebmailMode::Gateway => Decision::Render,
        _ => Gates::skip("ingress.webmail.mode is not gateway"),
    };
    features.http_route = route == Decision::Render;
    decisions.push((Template::HttpRoute, route));
    let ingress = if webmail.mode == WebmailMode::Ingress {
        if webmail.tls.enabled && webmail.tls.issuer.is_empty() {
            gates.diagnostics.push(Diagnostic::note(format!(
                "ingress.webmail.tls.issuer is empty: the Ingress names no cert-manager issuer, so the Secret {} must exist",
                if webmail.tls.secret_name.is_empty() { "<fullname>-webmail-tls" } else { &webmail.tls.secret_name }
            )));
        }
        Decision::Render
    } else {
        Gates::skip("ingress.webmail.mode is not ingress")
    };
    features.ingress = ingress == Decision::Render;
    decisions.push((Template::Ingress, ingress));
}

fn external_secret_gate(
    gates: &mut Gates<'_>,
    template: Template,
    prefix: &str,
    enabled: bool,
    key_missing: bool,
    secret_name: &str,
    leaf: &str,
) -> Decision {
    if !enabled {
        return Gates::skip_and_tell(format!(
            "{prefix}.enabled is false: create the Secret {secret_name} yourself"
        ));
    }
    if key_missing {
        if gates.smoke {
            return Gates::skip_and_tell(format!(
                "smoke mode: {prefix}.remoteRef.key is not set, so no ExternalSecret is rendered; the Secret {secret_name} must exist"
            ));
        }
        gates.require(
            template,
            &format!("{prefix}.remoteRef.key"),
            &format!("the ExternalSecret that creates the Secret {secret_name} ({prefix}.enabled is true)"),
            &format!("set {prefix}.remoteRef.key, e.g. sovereign/<fqdn>/stalwart/<tenant>/{leaf}, or set {prefix}.enabled=false and create the Secret {secret_name} yourself"),
        );
        return Decision::Fail;
    }
    Decision::Render
}

fn dns_job_gate(gates: &mut Gates<'_>, domain: &str) -> Decision {
    let values = &gates.loaded.values;
    let powerdns = &values.dns.powerdns;
    if !powerdns.enabled {
        return Gates::skip("dns.powerdns.enabled is false");
    }
    if values.domain.mode == DomainMode::Byo {
        gates.fail_at(
            "dns.powerdns.enabled",
            "dns.powerdns.enabled is true, but domain.mode is byo: the platform's PowerDNS zone cannot hold records for the tenant's own domain".to_owned(),
            "set dns.powerdns.enabled: false and give the tenant the records from `stalwart-tenant dns`, or use domain.mode: free-subdomain".to_owned(),
        );
        return Decision::Fail;
    }
    if !values.setup_job.enabled {
        gates.fail_at(
            "dns.powerdns.enabled",
            "dns.powerdns.enabled needs the setup Job, which creates the DKIM key the DNS Job publishes".to_owned(),
            "set setupJob.enabled: true, or dns.powerdns.enabled: false".to_owned(),
        );
        return Decision::Fail;
    }
    let missing: Vec<(&str, &str)> = [
        (
            "dns.powerdns.apiURL",
            powerdns.api_url.is_empty(),
            "set dns.powerdns.apiURL: https://pdns.<platform>/api",
        ),
        (
            "dns.powerdns.apiKeySecretName",
            powerdns.api_key_secret_name.is_empty(),
            "set dns.powerdns.apiKeySecretName to the Secret that holds the PowerDNS API key",
        ),
        (
            "dns.powerdns.zone",
            powerdns.zone.is_empty(),
            "set dns.powerdns.zone to the platform zone, e.g. example.net for acme.example.net",
        ),
    ]
    .into_iter()
    .filter(|(_, is_missing, _)| *is_missing)
    .map(|(value_path, _, fix)| (value_path, fix))
    .collect();
    if !missing.is_empty() {
        if gates.smoke {
            return Gates::skip(format!(
                "smoke mode: {} not set, so the DNS publishing Job is skipped",
                missing
                    .iter()
                    .map(|(p, _)| *p)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for (value_path, fix) in missing {
            gates.require(
                Template::DnsPublishJob,
                value_path,
                "the PowerDNS publishing Job (dns.powerdns.enabled is true)",
                &format!("{fix}, or set dns.powerdns.enabled: false"),
            );
        }
        return Decision::Fail;
    }
    let zone = &powerdns.zone;
    if domain == zone {
        gates.fail_at(
            "domain.primary",
            format!("the tenant domain {domain} is the PowerDNS zone itself: the DNS Job would replace the MX and TXT records of the zone's apex, which belong to the platform"),
            format!("give the tenant a subdomain of {zone}, e.g. acme.{zone}"),
        );
        return Decision::Fail;
    }
    if check_dns_name(domain).is_ok() && !domain.ends_with(&format!(".{zone}")) {
        gates.fail_at(
            "dns.powerdns.zone",
            format!("the tenant domain {domain} is not inside the PowerDNS zone {zone}"),
            format!("set dns.powerdns.zone to the zone that contains {domain}"),
        );
        return Decision::Fail;
    }
    Decision::Render
}

fn check_security_context(gates: &mut Gates<'_>) {
    let context = &gates.loaded.values.stalwart.pod_security_context;
    if context.run_as_non_root && context.run_as_user == 0 {
        gates.fail_at(
            "stalwart.podSecurityContext.runAsUser",
            "runAsUser is 0 while runAsNonRoot is true: the kubelet refuses to start the container"
                .to_owned(),
            "set stalwart.podSecurityContext.runAsUser: 2000".to_owned(),
        );
    }
    if context.run_as_user != 0 && !context.unprivileged_ports {
        gates.fail_at(
            "stalwart.podSecurityContext.unprivilegedPorts",
            format!(
                "Stalwart runs as UID {} and must bind ports 25, 143, 465, 587 and 993, but unprivilegedPorts is false: the 0.15 binary has no file capability, so it cannot bind them",
                context.run_as_user
            ),
            "set stalwart.podSecurityContext.unprivilegedPorts: true (the pod sysctl net.ipv4.ip_unprivileged_port_start=0, in Kubernetes' safe set)".to_owned(),
        );
    }
    let drop = &gates
        .loaded
        .values
        .stalwart
        .container_security_context
        .drop_capabilities;
    if !drop.iter().any(|capability| capability == "ALL") {
        let location = gates
            .loaded
            .locate(&path("stalwart.containerSecurityContext.dropCapabilities"));
        gates.diagnostics.push(
            Diagnostic::warning(
                "stalwart.containerSecurityContext.dropCapabilities does not drop ALL: the restricted Pod Security level rejects the pod, and the container keeps capabilities it does not need",
            )
            .at(location)
            .help("set dropCapabilities: [ALL]; Stalwart binds its low ports through unprivilegedPorts, not a capability (lint --strict makes this an error)"),
        );
    }
    for (index, sysctl) in context.sysctls.iter().enumerate() {
        if !SAFE_SYSCTLS.contains(&sysctl.name.as_str()) {
            let mut location_path = path("stalwart.podSecurityContext.sysctls");
            location_path.push(PathSegment::Index(index));
            let location = gates.loaded.locate(&location_path);
            gates.diagnostics.push(
                Diagnostic::warning(format!(
                    "the sysctl {} is not in Kubernetes' safe set: the kubelet starts the pod only on nodes that allow it (--allowed-unsafe-sysctls), and the baseline and restricted Pod Security levels reject it",
                    sysctl.name
                ))
                .at(location)
                .help("remove it unless the platform's nodes allow it (lint --strict makes this an error)"),
            );
        }
        if sysctl.name == "net.ipv4.ip_unprivileged_port_start" {
            let mut location_path = path("stalwart.podSecurityContext.sysctls");
            location_path.push(PathSegment::Index(index));
            let location = gates.loaded.locate(&location_path);
            gates.diagnostics.push(
                Diagnostic::error("stalwart.podSecurityContext.sysctls sets net.ipv4.ip_unprivileged_port_start, which unprivilegedPorts already manages")
                    .at(location)
                    .help("remove it from sysctls and use stalwart.podSecurityContext.unprivilegedPorts"),
            );
        }
    }
}

/// Sysctls the kubelet and the baseline Pod Security level allow as of
/// Kubernetes 1.29. `tcp_rmem` and `tcp_wmem`, safe only since 1.32, are
/// left out because the output must also work on 1.30.
const SAFE_SYSCTLS: [&str; 10] = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ping_group_range",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_syncookies",
];

const STANDARD_LABELS: [&str; 5] = [
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/managed-by",
    "app.kubernetes.io/component",
];

fn check_common_labels(gates: &mut Gates<'_>) {
    let labels: Vec<String> = gates
        .loaded
        .values
        .common_labels
        .keys()
        .filter(|k| STANDARD_LABELS.contains(&k.as_str()))
        .cloned()
        .collect();
    for key in labels {
        let location = gates.loaded.locate(&[
            PathSegment::Key("commonLabels".to_owned()),
            PathSegment::Key(key.clone()),
        ]);
        gates.diagnostics.push(
            Diagnostic::error(format!("commonLabels sets {key}, which the product sets itself and selectors rely on"))
                .at(location)
                .help("remove it; use nameOverride or --release-name to change the name and instance labels"),
        );
    }
}

fn check_mailbox_domains(gates: &mut Gates<'_>, domain: &str) {
    let send_as = gates.loaded.values.mailboxes.send_as.clone();
    for (index, pair) in send_as.iter().enumerate() {
        if let Some((_, address_domain)) = pair.address.split_once('@')
            && address_domain != domain
        {
            let mut location_path = path("mailboxes.sendAs");
            location_path.extend([
                PathSegment::Index(index),
                PathSegment::Key("address".to_owned()),
            ]);
            let location = gates.loaded.locate(&location_path);
            gates.diagnostics.push(
                Diagnostic::warning(format!(
                    "{} may send as {}, outside the tenant domain {domain}: Stalwart signs only {domain} with DKIM, so receivers that check DMARC for {address_domain} may reject that mail",
                    pair.account, pair.address
                ))
                .at(location)
                .help("use an address of the tenant domain, or have the other domain's SPF record include this server so that DMARC can pass on SPF"),
            );
        }
    }
    let groups = gates.loaded.values.mailboxes.groups.clone();
    for (index, group) in groups.iter().enumerate() {
        if let Some((_, group_domain)) = group.email.split_once('@')
            && group_domain != domain
        {
            let mut location_path = path("mailboxes.groups");
            location_path.extend([
                PathSegment::Index(index),
                PathSegment::Key("email".to_owned()),
            ]);
            let location = gates.loaded.locate(&location_path);
            gates.diagnostics.push(
                    Diagnostic::error(format!("group {} has the address {}, outside the tenant domain {domain}", group.name, group.email))
                        .at(location)
                        .help(format!("Stalwart rejects addresses of domains it does not host; use {}@{domain} or a bare local part", group.email.split('@').next().unwrap_or("name"))),
                );
        }
    }
}

fn check_image_pins(gates: &mut Gates<'_>) {
    let values = &gates.loaded.values;
    for (value_path, digest, image) in [
        (
            "stalwart.image.digest",
            &values.stalwart.image.digest,
            format!(
                "{}:{}",
                values.stalwart.image.repository, values.stalwart.image.tag
            ),
        ),
        (
            "setupJob.image.digest",
            &values.setup_job.image.digest,
            format!(
                "{}:{}",
                values.setup_job.image.repository, values.setup_job.image.tag
            ),
        ),
    ] {
        if digest.is_empty() {
            gates.diagnostics.push(Diagnostic::warning(format!(
                "image {image} is pinned by tag only; a tag can be moved to other content"
            ))
            .help(format!("set {value_path}: sha256:<digest> to pin it (lint --strict makes this an error)")));
        }
    }
}
