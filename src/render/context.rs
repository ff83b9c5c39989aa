//! Everything the templates read, resolved once from the values: object
//! names, labels, images, host names, paths and the script environments.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::dns::{self, Records};
use crate::generation::StalwartGeneration;
use crate::values::model::{DkimAlgorithm, JobImage, Values};
use crate::values::validate::full_address;

/// The chart name used in the `app.kubernetes.io/name` label unless
/// `nameOverride` replaces it.
pub const CHART_NAME: &str = "stalwart";

/// The placeholder domain smoke mode renders with when none is set. The
/// `.example` top-level domain is reserved (RFC 2606) and never resolves.
pub const SMOKE_DOMAIN: &str = "tenant.example";

/// The mount paths of every file the Stalwart pod reads.
pub mod paths {
    pub const DATA_VOLUME: &str = "/opt/stalwart";
    pub const ROCKSDB: &str = "/opt/stalwart/data";
    pub const TLS_DIR: &str = "/etc/stalwart/tls";
    pub const ADMIN_SECRET_DIR: &str = "/etc/stalwart/secrets/admin";
    pub const OIDC_SECRET_DIR: &str = "/etc/stalwart/secrets/oidc";
    pub const POWERDNS_SECRET_DIR: &str = "/etc/stalwart/secrets/powerdns";
    /// Each secret is projected under this file name, whatever its key.
    pub const ADMIN_PASSWORD_FILE: &str = "/etc/stalwart/secrets/admin/password";
    pub const OIDC_CLIENT_SECRET_FILE: &str = "/etc/stalwart/secrets/oidc/client-secret";
    pub const POWERDNS_API_KEY_FILE: &str = "/etc/stalwart/secrets/powerdns/api-key";
}

/// The ports Stalwart listens on inside the pod. The Services map their
/// own (configurable) ports to these.
pub mod ports {
    pub const SMTP: u16 = 25;
    pub const SUBMISSION: u16 = 587;
    pub const SUBMISSIONS: u16 = 465;
    pub const IMAP: u16 = 143;
    pub const IMAPS: u16 = 993;
    pub const HTTP: u16 = 8080;
}

/// Options that come from the command line rather than the values.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub release_name: String,
    pub namespace: Option<String>,
    /// Renders the defaults alone: missing tenant inputs skip their
    /// templates instead of failing them.
    pub smoke: bool,
}

/// The names of every object the product can render.
#[derive(Debug, Clone, Serialize)]
pub struct Names {
    pub service_account: String,
    pub external_secret_admin: String,
    pub external_secret_oidc: String,
    pub config: String,
    pub dns_records: String,
    pub smtp: String,
    pub imap: String,
    pub web: String,
    pub headless: String,
    pub statefulset: String,
    /// Without the hash suffix, which is added once the Job is rendered.
    pub setup_job: String,
    pub dns_job: String,
    pub certificate: String,
    pub webmail: String,
    pub webmail_tls_secret: String,
    pub network_policy_server: String,
    pub network_policy_jobs: String,
}

impl Names {
    fn new(fullname: &str, values: &Values) -> Self {
        let named = |suffix: &str| format!("{fullname}-{suffix}");
        Self {
            service_account: if values.service_account.name.is_empty() {
                fullname.to_owned()
            } else {
                values.service_account.name.clone()
            },
            external_secret_admin: named("admin"),
            external_secret_oidc: named("oidc"),
            config: named("config"),
            dns_records: named("dns-records-required"),
            smtp: named("smtp"),
            imap: named("imap"),
            web: named("web"),
            headless: named("headless"),
            statefulset: fullname.to_owned(),
            setup_job: named("setup"),
            dns_job: named("dns-publish"),
            certificate: named("tls"),
            webmail: named("webmail"),
            webmail_tls_secret: if values.ingress.webmail.tls.secret_name.is_empty() {
                named("webmail-tls")
            } else {
                values.ingress.webmail.tls.secret_name.clone()
            },
            network_policy_server: named("server"),
            network_policy_jobs: named("jobs"),
        }
    }
}

/// The length of the hash suffix of Job names (`F-setup-<hash>`).
pub const JOB_HASH_LENGTH: usize = 10;

