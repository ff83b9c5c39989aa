//! The typed values: every key a tenant file may set.
//!
//! The defaults live in the embedded `values.yaml`; these types say what
//! each key may hold. The JSON Schema generated from them (`schemars`) is
//! also what the loader walks to report every unknown key and wrong type in
//! one run, and what `stalwart-tenant values --schema` prints.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A map of Kubernetes labels or annotations.
pub type StringMap = BTreeMap<String, String>;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Values {
    /// Replaces the chart name `stalwart` in the `app.kubernetes.io/name` label.
    pub name_override: String,
    /// Replaces the full name (the release name) that prefixes every object name.
    pub fullname_override: String,
    /// Labels added to every object.
    pub common_labels: StringMap,
    /// Annotations added to every object.
    pub common_annotations: StringMap,
    pub global: Global,
    pub domain: Domain,
    pub stalwart: Stalwart,
    pub keycloak: Keycloak,
    pub admin: Admin,
    pub external_secrets: ExternalSecrets,
    pub mailboxes: Mailboxes,
    pub persistence: Persistence,
    pub service: Services,
    pub ingress: Ingress,
    pub dns: Dns,
    pub setup_job: SetupJob,
    pub network_policy: NetworkPolicy,
    pub service_account: ServiceAccount,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Global {
    /// Replaces the registry of every image, e.g. a registry mirror.
    pub image_registry: String,
}

/// The tenant's mail domain. A plain string is the same as `{primary: <string>}`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Domain {
    /// The tenant's mail domain, e.g. `acme.example`.
    pub primary: String,
    pub mode: DomainMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DomainMode {
    /// A subdomain of the platform's zone; the platform publishes the DNS records.
    FreeSubdomain,
    /// The tenant's own domain; the tenant publishes the DNS records.
    Byo,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Stalwart {
    /// The Stalwart configuration generation to render: `auto` derives it from the image tag.
    pub generation: Generation,
    /// The server's host name; empty means `mail.<domain>`.
    pub hostname: String,
    /// Must be 1: Stalwart's RocksDB store has a single writer.
    pub replicas: i64,
    pub image: Image,
    pub resources: Resources,
    pub pod_security_context: PodSecurityContext,
    pub container_security_context: ContainerSecurityContext,
    pub probes: Probes,
    pub tls: StalwartTls,
    pub spam_filter: Toggle,
    /// Stalwart's log level on stdout: error, warn, info, debug or trace.
    pub log_level: LogLevel,
    /// Extra Stalwart settings: dotted keys mapped to scalars, lists or expression blocks.
    pub settings: BTreeMap<String, Setting>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Generation {
    #[serde(rename = "auto")]
    Auto,
    /// Stalwart 0.15: TOML `config.toml`, REST admin API under `/api/`.
    #[serde(rename = "0.15")]
    V015,
    /// Stalwart 0.16 and later: JSON `config.json` and a JMAP admin API (not supported yet).
    #[serde(rename = "0.16")]
    V016,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// One value of `stalwart.settings`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Setting {
    Bool(bool),
    Integer(i64),
    String(String),
    /// An expression block: `{if, then}` entries closed by one `{else}`.
    Rules(Vec<Rule>),
    /// A list of plain values.
    List(Vec<ScalarSetting>),
    /// A key marked as an intended override of a key the product manages.
    Override(OverrideSetting),
}

/// A plain value inside a `stalwart.settings` list.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ScalarSetting {
    Bool(bool),
    Integer(i64),
    String(String),
}

/// One entry of an expression block.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Rule {
    Condition(ConditionRule),
    Else(ElseRule),
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionRule {
    /// A Stalwart expression; equality is `==`.
    #[serde(rename = "if")]
    pub condition: String,
    /// The value when the condition holds: a Stalwart expression (a string needs inner quotes).
    pub then: ScalarSetting,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ElseRule {
    /// The value when no condition holds.
    #[serde(rename = "else")]
    pub otherwise: ScalarSetting,
}

/// `{override: true, value: …}`: replaces a setting the product renders itself.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideSetting {
    /// Must be true: marks the key as replacing one the product manages, on purpose.
    #[serde(rename = "override")]
    pub intended: bool,
    pub value: Box<Setting>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Image {
    pub registry: String,
    pub repository: String,
    pub tag: String,
    /// `sha256:…`; when set, the image is pulled by digest.
    pub digest: String,
    pub pull_policy: PullPolicy,
    /// Names of image pull Secrets in the namespace.
    pub pull_secrets: Vec<String>,
}

/// An image without pull settings, for the Jobs.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JobImage {
    pub registry: String,
    pub repository: String,
    pub tag: String,
    /// `sha256:…`; when set, the image is pulled by digest.
    pub digest: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resources {
    pub requests: ResourceList,
    pub limits: ResourceList,
}

/// Kubernetes quantities; an empty string leaves the resource unset.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceList {
    pub cpu: String,
    pub memory: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodSecurityContext {
    pub run_as_user: i64,
    pub run_as_group: i64,
    pub fs_group: i64,
    pub run_as_non_root: bool,
    /// The seccomp profile type, e.g. `RuntimeDefault`.
    pub seccomp_profile: SeccompProfile,
    /// Sets the sysctl `net.ipv4.ip_unprivileged_port_start=0` so a non-root Stalwart binds ports below 1024.
    pub unprivileged_ports: bool,
    /// Must be empty in strict mode unless you know what you do: extra pod sysctls.
    pub sysctls: Vec<Sysctl>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SeccompProfile {
    RuntimeDefault,
    Unconfined,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Sysctl {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContainerSecurityContext {
    pub allow_privilege_escalation: bool,
    pub read_only_root_filesystem: bool,
    /// Linux capabilities to drop, normally `[ALL]`.
    pub drop_capabilities: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Probes {
    pub startup: Probe,
    pub liveness: Probe,
    pub readiness: Probe,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Probe {
    pub initial_delay_seconds: i64,
    pub period_seconds: i64,
    pub timeout_seconds: i64,
    pub failure_threshold: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StalwartTls {
    /// The Secret holding `tls.crt` and `tls.key` for the mail host.
    pub secret_name: String,
    pub certificate: CertificateValues,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CertificateValues {
    /// Renders a cert-manager Certificate that writes the TLS Secret.
    pub enabled: bool,
    pub issuer_kind: IssuerKind,
    pub issuer: String,
    /// A Go duration of at least `1h` (cert-manager's minimum), longer than `renewBefore`, e.g. `2160h`.
    pub duration: String,
    /// A Go duration of at least `5m` (cert-manager's minimum), shorter than `duration`, e.g. `360h`.
    pub renew_before: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum IssuerKind {
    Issuer,
    ClusterIssuer,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Toggle {
    pub enabled: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Keycloak {
    /// Makes the tenant's Keycloak realm the default directory (OIDC sign-in).
    pub enabled: bool,
    /// The realm URL, e.g. `https://auth.example/realms/sme`.
    #[serde(rename = "realmURL")]
    pub realm_url: String,
    #[serde(rename = "clientID")]
    pub client_id: String,
    /// The Secret holding the OIDC client secret.
    pub client_secret_name: String,
    /// The key of the client secret inside that Secret.
    pub client_secret_key: String,
    /// The way Stalwart validates access tokens: `introspect` (authenticated with the client secret) or `userinfo`.
    pub token_validation: TokenValidation,
    /// The token claims that become the account's fields.
    pub claims: Claims,
    /// How long Stalwart waits for Keycloak: a whole number and one unit of ms, s, m, h or d.
    pub timeout: String,
    pub oidc_external_secret: ExternalSecretValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TokenValidation {
    Introspect,
    Userinfo,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Claims {
    pub email: String,
    pub username: String,
    pub full_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Admin {
    /// The fallback administrator's user name, also the admin mailbox account.
    pub username: String,
    /// The Secret holding the fallback administrator's password.
    pub secret_name: String,
    /// The key of the password inside that Secret.
    pub secret_key: String,
    pub external_secret: ExternalSecretValues,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExternalSecretValues {
    /// Renders an ExternalSecret that creates the Secret; false means you create it yourself.
    pub enabled: bool,
    /// How often the secret is refreshed from the store, a Go duration.
    pub refresh_interval: String,
    pub secret_store_ref: SecretStoreRef,
    pub remote_ref: RemoteRef,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretStoreRef {
    pub kind: SecretStoreKind,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SecretStoreKind {
    SecretStore,
    ClusterSecretStore,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RemoteRef {
    /// The path in the secret store, e.g. `sovereign/<fqdn>/stalwart/<tenant>/admin`.
    pub key: String,
    /// The field at that path.
    pub property: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExternalSecrets {
    pub api_version: ExternalSecretsApiVersion,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ExternalSecretsApiVersion {
    #[serde(rename = "external-secrets.io/v1")]
    V1,
    /// Not served by external-secrets v0.17.0 and later.
    #[serde(rename = "external-secrets.io/v1beta1")]
    V1Beta1,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Mailboxes {
    /// Shared mailboxes, created as group principals with the `email-receive` permission.
    pub groups: Vec<Group>,
    /// Accounts allowed to send as another address.
    pub send_as: Vec<SendAs>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Group {
    pub name: String,
    /// The group's address; a bare local part gets `@<domain>`.
    pub email: String,
    /// Accounts that receive the group's mail.
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SendAs {
    /// The account that signs in.
    pub account: String,
    /// The address it may send as; a bare local part gets `@<domain>`.
    pub address: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Persistence {
    pub spool: Volume,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Volume {
    /// A Kubernetes quantity, e.g. `20Gi`.
    pub size: String,
    /// Empty means the cluster's default StorageClass.
    pub storage_class_name: String,
    pub access_modes: Vec<AccessMode>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AccessMode {
    ReadWriteOnce,
    ReadWriteOncePod,
    ReadWriteMany,
    ReadOnlyMany,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Services {
    pub smtp: SmtpService,
    pub imap: ImapService,
    pub web: WebService,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ServiceType {
    ClusterIP,
    NodePort,
    LoadBalancer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TrafficPolicy {
    Local,
    Cluster,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SmtpService {
    #[serde(rename = "type")]
    pub service_type: ServiceType,
    /// `Local` keeps client source addresses for SPF and rate limits; used only for LoadBalancer and NodePort.
    pub external_traffic_policy: TrafficPolicy,
    pub annotations: StringMap,
    pub ports: SmtpPorts,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SmtpPorts {
    pub smtp: i64,
    pub submission: i64,
    pub submissions: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImapService {
    #[serde(rename = "type")]
    pub service_type: ServiceType,
    /// Used only for LoadBalancer and NodePort.
    pub external_traffic_policy: TrafficPolicy,
    pub annotations: StringMap,
    pub ports: ImapPorts,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImapPorts {
    pub imap: i64,
    pub imaps: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WebService {
    #[serde(rename = "type")]
    pub service_type: ServiceType,
    pub annotations: StringMap,
    pub ports: WebPorts,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WebPorts {
    pub http: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Ingress {
    pub webmail: Webmail,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Webmail {
    pub mode: WebmailMode,
    /// Empty means `mail.<domain>`.
    pub host: String,
    pub path: String,
    pub parent_ref: ParentRef,
    pub ingress_class_name: String,
    pub annotations: StringMap,
    pub tls: WebmailTls,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WebmailMode {
    /// A Gateway API HTTPRoute.
    Gateway,
    /// A networking.k8s.io/v1 Ingress.
    Ingress,
    None,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ParentRef {
    pub name: String,
    pub namespace: String,
    /// A listener name; leave empty so the route attaches to every matching listener.
    pub section_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WebmailTls {
    pub enabled: bool,
    /// The cert-manager ClusterIssuer named in the Ingress annotation.
    pub issuer: String,
    /// Empty means `<fullname>-webmail-tls`.
    pub secret_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Dns {
    /// Record TTL in seconds.
    pub ttl: i64,
    pub dkim: Dkim,
    pub spf: Spf,
    pub dmarc: Dmarc,
    pub powerdns: PowerDns,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Dkim {
    pub selector: String,
    pub algorithm: DkimAlgorithm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DkimAlgorithm {
    Ed25519,
    Rsa,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Spf {
    pub policy: SpfPolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SpfPolicy {
    #[serde(rename = "-all")]
    Fail,
    #[serde(rename = "~all")]
    SoftFail,
    #[serde(rename = "?all")]
    Neutral,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Dmarc {
    pub policy: DmarcPolicy,
    /// The address for aggregate reports; empty means `dmarc@<domain>`.
    pub rua: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DmarcPolicy {
    None,
    Quarantine,
    Reject,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PowerDns {
    /// Publishes the records in the platform's PowerDNS zone (free-subdomain mode only).
    pub enabled: bool,
    /// The API base URL, e.g. `https://pdns.example/api`.
    #[serde(rename = "apiURL")]
    pub api_url: String,
    /// The Secret holding the PowerDNS API key.
    pub api_key_secret_name: String,
    /// The key of the API key inside that Secret.
    pub api_key_secret_key: String,
    /// The platform zone that contains the tenant's domain.
    pub zone: String,
    #[serde(rename = "serverID")]
    pub server_id: String,
    /// Networks the DNS Job may reach the PowerDNS API on (NetworkPolicy egress).
    #[serde(rename = "apiCIDRs")]
    pub api_cidrs: Vec<String>,
    /// How long the DNS Job waits for the setup Job's DKIM key, in seconds.
    pub dkim_wait_seconds: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SetupJob {
    pub enabled: bool,
    /// An image with sh and curl; also runs the DNS publishing Job.
    pub image: JobImage,
    pub resources: Resources,
    /// Seconds after which Kubernetes stops a Job; more than `readyTimeoutSeconds` and `dns.powerdns.dkimWaitSeconds`.
    pub active_deadline_seconds: i64,
    pub backoff_limit: i64,
    pub ttl_seconds_after_finished: i64,
    /// How long the setup Job waits for Stalwart to become ready, in seconds.
    pub ready_timeout_seconds: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkPolicy {
    pub enabled: bool,
    /// Labels of the namespace the Gateway or ingress controller runs in.
    pub gateway_namespace_labels: StringMap,
    /// Networks Stalwart may reach the Keycloak issuer on (the realm URL's port).
    #[serde(rename = "keycloakCIDRs")]
    pub keycloak_cidrs: Vec<String>,
    /// Extra in-cluster egress for Stalwart: namespace and port pairs (NATS, databases…).
    pub egress: Vec<EgressRule>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EgressRule {
    /// The target namespace's name.
    pub namespace: String,
    pub port: i64,
    pub protocol: Protocol,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Protocol {
    #[serde(rename = "TCP")]
    Tcp,
    #[serde(rename = "UDP")]
    Udp,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceAccount {
    pub create: bool,
    /// Empty means the full name.
    pub name: String,
    pub annotations: StringMap,
}