/// The tenant as the templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct Tenant {
    pub release_name: String,
    pub namespace: Option<String>,
    pub fullname: String,
    pub chart_name: String,
    pub app_version: String,
    pub names: Names,
    pub domain: String,
    pub hostname: String,
    pub webmail_host: String,
    pub dmarc_rua: String,
    pub images: Images,
    pub generation: GenerationFacts,
    pub paths: BTreeMap<&'static str, &'static str>,
    pub ports: BTreeMap<&'static str, u16>,
    /// Stalwart's own URL inside the namespace, for the Jobs.
    pub stalwart_url: String,
    pub dkim: DkimFacts,
    pub admin_email: String,
    /// `account|address` keys of the send-as lookup list.
    pub send_as: Vec<String>,
    pub groups: Vec<GroupFacts>,
    pub dns: Records,
    /// The records as YAML, for the DNS records `ConfigMap`.
    pub dns_records_yaml: String,
    /// The records as a zone-file fragment.
    pub dns_zone: String,
    /// The setup Job's environment, as Kubernetes `env` entries.
    pub setup_env: Vec<EnvVar>,
    /// Builds the DNS publishing Job's environment.
    pub dns_env: Vec<EnvVar>,
    pub realm: RealmFacts,
    pub powerdns: PowerDnsFacts,
    pub smoke: bool,
}

/// One `env` entry of a container.
#[derive(Debug, Clone, Serialize)]
pub struct EnvVar {
    pub name: &'static str,
    pub value: String,
}

fn env(name: &'static str, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name,
        value: value.into(),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Images {
    pub stalwart: String,
    pub job: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct GenerationFacts {
    pub label: &'static str,
    pub config_dir: &'static str,
    pub config_file: &'static str,
    pub command: Vec<String>,
    pub added_capabilities: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DkimFacts {
    /// `Ed25519` or `Rsa`, as Stalwart's DKIM API spells the algorithm.
    pub api_algorithm: &'static str,
    /// `ed25519` or `rsa`, as the DNS record spells it.
    pub key_type: &'static str,
    pub selector: String,
    /// The id Stalwart stores the key under: `<algorithm>-<domain>`.
    pub signature_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupFacts {
    pub name: String,
    pub email: String,
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RealmFacts {
    pub url: String,
    pub introspection_url: String,
    pub userinfo_url: String,
    /// The realm host's port, for the `NetworkPolicy` egress rule.
    pub port: u16,
}

#[derive(Debug, Clone, Serialize)]
pub struct PowerDnsFacts {
    pub port: u16,
    /// The zone name with its trailing dot, as `PowerDNS` names zones.
    pub zone_id: String,
}

/// Builds the image reference `registry/repository:tag` or
/// `registry/repository@digest`, with `global.imageRegistry` replacing the
/// registry.
#[must_use]
pub fn image_reference(global_registry: &str, image: &JobImage) -> String {
    let registry = if global_registry.is_empty() {
        image.registry.as_str()
    } else {
        global_registry
    };
    let name = if registry.is_empty() {
        image.repository.clone()
    } else {
        format!("{registry}/{}", image.repository)
    };
    match (image.tag.is_empty(), image.digest.is_empty()) {
        (_, true) => format!("{name}:{}", image.tag),
        // The tag is kept for people; the runtime pulls by digest.
        (false, false) => format!("{name}:{}@{}", image.tag, image.digest),
        (true, false) => format!("{name}@{}", image.digest),
    }
}

fn url_port(url: &str) -> u16 {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.port_or_known_default())
        .unwrap_or(443)
}

/// Returns the mail server's host name: `stalwart.hostname`, or `mail.<domain>`.
#[must_use]
pub fn mail_host(values: &Values, domain: &str) -> String {
    if values.stalwart.hostname.is_empty() {
        format!("mail.{domain}")
    } else {
        values.stalwart.hostname.clone()
    }
}

/// Returns the DMARC report address: `dns.dmarc.rua`, or `dmarc@<domain>`.
#[must_use]
pub fn dmarc_rua(values: &Values, domain: &str) -> String {
    if values.dns.dmarc.rua.is_empty() {
        format!("dmarc@{domain}")
    } else {
        values.dns.dmarc.rua.clone()
    }
}

impl Tenant {
    /// Resolves the tenant. `domain` is the tenant's domain, or the smoke
    /// placeholder when smoke mode renders without one.
    #[must_use]
    pub fn new(
        values: &Values,
        options: &RenderOptions,
        generation: StalwartGeneration,
        domain: &str,
    ) -> Self {
        let fullname = if values.fullname_override.is_empty() {
            options.release_name.clone()
        } else {
            values.fullname_override.clone()
        };
        let chart_name = if values.name_override.is_empty() {
            CHART_NAME.to_owned()
        } else {
            values.name_override.clone()
        };
        let names = Names::new(&fullname, values);
        let hostname = mail_host(values, domain);
        let webmail_host = if values.ingress.webmail.host.is_empty() {
            format!("mail.{domain}")
        } else {
            values.ingress.webmail.host.clone()
        };
        let dmarc_rua = dmarc_rua(values, domain);
        let stalwart_image = JobImage {
            registry: values.stalwart.image.registry.clone(),
            repository: values.stalwart.image.repository.clone(),
            tag: values.stalwart.image.tag.clone(),
            digest: values.stalwart.image.digest.clone(),
        };
        let images = Images {
            stalwart: image_reference(&values.global.image_registry, &stalwart_image),
            job: image_reference(&values.global.image_registry, &values.setup_job.image),
        };
        let (api_algorithm, key_type) = match values.dns.dkim.algorithm {
            DkimAlgorithm::Ed25519 => ("Ed25519", "ed25519"),
            DkimAlgorithm::Rsa => ("Rsa", "rsa"),
        };
        let dkim = DkimFacts {
            api_algorithm,
            key_type,
            selector: values.dns.dkim.selector.clone(),
            signature_id: format!("{key_type}-{domain}"),
        };
        let realm_url = values.keycloak.realm_url.trim_end_matches('/').to_owned();
        let records = dns::records(&dns::RecordInputs {
            domain,
            mail_host: &hostname,
            dmarc_rua: &dmarc_rua,
            values,
        });
        let groups: Vec<GroupFacts> = values
            .mailboxes
            .groups
            .iter()
            .map(|group| GroupFacts {
                name: group.name.clone(),
                email: full_address(&group.email, domain),
                members: group.members.clone(),
            })
            .collect();
        let stalwart_url = format!("http://{}:{}", names.web, values.service.web.ports.http);
        let admin_email = format!("{}@{domain}", values.admin.username);
        let setup_env = setup_env(values, domain, &stalwart_url, &admin_email, &groups, &dkim);
        let dns_env = dns_env(values, domain, &hostname, &stalwart_url, &records, &dkim);
        let dns_records_yaml = format!(
            "{}\n",
            super::yaml::block(
                &serde_json::json!({ "records": serde_json::to_value(&records.records).unwrap_or_default() }),
                0
            )
        );
        let dns_zone = records.zone_file();
        let app_version = values
            .stalwart
            .image
            .tag
            .strip_prefix('v')
            .unwrap_or(&values.stalwart.image.tag)
            .to_owned();
        Self {
            release_name: options.release_name.clone(),
            namespace: options.namespace.clone(),
            chart_name,
            app_version: if app_version.is_empty() {
                generation.label().to_owned()
            } else {
                app_version
            },
            stalwart_url,
            names,
            fullname,
            domain: domain.to_owned(),
            hostname,
            webmail_host,
            dmarc_rua,
            images,
            generation: GenerationFacts {
                label: generation.label(),
                config_dir: generation.config_dir(),
                config_file: generation.config_file(),
                command: generation.command(),
                added_capabilities: generation.added_capabilities(),
            },
            paths: path_table(),
            ports: port_table(),
            dkim,
            admin_email,
            send_as: values
                .mailboxes
                .send_as
                .iter()
                .map(|pair| format!("{}|{}", pair.account, full_address(&pair.address, domain)))
                .collect(),
            groups,
            dns: records,
            dns_records_yaml,
            dns_zone,
            setup_env,
            dns_env,
            realm: RealmFacts {
                introspection_url: format!("{realm_url}/protocol/openid-connect/token/introspect"),
                userinfo_url: format!("{realm_url}/protocol/openid-connect/userinfo"),
                port: url_port(&realm_url),
                url: realm_url,
            },
            powerdns: PowerDnsFacts {
                port: url_port(&values.dns.powerdns.api_url),
                zone_id: format!("{}.", values.dns.powerdns.zone),
            },
            smoke: options.smoke,
        }
    }

    /// Returns the standard labels of an object of `component`, plus `commonLabels`.
    #[must_use]
    pub fn labels(&self, values: &Values, component: &str) -> BTreeMap<String, String> {
        let mut labels: BTreeMap<String, String> = values.common_labels.clone();
        labels.extend(self.selector_labels(component));
        labels.insert(
            "app.kubernetes.io/version".to_owned(),
            self.app_version.clone(),
        );
        labels.insert(
            "app.kubernetes.io/managed-by".to_owned(),
            "stalwart-tenant".to_owned(),
        );
        labels
    }

    /// Returns the labels selectors use, which stay stable across upgrades (no version).
    #[must_use]
    pub fn selector_labels(&self, component: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("app.kubernetes.io/name".to_owned(), self.chart_name.clone()),
            (
                "app.kubernetes.io/instance".to_owned(),
                self.release_name.clone(),
            ),
            (
                "app.kubernetes.io/component".to_owned(),
                component.to_owned(),
            ),
        ])
    }
}

/// Builds the setup Job's environment, from which the script reads every tenant input.
fn setup_env(
    values: &Values,
    domain: &str,
    stalwart_url: &str,
    admin_email: &str,
    groups: &[GroupFacts],
    dkim: &DkimFacts,
) -> Vec<EnvVar> {
    let stalwart_url = stalwart_url.to_owned();
    let admin_email = admin_email.to_owned();
    vec![
        env("STALWART_URL", stalwart_url.clone()),
        env("ADMIN_USER", values.admin.username.clone()),
        env("ADMIN_PASSWORD_FILE", paths::ADMIN_PASSWORD_FILE),
        env("DOMAIN", domain),
        env("ADMIN_ACCOUNT", values.admin.username.clone()),
        env("ADMIN_EMAIL", admin_email.clone()),
        env(
            "DIRECTORY_IS_INTERNAL",
            if values.keycloak.enabled && !values.keycloak.realm_url.is_empty() {
                "false"
            } else {
                "true"
            },
        ),
        env(
            "MAILBOX_GROUPS",
            groups
                .iter()
                .map(|g| {
                    std::iter::once(g.name.as_str())
                        .chain([g.email.as_str()])
                        .chain(g.members.iter().map(String::as_str))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        env("DKIM_ALGORITHM", dkim.api_algorithm),
        env("DKIM_SELECTOR", dkim.selector.clone()),
        env("DKIM_SIGNATURE_ID", dkim.signature_id.clone()),
        env(
            "READY_TIMEOUT_SECONDS",
            values.setup_job.ready_timeout_seconds.to_string(),
        ),
    ]
}

/// Builds the DNS publishing Job's environment.
fn dns_env(
    values: &Values,
    domain: &str,
    hostname: &str,
    stalwart_url: &str,
    records: &Records,
    dkim: &DkimFacts,
) -> Vec<EnvVar> {
    let hostname = hostname.to_owned();
    let stalwart_url = stalwart_url.to_owned();
    vec![
        env(
            "PDNS_API_URL",
            values.dns.powerdns.api_url.trim_end_matches('/'),
        ),
        env("PDNS_API_KEY_FILE", paths::POWERDNS_API_KEY_FILE),
        env("PDNS_SERVER_ID", values.dns.powerdns.server_id.clone()),
        env("PDNS_ZONE", values.dns.powerdns.zone.clone()),
        env("RECORD_TTL", values.dns.ttl.to_string()),
        env("DOMAIN", domain),
        env("MX_HOST", hostname.clone()),
        env(
            "SPF_TEXT",
            records
                .records
                .iter()
                .find(|r| r.value.starts_with("v=spf1"))
                .map(|r| r.value.clone())
                .unwrap_or_default(),
        ),
        env(
            "DMARC_TEXT",
            records
                .records
                .iter()
                .find(|r| r.value.starts_with("v=DMARC1"))
                .map(|r| r.value.clone())
                .unwrap_or_default(),
        ),
        env("DKIM_SELECTOR", dkim.selector.clone()),
        env("DKIM_SIGNATURE_ID", dkim.signature_id.clone()),
        env("DKIM_KEY_TYPE", dkim.key_type),
        env("STALWART_URL", stalwart_url.clone()),
        env("ADMIN_USER", values.admin.username.clone()),
        env("ADMIN_PASSWORD_FILE", paths::ADMIN_PASSWORD_FILE),
        env(
            "DKIM_WAIT_SECONDS",
            values.dns.powerdns.dkim_wait_seconds.to_string(),
        ),
    ]
}

/// Returns the mount paths, by the names the templates use.
fn path_table() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("dataVolume", paths::DATA_VOLUME),
        ("rocksdb", paths::ROCKSDB),
        ("tlsDir", paths::TLS_DIR),
        ("adminSecretDir", paths::ADMIN_SECRET_DIR),
        ("oidcSecretDir", paths::OIDC_SECRET_DIR),
        ("powerdnsSecretDir", paths::POWERDNS_SECRET_DIR),
        ("adminPasswordFile", paths::ADMIN_PASSWORD_FILE),
        ("oidcClientSecretFile", paths::OIDC_CLIENT_SECRET_FILE),
        ("powerdnsApiKeyFile", paths::POWERDNS_API_KEY_FILE),
    ])
}

/// Returns the container ports, by listener name.
fn port_table() -> BTreeMap<&'static str, u16> {
    BTreeMap::from([
        ("smtp", ports::SMTP),
        ("submission", ports::SUBMISSION),
        ("submissions", ports::SUBMISSIONS),
        ("imap", ports::IMAP),
        ("imaps", ports::IMAPS),
        ("http", ports::HTTP),
    ])
}
